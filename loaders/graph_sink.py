"""Writes loader records into the graph through catalogue queries, one UNWIND per batch.

Patents, CPC nodes, the CPC hierarchy and each kind of edge are separate queries: each is a
small, index-backed MERGE, CPC nodes are merged once per load (there are few of them), and edge
queries MATCH end points that earlier steps wrote.

MERGE looks every row up first. Patents the graph does not hold yet (one read per batch says
which) are CREATEd instead, and so are the classification edges of patents this load created:
about half the server's work for a first load. The sink remembers, in memory only, which patents
it created and has not classified yet; a resumed load starts with none and MERGEs everything,
so replaying a batch never duplicates an edge.
"""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any

from patentcl.errors import QueryError
from patentcl.graph import GraphStore
from patentcl.loaders.cpc import SECTION, SECTION_TITLES, parse_cpc
from patentcl.loaders.idset import IdSet

Row = dict[str, Any]


class GraphSink:
    """Batches of records in, graph writes out; counts what the graph reports written."""

    def __init__(self, store: GraphStore, *, keep_external_citations: bool = False):
        self.store = store
        self._known_cpc: set[str] = set()
        # per query: [rows given, seconds], for benchmarks (rows are edges for edge queries)
        self.stats: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
        self._citations = "load_citations_keep_external" if keep_external_citations else "load_citations"
        self._queries = {
            name: store.query(name) for name in (
                "existing_patents", "create_patents", "load_patents", "load_abstracts", "load_cpc_nodes",
                "load_cpc_parents", "create_classifications", "load_classifications", "load_cpc_titles",
                self._citations,
            )
        }
        self._unclassified = IdSet()  # patents this sink created that have no classification yet

    def _run(self, name: str, params: dict[str, Any], count: int) -> list[Row]:
        started = time.perf_counter()
        result = list(self.store.run(self._queries[name], params))
        stat = self.stats[name]
        stat[0] += count
        stat[1] += time.perf_counter() - started
        return result

    def _write(self, name: str, rows: list[Row], count: int | None = None) -> int:
        if not rows:
            return 0
        result = self._run(name, {"rows": rows}, len(rows) if count is None else count)
        return int(result[0]["written"]) if result else 0

    def provenance(self) -> list[dict[str, object]]:
        return [q.provenance() for q in self._queries.values()]

    # -- records ------------------------------------------------------------------------------
    def patents(self, rows: list[Row]) -> int:
        rows = _one_row_per_id(rows)
        existing = {r["id"] for r in self._run("existing_patents", {"ids": [r["id"] for r in rows]}, len(rows))}
        new = [row for row in rows if row["id"] not in existing]
        written = self._write("load_patents", [row for row in rows if row["id"] in existing])
        try:
            written += self._write("create_patents", new)
        except QueryError:  # another process created some of them since: MERGE them
            return written + self._write("load_patents", new)
        for row in new:
            self._unclassified.add(row["id"])
        return written

    def abstracts(self, rows: list[Row]) -> int:
        return self._write("load_abstracts", rows)

    def classifications(self, groups: list[Row]) -> int:
        """Maps {id, cpc: [{code, sequence[, type]}]}, each code once per patent (the sources see to
        that); CPC nodes are created first."""
        self._ensure_cpc({item["code"] for group in groups for item in group["cpc"]})
        fresh: list[Row] = []
        known: list[Row] = []
        for group in groups:
            # a second group of one patent in this batch goes to MERGE, which runs after the CREATE
            (fresh if self._unclassified.discard(group["id"]) else known).append(group)
        return (self._write("create_classifications", fresh, sum(len(g["cpc"]) for g in fresh))
                + self._write("load_classifications", known, sum(len(g["cpc"]) for g in known)))

    def citations(self, groups: list[Row]) -> int:
        """Maps {id, cites: [{id, sequence, date, category[, stub]}]}, one per citing patent;
        returns the edges written (cited patents not in the graph are skipped or stubbed)."""
        return self._write(self._citations, groups, sum(len(g["cites"]) for g in groups))

    def cpc_titles(self, rows: list[Row]) -> int:
        return self._write("load_cpc_titles", rows)

    # -- CPC hierarchy ------------------------------------------------------------------------
    def _ensure_cpc(self, codes: set[str]) -> None:
        """MERGEs the CPC nodes (with all ancestors) and CHILD_OF links this load has not written yet."""
        new = codes - self._known_cpc
        if not new:
            return
        nodes: dict[str, Row] = {}
        for code in new:
            for node in parse_cpc(code).lineage():
                if node.code not in self._known_cpc and node.code not in nodes:
                    row: Row = {"code": node.code, "level": node.level}
                    if node.level == SECTION:
                        row["title"] = SECTION_TITLES[node.code]
                    nodes[node.code] = row
        self._write("load_cpc_nodes", list(nodes.values()))
        parents = [{"code": c, "parent": parse_cpc(c).parent} for c in nodes if parse_cpc(c).parent]
        self._write("load_cpc_parents", parents)
        self._known_cpc.update(nodes)



def _one_row_per_id(rows: list[Row]) -> list[Row]:
    """Rows of one id merged into one, later values winning. Needed for MERGE too: FalkorDB 4.16
    applies only the first row's `SET p += row` when one UNWIND merges an id twice."""
    merged: dict[Any, Row] = {}
    for row in rows:
        merged[row["id"]] = {**merged[row["id"]], **row} if row["id"] in merged else row
    return list(merged.values())
