"""Which patents training touched, and triplet accuracy on the triplets it did not touch.

A patent is touched when it appears, in any role, in a training triplet of any model under
evaluation (the triplet folders come from each model's provenance, `patentcl_model.json`, or from
`--triplets`), or when its normalised abstract is the abstract of such a patent: the family
members of a patent filed in several countries share its text, and a model that trained on the
text has seen them too. Held-out triplets are test-split triplets none of whose three patents was
touched. Triplet accuracy: the share of held-out triplets whose anchor is closer (cosine) to the
positive than to the negative.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from patentcl.families import normalise
from patentcl.provenance import read_provenance
from patentcl.triplets import ROLES, read_triplets


def training_folders(model: str) -> list[Path]:
    """The triplet folders a patentcl-trained model was trained on (none for other models)."""
    provenance = read_provenance(Path(model)) if Path(model).is_dir() else None
    return [Path(m["folder"]) for m in (provenance or {}).get("triplets", []) if m.get("folder")]


@dataclass(frozen=True)
class Touched:
    """The patents (ids) and texts (normalised abstracts) the training triplets contain."""

    ids: frozenset[str] = frozenset()
    abstracts: frozenset[str] = frozenset()

    def __len__(self) -> int:
        return len(self.ids)

    def __bool__(self) -> bool:
        return bool(self.ids)

    def has(self, patent_id: str, abstract: str | None) -> bool:
        return patent_id in self.ids or bool(abstract and normalise(abstract) in self.abstracts)

    def mask(self, ids: Iterable[str], abstracts: Iterable[str | None]) -> np.ndarray:
        """True where the patent was touched."""
        return np.array([self.has(i, a) for i, a in zip(ids, abstracts)], dtype=bool)


def touched_by_training(folders: Sequence[Path]) -> Touched:
    """Every patent of every training triplet in `folders`, with its abstract."""
    if not folders:
        return Touched()
    train = read_triplets(list(folders))["train"]
    return Touched(
        frozenset(pid for role in ROLES for pid in train[f"{role}_id"]),
        frozenset(normalise(a) for role in ROLES for a in train[f"{role}_abstract"] if a),
    )


def heldout_triplets(
    folders: Sequence[Path], touched: Touched, *, limit: int | None = None, seed: int = 42
) -> pd.DataFrame:
    """Test-split triplets whose anchor, positive and negative no training triplet touched."""
    if not folders:
        return pd.DataFrame()
    triplets = read_triplets(list(folders))
    if not triplets.has("test"):
        return pd.DataFrame()
    test = triplets["test"]
    clean = ~np.any([touched.mask(test[f"{role}_id"], test[f"{role}_abstract"]) for role in ROLES], axis=0)
    test = test[clean].reset_index(drop=True)
    if limit is not None and len(test) > limit:
        test = test.sample(n=limit, random_state=seed).reset_index(drop=True)
    return test


def triplet_accuracy(anchors: np.ndarray, positives: np.ndarray, negatives: np.ndarray) -> float:
    """Share of rows with cos(anchor, positive) > cos(anchor, negative); rows are normalised vectors."""
    if len(anchors) == 0:
        return float("nan")
    return float(np.mean((anchors * positives).sum(axis=1) > (anchors * negatives).sum(axis=1)))
