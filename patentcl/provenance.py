"""The provenance file a patentcl-trained model carries (`patentcl_model.json`).

Training writes it (`patentcl.trainer.model_card`); encoding reads the text format from it and the
evaluation reads which triplets the model was trained on, so its format has one home here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

PROVENANCE_FILE = "patentcl_model.json"


def read_provenance(model_dir: Path) -> dict[str, Any] | None:
    """The model's patentcl provenance, or None for a model not trained by patentcl."""
    path = Path(model_dir) / PROVENANCE_FILE
    if not path.exists():
        return None
    provenance: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return provenance
