"""`patentcl embed` after SIGKILL: a real `patentcl embed` process killed at points taken from
the vectors it has written (read from the graph), run again each time, ends with a clean run's
vectors, every patent written once and a consistent vector index, on both engines. And the ids
to encode are read a bounded page at a time."""

from __future__ import annotations

import csv
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from helpers import SAMPLE_CSV, Graphs, kill_when, output_of, start_patentcl
from patentcl.config import Settings
from patentcl.encoding import open_model
from patentcl.graph import GraphStore, open_store
from patentcl.graph.vector_index import ONLINE, index_info, index_status, nearest, stored_vectors
from patentcl.loaders.csv_export import CsvSource
from patentcl.loaders.filters import LoadFilter
from patentcl.loaders.load import run_load
from patentcl.trainer import embed
from patentcl.trainer.embed import embed_patents

PATENTS = 400


def sample_csv(folder: Path, rows: int) -> Path:
    """The first `rows` patents of the quickstart sample."""
    with SAMPLE_CSV.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        kept = [row for _, row in zip(range(rows), reader)]
    path = folder / f"sample-{rows}.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(kept[0]))
        writer.writeheader()
        writer.writerows(kept)
    return path


@pytest.fixture(scope="module")
def patents_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sample_csv(tmp_path_factory.mktemp("embed_resume"), PATENTS)


def loaded(graphs: Graphs, name: str, source: Path) -> Settings:
    settings = graphs.new(name)  # on Neo4j: the one database, emptied
    with open_store(settings) as store:
        run_load(store, settings, CsvSource([source], LoadFilter(types=None)))
    return settings


def embedding(settings: Settings, model: str) -> subprocess.Popen:
    return start_patentcl(
        settings,
        "embed",
        "--model",
        model,
        "--max-seq-length",
        "32",
        "--rows-per-write",
        "16",
        "--texts-per-batch",
        "8",
        "--m",
        "8",
        "--ef-construction",
        "64",
        "--ef-runtime",
        "32",
        HF_HUB_OFFLINE="1",
    )


def encoded_by(process: subprocess.Popen) -> int:
    """The patents a finished run says it encoded."""
    out = output_of(process, timeout=900)
    return int(re.search(r"^([\d,]+) patents embedded with", out, re.M).group(1).replace(",", ""))


def with_vectors(store: GraphStore) -> int:
    return sum(int(r["patents"]) for r in store.run("embedding_model_counts"))


def kill_after(settings: Settings, process: subprocess.Popen, vectors: int) -> int:
    """SIGKILLs the run once the graph holds at least `vectors` vectors; returns how many it holds
    after the kill."""
    with open_store(settings, migrate=False) as store:
        kill_when(process, lambda: with_vectors(store) >= vectors)
        return with_vectors(store)


def all_vectors(store: GraphStore) -> dict[str, np.ndarray]:
    ids = [r["id"] for r in store.run("patent_ids_with_vectors")]
    return {pid: vector for pid, (vector, _) in stored_vectors(store, ids).items()}


def test_killed_runs_resume_to_the_clean_vectors_each_written_once(
    graphs: Graphs, patents_csv: Path, minilm_path: str
) -> None:
    clean = loaded(graphs, "embed_clean", patents_csv)
    assert encoded_by(embedding(clean, minilm_path)) == PATENTS
    with open_store(clean) as store:
        expected, clean_index = all_vectors(store), index_info(store)
    assert len(expected) == PATENTS

    settings = loaded(graphs, "embed_killed", patents_csv)
    held = [kill_after(settings, embedding(settings, minilm_path), 16)]
    with open_store(settings) as store:
        first = all_vectors(store)
        assert index_info(store) is None  # built once every patent has its vector
    for target in (PATENTS // 2, PATENTS - 40):  # each rerun is killed again, further on
        held.append(kill_after(settings, embedding(settings, minilm_path), target))
    assert 0 < held[0] < held[1] < held[2] < PATENTS

    # The last run encodes exactly the patents still without a vector: none is written twice.
    assert encoded_by(embedding(settings, minilm_path)) == PATENTS - held[2]
    with open_store(settings) as store:
        vectors, info = all_vectors(store), index_info(store)
        assert set(vectors) == set(expected)
        for pid, vector in vectors.items():
            # Batches fall otherwise than in the clean run, and padding changes the last bits.
            np.testing.assert_allclose(vector, expected[pid], atol=1e-5, err_msg=pid)
            if pid in first:  # written before the first kill and never again
                assert np.array_equal(vector, first[pid])
        assert info == clean_index and index_status(info) == ONLINE
        for pid in list(vectors)[::10]:  # the index holds the vectors written by every run
            assert pid in [found for found, _ in nearest(store, vectors[pid], 5)]
        recorded = list(store.run("embedding_models"))
        assert len(recorded) == 1 and recorded[0]["patents"] == PATENTS
    assert encoded_by(embedding(settings, minilm_path)) == 0


def test_ids_are_read_a_page_at_a_time(
    graphs: Graphs, tmp_path: Path, minilm_path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = loaded(graphs, "embed_pages", sample_csv(tmp_path, 60))
    monkeypatch.setattr(embed, "_IDS_PER_READ", 7)  # pages end inside batches and batches inside pages
    model = open_model(minilm_path, max_seq_length=32)
    with open_store(settings) as store:
        part = embed_patents(store, model, batch_size=5, encode_batch_size=4, limit=23, progress=False)
        assert (part.encoded, part.skipped, part.index) == (23, 37, None)
        rest = embed_patents(store, model, batch_size=5, encode_batch_size=4, progress=False)
        assert (rest.encoded, rest.skipped) == (37, 0) and rest.index["dimension"] == 384
        assert with_vectors(store) == 60
