"""Retrieval quality on held-out patents: MAP@10 and nDCG@10, from the graph.

Each held-out patent queries the corpus (every patent in the graph but itself); a corpus patent is
relevant when it shares a CPC code with the query (the codes as classified, usually subgroups)
or, as a second judgement where the graph has citations, when one cites the other. The metrics
are sentence-transformers' InformationRetrievalEvaluator's, computed on our ranked lists so the
vectors come from the evaluation's cache.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np

from patentcl.evaluation.cpc_knn import nearest
from patentcl.graph import GraphStore

_PAGE = 5000
K = 10


@dataclass
class GraphPatents:
    ids: list[str]
    titles: list[str | None]
    abstracts: list[str | None]
    codes: list[list[str]]
    cited: list[list[str]]

    def __len__(self) -> int:
        return len(self.ids)

    def subset(self, rows: list[int]) -> "GraphPatents":
        return GraphPatents(*([values[r] for r in rows] for values in
                              (self.ids, self.titles, self.abstracts, self.codes, self.cited)))


def read_graph_patents(store: GraphStore) -> GraphPatents:
    """Every patent with its codes and citations, page by page."""
    rows: list[dict[str, Any]] = []
    query = store.query("evaluation_patents")
    while True:
        page = list(store.run(query, {"skip": len(rows), "limit": _PAGE}))
        rows.extend(page)
        if len(page) < _PAGE:
            break
    return GraphPatents([r["id"] for r in rows], [r["title"] for r in rows], [r["abstract"] for r in rows],
                        [list(r["codes"] or []) for r in rows], [list(r["cited"] or []) for r in rows])


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


def ranking_metrics(vectors: np.ndarray, queries: list[int], relevant: dict[int, set[int]], k: int = K) -> dict[str, Any]:
    """MAP@k and nDCG@k of the cosine ranking of the corpus (`vectors`, normalised) for each query row
    with at least one relevant patent; `queries` that have none are left out and counted."""
    from sentence_transformers.sentence_transformer.evaluation import InformationRetrievalEvaluator

    judged = [q for q in queries if relevant.get(q)]
    if not judged:
        return {"queries": 0, "queries_without_relevant": len(queries)}
    sims, idx = nearest(vectors[judged], vectors, k + 1)
    results = []
    for q, row_sims, row_idx in zip(judged, sims, idx):
        hits = [{"corpus_id": str(int(j)), "score": float(s)} for s, j in zip(row_sims, row_idx) if j != q]
        results.append(hits[:k])
    evaluator = InformationRetrievalEvaluator(
        {str(q): "" for q in judged}, {str(i): "" for i in range(len(vectors))},
        {str(q): {str(r) for r in relevant[q]} for q in judged},
        map_at_k=[k], ndcg_at_k=[k], mrr_at_k=[k], accuracy_at_k=[1], precision_recall_at_k=[k], write_csv=False,
    )
    metrics = evaluator.compute_metrics(results)
    return {"queries": len(judged), "queries_without_relevant": len(queries) - len(judged),
            f"map@{k}": float(metrics["map@k"][k]), f"ndcg@{k}": float(metrics["ndcg@k"][k]),
            f"mrr@{k}": float(metrics["mrr@k"][k]), f"precision@{k}": float(metrics["precision@k"][k]),
            "mean_relevant_per_query": float(np.mean([len(relevant[q]) for q in judged]))}


def retrieval_report(patents: GraphPatents, vectors: np.ndarray, queries: list[int], k: int = K) -> dict[str, Any]:
    report = {"shares_cpc_code": ranking_metrics(vectors, queries, relevant_by_codes(patents, queries), k)}
    if any(patents.cited):
        report["cited"] = ranking_metrics(vectors, queries, relevant_by_citations(patents, queries), k)
    return report

