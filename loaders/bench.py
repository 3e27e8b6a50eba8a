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
graph server, the loader's peak resident memory, the server's (VmHWM) and its data folder on disk.

With `--compare`, a second child builds the same graph with the engine's official bulk loader
into another new server (`_measure_official`): `export admin-import` of the same inputs, then
`falkordb-bulk-insert` or `neo4j-admin database import full` (`patentcl.graph.bulk`), then the
migrations over the loaded graph; each part is timed, and the two graphs' counts are compared.
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
from patentcl.graph.processes import folder_size_mb, peak_memory_mb
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
            figures.update(server_peak_mb=peak_memory_mb(server_pid), data_mb=_data_mb(settings))
    result.update(
        figures, startup_s=startup, cold_wall_s=cold and cold["wall_s"], cold_server_cpu_s=cold and cold["server_cpu_s"]
    )


def _load(
    store: Any, settings: Settings, kind: str, inputs: list[str], batch_size: int, server_pid: int | None
) -> dict[str, Any]:
    """One load of the data set, with its timings, CPU and the graph it left."""
    from patentcl.graph.processes import cpu_seconds
    from patentcl.loaders.load import run_load

    source = _source(kind, inputs)
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
    return _in_child(
        _measure,
        f"the benchmark load of {kind} into {engine}",
        engine,
        kind,
        [str(p) for p in inputs],
        batch_size,
        warm_up,
    )


def _measure_official(engine: str, kind: str, inputs: list[str], batch_size: int, home: str, result: Any) -> None:
    """Runs in a child process: the engine's official bulk path into a new server under `home`:
    `export admin-import` of the data, the official bulk loader over those files, then the
    schema migrations (patentcl's indexes and unique keys, built over the loaded graph)."""
    from patentcl.graph import open_store
    from patentcl.graph.bulk import bulk_loaded_graph
    from patentcl.loaders.admin_import import export_admin_import

    files = Path(home) / "bulk-files"
    started = time.perf_counter()
    export_admin_import(files, _source(kind, inputs), batch_size=batch_size)
    export_s = time.perf_counter() - started
    with bulk_loaded_graph(engine, files, Path(home) / "graph") as loaded:
        started = time.perf_counter()
        with open_store(loaded.settings) as store:  # the migrations, and the wait for their indexes
            index_s = time.perf_counter() - started
            graph = store.describe()
        server_peak_mb, data_mb = peak_memory_mb(loaded.server_pid), _data_mb(loaded.settings)
    result.update(
        export_s=export_s,
        import_s=loaded.import_s,
        index_s=index_s,
        server_start_s=loaded.start_s,
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        server_peak_mb=server_peak_mb,
        data_mb=data_mb,
        labels=graph.labels,
        relationships=graph.relationships,
    )


def _data_mb(settings: Settings) -> float:
    """The server's data folder on disk (FalkorDB: the append-only file and snapshot; Neo4j: the
    store files and transaction logs)."""
    from patentcl.graph.servers import data_folder

    return folder_size_mb(data_folder(settings))


def _source(kind: str, inputs: list[str]) -> Any:
    from patentcl.loaders.csv_export import CsvSource
    from patentcl.loaders.filters import LoadFilter
    from patentcl.loaders.patentsview import Options, PatentsViewSource

    if kind == "csv":
        return CsvSource([Path(p) for p in inputs], LoadFilter(types=None))
    return PatentsViewSource(Path(inputs[0]), LoadFilter(), Options())


def _in_child(target: Any, description: str, *args: Any) -> dict[str, Any]:
    """Runs `target(*args, home, result)` in a fresh child process over a scratch folder; returns `result`."""
    with tempfile.TemporaryDirectory(prefix="patentcl-bench-") as home, multiprocessing.Manager() as manager:
        result = manager.dict()
        child = multiprocessing.get_context("spawn").Process(target=target, args=(*args, home, result))
        child.start()
        child.join()
        if child.exitcode != 0:
            raise RuntimeError(f"{description} failed (exit code {child.exitcode})")
        return dict(result)


def measure_official(engine: str, kind: str, inputs: list[Path], batch_size: int) -> dict[str, Any]:
    """The engine's official bulk path over one data set, by a fresh child process (see `_measure_official`)."""
    return _in_child(
        _measure_official,
        f"the official bulk load of {kind} into {engine}",
        engine,
        kind,
        [str(p) for p in inputs],
        batch_size,
    )


def compared(ours: dict[str, Any], official: dict[str, Any]) -> dict[str, Any]:
    """The official path's figures beside patentcl's load of the same data in the same run
    (`measure(...)`), with patentcl's wall time as a multiple of the official one (below 1:
    patentcl is faster). patentcl's load runs after the migrations, whose indexes an empty graph
    builds at once; the official path builds them over the loaded graph, so they count there.
    `same_graph`: both left the same node and relationship counts."""
    bulk = official["import_s"] + official["index_s"]
    return {
        "official_export_s": official["export_s"],
        "official_import_s": official["import_s"],
        "official_index_s": official["index_s"],
        "official_server_start_s": official["server_start_s"],
        "official_export_peak_rss_mb": official["peak_rss_mb"],
        "official_server_peak_mb": official["server_peak_mb"],
        "official_data_mb": official["data_mb"],
        "patentcl_over_official_import": ours["wall_s"] / bulk,
        "patentcl_over_official_export_and_import": ours["wall_s"] / (official["export_s"] + bulk),
        "same_graph": (official["labels"], official["relationships"]) == (ours["labels"], ours["relationships"]),
    }


def generate_fixture(outdir: Path, patents: int, seed: int = 7, realistic: bool = False) -> Path:
    """A synthetic PatentsView data set of `patents` patents in `outdir` (deterministic)."""
    patentsview_fixture.generate(outdir, patents=patents, seed=seed, realistic=realistic)
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
        "server_peak_mb": result["server_peak_mb"],  # the server's most resident memory (VmHWM), Linux only
        "data_mb": result["data_mb"],  # the server's data folder on disk after the load
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
