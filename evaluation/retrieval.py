"""Retrieval quality on held-out patents: MAP@10 and nDCG@10, from the graph.

Each held-out patent queries the corpus (every patent in the graph but itself); a corpus patent is
relevant when it shares a CPC code with the query (the codes as classified, usually subgroups)
or, as a second judgement where the graph has citations, when one cites the other. The metrics
are `patentcl.evaluators.retrieval`'s, on vectors from the evaluation's cache.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from patentcl.evaluators.retrieval import K, ranking_metrics
from patentcl.graph import GraphStore

_T = TypeVar("_T")

_PAGE = 5000


@dataclass
class GraphPatents:
    ids: list[str]
    titles: list[str | None]
    abstracts: list[str | None]
    codes: list[list[str]]
    cited: list[list[str]]

    def __len__(self) -> int:
        return len(self.ids)

    def subset(self, rows: list[int]) -> GraphPatents:
        def pick(values: list[_T]) -> list[_T]:
            return [values[r] for r in rows]

        return GraphPatents(pick(self.ids), pick(self.titles), pick(self.abstracts), pick(self.codes), pick(self.cited))


def read_graph_patents(store: GraphStore) -> GraphPatents:
    """Every patent with its codes and citations, page by page."""
    rows: list[dict[str, Any]] = []
    query = store.query("evaluation_patents")
    while True:
        page = list(store.run(query, {"skip": len(rows), "limit": _PAGE}))
        rows.extend(page)
        if len(page) < _PAGE:
            break
    return GraphPatents(
        [r["id"] for r in rows],
        [r["title"] for r in rows],
        [r["abstract"] for r in rows],
        [list(r["codes"] or []) for r in rows],
        [list(r["cited"] or []) for r in rows],
    )


def relevant_by_codes(patents: GraphPatents, queries: Iterable[int]) -> dict[int, set[int]]:
    """Query row -> corpus rows sharing at least one code with it (itself excluded)."""
    holders: dict[str, list[int]] = defaultdict(list)
    for row, codes in enumerate(patents.codes):
        for code in set(codes):
            holders[code].append(row)
    relevant = {}
    for q in queries:
        found = {row for code in set(patents.codes[q]) for row in holders[code]}
        found.discard(q)
        relevant[q] = found
    return relevant


def relevant_by_citations(patents: GraphPatents, queries: Iterable[int]) -> dict[int, set[int]]:
    position = {pid: row for row, pid in enumerate(patents.ids)}
    return {q: {position[c] for c in patents.cited[q] if c in position and position[c] != q} for q in queries}


def choose_queries(heldout_rows: list[int], limit: int | None, seed: int) -> list[int]:
    rows = sorted(heldout_rows)
    return sorted(random.Random(seed).sample(rows, limit)) if limit is not None and len(rows) > limit else rows


def retrieval_report(patents: GraphPatents, vectors: np.ndarray, queries: list[int], k: int = K) -> dict[str, Any]:
    report = {"shares_cpc_code": ranking_metrics(vectors, queries, relevant_by_codes(patents, queries), k)}
    if any(patents.cited):
        report["cited"] = ranking_metrics(vectors, queries, relevant_by_citations(patents, queries), k)
    return report
