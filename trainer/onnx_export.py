"""ONNX export and int8 quantization of a sentence-transformers model (inference with the files:
`patentcl.onnx_runtime`).

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

import torch
from sentence_transformers import SentenceTransformer

from patentcl.encoding import load_model, model_hash
from patentcl.errors import PatentclError
from patentcl.onnx_runtime import FLOAT_FILE, HASH_KEY, ONNX_DIR, QUANT_KEY, require_onnxruntime, transformer_module
from patentcl.trainer.onnx_quant import QuantConfig, quant_config

INPUTS = ("input_ids", "attention_mask", "token_type_ids")
OPSET = 17


class _LastHiddenState(torch.nn.Module):
    """The transformer as an ONNX graph sees it: token ids in, token embeddings out."""

    def __init__(self, transformer: torch.nn.Module):
        super().__init__()
        self.transformer = transformer

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
    ) -> torch.Tensor:
        return self.transformer(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        ).last_hidden_state


def export_float(model: SentenceTransformer, folder: Path, source_hash: str) -> Path:
    """Writes `folder/onnx/model.onnx` (float32) through a temporary file, so an interrupted
    export leaves no half-written model."""
    import onnx

    module = transformer_module(model)
    if module.tokenizer is None:
        raise PatentclError(f"the model in {folder} has no tokenizer: only text models export to ONNX")
    # transformers wraps `to` with functools.wraps(Module.to), whose stub expects `self` as the first argument.
    transformer = module.auto_model.to("cpu", torch.float32).eval()  # type: ignore[arg-type]
    sample = module.tokenizer(
        ["an example patent abstract", "a second, longer example of a patent text"], padding=True, return_tensors="pt"
    )
    args = tuple(sample.get(name, torch.zeros_like(sample["input_ids"])) for name in INPUTS)
    target = folder / ONNX_DIR / FLOAT_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        raw = Path(tmp) / FLOAT_FILE
        dynamic = {name: {0: "batch", 1: "sequence"} for name in (*INPUTS, "last_hidden_state")}
        with torch.no_grad():
            # dynamo=False: the TorchScript exporter needs no onnxscript and handles BERT's masks.
            torch.onnx.export(
                _LastHiddenState(transformer),
                args,
                str(raw),
                input_names=list(INPUTS),
                output_names=["last_hidden_state"],
                dynamic_axes=dynamic,
                opset_version=OPSET,
                dynamo=False,
            )
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
        quantize_dynamic(
            str(float_path),
            str(raw),
            per_channel=config.per_channel,
            reduce_range=config.reduce_range,
            weight_type=QuantType.QInt8,
            op_types_to_quantize=list(config.op_types),
        )
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


def export_model(
    model_path: str | Path, *, quantize: str | None = None, preset: str | None = None, per_channel: bool = True
) -> list[ExportResult]:
    """Exports the model folder to `onnx/model.onnx` and, with quantize="int8", its int8 copy."""
    require_onnxruntime()
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


def _stamp(proto: Any, source_hash: str, quantization: str) -> None:
    del proto.metadata_props[:]
    for key, value in ((HASH_KEY, source_hash), (QUANT_KEY, quantization)):
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value


def _mb(path: Path) -> float:
    return path.stat().st_size / 1e6
