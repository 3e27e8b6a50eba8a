"""`patentcl bench load`: load throughput into a fresh graph of each engine, with figures to quote.

Each data set is loaded by a child process (so its peak memory is its own) into a new project
folder with a new server of the engine (the embedded FalkorDB, or a Neo4j from Maven Central),
after the schema migrations (the indexes must exist before the writes). A warm-up load of the
same data comes first and is deleted (`clear_patents`): Neo4j runs on the JVM, whose first
minute of work on a fresh server runs partly interpreted while the JIT compiles it, and a
server that users load into has long been warm. The warm-up's wall time and server CPU are
printed too (`first_load_*`). Printed per data set, for the measured load: wall seconds (server start
excluded, shown separately), parse and render seconds (reader thread: reading and checking
rows, then grouping them and rendering the queries) and write seconds (writer thread: running
the queries; it overlaps the reader), patents/s and edges/s of the write queries themselves,
without and with the reader's rendering of them, CPU seconds of the loader process and of the
graph server, and the loader's peak resident memory.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from patentcl.config import Settings
from patentcl.loaders import patentsview_fixture


def _measure(engine: str, kind: str, inputs: list[str], batch_size: int, warm_up: bool, home: str, result: Any) -> None:
    """Runs in a child process: one load into a fresh graph of `engine` under `home`, after a
    warm-up load of the same data (then deleted) when `warm_up`."""
    from patentcl.graph import open_store
    from patentcl.graph.servers import fresh_graph

    started = time.perf_counter()
    with fresh_graph(engine, Path(home), Settings(batch_size=batch_size)) as (settings, server_pid):
        with open_store(settings) as store:  # applies the migrations: indexes before writes
            startup = time.perf_counter() - started
            cold = None
            if warm_up:
                cold = _load(store, settings, kind, inputs, batch_size, server_pid)
                store.run("clear_patents")
                if left := store.describe().labels.get("Patent"):
                    raise RuntimeError(f"the warm-up's patents were not deleted ({left} left)")
            figures = _load(store, settings, kind, inputs, batch_size, server_pid)
    result.update(
        figures, startup_s=startup, cold_wall_s=cold and cold["wall_s"], cold_server_cpu_s=cold and cold["server_cpu_s"]
    )


def _load(
    store: Any, settings: Settings, kind: str, inputs: list[str], batch_size: int, server_pid: int | None
) -> dict[str, Any]:
    """One load of the data set, with its timings, CPU and the graph it left."""
    from patentcl.graph.processes import cpu_seconds
    from patentcl.loaders.csv_export import CsvSource
    from patentcl.loaders.filters import LoadFilter
    from patentcl.loaders.load import run_load
    from patentcl.loaders.patentsview import Options, PatentsViewSource

    if kind == "csv":
        source: Any = CsvSource([Path(p) for p in inputs], LoadFilter(types=None))
    else:
        source = PatentsViewSource(Path(inputs[0]), LoadFilter(), Options())
    server_before = cpu_seconds(server_pid)
    cpu_before = time.process_time()
    report = run_load(store, settings, source, batch_size=batch_size)
    cpu = time.process_time() - cpu_before
    server_cpu = cpu_seconds(server_pid)
    graph = store.describe()
    return {
        "wall_s": report.seconds,
        "parse_s": sum(s.parse_seconds for s in report.steps),
        "render_s": sum(s.render_seconds for s in report.steps),
        "write_s": sum(s.write_seconds for s in report.steps),
        "client_cpu_s": cpu,
        "server_cpu_s": (server_cpu - server_before) if server_cpu is not None and server_before is not None else None,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "queries": {
            name: {"rows": int(rows), "seconds": seconds, "render_seconds": report.render_stats.get(name, 0.0)}
            for name, (rows, seconds) in report.write_stats.items()
        },
        "labels": graph.labels,
        "relationships": graph.relationships,
        "rejected": report.rejected,
    }


def measure(engine: str, kind: str, inputs: list[Path], batch_size: int, *, warm_up: bool = True) -> dict[str, Any]:
    """One data set, loaded by a fresh child process into a fresh graph of `engine` (see `_measure`)."""
    with tempfile.TemporaryDirectory(prefix="patentcl-bench-") as home, multiprocessing.Manager() as manager:
        result = manager.dict()
        child = multiprocessing.get_context("spawn").Process(
            target=_measure, args=(engine, kind, [str(p) for p in inputs], batch_size, warm_up, home, result)
        )
        child.start()
        child.join()
        if child.exitcode != 0:
            raise RuntimeError(f"the benchmark load of {kind} into {engine} failed (exit code {child.exitcode})")
        return dict(result)


def generate_fixture(outdir: Path, patents: int, seed: int = 7) -> Path:
    """A synthetic PatentsView data set of `patents` patents in `outdir` (deterministic)."""
    patentsview_fixture.generate(outdir, patents=patents, seed=seed)
    return outdir


def figures(result: dict[str, Any]) -> dict[str, Any]:
    """The headline numbers. Rates are rows over the wall time of their write queries (writer
    thread: sending, the server's work; `_rendered` rates add the time the reader spent
    rendering them ahead); totals are wall seconds."""
    queries = result["queries"]

    def rate(*names: str, rows_of: tuple[str, ...] | None = None, rendered: bool = False) -> float | None:
        """Rows over the seconds of `names` together, rows counted from `rows_of` when given (the
        existence read asks about the rows that the writes then write; a failed attempt's time
        counts, its rows do not)."""
        timed = [queries[n] for n in names if n in queries]
        seconds = sum(q["seconds"] + (q["render_seconds"] if rendered else 0.0) for q in timed)
        rows = sum(queries[n]["rows"] for n in (rows_of or names) if n in queries)
        return rows / seconds if timed and seconds else None

    patent_queries = ("existing_patents", "create_patents", "load_patents")
    patent_rows = ("create_patents", "load_patents")
    edge_queries = ("create_classifications", "load_classifications")
    return {
        "patents": result["labels"].get("Patent", 0),
        "classification_edges": result["relationships"].get("CLASSIFIED_AS", 0),
        "citation_edges": result["relationships"].get("CITES", 0),
        "total_s": result["wall_s"],
        "parse_s": result["parse_s"],
        "render_s": result["render_s"],
        "write_s": result["write_s"],
        "patents_per_s": rate(*patent_queries, rows_of=patent_rows),
        "patents_per_s_rendered": rate(*patent_queries, rows_of=patent_rows, rendered=True),
        "classification_edges_per_s": rate(*edge_queries),
        "classification_edges_per_s_rendered": rate(*edge_queries, rendered=True),
        "citation_rows_per_s": rate("load_citations"),  # rows sent; those citing unloaded patents included
        "cpc_nodes_per_s": rate("load_cpc_nodes"),
        "client_cpu_s": result["client_cpu_s"],
        "server_cpu_s": result["server_cpu_s"],
        "peak_rss_mb": result["peak_rss_mb"],
        "server_start_s": result["startup_s"],
        "first_load_total_s": result["cold_wall_s"],  # the warm-up: the first load on a fresh server
        "first_load_server_cpu_s": result["cold_server_cpu_s"],
    }


def describe_machine() -> str:
    load = os.getloadavg()
    return (
        f"{os.cpu_count()} CPUs, load average {load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f}, "
        f"Python {sys.version.split()[0]}"
    )


def dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=1, default=str)
