"""`patentcl embed`: vectors written back, the vector index, resuming, and switching models."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from test_train_data import Patent, load_into_graph, sample_patents

from helpers import TEST_CYPHER, cli_env
from patentcl.cli import main
from patentcl.config import Settings
from patentcl.encoding import EmbeddingModel, open_model
from patentcl.graph import GraphStore
from patentcl.graph.vector_index import (
    ONLINE,
    IndexSettings,
    build_index,
    index_info,
    index_status,
    nearest,
    recall_at_k,
    stored_vectors,
)
from patentcl.trainer.bench import random_vectors
from patentcl.trainer.embed import ModelMismatchError, embed_patents

PATENTS = 48


@pytest.fixture(scope="module")
def patents() -> list[Patent]:
    return sample_patents(PATENTS)


@pytest.fixture
def graph(store: GraphStore, settings: Settings, patents: list[Patent], tmp_path: Path) -> GraphStore:
    load_into_graph(store, settings, patents, tmp_path)
    return store


@pytest.fixture(scope="module")
def model(minilm_path: str) -> EmbeddingModel:
    return open_model(minilm_path, max_seq_length=32)


def _models(store: GraphStore) -> dict[str, int]:
    return {r["model"]: r["patents"] for r in store.run("embedding_model_counts")}


def test_vectors_written_back_equal_the_models_encodings(
    graph: GraphStore, model: EmbeddingModel, patents: list[Patent]
) -> None:
    result = embed_patents(graph, model, batch_size=20, encode_batch_size=8, progress=False)
    assert result.encoded == PATENTS and result.skipped == 0 and result.index_seconds is not None
    stored = stored_vectors(graph, [p.id for p in patents])
    expected = model.encode([model.text.text(p.title, p.abstract) for p in patents])
    for patent, vector in zip(patents, expected):
        written, made_by = stored[patent.id]
        assert made_by == model.id
        np.testing.assert_allclose(written, vector, atol=2e-6)  # float32 round trip through the graph
    assert _models(graph) == {model.id: PATENTS}
    recorded = {r["id"]: r for r in graph.run("embedding_models")}[model.id]
    assert recorded["dimension"] == 384 and recorded["patents"] == PATENTS and Path(recorded["path"]).is_dir()


def test_index_finds_each_patents_own_vector_first(
    graph: GraphStore, model: EmbeddingModel, patents: list[Patent]
) -> None:
    settings = IndexSettings(m=8, ef_construction=64, ef_runtime=32)
    embed_patents(graph, model, index=settings, progress=False)
    info = index_info(graph)
    assert (info["dimension"], info["similarity"], info["m"], info["ef_construction"], info["ef_runtime"]) == (
        384,
        "cosine",
        8,
        64,
        32,
    )
    assert index_status(info) == ONLINE  # embed waits for the index it builds
    stored = stored_vectors(graph, [p.id for p in patents])
    for patent in patents:
        (first, similarity), *rest = nearest(graph, stored[patent.id][0], 3)
        assert first == patent.id and similarity == pytest.approx(1.0, abs=1e-5)
        assert all(s <= similarity for _, s in rest)


def test_index_recall_at_10_against_the_exact_scan(store: GraphStore) -> None:
    """Random unit vectors are the hard case for HNSW: Neo4j's default (quantized) index found
    0.89 of the exact ten nearest here and scored them up to 0.1 off the cosine."""
    store.run_text((TEST_CYPHER / "create_bare_patents.cypher").read_text(), {"n": 3000})
    with random_vectors(store, dimension=64) as (ids, vectors, _):
        build_index(store, 64, IndexSettings())
        assert index_info(store)["quantized"] is False
        sample = np.random.default_rng(1).choice(len(ids), size=100, replace=False)
        assert recall_at_k(store, ids, vectors, sample, k=10) >= 0.95
        unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
        for row in sample[:20]:  # the index's similarities are the exact cosines
            exact = {ids[j]: float(s) for j, s in enumerate(unit @ unit[row])}
            for pid, similarity in nearest(store, vectors[row], 10):
                assert similarity == pytest.approx(exact[pid], abs=1e-5)


class _Interrupted(EmbeddingModel):
    """The real model, with Ctrl-C pressed while it encodes its third batch."""

    calls = 0

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        self.calls += 1
        if self.calls == 3:
            raise KeyboardInterrupt
        return super().encode(texts, batch_size)


def test_interrupted_run_resumes_without_writing_twice(graph: GraphStore, model: EmbeddingModel) -> None:
    interrupted = _Interrupted(**model.__dict__)
    with pytest.raises(KeyboardInterrupt):
        embed_patents(graph, interrupted, batch_size=10, progress=False)
    assert _models(graph) == {model.id: 20}  # the two encoded batches were written, nothing half-way
    assert index_info(graph) is None  # no index over a partial set of vectors

    rest = embed_patents(graph, model, batch_size=10, progress=False)
    assert rest.encoded == PATENTS - 20 and _models(graph) == {model.id: PATENTS}
    again = embed_patents(graph, model, progress=False)
    assert again.encoded == 0 and again.index_seconds is None  # nothing left to do, index kept


@pytest.fixture(scope="module")
def other_model(minilm_path: str, tmp_path_factory: pytest.TempPathFactory) -> EmbeddingModel:
    """The same weights with CLS instead of mean pooling: another embedding space, same dimension."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling

    base = SentenceTransformer(minilm_path, device="cpu")
    cls = SentenceTransformer(modules=[base[0], Pooling(384, "cls"), base[2]], device="cpu")
    folder = tmp_path_factory.mktemp("cls-model") / "minilm-cls"
    cls.save(str(folder))
    return open_model(str(folder), max_seq_length=32)


def test_another_model_re_embeds_rather_than_mixes(
    graph: GraphStore, model: EmbeddingModel, other_model: EmbeddingModel
) -> None:
    other = other_model
    embed_patents(graph, model, progress=False)
    assert other.id != model.id and other.id.startswith("minilm-cls@")
    with pytest.raises(ModelMismatchError, match=f"{PATENTS} from {model.id}.*--reembed"):
        embed_patents(graph, other, progress=False)
    assert _models(graph) == {model.id: PATENTS}  # refused before writing anything

    result = embed_patents(graph, other, reembed=True, progress=False)
    assert result.encoded == PATENTS and _models(graph) == {other.id: PATENTS}
    assert result.index_seconds is not None and index_info(graph)["dimension"] == 384


def test_index_of_another_dimension_is_a_clear_error(graph: GraphStore, model: EmbeddingModel) -> None:
    build_index(graph, 8, IndexSettings())
    with pytest.raises(ModelMismatchError, match="index is 8-dimensional.*makes 384"):
        embed_patents(graph, model, progress=False)
    embed_patents(graph, model, reembed=True, progress=False)
    assert index_info(graph)["dimension"] == 384


def test_cli_embed(graph: GraphStore, settings: Settings, minilm_path: str) -> None:
    env = cli_env(settings, HF_HUB_OFFLINE="1")
    args = ["embed", "--model", minilm_path, "--max-seq-length", "32", "--ef-runtime", "40"]
    result = CliRunner().invoke(main, args, env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert f"{PATENTS} patents embedded" in result.output and "vector index built" in result.output
    assert index_info(graph)["ef_runtime"] == 40
    again = CliRunner().invoke(main, args, env=env, catch_exceptions=False)
    assert "0 patents embedded" in again.output and "vector index kept" in again.output
