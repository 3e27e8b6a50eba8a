"""Commands: `patentcl export onnx` and `patentcl bench onnx`."""

from __future__ import annotations

from pathlib import Path

import click

from patentcl.options import json_option, max_seq_length_option, text_count_option
from patentcl.output import print_rows
from patentcl.samples import sample_csv
from patentcl.trainer.onnx_quant import PRESETS


@click.command("onnx")
@click.argument("model", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option(
    "--quantize",
    type=click.Choice(["int8"]),
    default=None,
    help="Also write a dynamically quantized int8 copy (faster on CPU, slightly different vectors).",
)
@click.option(
    "--quantize-config",
    type=click.Choice(sorted(PRESETS)),
    default=None,
    help="Target CPU for int8 (default: detected from this machine's CPU flags).",
)
@click.option(
    "--per-tensor",
    is_flag=True,
    help="One weight scale per matrix instead of per output channel: coarser, usually further from "
    "the float vectors (compare with `patentcl bench onnx`).",
)
@json_option
def export_onnx(
    model: Path, quantize: str | None, quantize_config: str | None, per_tensor: bool, as_json: bool
) -> None:
    """Export MODEL (a sentence-transformers folder) to MODEL/onnx/ for `--backend onnx`."""
    from patentcl.trainer.onnx_export import export_model

    results = export_model(model, quantize=quantize, preset=quantize_config, per_channel=not per_tensor)
    print_rows(
        [
            {
                "file": str(r.path),
                "quantization": r.quantization,
                "size_mb": round(r.megabytes, 1),
                "seconds": round(r.seconds, 1),
            }
            for r in results
        ],
        as_json,
        "ONNX export",
    )
    if not as_json:
        names = ", ".join(r.path.name for r in results)
        click.echo(f"use with --backend onnx [--onnx-file NAME] (written: {names})")


@click.command("onnx")
@click.option(
    "--model",
    "model",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    required=True,
    help="Model folder (exports to MODEL/onnx/ what is missing).",
)
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=sample_csv(),
    show_default="the bundled sample",
    help="Patents CSV (title, abstract, cpc_codes).",
)
@text_count_option(1000, 50, 100_000)
@click.option(
    "--quantize-config", type=click.Choice(sorted(PRESETS)), default=None, help="int8 target (default: this CPU's)."
)
@max_seq_length_option(None)
@json_option
def bench_onnx(
    model: Path, csv_path: Path, text_count: int, quantize_config: str | None, max_seq_length: int | None, as_json: bool
) -> None:
    """Torch vs ONNX float vs ONNX int8: speed, cosine, neighbour overlap, CPC micro-F1."""
    from patentcl.trainer.onnx_bench import run_benchmark

    rows = run_benchmark(model, csv_path, text_count, preset=quantize_config, max_seq_length=max_seq_length)
    print_rows(rows, as_json, f"bench onnx: {text_count} abstracts from {csv_path.name}")
