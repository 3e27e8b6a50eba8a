"""The Patent.embedding vector index: settings, state, (re)building and its recall.

HNSW settings, with FalkorDB's names: M (links per node), efConstruction (candidates while
building), efRuntime (candidates while searching). FalkorDB's default efRuntime of 10 gave
recall@10 of 0.04 on random vectors; the defaults here come from `patentcl bench index` (see
the README for the measured table). Neo4j takes M and efConstruction; it keeps no search-time ef
(each search keeps as many candidates as its k), so efRuntime is recorded beside the index
(`record_vector_index_settings`) and Neo4j's search queries ask for max(k, efRuntime) candidates.
Neo4j's index is built unquantized (`create_vector_index` v2): quantized scores stray from the
exact cosine by up to 0.1, so index answers would disagree with the exact scan.

`index_info` speaks one vocabulary on both engines: similarity in lower case, status ONLINE,
POPULATING or FAILED (the constants below, read with `index_status`), and every setting filled in.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from patentcl.errors import PatentclError
from patentcl.graph.store import GraphStore

# The index's status as `index_info` reports it on both engines (`vector_index_info`).
ONLINE, POPULATING, FAILED = "ONLINE", "POPULATING", "FAILED"


@dataclass(frozen=True)
class IndexSettings:
    m: int = 16
    ef_construction: int = 200
    ef_runtime: int = 100

    def check(self) -> None:
        for name, value, low, high in (
            ("--m", self.m, 2, 512),
            ("--ef-construction", self.ef_construction, 1, 4096),
            ("--ef-runtime", self.ef_runtime, 1, 4096),
        ):
            if not low <= value <= high:
                raise PatentclError(f"{name} must be between {low} and {high}, not {value}")

    def matches(self, info: dict[str, Any]) -> bool:
        """Does an existing index (an `index_info` answer) have these settings? A quantized index
        (Neo4j's default before create_vector_index v2) never does: its scores are not the cosine."""
        if info.get("quantized"):
            return False
        wanted = {"m": self.m, "ef_construction": self.ef_construction, "ef_runtime": self.ef_runtime}
        return all(info.get(key) is None or int(info[key]) == value for key, value in wanted.items())


def index_info(store: GraphStore) -> dict[str, Any] | None:
    """The vector index on Patent.embedding (dimension, similarity, m, ef_construction,
    ef_runtime, quantized, status), or None. What the engine does not report (Neo4j's
    ef_runtime) comes from the settings recorded when patentcl built the index."""
    rows = list(store.run("vector_index_info"))
    if not rows:
        return None
    info = dict(rows[0])
    if any(value is None for value in info.values()):
        recorded = next(iter(store.run("vector_index_settings")), None)
        # Only settings recorded for an index of this dimension describe it (an index made by
        # hand after another patentcl index would otherwise borrow that one's settings).
        if recorded is not None and recorded["dimension"] == info["dimension"]:
            info.update(
                {key: recorded[key] for key, value in info.items() if value is None and recorded.get(key) is not None}
            )
    return info


def index_status(info: dict[str, Any] | None) -> str | None:
    """The status of an `index_info` answer (ONLINE, POPULATING or FAILED), or None for no index."""
    return None if info is None else str(info.get("status", "")).upper()


def drop_index(store: GraphStore, *, timeout_s: float = 600.0) -> bool:
    """Drops the index if there is one and waits until it is gone (FalkorDB drops in the background)."""
    if index_info(store) is None:
        return False
    store.run("drop_vector_index")
    _wait(lambda: index_info(store) is None, timeout_s, "the old vector index was not dropped")
    return True


def _wait(done: Callable[[], bool], timeout_s: float, message: str) -> None:
    deadline = time.perf_counter() + timeout_s
    while not done():
        if time.perf_counter() > deadline:
            raise PatentclError(f"{message} after {timeout_s:.0f} s")
        time.sleep(0.05)


def build_index(store: GraphStore, dimension: int, settings: IndexSettings, *, timeout_s: float = 3600.0) -> float:
    """Creates the cosine index (dropping any existing one) and waits until it is usable;
    returns the seconds it took."""
    settings.check()
    drop_index(store)
    started = time.perf_counter()
    values = {
        "dimension": dimension,
        "m": settings.m,
        "ef_construction": settings.ef_construction,
        "ef_runtime": settings.ef_runtime,
    }
    # On both engines, so that neither needs its own code: FalkorDB keeps these in the index
    # too, Neo4j's search queries read ef_runtime from here. Recorded before the index is made:
    # a run killed in between leaves no index (the next `patentcl embed` builds it), never an
    # index whose recorded settings are missing or another index's.
    store.run("record_vector_index_settings", values)
    store.run("create_vector_index", values)

    def online() -> bool:
        info = index_info(store)
        if index_status(info) == FAILED:
            raise PatentclError(f"the vector index could not be built ({info})")
        return index_status(info) == ONLINE

    _wait(online, timeout_s, "the vector index was not ready")
    return time.perf_counter() - started


def restore_index(store: GraphStore, info: dict[str, Any] | None, dimension: int) -> None:
    """Puts back the index `index_info` described (or none), after a benchmark rebuilt it."""
    if info is None:
        drop_index(store)
        return
    defaults = IndexSettings()
    build_index(
        store,
        dimension,
        IndexSettings(
            int(info.get("m") or defaults.m),
            int(info.get("ef_construction") or defaults.ef_construction),
            int(info.get("ef_runtime") or defaults.ef_runtime),
        ),
    )


def nearest(store: GraphStore, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
    """The k patents nearest to `vector` by the index: (id, cosine similarity), nearest first."""
    return [
        (row["id"], float(row["similarity"]))
        for row in store.run("vector_knn", {"vector": np.asarray(vector, dtype=np.float32), "k": k})
    ]


def stored_vectors(store: GraphStore, ids: list[str]) -> dict[str, tuple[np.ndarray, str | None]]:
    """The vector and model id stored on each given patent (patents without a vector are left out)."""
    return {
        row["id"]: (np.asarray(row["vector"], dtype=np.float32), row["model"])
        for row in store.run("patent_vectors", {"ids": ids})
        if row["vector"] is not None
    }


def recall_at_k(store: GraphStore, ids: list[str], vectors: np.ndarray, queries: np.ndarray, k: int = 10) -> float:
    """Mean share of the exact k nearest neighbours by cosine (brute force over `vectors`) that
    the index returns for each query row index."""
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    exact = unit[queries] @ unit.T
    hits = 0
    for row, scores in zip(queries, exact):
        truth = {ids[j] for j in np.argpartition(-scores, k)[:k]}
        hits += len(truth & {i for i, _ in nearest(store, vectors[row], k)})
    return hits / (k * len(queries))
