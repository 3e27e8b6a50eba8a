"""Int8 quantization configurations for `patentcl export onnx` (no torch import: the CLI reads them)."""

from __future__ import annotations

import platform
from dataclasses import dataclass
from pathlib import Path

from patentcl.errors import PatentclError


@dataclass(frozen=True)
class QuantConfig:
    """Dynamic int8 quantization: weights int8 ahead of time, activations uint8 per batch.

    `reduce_range` quantizes weights to 7 bits: x86 CPUs without VNNI multiply u8 x s8 with
    16-bit accumulation that can saturate at 8 bits (ONNX Runtime's quantization docs).
    `per_channel` gives each output channel of a weight matrix its own scale."""

    name: str
    per_channel: bool = True
    reduce_range: bool = False
    op_types: tuple[str, ...] = ("MatMul",)  # the Gather of the embedding table stays float

    @property
    def file_name(self) -> str:
        suffix = "" if self.per_channel else "_per_tensor"
        return f"model_qint8_{self.name}{suffix}.onnx"

    def describe(self) -> str:
        return (
            f"{self.name}: int8 {'per-channel' if self.per_channel else 'per-tensor'} weights"
            f"{' (7-bit range)' if self.reduce_range else ''}, uint8 activations, ops {','.join(self.op_types)}"
        )


PRESETS: dict[str, QuantConfig] = {
    "avx2": QuantConfig("avx2", reduce_range=True),
    "avx512": QuantConfig("avx512", reduce_range=True),
    "avx512_vnni": QuantConfig("avx512_vnni"),
    "arm64": QuantConfig("arm64"),
}


def cpu_preset() -> str:
    """The preset for this CPU: VNNI (no saturation) where /proc/cpuinfo lists it, else AVX2's
    reduced range; arm64 on ARM."""
    if platform.machine().lower() in ("arm64", "aarch64"):
        return "arm64"
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return "avx2"
    if "avx512_vnni" in flags or "avx_vnni" in flags:
        return "avx512_vnni"
    return "avx512" if "avx512f" in flags else "avx2"


def quant_config(preset: str | None = None, *, per_channel: bool = True) -> QuantConfig:
    name = preset or cpu_preset()
    if name not in PRESETS:
        raise PatentclError(f"unknown quantization config {name!r}: choose one of {', '.join(PRESETS)}")
    base = PRESETS[name]
    return QuantConfig(base.name, per_channel, base.reduce_range, base.op_types)
