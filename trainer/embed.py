"""`patentcl embed`: encode patents, write their vectors to the graph, build the vector index.

Only patents without a vector from this model are encoded (`patent_ids_needing_vectors_page`,
read a page of ids at a time in id order, so memory stays flat however many patents there are),
and each write stores the vector and the model id together, so an interrupted run (even by
SIGKILL) loses at most the batches in flight and a rerun writes nothing twice. Encoding (GPU or
CPU) and graph writes overlap: a writer thread stores batch n while batch n+1 is encoded.

One model's vectors at a time: if the graph holds vectors of another model, or a vector index of
another dimension, nothing is written unless `reembed` is set; then the index is dropped first (no
search mixes two models) and rebuilt once every patent carries the new model's vector.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from itertools import islice
from typing import Any

from patentcl.encoding import EmbeddingModel
from patentcl.errors import PatentclError
from patentcl.graph import GraphStore
from patentcl.graph.vector_index import IndexSettings, build_index, drop_index, index_info
from patentcl.progress import progress_bar

_QUEUED_BATCHES = 2  # encoded batches waiting for the writer: enough to hide a slow write
_IDS_PER_READ = 10_000  # patent ids per page read: bounded memory, few round trips


class ModelMismatchError(PatentclError):
    """The graph holds vectors or an index from another model; re-embedding must be asked for."""


@dataclass
class EmbedResult:
    model: str
    encoded: int
    skipped: int
    seconds: float
    encode_seconds: float
    write_seconds: float
    index_seconds: float | None
    index: dict[str, Any] | None

    @property
    def patents_per_second(self) -> float:
        return self.encoded / self.seconds if self.seconds else 0.0

    @property
    def vectors_per_second_written(self) -> float:
        return self.encoded / self.write_seconds if self.write_seconds else 0.0


def embed_patents(
    store: GraphStore,
    model: EmbeddingModel,
    *,
    index: IndexSettings = IndexSettings(),
    batch_size: int = 256,
    encode_batch_size: int = 64,
    reembed: bool = False,
    limit: int | None = None,
    progress: bool = True,
) -> EmbedResult:
    """Encodes the patents that lack this model's vector, writes them, and (re)builds the index.
    `limit` stops after that many patents (for benchmarks); the index is then left as it was."""
    index.check()
    if batch_size < 1 or encode_batch_size < 1:
        raise PatentclError("--rows-per-write and --texts-per-batch must be at least 1")
    started = time.perf_counter()
    _check_one_model(store, model, reembed)
    needing = int(next(store.run("count_patents_needing_vectors", {"model": model.id}))["patents"])
    wanted = needing if limit is None else min(limit, needing)
    writer = _Writer(store, model.id)
    encode_seconds = 0.0
    with progress_bar(f"embedding with {model.id}" if progress else None, total=wanted) as advance:
        writer.on_written = advance
        writer.start()
        try:
            for batch in _chunks(islice(_ids_needing_vectors(store, model.id), limit), batch_size):
                rows = list(store.run("patent_texts", {"ids": batch}))
                t0 = time.perf_counter()
                vectors = model.encode(model.texts(rows), batch_size=encode_batch_size)
                encode_seconds += time.perf_counter() - t0
                writer.put([{"id": r["id"], "vector": v} for r, v in zip(rows, vectors)])
        finally:
            writer.close()  # writes what was encoded, also on Ctrl-C, then re-raises a writer error

    index_seconds = None
    complete = limit is None or writer.written >= needing
    info = index_info(store)
    if complete and (info is None or int(info["dimension"]) != model.dimension or not index.matches(info)):
        index_seconds = build_index(store, model.dimension, index)
        info = index_info(store)
    if complete:
        store.run("record_embedding_model", {"id": model.id, "props": _model_props(model, index, store)})
    return EmbedResult(
        model.id,
        writer.written,
        needing - writer.written,
        time.perf_counter() - started,
        encode_seconds,
        writer.seconds,
        index_seconds,
        info,
    )


def _check_one_model(store: GraphStore, model: EmbeddingModel, reembed: bool) -> None:
    others = {r["model"]: int(r["patents"]) for r in store.run("embedding_model_counts") if r["model"] != model.id}
    info = index_info(store)
    index_dimension = int(info["dimension"]) if info is not None else None
    wrong_index = index_dimension is not None and index_dimension != model.dimension
    if not others and not wrong_index:
        return
    if not reembed:
        held = ", ".join(f"{n:,} from {m}" for m, n in others.items())
        why = (
            f"the graph holds vectors of another model ({held})"
            if others
            else f"the vector index is {index_dimension}-dimensional, model {model.id} makes {model.dimension}"
        )
        raise ModelMismatchError(f"{why}; rerun with --reembed to replace them with {model.id} (the index is rebuilt)")
    drop_index(store)  # no search may mix two models' vectors while re-embedding


def _model_props(model: EmbeddingModel, index: IndexSettings, store: GraphStore) -> dict[str, Any]:
    count = sum(int(r["patents"]) for r in store.run("embedding_model_counts") if r["model"] == model.id)
    return {
        "name": model.name,
        "hash": model.hash,
        "path": model.source,
        "dimension": model.dimension,
        "text_format": model.text.format,
        "separator": model.text.separator,
        "max_seq_length": model.model.max_seq_length,
        "base_model": (model.provenance or {}).get("base_model", model.name),
        "patents": count,
        "index_m": index.m,
        "index_ef_construction": index.ef_construction,
        "index_ef_runtime": index.ef_runtime,
        "embedded_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def _ids_needing_vectors(store: GraphStore, model_id: str) -> Iterator[str]:
    """Ids of the patents without this model's vector, in id order, read a page at a time. Each
    page starts after the last id of the one before, so the vectors written meanwhile (all of
    ids already passed) change nothing ahead."""
    after = ""
    while True:
        page = [
            row["id"]
            for row in store.run(
                "patent_ids_needing_vectors_page", {"model": model_id, "after": after, "limit": _IDS_PER_READ}
            )
        ]
        yield from page
        if len(page) < _IDS_PER_READ:
            return
        after = page[-1]


def _chunks(items: Iterable[str], size: int) -> Iterator[list[str]]:
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


class _Writer(threading.Thread):
    """Writes encoded batches in the background; the first error stops it and is re-raised by close()."""

    def __init__(self, store: GraphStore, model_id: str):
        super().__init__(name="patentcl-vector-writer", daemon=True)
        self.store = store
        self.model_id = model_id
        self.query = store.query("write_patent_vectors")
        self.queue: queue.Queue[list[dict[str, Any]] | None] = queue.Queue(maxsize=_QUEUED_BATCHES)
        self.written = 0
        self.seconds = 0.0
        self.error: BaseException | None = None
        self.on_written = lambda n: None

    def put(self, rows: list[dict[str, Any]]) -> None:
        while self.error is None:
            try:
                self.queue.put(rows, timeout=0.5)
                return
            except queue.Full:
                continue
        raise self.error

    def run(self) -> None:
        while (rows := self.queue.get()) is not None:
            if self.error is not None:
                continue  # drain after a failure so put() and close() never block
            try:
                t0 = time.perf_counter()
                self.store.run(self.query, {"rows": rows, "model": self.model_id})
                self.seconds += time.perf_counter() - t0
                self.written += len(rows)
                self.on_written(len(rows))
            except BaseException as exc:
                self.error = exc

    def close(self) -> None:
        if self.is_alive():
            self.queue.put(None)
            self.join()
        if self.error is not None:
            raise self.error
