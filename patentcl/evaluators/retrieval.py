"""Retrieval quality of patents that query the corpus they belong to: MAP@k, nDCG@k, MRR@k.

The metrics are sentence-transformers' InformationRetrievalEvaluator's; `RetrievalEvaluator` adds
what patents need: a query never retrieves itself (the TREC/BEIR convention the library leaves
out), and embeddings made elsewhere (the evaluation's cache, the graph) can be scored without
encoding again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from sentence_transformers import SentenceTransformer
from sentence_transformers.sentence_transformer.evaluation import InformationRetrievalEvaluator
from sentence_transformers.util import cos_sim

from patentcl.evaluators.cpc_knn import nearest, unit_embeddings

K = 10


class RetrievalEvaluator(InformationRetrievalEvaluator):
    """InformationRetrievalEvaluator at one cut-off k, by cosine similarity, without self-hits.

    Args:
        queries: query id -> text; a query id that is also a corpus id is never its own hit.
        corpus: corpus id -> text.
        relevant_docs: query id -> the corpus ids relevant to it; queries with none are left out.
        k: the cut-off of MAP, nDCG, MRR and precision (the primary metric is `cosine_ndcg@k`).
        name, batch_size, show_progress_bar: as in the library's evaluator.
    """

    def __init__(
        self,
        queries: Mapping[str, str],
        corpus: Mapping[str, str],
        relevant_docs: Mapping[str, set[str]],
        *,
        k: int = K,
        name: str = "",
        batch_size: int = 32,
        show_progress_bar: bool = False,
    ) -> None:
        super().__init__(
            dict(queries),
            dict(corpus),
            dict(relevant_docs),
            mrr_at_k=[k],
            ndcg_at_k=[k],
            accuracy_at_k=[1],
            precision_recall_at_k=[k],
            map_at_k=[k],
            name=name,
            batch_size=batch_size,
            show_progress_bar=show_progress_bar,
            write_csv=False,
            score_functions={"cosine": cos_sim},
            main_score_function="cosine",
        )
        self.k = k

    def compute_all_metrics(
        self,
        model: SentenceTransformer,
        corpus_model: SentenceTransformer | None = None,
        corpus_embeddings: Any = None,
        output_path: str | None = None,
    ) -> dict[str, Any]:
        def encode(encoder: SentenceTransformer, texts: list[Any]) -> np.ndarray:
            return unit_embeddings(encoder, texts, self.batch_size, self.show_progress_bar)

        corpus = encode(corpus_model or model, self.corpus) if corpus_embeddings is None else corpus_embeddings
        return {"cosine": self.scores(encode(model, self.queries), np.asarray(corpus))}

    def scores(self, query_embeddings: np.ndarray, corpus_embeddings: np.ndarray) -> dict[str, dict[int, float]]:
        """The library's metric table (`map@k` -> {k: value}, ...) for normalised embeddings of
        the judged queries (in `queries_ids` order) and of the corpus (in `corpus_ids` order)."""
        sims, idx = nearest(query_embeddings, corpus_embeddings, self.k + 1)
        results: list[object] = []  # the library's parameter type
        for query_id, row_sims, row_idx in zip(self.queries_ids, sims, idx):
            hits = [
                {"corpus_id": self.corpus_ids[j], "score": float(s)}
                for s, j in zip(row_sims, row_idx)
                if self.corpus_ids[j] != query_id
            ]
            results.append(hits[: self.k])
        return self.compute_metrics(results)  # type: ignore[no-any-return]


def ranking_metrics(
    vectors: np.ndarray, queries: list[int], relevant: dict[int, set[int]], k: int = K
) -> dict[str, Any]:
    """MAP@k and nDCG@k of the cosine ranking of the corpus (`vectors`, normalised) for each query row
    with at least one relevant patent; `queries` that have none are left out and counted."""
    judged = [q for q in queries if relevant.get(q)]
    if not judged:
        return {"queries": 0, "queries_without_relevant": len(queries)}
    # Ids only: the vectors are given, so the evaluator never reads a text.
    evaluator = RetrievalEvaluator(
        {str(q): "" for q in judged},
        {str(i): "" for i in range(len(vectors))},
        {str(q): {str(r) for r in relevant[q]} for q in judged},
        k=k,
    )
    metrics = evaluator.scores(vectors[judged], vectors)
    return {
        "queries": len(judged),
        "queries_without_relevant": len(queries) - len(judged),
        f"map@{k}": float(metrics["map@k"][k]),
        f"ndcg@{k}": float(metrics["ndcg@k"][k]),
        f"mrr@{k}": float(metrics["mrr@k"][k]),
        f"precision@{k}": float(metrics["precision@k"][k]),
        "mean_relevant_per_query": float(np.mean([len(relevant[q]) for q in judged])),
    }
