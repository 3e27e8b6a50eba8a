"""The load loop shared by every source: read a file, validate and filter each record, write
batches, checkpoint after each batch, log rejects, count everything, show progress.

A source is a list of steps, one per input file, run in order (patents before the edges that
need them). A step turns one record into a row for its sink (or a skip reason, or a reject) and
turns a batch of rows into the sink's rendered writes, on the reader thread; a writer thread
runs them in order while the reader goes on. Checkpoints make a run resumable: records a previous
run handled are skipped, or replayed without writing for steps whose state later steps need
(the set of patents kept) and, up to the resume point, for steps that track which keys they have
seen. So a resumed run sees every record exactly as a clean run does, and its counters (counted
by the reader, or by the writer from writes that do not depend on how records fall into
batches) equal a clean run's.
"""

from __future__ import annotations

import queue
import sys
import threading
import time
from abc import ABC, abstractmethod
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from patentcl.loaders.checkpoint import Checkpoint
from patentcl.loaders.rejects import RejectLog
from patentcl.loaders.tables import DEFAULT_ENCODING, Table, open_table
from patentcl.progress import progress_bar

Row = dict[str, Any]
# Patent properties a source can give. A patent row lists each property its table gives (None
# where the row has no value: the graph removes it), so a later row replaces the patent whole.
PATENT_PROPERTIES = ("id", "number", "title", "abstract", "date", "type", "kind", "num_claims", "country", "source")
# The progress bar moves every 16,384 records.
_PROGRESS_MASK = (1 << 14) - 1
# Python's thread switch interval during a load (default 5 ms). The writer thread mostly waits
# for the graph, but takes the GIL back after every chunk of a large query that the socket
# accepts, each time waiting out the reader's turn: with the default, the patent writes of the
# 31.5K CSV set ran at 14.5-18.5K patents/s, with 0.2 ms at 36-45K/s (BENCHMARKS.md, Load).
_SWITCH_INTERVAL = 0.0002


class Write(Protocol):
    """What a sink returns for a batch of records: its writes, prepared; `run()` (writer
    thread) makes them and returns the count the target reports written."""

    def run(self) -> int: ...


class Later:
    """A Write that does all its work when run (sinks with nothing to prepare ahead)."""

    def __init__(self, work: Callable[[], int]):
        self.run = work


BatchWrite = Callable[[], dict[str, int]]  # runs a batch's writes; returns counters to add


class Rejected(Exception):
    """A record the loader refuses: `field` and `reason` go to the rejects file."""

    def __init__(self, field: str, reason: str):
        super().__init__(reason)
        self.field = field
        self.reason = reason


class Step(ABC):
    """One input file of a load."""

    name: str  # checkpoint and summary key, e.g. "g_patent" or a CSV file name
    path: Path
    delimiter: str
    columns: tuple[str, ...]  # required columns
    encoding: str = DEFAULT_ENCODING  # of the input file (--encoding)
    stateful: bool = False  # replay handled records on resume (later steps need the state)
    keyed: bool = False  # replay the records before the resume point (the step's duplicate tracking needs them)

    def open(self) -> Table:
        table = open_table(self.path, self.delimiter, self.encoding)
        table.require(self.columns)
        self.bind(table)
        return table

    def bind(self, table: Table) -> None:
        """Looks up column positions (columns are found by name; their order may vary)."""
        self.width = len(table.header)
        self.at = dict(table.columns)

    @abstractmethod
    def handle(self, fields: list[str], counts: Counter) -> Row | list[Row] | str:
        """A row (or rows) to write, or the name of the counter of a skipped record; raises Rejected."""

    @abstractmethod
    def prepare(self, sink: Any, rows: list[Row]) -> BatchWrite:
        """A batch's writes, rendered now (reader thread) and run later by the writer thread,
        which adds the counters they return (`loaded`, unless `handle` counts it)."""


def run_writes(**writes: Write) -> BatchWrite:
    """Runs the writes in order; each counter is what its write reports."""
    return lambda: {name: write.run() for name, write in writes.items()}


def run_uncounted(*writes: Write) -> BatchWrite:
    """Runs the writes in order, adding no counter: for steps whose reader counts the records
    (what a batch writes depends on the records beside it, which a resume changes)."""

    def run() -> dict[str, int]:
        for write in writes:
            write.run()
        return {}

    return run


def run_write_of(write: Write, sent: int) -> BatchWrite:
    """`loaded`: what the graph wrote of the `sent` rows; `not_in_graph`: the rest (an end point
    they need is not in the graph)."""

    def run() -> dict[str, int]:
        written = write.run()
        return {"loaded": written, "not_in_graph": sent - written}

    return run


@dataclass
class StepReport:
    name: str
    file: str
    counts: dict[str, int]
    parse_seconds: float = 0.0  # reading, validating, filtering (the reader thread, not waiting)
    render_seconds: float = 0.0  # grouping rows and rendering the queries (the reader thread)
    write_seconds: float = 0.0  # running the writes (the writer thread)


@dataclass
class LoadReport:
    steps: list[StepReport] = field(default_factory=list)
    seconds: float = 0.0
    rejects_path: Path | None = None
    rejected: int = 0
    resumed: bool = False
    notes: list[str] = field(default_factory=list)
    provenance: list[dict[str, object]] = field(default_factory=list)
    write_stats: dict[str, list[float]] = field(default_factory=dict)  # query -> [rows, seconds running]
    render_stats: dict[str, float] = field(default_factory=dict)  # query -> seconds rendering ahead

    def total(self, counter: str) -> int:
        return sum(s.counts.get(counter, 0) for s in self.steps)


@dataclass
class _Job:
    step: Step
    write: BatchWrite | None  # None: nothing to write, only a checkpoint
    position: int  # records handled once these rows are written
    counts: dict[str, int]  # the reader's counters at `position`
    rejects_bytes: int  # size of the rejects file at `position`
    done: bool = False


class _Writer:
    """Writes batches on a thread of its own, in order, so the graph works on one batch while
    the next is parsed and rendered; checkpoints after each batch it wrote. The reader is at
    most two batches ahead (memory stays bounded)."""

    def __init__(self, save: Callable[[_Job, Counter], None]):
        self.save = save
        self.written: dict[str, Counter] = {}  # per step: counters the writes reported
        self.seconds: defaultdict[str, float] = defaultdict(float)  # per step: time spent writing
        self.error: BaseException | None = None
        self._stopping = False
        self._queue: queue.Queue[_Job | None] = queue.Queue(maxsize=2)
        self._thread = threading.Thread(target=self._loop, name="patentcl-writer", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while True:
            job = self._queue.get()
            try:
                if job is None:
                    return
                if self.error is None and not self._stopping:
                    written = self.written.setdefault(job.step.name, Counter())
                    if job.write is not None:
                        started = time.perf_counter()
                        written.update(job.write())
                        self.seconds[job.step.name] += time.perf_counter() - started
                    self.save(job, written)
            except BaseException as exc:  # handed to the reader thread, which raises it
                self.error = exc
            finally:
                self._queue.task_done()

    def _check(self) -> None:
        if self.error is not None:
            raise self.error

    def submit(self, job: _Job) -> float:
        """Queues a batch; returns the seconds spent waiting for room (the writer is behind)."""
        started = time.perf_counter()
        while True:
            self._check()
            try:
                self._queue.put(job, timeout=0.5)
                return time.perf_counter() - started
            except queue.Full:
                continue

    def drain(self) -> None:
        """Waits until every submitted batch is written (or a write failed, which is raised)."""
        while self._queue.unfinished_tasks:
            self._check()
            time.sleep(0.002)
        self._check()

    def close(self) -> None:
        """Stops after the batch in flight; batches not yet written stay unwritten (and unrecorded)."""
        self._stopping = True
        self._queue.put(None)
        self._thread.join()


class Runner:
    """Runs steps into a sink with checkpoints and rejects."""

    def __init__(self, sink: Any, checkpoint: Checkpoint | None, rejects: RejectLog, *, batch_size: int):
        if batch_size < 1:
            raise ValueError("batch size must be at least 1")
        self.sink = sink
        self.checkpoint = checkpoint
        self.rejects = rejects
        self.batch_size = batch_size

    def run(self, steps: list[Step], report: LoadReport) -> LoadReport:
        """Runs the steps in order. The writer goes on with a step's last batches while the
        reader parses the next file; writes stay in order, so edges find their end points."""
        started = time.perf_counter()
        interval = sys.getswitchinterval()
        sys.setswitchinterval(_SWITCH_INTERVAL)
        writer = _Writer(self._save)
        try:
            for step in steps:
                report.steps.append(self._run_step(step, writer))
            writer.drain()
        finally:
            writer.close()
            sys.setswitchinterval(interval)
        for done in report.steps:
            done.counts = dict(Counter(done.counts) + writer.written.get(done.name, Counter()))
            done.write_seconds = writer.seconds[done.name]
        report.seconds = time.perf_counter() - started
        report.rejected = sum(s.counts.get("rejected", 0) for s in report.steps)
        return report

    def _save(self, job: _Job, written: Counter) -> None:
        if self.checkpoint is None:
            return
        state = self.checkpoint.step(job.step.name)
        state.position, state.done = job.position, job.done
        state.counts = dict(Counter(job.counts) + written)
        self.rejects.sync()  # durable up to at least job.rejects_bytes
        self.checkpoint.rejects_bytes = job.rejects_bytes
        self.checkpoint.save()

    def _run_step(self, step: Step, writer: _Writer) -> StepReport:
        state = self.checkpoint.step(step.name) if self.checkpoint else None
        done_before = state is not None and state.done
        resume_at = state.position if state else 0
        counts: Counter = Counter(state.counts if state else {})
        table = step.open()
        report = StepReport(step.name, table.display, {})
        if done_before and not step.stateful:
            table.close()
            report.counts = dict(counts)
            return report

        started = time.perf_counter()
        waited = rendered = 0.0
        batch: list[Row] = []
        reject = self.rejects.add
        handle = step.handle
        width = step.width
        display = table.display
        batch_size = self.batch_size
        read_before = counts["read"] - resume_at  # "read" is derived from the record index
        scratch: Counter = Counter()  # counters of replayed records: already in the checkpoint
        index = shown = 0

        def submit(position: int, done: bool = False) -> None:
            nonlocal batch, waited, rendered
            counts["read"] = read_before + position
            write = None
            if batch:
                before = time.perf_counter()
                write = step.prepare(self.sink, batch)
                rendered += time.perf_counter() - before
            waited += writer.submit(_Job(step, write, position, dict(counts), self.rejects.mark(), done))
            batch = []

        label = f"{Path(display).name}{' (replay)' if done_before else ''}"
        with progress_bar(label) as advance:
            try:
                for line, fields, error in table.records():
                    index += 1
                    if index & _PROGRESS_MASK == 0:
                        advance(index - shown)
                        shown = index
                    replay = index <= resume_at
                    if replay and not (step.stateful or step.keyed):
                        continue
                    tally = scratch if replay else counts
                    try:
                        if fields is None:
                            raise Rejected("", error or "unreadable record")
                        if len(fields) != width:
                            raise Rejected("", f"{len(fields)} fields instead of {width}")
                        out = handle(fields, tally)
                    except Rejected as exc:
                        tally["rejected"] += 1
                        if not replay:
                            reject(display, line, exc.field, exc.reason)
                        continue
                    if replay:
                        continue
                    if type(out) is dict:
                        batch.append(out)
                    elif type(out) is list:
                        batch.extend(out)
                    else:
                        counts[out] += 1
                    if len(batch) >= batch_size:
                        submit(index)
                if not done_before:
                    submit(index, done=True)
                advance(index - shown)
            finally:
                table.close()
        report.counts = dict(counts)  # the writer's counters are added when it has finished
        report.render_seconds = rendered
        report.parse_seconds = time.perf_counter() - started - waited - rendered
        return report


def check_inputs(steps: list[Step]) -> None:
    """Opens every input and checks its columns before anything is written."""
    for step in steps:
        step.open().close()


__all__ = [
    "BatchWrite",
    "Later",
    "LoadReport",
    "PATENT_PROPERTIES",
    "Rejected",
    "Runner",
    "Step",
    "StepReport",
    "check_inputs",
    "run_uncounted",
    "run_write_of",
    "run_writes",
    "Write",
]
