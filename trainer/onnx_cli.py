"""Commands: `patentcl export-onnx` and `patentcl bench onnx`."""

from __future__ import annotations

from pathlib import Path

import click

from patentcl.trainer.onnx_quant import PRESETS

_REPO_SAMPLE = Path(__file__).resolve().parent.parent / "samples" / "google-patents-ai-us.csv"


def backend_options(command):
    """`--backend torch|onnx` and `--onnx-file` for the commands that encode text (embed, similar, suggest-cpc)."""
    command = click.option("--onnx-file", default=None,
                           help="File in MODEL/onnx/ for --backend onnx (default model.onnx; the int8 one is "
                                "e.g. model_qint8_avx2.onnx).")(command)
    return click.option("--backend", type=click.Choice(["torch", "onnx"]), default="torch", show_default=True,
                        help="onnx: ONNX Runtime on the CPU, from `patentcl export-onnx MODEL`.")(command)


@click.command("export-onnx")
@click.argument("model", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--quantize", type=click.Choice(["int8"]), default=None,
              help="Also write a dynamically quantized int8 copy (faster on CPU, slightly different vectors).")
@click.option("--quantize-config", type=click.Choice(sorted(PRESETS)), default=None,
              help="Target CPU for int8 (default: detected from this machine's CPU flags).")
@click.option("--per-tensor", is_flag=True,
              help="One weight scale per matrix instead of per output channel: coarser, usually further from "
                   "the float vectors (compare with `patentcl bench onnx`).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def export_onnx(model: Path, quantize: str | None, quantize_config: str | None, per_tensor: bool,
                as_json: bool) -> None:
    """Export MODEL (a sentence-transformers folder) to MODEL/onnx/ for `--backend onnx`."""
    from patentcl.cli import print_rows
    from patentcl.trainer.onnx_export import export_model

    results = export_model(model, quantize=quantize, preset=quantize_config, per_channel=not per_tensor)
    print_rows([{"file": str(r.path), "quantization": r.quantization, "size_mb": round(r.megabytes, 1),
                 "seconds": round(r.seconds, 1)} for r in results], as_json, "ONNX export")
    if not as_json:
        names = ", ".join(r.path.name for r in results)
        click.echo(f"use with --backend onnx [--onnx-file NAME] (written: {names})")


@click.command("onnx")
@click.option("--model", "model", type=click.Path(path_type=Path, file_okay=False, exists=True), required=True,
              help="Model folder (exports to MODEL/onnx/ what is missing).")
@click.option("--csv", "csv_path", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              default=_REPO_SAMPLE, show_default=True, help="Patents CSV (title, abstract, cpc_codes).")
@click.option("--texts", "n", type=click.IntRange(50, 100000), default=1000, show_default=True,
              help="Abstracts to encode.")
@click.option("--quantize-config", type=click.Choice(sorted(PRESETS)), default=None,
              help="int8 target (default: this CPU's).")
@click.option("--max-seq-length", type=click.IntRange(8, 8192), default=None, help="Tokens read per text.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def bench_onnx(model: Path, csv_path: Path, n: int, quantize_config: str | None, max_seq_length: int | None,
               as_json: bool) -> None:
    """Torch vs ONNX float vs ONNX int8: speed, cosine, neighbour overlap, CPC micro-F1."""
    from patentcl.cli import print_rows
    from patentcl.trainer.onnx_bench import run_benchmark

    rows = run_benchmark(model, csv_path, n, preset=quantize_config, max_seq_length=max_seq_length)
    print_rows(rows, as_json, f"bench onnx: {n} abstracts from {csv_path.name}")
