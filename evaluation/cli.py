"""`patentcl evaluate`: models side by side on held-out data, written as report.json, report.md and PNGs."""

from __future__ import annotations

import json
from pathlib import Path

import click

from patentcl.errors import PatentclError
from patentcl.options import json_option, max_seq_length_option, seed_option, triplets_option
from patentcl.output import console, print_rows, settings_of


def _models(specs: tuple[str, ...]) -> dict[str, str]:
    """`NAME=PATH` or `PATH` (named after its folder), in the order given."""
    models: dict[str, str] = {}
    for spec in specs:
        name, sep, path = spec.partition("=")
        if not sep:
            name, path = Path(spec.rstrip("/")).name or spec, spec
        if not name or not path:
            raise click.BadParameter(f"{spec!r}: use NAME=PATH or PATH", param_hint="--model")
        if name in models:
            raise click.BadParameter(f"two models are named {name!r}: name them with NAME=PATH", param_hint="--model")
        models[name] = path
    return models


@click.command("evaluate")
@click.option(
    "--model",
    "model_specs",
    multiple=True,
    required=True,
    metavar="[NAME=]PATH",
    help="A model folder or hub id; repeat to compare. The first is the baseline (e.g. the base model).",
)
@click.option(
    "--data",
    "data",
    multiple=True,
    required=True,
    type=click.Path(path_type=Path, exists=True),
    help="google-patents-ai CSV files or folders for the CPC protocols (e.g. ../shared/data/google-patents-ai, "
    "or samples/google-patents-ai-us.csv).",
)
@triplets_option(
    "Triplet folders (patentcl mine) besides those in the models' provenance: their train triplets mark "
    "patents as touched, their test triplets give triplet accuracy.",
    several=True,
    required=False,
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Report folder (default: HOME/evaluation).",
)
@click.option(
    "--quick",
    is_flag=True,
    help="Small sizes for a smoke run: 600 protocol rows, 100 retrieval queries over 600 patents, 200 triplets.",
)
@click.option("--max-rows", type=click.IntRange(50), default=None, help="Protocol rows to use (default: all).")
@click.option("--queries", type=click.IntRange(1), default=None, help="Held-out retrieval queries (default 1000).")
@click.option(
    "--corpus", type=click.IntRange(10), default=None, help="Retrieval corpus size (default: the whole graph)."
)
@click.option("--triplet-limit", type=click.IntRange(1), default=None, help="Held-out test triplets (default 5000).")
@max_seq_length_option(None)
@click.option("--no-graph", is_flag=True, help="Skip the retrieval metrics (they read the graph).")
@click.option("--no-cache", is_flag=True, help="Do not keep encoded texts under HOME/cache/embeddings.")
@seed_option
@json_option
@click.pass_context
def evaluate(
    ctx: click.Context,
    model_specs: tuple[str, ...],
    data: tuple[Path, ...],
    triplets: tuple[Path, ...],
    out: Path | None,
    quick: bool,
    max_rows: int | None,
    queries: int | None,
    corpus: int | None,
    triplet_limit: int | None,
    max_seq_length: int | None,
    no_graph: bool,
    no_cache: bool,
    seed: int,
    as_json: bool,
) -> None:
    """Compare models on CPC prediction (published and clean protocols), triplet accuracy and
    retrieval, on patents no training triplet touched. --max-seq-length applies to every model:
    it compares models trained at different lengths on the same text."""
    from patentcl.evaluation.report import EvaluationPlan, headline, quick_plan
    from patentcl.evaluation.report import evaluate as run

    settings = settings_of(ctx)
    models = _models(model_specs)
    out = out or settings.home / "evaluation"
    cache = None if no_cache else settings.home / "cache" / "embeddings"
    plan = (
        quick_plan(models, out, data[0], cache=cache, triplets=triplets)
        if quick
        else EvaluationPlan(models, list(data), out, triplets, cache)
    )
    plan.data = list(data)
    plan.seed = seed
    for name, value in (
        ("max_rows", max_rows),
        ("retrieval_queries", queries),
        ("retrieval_corpus", corpus),
        ("triplet_limit", triplet_limit),
        ("max_seq_length", max_seq_length),
    ):
        if value is not None:
            setattr(plan, name, value)
    if no_graph:
        result = run(plan)
    else:
        from patentcl.graph import open_store

        with open_store(settings) as store:
            result = run(plan, store)
    table = headline(result.report)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "metrics": table,
                    "report": str(result.markdown_path),
                    "json": str(result.json_path),
                    "figures": [str(p) for p in result.figure_paths],
                }
            )
        )
    else:
        print_rows(
            [
                {"metric": label, **{n: "" if v is None else f"{v:.3f}" for n, v in row.items()}}
                for label, row in table.items()
            ],
            False,
            "held-out evaluation",
        )
        console.print(
            f"report: {result.markdown_path} (and {result.json_path.name}, "
            f"{', '.join(p.name for p in result.figure_paths)})"
        )
    if not table:
        raise PatentclError("no metric could be computed")
