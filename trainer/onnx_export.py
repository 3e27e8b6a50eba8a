"""ONNX export, int8 quantization and ONNX Runtime inference for a sentence-transformers model.

Why not sentence-transformers' own ONNX backend (`SentenceTransformer(path, backend="onnx")`,
`export_dynamic_quantized_onnx_model`)? It runs through Optimum, and the only Optimum ONNX release
(optimum-onnx 0.1.0) pins transformers<4.58: it does not import with transformers 5
(`is_offline_mode` moved), which sentence-transformers 6 requires. So the transformer is exported
with torch's own exporter, quantized with ONNX Runtime's `quantize_dynamic` (the call Optimum
wraps), and run by ONNX Runtime inside the loaded SentenceTransformer: tokenizer, pooling and
normalisation stay sentence-transformers' own, only the transformer's forward pass changes.
Files follow sentence-transformers' layout (`onnx/model.onnx`, `onnx/model_qint8_<config>.onnx`),
so its backend can load them once Optimum supports transformers 5.

Every exported file records the `model_hash` of the weights it came from; loading refuses a file
whose weights have since changed (a model retrained into the same folder).
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sentence_transformers import SentenceTransformer

from patentcl.errors import PatentclError
from patentcl.trainer.onnx_quant import QuantConfig, quant_config

ONNX_DIR = "onnx"
FLOAT_FILE = "model.onnx"
HASH_KEY = "patentcl.source_hash"
QUANT_KEY = "patentcl.quantization"
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
OPSET = 17


class _LastHiddenState(torch.nn.Module):
    """The transformer as an ONNX graph sees it: token ids in, token embeddings out."""

    def __init__(self, transformer: torch.nn.Module):
        super().__init__()
        self.transformer = transformer

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                token_type_ids: torch.Tensor) -> torch.Tensor:
        return self.transformer(input_ids=input_ids, attention_mask=attention_mask,
                                token_type_ids=token_type_ids).last_hidden_state


def export_float(model: SentenceTransformer, folder: Path, source_hash: str) -> Path:
    """Writes `folder/onnx/model.onnx` (float32) through a temporary file, so an interrupted
    export leaves no half-written model."""
    import onnx

    transformer = model[0].auto_model.to("cpu", torch.float32).eval()
    sample = model[0].tokenizer(["an example patent abstract", "a second, longer example of a patent text"],
                                padding=True, return_tensors="pt")
    args = tuple(sample.get(name, torch.zeros_like(sample["input_ids"])) for name in INPUTS)
    target = folder / ONNX_DIR / FLOAT_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        raw = Path(tmp) / FLOAT_FILE
        dynamic = {name: {0: "batch", 1: "sequence"} for name in (*INPUTS, "last_hidden_state")}
        with torch.no_grad():
            # dynamo=False: the TorchScript exporter needs no onnxscript and handles BERT's masks.
            torch.onnx.export(_LastHiddenState(transformer), args, str(raw), input_names=list(INPUTS),
                              output_names=["last_hidden_state"], dynamic_axes=dynamic, opset_version=OPSET,
                              dynamo=False)
        proto = onnx.load(str(raw))
        _stamp(proto, source_hash, "float32")
        onnx.save(proto, str(raw))
        raw.replace(target)
    return target


def export_int8(float_path: Path, config: QuantConfig, source_hash: str) -> Path:
    """Writes the dynamically quantized copy of a float export next to it."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    target = float_path.parent / config.file_name
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        raw = Path(tmp) / config.file_name
        quantize_dynamic(str(float_path), str(raw), per_channel=config.per_channel,
                         reduce_range=config.reduce_range, weight_type=QuantType.QInt8,
                         op_types_to_quantize=list(config.op_types))
        proto = onnx.load(str(raw))
        _stamp(proto, source_hash, config.describe())
        onnx.save(proto, str(raw))
        raw.replace(target)
    return target


@dataclass
class ExportResult:
    path: Path
    seconds: float
    megabytes: float
    quantization: str


def export_model(model_path: str | Path, *, quantize: str | None = None, preset: str | None = None,
                 per_channel: bool = True) -> list[ExportResult]:
    """Exports the model folder to `onnx/model.onnx` and, with quantize="int8", its int8 copy."""
    from patentcl.trainer.encode import model_hash
    from patentcl.trainer.train import load_model

    _require_onnxruntime()
    folder = Path(model_path)
    if not (folder / "modules.json").is_file():
        raise PatentclError(f"{folder} is not a sentence-transformers model folder (no modules.json)")
    if quantize not in (None, "int8"):
        raise PatentclError(f"unknown quantization {quantize!r}: only int8")
    config = quant_config(preset, per_channel=per_channel) if quantize else None
    model = load_model(str(folder), device="cpu")
    source_hash = model_hash(model)
    results = []
    started = time.perf_counter()
    float_path = export_float(model, folder, source_hash)
    results.append(ExportResult(float_path, time.perf_counter() - started, _mb(float_path), "float32"))
    if config is not None:
        started = time.perf_counter()
        path = export_int8(float_path, config, source_hash)
        results.append(ExportResult(path, time.perf_counter() - started, _mb(path), config.describe()))
    return results


class OnnxTransformer(torch.nn.Module):
    """Stands in for the Hugging Face transformer inside a SentenceTransformer: same inputs, the
    token embeddings computed by an ONNX Runtime session."""

    def __init__(self, session: Any, config: Any):
        super().__init__()
        self.session = session
        self.config = config
        self.device = torch.device("cpu")
        self.input_names = [i.name for i in session.get_inputs()]

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None,
                token_type_ids: torch.Tensor | None = None, **_: Any) -> dict[str, torch.Tensor]:
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
    folder = Path(model_path) / ONNX_DIR
    return sorted(p.name for p in folder.glob("*.onnx")) if folder.is_dir() else []


def use_onnx(model: SentenceTransformer, model_path: str | Path, file_name: str | None, source_hash: str,
             *, threads: int | None = None) -> str:
    """Swaps `model`'s transformer for an ONNX Runtime session on `onnx/<file_name>` (default: the
    float export) and returns the file's quantization. Refuses a file exported from other weights."""
    ort = _require_onnxruntime()
    name = file_name or FLOAT_FILE
    path = Path(model_path) / ONNX_DIR / name
    if not path.is_file():
        have = ", ".join(onnx_files(model_path)) or "none"
        raise PatentclError(f"no ONNX model {path} (exported files: {have}); "
                            f"run `patentcl export-onnx {model_path}` first")
    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    meta = session.get_modelmeta().custom_metadata_map
    if meta.get(HASH_KEY) != source_hash:
        raise PatentclError(f"{path} was exported from other weights ({meta.get(HASH_KEY, 'unrecorded')}, "
                            f"the model is now {source_hash}): run `patentcl export-onnx {model_path}` again")
    model[0].model = OnnxTransformer(session, model[0].auto_model.config)
    return meta.get(QUANT_KEY, "")


def _stamp(proto: Any, source_hash: str, quantization: str) -> None:
    del proto.metadata_props[:]
    for key, value in ((HASH_KEY, source_hash), (QUANT_KEY, quantization)):
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value


def _mb(path: Path) -> float:
    return path.stat().st_size / 1e6


def _require_onnxruntime() -> Any:
    try:
        import onnx  # noqa: F401
        import onnxruntime
    except ModuleNotFoundError:
        raise PatentclError("the ONNX backend needs onnx and onnxruntime: pip install 'patentcl[onnx]'") from None
    return onnxruntime
