"""ONNX Runtime inference inside a sentence-transformers model: the files `patentcl export onnx`
writes (`patentcl.trainer.onnx_export`), read by every stage that encodes with `--backend onnx`.

Tokenizer, pooling and normalisation stay sentence-transformers' own; only the transformer's
forward pass runs in ONNX Runtime. Every exported file records the `model_hash` of the weights it
came from; loading refuses a file whose weights have since changed (a model retrained into the
same folder).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import torch
from sentence_transformers import SentenceTransformer

from patentcl.errors import PatentclError

if TYPE_CHECKING:
    from sentence_transformers.sentence_transformer.modules import Transformer
    from transformers import PreTrainedModel

ONNX_DIR = "onnx"
FLOAT_FILE = "model.onnx"
HASH_KEY = "patentcl.source_hash"
QUANT_KEY = "patentcl.quantization"


class OnnxTransformer(torch.nn.Module):
    """Stands in for the Hugging Face transformer inside a SentenceTransformer: same inputs, the
    token embeddings computed by an ONNX Runtime session."""

    def __init__(self, session: Any, config: Any) -> None:
        super().__init__()
        self.session = session
        self.config = config
        self.device = torch.device("cpu")
        self.input_names = [i.name for i in session.get_inputs()]

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        **_: Any,
    ) -> dict[str, torch.Tensor]:
        given = {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": token_type_ids}
        feeds = {}
        for name in self.input_names:
            tensor = given.get(name)
            if tensor is None:  # tokenizers without segment ids: BERT's default is all zeros
                tensor = torch.ones_like(input_ids) if name == "attention_mask" else torch.zeros_like(input_ids)
            feeds[name] = tensor.detach().cpu().numpy().astype(np.int64)
        hidden = self.session.run(None, feeds)[0]
        return {"last_hidden_state": torch.from_numpy(hidden).to(input_ids.device)}


def onnx_files(model_path: str | Path) -> list[str]:
    """The file names of a model folder's ONNX exports."""
    folder = Path(model_path) / ONNX_DIR
    return sorted(p.name for p in folder.glob("*.onnx")) if folder.is_dir() else []


def use_onnx(
    model: SentenceTransformer,
    model_path: str | Path,
    file_name: str | None,
    source_hash: str,
    *,
    threads: int | None = None,
) -> str:
    """Swaps `model`'s transformer for an ONNX Runtime session on `onnx/<file_name>` (default: the
    float export) and returns the file's quantization. Refuses a file exported from other weights."""
    ort = require_onnxruntime()
    name = file_name or FLOAT_FILE
    path = Path(model_path) / ONNX_DIR / name
    if not path.is_file():
        have = ", ".join(onnx_files(model_path)) or "none"
        raise PatentclError(
            f"no ONNX model {path} (exported files: {have}); run `patentcl export onnx {model_path}` first"
        )
    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    meta = session.get_modelmeta().custom_metadata_map
    if meta.get(HASH_KEY) != source_hash:
        raise PatentclError(
            f"{path} was exported from other weights ({meta.get(HASH_KEY, 'unrecorded')}, "
            f"the model is now {source_hash}): run `patentcl export onnx {model_path}` again"
        )
    transformer = transformer_module(model)
    # A stand-in, not a PreTrainedModel: sentence-transformers only calls it and reads its config.
    transformer.model = cast("PreTrainedModel", OnnxTransformer(session, transformer.auto_model.config))
    return str(meta.get(QUANT_KEY, ""))


def transformer_module(model: SentenceTransformer) -> Transformer:
    """The model's Hugging Face transformer: its first module in every model patentcl trains or loads."""
    return cast("Transformer", model[0])


def require_onnxruntime() -> Any:
    """The onnxruntime module, or a one-line error naming the extra that installs it."""
    try:
        import onnx  # noqa: F401
        import onnxruntime
    except ModuleNotFoundError:
        raise PatentclError("the ONNX backend needs onnx and onnxruntime: pip install 'patentcl[onnx]'") from None
    return onnxruntime
