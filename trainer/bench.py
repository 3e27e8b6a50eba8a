"""Benchmarks of the trainer: training and encoding throughput, vector write-back and index
build, index recall per HNSW setting, and the false-negative comparison (which guard wins).

Every benchmark prints its figures with the device; none is asserted in tests.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from datasets import Dataset

from patentcl.encoding import TextSpec, load_model
from patentcl.errors import PatentclError
from patentcl.graph import GraphStore, WriteStats
from patentcl.graph.vector_index import IndexSettings, build_index, drop_index, nearest, recall_at_k, stored_vectors
from patentcl.trainer.choices import CODE_LEVELS
from patentcl.trainer.cpc import CodeLevel, CodeTable, PatentCodes
from patentcl.trainer.samplers import CPCAwareBatchSampler
from patentcl.trainer.train import TrainConfig, train, triplet_evaluator
from patentcl.triplets import TripletSet

BENCH_MODEL_PREFIX = "bench-random"


# -- kNN CPC prediction ---------------------------------------------------------------------------
def knn_cpc_f1(
    queries: np.ndarray,
    query_codes: Sequence[frozenset[str]],
    corpus: np.ndarray,
    corpus_codes: Sequence[frozenset[str]],
    *,
    k: int = 10,
    threshold: float = 0.5,
) -> dict[str, float]:
    """Micro-averaged precision, recall and F1 of predicting each query patent's codes from its k
    nearest corpus patents (cosine): a code is predicted when the neighbours holding it carry at
    least `threshold` of the neighbours' total similarity (a similarity-weighted majority vote)."""
    unit_q = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    unit_c = corpus / np.linalg.norm(corpus, axis=1, keepdims=True)
    scores = unit_q @ unit_c.T
    neighbours = np.argsort(-scores, axis=1)[:, :k]
    tp = predicted = actual = 0
    for row, (truth, idx) in enumerate(zip(query_codes, neighbours)):
        weights = np.clip(scores[row, idx], 1e-6, None)
        votes: dict[str, float] = {}
        for weight, j in zip(weights, idx):
            for code in corpus_codes[j]:
                votes[code] = votes.get(code, 0.0) + weight
        guess = {code for code, vote in votes.items() if vote >= threshold * weights.sum()}
        tp += len(guess & truth)
        predicted += len(guess)
        actual += len(truth)
    precision = tp / predicted if predicted else 0.0
    recall = tp / actual if actual else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


@dataclass
class HeldOut:
    """Patents for kNN evaluation: the corpus (training patents) and held-out queries (test-split
    patents never seen in training), with their texts and codes."""

    corpus_texts: list[str]
    corpus_codes: list[PatentCodes]
    query_texts: list[str]
    query_codes: list[PatentCodes]


def held_out(
    triplets: TripletSet,
    codes: Mapping[str, PatentCodes],
    text: TextSpec,
    *,
    max_corpus: int | None = None,
    max_queries: int | None = None,
) -> HeldOut:
    if not triplets.has("test"):
        raise PatentclError("the comparison evaluates on held-out patents: the triplet folder needs a test split")

    def patents(frame: pd.DataFrame) -> dict[str, str]:
        found: dict[str, str] = {}
        for role in ("anchor", "positive", "negative"):
            for pid, title, abstract in zip(frame[f"{role}_id"], frame[f"{role}_title"], frame[f"{role}_abstract"]):
                found.setdefault(pid, text.text(title, abstract))
        return found

    seen = patents(triplets["train"])
    if triplets.has("validation"):
        seen.update(patents(triplets["validation"]))
    corpus = [(p, t) for p, t in patents(triplets["train"]).items() if p in codes][:max_corpus]
    queries = [(p, t) for p, t in patents(triplets["test"]).items() if p not in seen and p in codes][:max_queries]
    if not queries:
        raise PatentclError("no test-split patent is unseen in training and has CPC codes in the graph")
    return HeldOut(
        [t for _, t in corpus], [codes[p] for p, _ in corpus], [t for _, t in queries], [codes[p] for p, _ in queries]
    )


def evaluate_knn(model: Any, data: HeldOut, *, batch_size: int = 32, k: int = 10) -> dict[str, float]:
    """kNN CPC micro-F1 of a SentenceTransformer at subgroup and main-group level."""
    corpus = model.encode(data.corpus_texts, batch_size=batch_size, convert_to_numpy=True)
    queries = model.encode(data.query_texts, batch_size=batch_size, convert_to_numpy=True)
    out = {}
    for level in CODE_LEVELS:
        lvl: CodeLevel = level  # type: ignore[assignment]
        scores = knn_cpc_f1(
            queries, [c.at(lvl) for c in data.query_codes], corpus, [c.at(lvl) for c in data.corpus_codes], k=k
        )
        out.update({f"knn_{level}_{name}": value for name, value in scores.items()})
    return out


# -- throughput -----------------------------------------------------------------------------------
def throughput_triplets(texts: Sequence[str], n: int, seed: int = 0) -> TripletSet:
    """Throughput fodder, not training data: n (anchor, positive, negative) rows of real patent
    texts paired at random (speed does not depend on which texts are paired)."""
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(texts), size=(n, 3))
    frame = pd.DataFrame(
        {
            f"{role}_{field}": (
                [f"bench-{i}" for i in picks[:, r]]
                if field == "id"
                else [texts[i] if field == "abstract" else "" for i in picks[:, r]]
            )
            for r, role in enumerate(("anchor", "positive", "negative"))
            for field in ("id", "title", "abstract")
        }
    )
    return TripletSet(
        {"train": frame}, [{"folder": "throughput", "query": "random pairs (throughput only)", "rows": {"train": n}}]
    )


def random_mpnet(tokenizer_model: str, folder: Path) -> str:
    """A randomly initialised MPNet-base (768-d, 12 layers: PatentSBERTa's shape) saved as a
    sentence-transformers folder, for throughput where the hub is out of reach. The tokenizer is
    borrowed from `tokenizer_model`; token ids only need to fall inside the vocabulary."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
    from transformers import AutoTokenizer, MPNetConfig, MPNetModel

    tokenizer = AutoTokenizer.from_pretrained(tokenizer_model)
    raw = folder / "mpnet-random"
    MPNetModel(MPNetConfig(vocab_size=len(tokenizer))).save_pretrained(raw)
    tokenizer.save_pretrained(raw)
    transformer = Transformer(str(raw), max_seq_length=512)
    model = SentenceTransformer(modules=[transformer, Pooling(transformer.get_embedding_dimension(), "mean")])
    model.save(str(folder / "mpnet-random-st"))
    return str(folder / "mpnet-random-st")


def bench_encode(model: Any, texts: Sequence[str], *, batch_size: int) -> dict[str, float]:
    model.encode(list(texts[: batch_size * 2]), batch_size=batch_size)  # warm-up: kernels, allocator
    started = time.perf_counter()
    model.encode(list(texts), batch_size=batch_size)
    seconds = time.perf_counter() - started
    return {"patents": len(texts), "seconds": seconds, "patents_per_second": len(texts) / seconds}


# -- graph: write-back and index ------------------------------------------------------------------
@contextmanager
def random_vectors(
    store: GraphStore, *, dimension: int, batch_size: int = 1000, seed: int = 0
) -> Iterator[tuple[list[str], np.ndarray, WriteStats]]:
    """Writes a random unit vector to every patent (as model bench-random-D@0) and removes them
    (and any index) afterwards. Refuses a graph that holds a real model's vectors."""
    model = f"{BENCH_MODEL_PREFIX}-{dimension}@0"
    real = [r["model"] for r in store.run("embedding_model_counts") if not r["model"].startswith(BENCH_MODEL_PREFIX)]
    if real:
        raise PatentclError(
            f"the graph holds vectors of {', '.join(real)}; benchmarks with random vectors only "
            "run on a graph without vectors (they write and then remove their own)"
        )
    ids = [r["id"] for r in store.run("patent_ids_needing_vectors", {"model": model})]
    if not ids:
        raise PatentclError("the graph has no patents to write vectors to")
    vectors = np.random.default_rng(seed).standard_normal((len(ids), dimension)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    try:
        stats = store.write_batches(
            "write_patent_vectors",
            ({"id": i, "vector": v} for i, v in zip(ids, vectors)),
            batch_size=batch_size,
            params={"model": model},
            description="writing random vectors",
            total=len(ids),
        )
        yield ids, vectors, stats
    finally:
        drop_index(store)
        store.run("clear_patent_vectors", {"model": model})


def stored_model_vectors(store: GraphStore) -> tuple[list[str], np.ndarray]:
    """Every patent vector in the graph (one model's: embed never mixes two)."""
    models = list(store.run("embedding_model_counts"))
    if not models:
        raise PatentclError("the graph holds no vectors: run `patentcl embed` first, or use --random-dimension")
    found = stored_vectors(store, [r["id"] for r in store.run("patent_ids_with_vectors")])
    return list(found), np.stack([v for v, _ in found.values()])


def bench_index(
    store: GraphStore,
    ids: list[str],
    vectors: np.ndarray,
    settings: Iterable[IndexSettings],
    *,
    queries: int = 200,
    k: int = 10,
    seed: int = 0,
) -> list[dict[str, float]]:
    """Recall@k against exact search, build time and query latency for each HNSW setting."""
    rng = np.random.default_rng(seed)
    sample = rng.choice(len(ids), size=min(queries, len(ids)), replace=False)
    rows = []
    for s in settings:
        seconds = build_index(store, vectors.shape[1], s)
        started = time.perf_counter()
        for row in sample[:50]:
            nearest(store, vectors[row], k)
        latency_ms = (time.perf_counter() - started) / min(50, len(sample)) * 1000
        rows.append(
            {
                "m": s.m,
                "ef_construction": s.ef_construction,
                "ef_runtime": s.ef_runtime,
                "build_seconds": seconds,
                f"recall_at_{k}": recall_at_k(store, ids, vectors, sample, k),
                "query_ms": latency_ms,
            }
        )
    return rows


# -- which false-negative guard wins --------------------------------------------------------------
VARIANTS: dict[str, dict[str, Any]] = {
    "mnrl": {"batch_sampler": "no-duplicates", "cpc_mask": False},
    "mnrl+cpc-sampler": {"batch_sampler": "cpc-aware", "cpc_mask": False},
    "mnrl+cpc-mask": {"batch_sampler": "no-duplicates", "cpc_mask": True},
    "mnrl+cpc-sampler+cpc-mask": {"batch_sampler": "cpc-aware", "cpc_mask": True},
}


def compare_guards(
    triplets: TripletSet,
    codes: Mapping[str, PatentCodes],
    base: TrainConfig,
    variants: Sequence[str],
    workdir: Path,
    *,
    max_corpus: int | None = None,
    max_queries: int | None = None,
) -> list[dict[str, Any]]:
    """Trains `base` once per variant on the same triplets and scores each model, and the
    untrained one, by kNN CPC micro-F1 on held-out patents and test triplet accuracy."""
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        raise PatentclError(f"unknown variant(s) {', '.join(unknown)}; choose from {', '.join(VARIANTS)}")
    data = held_out(triplets, codes, base.text, max_corpus=max_corpus, max_queries=max_queries)
    test = triplet_evaluator(triplets, "test", base)

    def score(model: Any) -> dict[str, float]:
        model.max_seq_length = base.max_seq_length
        return {
            **evaluate_knn(model, data, batch_size=base.batch_size),
            "test_accuracy": float(test(model)["test_cosine_accuracy"]),
        }

    rows: list[dict[str, Any]] = [
        {"variant": "untrained", **score(load_model(base.base_model)), "train_seconds": 0.0, "mean_batch_size": None}
    ]
    for name in variants:
        config = replace(base, **VARIANTS[name])
        result = train(config, triplets, workdir / name, codes=codes)
        row = {
            "variant": name,
            **score(load_model(str(workdir / name))),
            "train_seconds": result.metrics.get("train_runtime", 0.0),
            "mean_batch_size": float(config.batch_size),
        }
        if config.batch_sampler == "cpc-aware":
            ids = list(zip(*(triplets["train"][f"{r}_id"] for r in ("anchor", "positive", "negative"))))
            table = CodeTable(ids, codes, config.cpc_level)
            keys = Dataset.from_dict({"label": list(range(len(ids)))})
            stats = CPCAwareBatchSampler(keys, config.batch_size, False, seed=config.seed, table=table).stats()
            row["mean_batch_size"] = stats.mean_batch_size
        rows.append(row)
    return rows
