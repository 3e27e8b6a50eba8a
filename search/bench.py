"""`patentcl bench similar`: lookup latency and the vector index's recall, measured on the graph.

Query patents are drawn at random (seeded) from those with a vector. Kinds of lookup:
  id            by patent id, no filter
  id+cpc        by patent id, CPC prefix filter (adaptive over-fetch, exact-scan fallback)
  id+subclass   by patent id, same CPC subclass as the query patent
  text          by the query patent's text: the encoder's time and the lookup's time apart
  text+cpc      the same with the CPC prefix filter
Latency is wall time around the lookup function, as a caller sees it (catalogue lookup of the
patent, the graph query or queries, Python); the first few queries of each kind warm up and are
not counted. recall@k compares an answer with the exact scan's (`similar_patents_exact[_cpc]`)
for the same query and filters, on the first `recall_queries` queries of each kind (the exact
scan with a wide filter takes seconds on 31.5K patents).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from patentcl.errors import PatentclError
from patentcl.graph import GraphStore
from patentcl.graph.vector_index import index_info
from patentcl.progress import progress_bar
from patentcl.search.query_model import encode_query, query_model
from patentcl.search.similar import Filters, Lookup, similar

_WARMUP = 5


def _percentiles(ms: list[float]) -> dict[str, float]:
    values = np.asarray(ms)
    return {
        "p50_ms": round(float(np.percentile(values, 50)), 2),
        "p95_ms": round(float(np.percentile(values, 95)), 2),
        "mean_ms": round(float(values.mean()), 2),
    }


def _timed(run: Callable[[], Lookup]) -> tuple[Lookup, float]:
    start = time.perf_counter()
    lookup = run()
    return lookup, (time.perf_counter() - start) * 1000


def run_benchmark(
    store: GraphStore,
    *,
    queries: int = 500,
    k: int = 10,
    model: str | None = None,
    cpc: tuple[str, ...] = ("G06N",),
    seed: int = 42,
    recall_queries: int = 100,
) -> dict[str, Any]:
    ids = [r["id"] for r in store.run("vector_patent_ids")]
    if len(ids) <= k:
        raise PatentclError(f"the graph has {len(ids)} patents with vectors: too few to benchmark k={k}")
    sample = random.Random(seed).sample(ids, min(queries, len(ids)))
    encoder = query_model(store, model)
    texts = {r["id"]: encoder.text.text(r["title"], r["abstract"]) for r in store.run("patent_texts", {"ids": sample})}
    kinds: dict[str, tuple[Filters, bool]] = {
        "id": (Filters(), False),
        "id+cpc": (Filters(cpc=cpc), False),
        "id+subclass": (Filters(same_subclass=True), False),
        "text": (Filters(), True),
        "text+cpc": (Filters(cpc=cpc), True),
    }
    rows = []
    encode_ms: list[float] = []
    for name, (filters, by_text) in kinds.items():
        latencies, recalls, exact_fallbacks, rounds = [], [], 0, []
        with progress_bar(f"bench {name}", len(sample)) as advance:
            for n, patent in enumerate(sample):
                if by_text:
                    start = time.perf_counter()
                    vector = encode_query(encoder, texts[patent])
                    if name == "text":
                        encode_ms.append((time.perf_counter() - start) * 1000)
                    query: dict[str, Any] = {"vector": vector}
                else:
                    query = {"patent": patent}
                lookup, ms = _timed(partial(similar, store, k=k, filters=filters, **query))
                if n >= _WARMUP or len(sample) <= _WARMUP:
                    latencies.append(ms)
                if n < recall_queries:  # the exact scan is the slow part: recall on the first queries only
                    truth = similar(store, k=k, filters=filters, exact=True, **query).hits
                    if truth:
                        recalls.append(len({h.id for h in lookup.hits} & {h.id for h in truth}) / len(truth))
                exact_fallbacks += lookup.method == "exact"
                rounds.append(lookup.rounds)
                advance(1)
        rows.append(
            {
                "kind": name,
                "queries": len(latencies),
                **_percentiles(latencies),
                f"recall@{k}": round(float(np.mean(recalls)), 4) if recalls else None,
                "recall_queries": len(recalls),
                "exact_fallbacks": exact_fallbacks,
                "mean_index_rounds": round(float(np.mean(rounds)), 2),
            }
        )
    timed = encode_ms[_WARMUP:] or encode_ms
    rows.append(
        {
            "kind": "text encoding only",
            "queries": len(timed),
            **_percentiles(timed),
            f"recall@{k}": None,
            "recall_queries": None,
            "exact_fallbacks": None,
            "mean_index_rounds": None,
        }
    )
    return {
        "title": f"similar: {len(ids):,} patents with vectors, k={k}, engine {store.engine}, model {encoder.id}",
        "patents": len(ids),
        "k": k,
        "cpc": list(cpc),
        "seed": seed,
        "model": encoder.id,
        "engine": store.engine,
        "index": index_info(store),
        "rows": rows,
    }
