"""Encoding patents with a model: which model it is (name and content hash), and its vectors.

A model is named by `name@hash`: the model folder's name (or hub id) and the first 12 hex digits
of a SHA-256 over its weights and module configuration. The hash changes whenever the embedding
space changes, so the graph can tell one model's vectors from another's, whatever the folder is
called. Vectors are L2-normalised float32 (cosine similarity = dot product).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch
from sentence_transformers import SentenceTransformer

from patentcl.errors import PatentclError
from patentcl.trainer.data import TextSpec
from patentcl.trainer.model_card import read_provenance
from patentcl.trainer.train import load_model

HASH_DIGITS = 12
EncodePrecision = str  # "auto" | "fp16" | "bf16" | "fp32"


@dataclass
class EmbeddingModel:
    """A loaded model with its identity and the text format it was trained on."""

    model: SentenceTransformer
    name: str
    hash: str
    text: TextSpec
    provenance: dict[str, Any] | None
    source: str  # the folder (absolute) or hub id it was loaded from

    @property
    def id(self) -> str:
        return f"{self.name}@{self.hash}"

    @property
    def dimension(self) -> int:
        return int(self.model.get_embedding_dimension())

    def texts(self, rows: Sequence[dict[str, Any]]) -> list[str]:
        return [self.text.text(r.get("title"), r.get("abstract")) for r in rows]

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Normalised float32 vectors, one row per text."""
        vectors = self.model.encode(list(texts), batch_size=batch_size, convert_to_tensor=True,
                                    normalize_embeddings=True, show_progress_bar=False)
        array = vectors.float().cpu().numpy()
        if not np.isfinite(array).all():
            raise PatentclError(f"model {self.id} produced non-finite vectors (try --precision fp32)")
        return array


def open_model(name_or_path: str, *, text: TextSpec | None = None, precision: EncodePrecision = "auto",
               max_seq_length: int | None = None, device: str | None = None, backend: str = "torch",
               onnx_file: str | None = None) -> EmbeddingModel:
    """Loads a model for encoding. A patentcl-trained model brings its text format; `text`
    overrides it (and is required to differ only on purpose). Half precision on a GPU by default.
    backend="onnx" runs the transformer with ONNX Runtime on CPU from the folder's onnx/`onnx_file`
    (default model.onnx; `patentcl export-onnx`); the id stays that of the weights it was exported from."""
    model = load_model(name_or_path, device="cpu" if backend == "onnx" else device)
    if max_seq_length:
        model.max_seq_length = max_seq_length
    provenance = read_provenance(Path(name_or_path))
    trained_text = TextSpec(**provenance["text"]) if provenance else None
    digest = model_hash(model)  # of the weights as saved, before any half-precision cast
    dtype = _dtype(precision, model.device)
    if dtype is not None:
        model.to(dtype)
    if backend == "onnx":
        from patentcl.trainer.onnx_export import use_onnx  # onnxruntime is an optional extra

        use_onnx(model, Path(name_or_path), onnx_file, digest)
    local = Path(name_or_path)
    name = provenance["name"] if provenance else local.resolve().name if local.is_dir() else name_or_path
    source = str(local.resolve()) if local.is_dir() else name_or_path
    return EmbeddingModel(model, name, digest, text or trained_text or TextSpec(), provenance, source)


def model_hash(model: SentenceTransformer) -> str:
    """SHA-256 over the module stack (each module's type and configuration, e.g. pooling) and every
    weight: what decides the embedding space. Not the maximum length or text format, which change
    how much of a patent is read, not the space its vector lives in."""
    stack = [(type(module).__name__, getattr(module, "get_config_dict", dict)()) for module in model]
    digest = hashlib.sha256(json.dumps(stack, sort_keys=True, default=str).encode("utf-8"))
    for key, tensor in sorted(model.state_dict().items()):
        digest.update(key.encode("utf-8"))
        digest.update(tensor.detach().to("cpu", torch.float32).contiguous().numpy().tobytes())
    return digest.hexdigest()[:HASH_DIGITS]


def _dtype(precision: EncodePrecision, device: torch.device) -> torch.dtype | None:
    if precision == "auto":
        # fp16 keeps more mantissa than bf16 and inference has no gradients to overflow.
        return torch.float16 if device.type == "cuda" else None
    if precision == "fp32":
        return None
    if device.type != "cuda":
        raise PatentclError(f"--precision {precision} needs a CUDA GPU; encoding runs on {device.type}")
    return {"fp16": torch.float16, "bf16": torch.bfloat16}[precision]
