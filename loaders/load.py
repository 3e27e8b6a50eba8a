"""A load from start to end: check inputs, restore or start a checkpoint, select, write, report.

Everything that can be wrong with the inputs (missing files, missing columns, a date filter on
undated CSV files) is found before the first write. The checkpoint is removed when the load
completes, so `--resume` after a complete load starts a fresh (idempotent) one.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from patentcl.config import Settings
from patentcl.errors import PatentclError
from patentcl.graph import GraphStore, database_name, open_store
from patentcl.graph.bulk import build_graph
from patentcl.loaders.admin_import import export_admin_import
from patentcl.loaders.checkpoint import Checkpoint, input_fingerprint, load_key
from patentcl.loaders.graph_sink import GraphSink
from patentcl.loaders.rejects import RejectLog
from patentcl.loaders.runner import LoadReport, Runner, Step, check_inputs
from patentcl.output import log


class Source(Protocol):
    """What a load reads: PatentsViewSource or CsvSource."""

    keep_external_citations: bool  # cited patents not in the graph become id-only nodes

    def steps(self) -> list[Step]: ...
    def prepare(self) -> None: ...
    def definition(self) -> dict[str, Any]: ...


def default_rejects_path(settings: Settings, definition: dict[str, Any]) -> Path:
    return settings.home / "rejects" / f"load-{load_key(definition)}.tsv"


def graph_identity(settings: Settings) -> dict[str, str]:
    """Which graph a checkpoint belongs to (a checkpoint never resumes into another graph)."""
    return {"graph": settings.graph, "database": database_name(settings)}


def load_definition(source: Source, steps: list[Step], settings: Settings) -> dict[str, Any]:
    return {
        **source.definition(),
        "inputs": input_fingerprint([step.path for step in steps]),
        "target": graph_identity(settings),
    }


def run_load(
    store: GraphStore,
    settings: Settings,
    source: Source,
    *,
    extra_steps: Sequence[Step] = (),
    batch_size: int | None = None,
    resume: bool = False,
    rejects_path: Path | None = None,
) -> LoadReport:
    """Loads `source` into `store`; resumable when `resume` and a checkpoint of the same load exists."""
    steps = source.steps() + list(extra_steps)
    check_inputs(steps)
    definition = load_definition(source, steps, settings)
    checkpoint = Checkpoint.for_load(settings.home, definition)
    report = LoadReport()
    if resume:
        report.resumed = checkpoint.restore()
        if not report.resumed:
            report.notes.append("no checkpoint of this load to resume: started from the beginning")
    elif checkpoint.exists():
        report.notes.append("an interrupted run of this load had a checkpoint: started over (--resume continues one)")
    report.rejects_path = rejects_path or default_rejects_path(settings, definition)
    rejects = RejectLog(report.rejects_path, resume_at=checkpoint.rejects_bytes if report.resumed else None)
    try:
        source.prepare()
        sink = GraphSink(store, keep_external_citations=source.keep_external_citations)
        report.provenance = sink.provenance()
        runner = Runner(sink, checkpoint, rejects, batch_size=batch_size or settings.batch_size)
        runner.run(steps, report)
        report.write_stats = dict(sink.stats)
        report.render_stats = dict(sink.render_seconds)
    finally:
        rejects.close()
    checkpoint.delete()
    if not report.rejected:
        report.rejects_path.unlink(missing_ok=True)
    if not report.total("loaded") and report.steps:
        report.notes.append("no patent passed the filters (check --type, --from/--to, --cpc)")
    return report


def run_bulk_load(
    settings: Settings,
    source: Source,
    *,
    extra_steps: Sequence[Step] = (),
    batch_size: int | None = None,
    rejects_path: Path | None = None,
) -> LoadReport:
    """A first load through the engine's official bulk loader: the inputs become bulk files
    (`export admin-import`: the same parsing, checks, filters, CPC hierarchy and rejects as
    `run_load`), which the bulk loader turns into the graph. The graph must be empty (patentcl's
    migration records aside): a bulk loader builds a new graph and cannot add to one. The files
    live in a scratch folder under the home folder, removed afterwards."""
    _refuse_a_graph_with_data(settings)
    steps = source.steps() + list(extra_steps)
    check_inputs(steps)
    definition = load_definition(source, steps, settings)
    settings.home.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bulk-", dir=settings.home) as scratch:
        report, _ = export_admin_import(
            Path(scratch) / "files",
            source,
            extra_steps=extra_steps,
            batch_size=batch_size or settings.batch_size,
            rejects_path=rejects_path or default_rejects_path(settings, definition),
        )
        _refuse_a_graph_with_data(settings)  # again: the export takes minutes at PatentsView scale
        log("bulk load", "the bulk files are written; the engine's bulk loader now builds the graph ...")
        started = time.perf_counter()
        tool = build_graph(settings, Path(scratch) / "files")
    built = time.perf_counter() - started
    report.seconds += built
    report.notes.append(f"the graph was built by {tool} in {built:.1f} s (the write columns are the bulk files')")
    if not report.rejected and report.rejects_path:
        report.rejects_path.unlink(missing_ok=True)
    return report


def _refuse_a_graph_with_data(settings: Settings) -> None:
    """A bulk loader builds a new graph, replacing what is there: refuse a graph holding anything
    but patentcl's migration records."""
    with open_store(settings) as store:
        held = {label: n for label, n in store.describe().labels.items() if n and label != "SchemaMigration"}
    if held:
        raise PatentclError(
            f"--bulk builds a new graph, and {settings.graph} ({database_name(settings)}) holds "
            + ", ".join(f"{n:,} {label}" for label, n in held.items())
            + ": load without --bulk to add to it"
        )
