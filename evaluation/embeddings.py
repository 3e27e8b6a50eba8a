"""Texts encoded by a model, cached on disk per model and per text.

Encoding the 32K abstracts of the published protocol takes many minutes on a small CPU, and an
evaluation encodes the same abstracts for every protocol and every rerun. The cache keys each
vector by the model's content hash (the `@hash` of `patentcl embed`'s model ids) and the sha1 of
the text, so a rerun, or a second protocol over the same abstracts, encodes nothing. Vectors are
written in shards as they are made: an interrupted run keeps what it finished and the next one
resumes from there.

Layout: `<cache_root>/<model hash>-<max length>/shard-<n>.npz`, each with `keys` (sha1 digests,
20 bytes a row) and `vectors` (float32, L2-normalised, so a dot product is the cosine).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from patentcl.encoding import EmbeddingModel
from patentcl.progress import progress_bar

_SHARD_TEXTS = 1024
_KEY_BYTES = 20  # sha1


def cache_name(model: EmbeddingModel) -> str:
    """The model's content hash and its maximum length: the hash leaves the length out (it does
    not change the space), but a shorter length truncates the text, so the vectors differ."""
    return f"{model.hash}-{model.model.max_seq_length}"


def text_key(text: str) -> bytes:
    return hashlib.sha1(text.encode("utf-8")).digest()


class EmbeddingCache:
    """The vectors one model made, keyed by text; `None` root keeps nothing on disk."""

    def __init__(self, root: Path | None, name: str):
        self.folder = Path(root) / name if root is not None else None
        self._index: dict[bytes, int] = {}
        self._blocks: list[np.ndarray] = []
        self._rows = 0
        self._shards = 0
        if self.folder is not None and self.folder.is_dir():
            for shard in sorted(self.folder.glob("shard-*.npz")):
                with np.load(shard) as data:
                    self._add([row.tobytes() for row in data["keys"]], data["vectors"])
                self._shards += 1
        self._matrix: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self._index)

    def _add(self, keys: list[bytes], vectors: np.ndarray) -> None:
        for key in keys:
            if key not in self._index:
                self._index[key] = self._rows
            self._rows += 1
        self._blocks.append(np.asarray(vectors, dtype=np.float32))
        self._matrix = None

    def missing(self, keys: Sequence[bytes]) -> list[int]:
        return [i for i, key in enumerate(keys) if key not in self._index]

    def store(self, keys: list[bytes], vectors: np.ndarray) -> None:
        self._add(keys, vectors)
        if self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"shard-{self._shards:05d}-{os.getpid()}.npz"
        partial = path.with_name(path.name + ".partial")
        # Written whole under another name, then renamed: a Ctrl-C leaves the complete shard or none.
        # Keys as raw bytes (uint8 rows): a numpy "S20" string would drop a digest's trailing zero bytes.
        with partial.open("wb") as f:
            np.savez(
                f,
                keys=np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(len(keys), _KEY_BYTES),
                vectors=np.asarray(vectors, dtype=np.float32),
            )
        os.replace(partial, path)
        self._shards += 1

    def vectors(self, keys: Sequence[bytes]) -> np.ndarray:
        if self._matrix is None:
            self._matrix = np.concatenate(self._blocks) if self._blocks else np.zeros((0, 0), np.float32)
            self._blocks = [self._matrix]
        return self._matrix[[self._index[key] for key in keys]]


def encode(
    model: EmbeddingModel,
    texts: Sequence[str],
    *,
    cache_root: Path | None,
    batch_size: int = 64,
    description: str | None = None,
) -> np.ndarray:
    """L2-normalised embeddings of `texts` (one row each, in order), encoding only what the cache lacks."""
    keys = [text_key(t) for t in texts]
    cache = EmbeddingCache(cache_root, cache_name(model))
    todo: dict[bytes, str] = {}
    for i in cache.missing(keys):
        todo.setdefault(keys[i], texts[i])
    pending = list(todo.items())
    with progress_bar(f"{description}: encoding" if description and pending else None, len(pending)) as advance:
        for start in range(0, len(pending), _SHARD_TEXTS):
            chunk = pending[start : start + _SHARD_TEXTS]
            vectors = model.encode([t for _, t in chunk], batch_size=batch_size)
            cache.store([k for k, _ in chunk], vectors)
            advance(len(chunk))
    if not keys:
        return np.zeros((0, model.dimension), np.float32)
    return cache.vectors(keys)
