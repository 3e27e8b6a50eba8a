"""Writes loader records into the graph through catalogue queries, one UNWIND per batch.

Patents, CPC nodes, the CPC hierarchy and each kind of edge are separate queries: each is a
small, index-backed MERGE, CPC nodes are merged once per load (there are few of them), and edge
queries MATCH end points that earlier steps wrote (a classification batch looks each of its CPC
codes up once, not once per edge).

Writing a batch has two halves. `patents()`, `classifications()` and the other record methods
run on the loader's reader thread: they group the rows and render the queries (for FalkorDB the
parameters become query text, the costliest Python of a write) and return a `Write`. Its
`run()`, on the writer thread, sends them. So the graph writes one batch while Python prepares
the next, instead of waiting for it.

MERGE looks every row up first. Patents the graph does not hold yet are CREATEd instead, and so
are the classification edges of patents this load created: about half the server's work for a
first load. A batch of patents is rendered as one CREATE of the whole batch: if one of them
exists, the uniqueness constraint on Patent.id fails the query and the graph undoes it (the
store raises ConstraintViolation; any other failure, a timeout or out of memory, is raised). After
such a failure the sink asks which patents exist before each batch (CREATE for the others, MERGE
for those) until a batch finds none. Classifications are rendered as CREATE for the patents the
rendered CREATEs will create; when the write comes, the sink checks that it did create them and
has not classified them yet (it remembers, in memory only), else renders the batch again.

A classification group with `replace` replaces the patent's CLASSIFIED_AS edges whole (a later
CSV row, or a patent's first g_cpc_current rows in a load): the patent's edges are deleted
first, unless this sink created it and has not classified it. Other groups are MERGEd. A resumed
load starts knowing of no created patent, so a replayed batch deletes and writes again what it
had written, and never duplicates an edge.
"""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any

from patentcl.cpc import SECTION, SECTION_TITLES, parse_cpc
from patentcl.errors import ConstraintViolation
from patentcl.graph import GraphStore, PreparedQuery
from patentcl.loaders.idset import IdSet
from patentcl.loaders.runner import Write

Row = dict[str, Any]


class GraphSink:
    """Batches of records in, graph writes out; counts what the graph reports written."""

    def __init__(self, store: GraphStore, *, keep_external_citations: bool = False):
        self.store = store
        self._known_cpc: set[str] = set()
        # per query: [rows given, seconds running it] (writer thread; a failed attempt's time
        # counts, its rows do not) and seconds rendering it ahead (reader thread); for benchmarks
        self.stats: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
        self.render_seconds: defaultdict[str, float] = defaultdict(float)
        self._citations = "load_citations_keep_external" if keep_external_citations else "load_citations"
        self._queries = {
            name: store.query(name)
            for name in (
                "existing_patents",
                "create_patents",
                "load_patents",
                "load_abstracts",
                "load_cpc_nodes",
                "load_cpc_parents",
                "create_classifications",
                "delete_classifications",
                "load_classifications",
                "load_cpc_titles",
                self._citations,
            )
        }
        self._create_first = True  # render a batch as one CREATE, without asking what exists
        self._unclassified = IdSet()  # patents this sink created that have no classification yet
        self._expected = IdSet()  # patents whose rendered CREATE has not been classified (reader's view)

    def provenance(self) -> list[dict[str, object]]:
        return [q.provenance() for q in self._queries.values()]

    # -- records (reader thread) ----------------------------------------------------------------
    def patents(self, rows: list[Row], *, existing: bool = False) -> Write:
        """`existing`: the source knows these patents are in the graph (an earlier row of this
        load wrote them): MERGEd, never tried as a CREATE that the constraint would undo."""
        if existing:
            return _Unwind(self, "load_patents", _one_row_per_id(rows))
        return _Patents(self, _one_row_per_id(rows))

    def abstracts(self, rows: list[Row]) -> Write:
        return _Unwind(self, "load_abstracts", _one_row_per_id(rows))

    def classifications(self, groups: list[Row]) -> Write:
        """Maps {id, codes, sequences[, types][, replace]} (parallel lists), each code once per
        group (the sources see to that); `replace`: the group replaces the patent's edges. CPC
        nodes are created first, for the codes of every group (also one a later group replaces,
        so the CPC nodes do not depend on how rows fall into batches)."""
        return _Classifications(self, groups)

    def citations(self, groups: list[Row]) -> Write:
        """Maps {id, cited, sequences, dates, categories[, stubs]} (parallel lists), one per citing patent;
        counts the edges written (cited patents not in the graph are skipped or stubbed)."""
        return _Unwind(self, self._citations, groups, sum(len(g["cited"]) for g in groups))

    def cpc_titles(self, rows: list[Row]) -> Write:
        return _Unwind(self, "load_cpc_titles", rows)

    def _cpc_writes(self, codes: set[str]) -> list[_Unwind]:
        """MERGEs of the CPC nodes (with all ancestors) and CHILD_OF links this load has not
        rendered yet; they run before the classifications that need them."""
        new = codes - self._known_cpc
        if not new:
            return []
        nodes: dict[str, Row] = {}
        for code in new:
            for node in parse_cpc(code).lineage():
                if node.code not in self._known_cpc and node.code not in nodes:
                    row: Row = {"code": node.code, "level": node.level}
                    if node.level == SECTION:
                        row["title"] = SECTION_TITLES[node.code]
                    nodes[node.code] = row
        parents = [{"code": c, "parent": parse_cpc(c).parent} for c in nodes if parse_cpc(c).parent]
        self._known_cpc.update(nodes)
        return [_Unwind(self, "load_cpc_nodes", list(nodes.values())), _Unwind(self, "load_cpc_parents", parents)]

    # -- queries --------------------------------------------------------------------------------
    def _prepare(self, name: str, params: dict[str, Any]) -> PreparedQuery:
        started = time.perf_counter()
        prepared = self.store.prepare(self._queries[name], params)
        self.render_seconds[name] += time.perf_counter() - started
        return prepared

    def _run(self, name: str, prepared: PreparedQuery, count: int) -> list[Row]:
        stat = self.stats[name]
        started = time.perf_counter()
        try:
            result = list(self.store.run_prepared(prepared))
        finally:
            stat[1] += time.perf_counter() - started
        stat[0] += count
        return result

    def _batch_params(self, name: str, rows: list[Row]) -> dict[str, Any]:
        """`$rows`, in the shape the query declares: for one that also declares `$codes`
        (classifications v3), the batch's distinct codes, with each row's codes as indexes into
        them; for one that declares `$citing` instead (FalkorDB's citations v3), a small list per
        citation."""
        params = self._queries[name].params
        if "codes" in params:
            return _coded(rows)
        if "citing" in params:
            return {"citing": _citing(rows)}
        return {"rows": rows}

    def _run_now(self, name: str, params: dict[str, Any], count: int) -> list[Row]:
        """Renders and runs on the writer thread: the fallbacks, whose rows depend on the graph."""
        return self._run(name, self.store.prepare(self._queries[name], params), count)

    def _write_now(self, name: str, rows: list[Row], count: int | None = None) -> int:
        if not rows:
            return 0
        result = self._run_now(name, self._batch_params(name, rows), len(rows) if count is None else count)
        return int(result[0]["written"]) if result else 0


class _Unwind:
    """One UNWIND over `$rows`, rendered now; nothing to run for no rows."""

    def __init__(self, sink: GraphSink, name: str, rows: list[Row], count: int | None = None):
        self.sink, self.name = sink, name
        self.count = len(rows) if count is None else count
        self.prepared = sink._prepare(name, sink._batch_params(name, rows)) if rows else None

    def run(self) -> int:
        if self.prepared is None:
            return 0
        result = self.sink._run(self.name, self.prepared, self.count)
        return int(result[0]["written"]) if result else 0


class _Patents:
    def __init__(self, sink: GraphSink, rows: list[Row]):
        self.sink, self.rows = sink, rows
        self.create: _Unwind | None = None
        if sink._create_first and rows:
            self.create = _Unwind(sink, "create_patents", rows)
            for row in rows:
                sink._expected.add(row["id"])

    def run(self) -> int:
        sink, rows = self.sink, self.rows
        if not rows:
            return 0
        if sink._create_first:  # (rendered ahead unless the reader saw the flag down then)
            try:
                written = self.create.run() if self.create else sink._write_now("create_patents", rows)
                return self._created(rows, written)
            except ConstraintViolation:  # some exist: ask from now on (any other failure is raised)
                sink._create_first = False
        existing = {r["id"] for r in sink._run_now("existing_patents", {"ids": [r["id"] for r in rows]}, len(rows))}
        sink._create_first = not existing
        new = [row for row in rows if row["id"] not in existing]
        written = sink._write_now("load_patents", [row for row in rows if row["id"] in existing])
        try:
            return written + self._created(new, sink._write_now("create_patents", new))
        except ConstraintViolation:  # another process created some of them since: MERGE them
            return written + sink._write_now("load_patents", new)

    def _created(self, rows: list[Row], written: int) -> int:
        for row in rows:
            self.sink._unclassified.add(row["id"])
        return written


class _Classifications:
    def __init__(self, sink: GraphSink, groups: list[Row]):
        self.sink = sink
        self.cpc = sink._cpc_writes({code for group in groups for code in group["codes"]})
        fresh: list[Row] = []  # replacing, of patents the rendered CREATEs create: nothing to delete
        replaced: list[Row] = []
        known: list[Row] = []  # adding to what the patent has: MERGE, after the replacing groups
        for group in _latest(groups):
            if not group.get("replace"):
                known.append(group)
            else:
                (fresh if sink._expected.discard(group["id"]) else replaced).append(group)
        self.fresh, self.replaced, self.known = fresh, replaced, known
        self.delete = _Unwind(sink, "delete_classifications", _ids(replaced))
        created = [group for group in fresh + replaced if group["codes"]]
        self.writes = [
            _Unwind(sink, "create_classifications", created, _edges(created)),
            _Unwind(sink, "load_classifications", known, _edges(known)),
        ]

    def run(self) -> int:
        sink = self.sink
        for write in self.cpc:
            write.run()
        unclassified = sink._unclassified
        if all(group["id"] in unclassified for group in self.fresh):
            # a patent created since the rendering (the batch's CREATE, after an existence read)
            # has no edge to delete
            stale = [group for group in self.replaced if group["id"] not in unclassified]
            for group in self.fresh + self.replaced + self.known:
                unclassified.discard(group["id"])
            if len(stale) == len(self.replaced):
                self.delete.run()
            else:
                sink._write_now("delete_classifications", _ids(stale))
            return sum(write.run() for write in self.writes)
        # a rendered CREATE of patents failed (they existed): split again by what the graph holds
        fresh: list[Row] = []
        replaced: list[Row] = list(self.replaced)
        for group in self.fresh:
            (fresh if unclassified.discard(group["id"]) else replaced).append(group)
        for group in self.replaced + self.known:
            unclassified.discard(group["id"])
        sink._write_now("delete_classifications", _ids(replaced))
        created = [group for group in fresh + replaced if group["codes"]]
        return sink._write_now("create_classifications", created, _edges(created)) + sink._write_now(
            "load_classifications", self.known, _edges(self.known)
        )


def _latest(groups: list[Row]) -> list[Row]:
    """The groups in order, less those that a later replacing group of the same patent replaces."""
    replacing = {group["id"]: i for i, group in enumerate(groups) if group.get("replace")}
    return [group for i, group in enumerate(groups) if i >= replacing.get(group["id"], i)]


def _ids(groups: list[Row]) -> list[Row]:
    return [{"id": group["id"]} for group in groups]


def _coded(groups: list[Row]) -> dict[str, Any]:
    """Classification groups as `$codes` (the batch's distinct codes) and `$rows` whose `at` lists
    index into it, so the query looks each CPC node up once per batch."""
    slots: dict[str, int] = {}
    rows = []
    for group in groups:
        row = {key: value for key, value in group.items() if key != "codes"}
        row["at"] = [slots.setdefault(code, len(slots)) for code in group["codes"]]
        rows.append(row)
    return {"codes": list(slots), "rows": rows}


def _citing(groups: list[Row]) -> list[Row]:
    """Citation groups (parallel lists) as {id, citations: [[cited, sequence, date, category(,
    stub)], ...]}."""
    keys = ("cited", "sequences", "dates", "categories", "stubs")
    return [{"id": group["id"], "citations": list(zip(*(group[k] for k in keys if k in group)))} for group in groups]


def _edges(groups: list[Row]) -> int:
    return sum(len(g["codes"]) for g in groups)


def _one_row_per_id(rows: list[Row]) -> list[Row]:
    """Rows of one id merged into one, later values winning. Needed for MERGE too: FalkorDB 4.16
    applies only the first row's `SET p += row` when one UNWIND merges an id twice."""
    merged: dict[Any, Row] = {}
    for row in rows:
        merged[row["id"]] = {**merged[row["id"]], **row} if row["id"] in merged else row
    return list(merged.values())


__all__ = ["GraphSink"]
