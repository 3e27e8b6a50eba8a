"""The evaluation report end to end (real model, real files, a real graph for retrieval), the
embedding cache, and the retrieval metrics against hand-computed values."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from helpers import SAMPLE_CSV, Graphs
from patentcl.cli import main
from patentcl.evaluation.embeddings import EmbeddingCache, cache_name, encode, text_key
from patentcl.evaluation.report import EvaluationPlan, evaluate
from patentcl.evaluation.retrieval import GraphPatents, relevant_by_codes
from patentcl.evaluators.retrieval import ranking_metrics
from patentcl.graph import open_store

PNG = b"\x89PNG\r\n\x1a\n"


def sample_rows(n: int) -> list[dict[str, str]]:
    with SAMPLE_CSV.open(encoding="utf-8", newline="") as f:
        return [row for _, row in zip(range(n), csv.DictReader(f))]


def write_sample(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_triplets(folder: Path, rows: list[dict[str, str]], train: range, test: range) -> Path:
    """A triplet folder as `patentcl mine` writes it: anchor i, positive i+1, negative i+2 (by row)."""
    folder.mkdir(parents=True)

    def frame(anchors: range) -> pd.DataFrame:
        out = []
        for i in anchors:
            triplet = {}
            for role, j in (("anchor", i), ("positive", i + 1), ("negative", i + 2)):
                triplet.update(
                    {
                        f"{role}_id": rows[j]["publication_number"],
                        f"{role}_title": rows[j]["title"],
                        f"{role}_abstract": rows[j]["abstract"],
                    }
                )
            out.append({**triplet, "strategy": "cpc_hierarchy"})
        return pd.DataFrame(out)

    frame(train).to_parquet(folder / "train.parquet")
    frame(test).to_parquet(folder / "test.parquet")
    (folder / "manifest.json").write_text(json.dumps({"query": "test fixture"}), encoding="utf-8")
    return folder


def test_ranking_metrics_by_hand() -> None:
    vectors = np.array([[1, 0], [0.9, 0.436], [0.6, 0.8], [0, 1]], dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    # Query 0 ranks 1, 2, 3; only 2 is relevant, at rank 2: AP = 1/2, nDCG = (1/log2(3)) / 1.
    metrics = ranking_metrics(vectors, [0, 3], {0: {2}, 3: set()})
    assert metrics["queries"] == 1 and metrics["queries_without_relevant"] == 1
    assert metrics["map@10"] == pytest.approx(0.5)
    assert metrics["ndcg@10"] == pytest.approx(1 / np.log2(3))


def test_relevance_is_a_shared_code() -> None:
    patents = GraphPatents(
        ["a", "b", "c"], [None] * 3, [None] * 3, [["G06N3/08"], ["G06N3/08", "H04L9/00"], ["H04L9/00"]], [[], [], []]
    )
    assert relevant_by_codes(patents, [0, 1]) == {0: {1}, 1: {0, 2}}


def test_embedding_cache_encodes_each_text_once(minilm_path: str, tmp_path: Path) -> None:
    from patentcl.encoding import open_model

    model = open_model(minilm_path)
    encoded: list[str] = []
    original = model.encode
    model.encode = lambda texts, batch_size=64: encoded.extend(texts) or original(texts, batch_size)  # type: ignore[method-assign]
    texts = ["neural network pruning", "a battery charger", "neural network pruning"]
    first = encode(model, texts, cache_root=tmp_path)
    assert encoded == ["neural network pruning", "a battery charger"]
    assert np.allclose(first[0], first[2]) and np.allclose(np.linalg.norm(first, axis=1), 1, atol=1e-5)
    again = encode(model, list(reversed(texts)), cache_root=tmp_path)
    assert len(encoded) == 2  # nothing new was encoded
    assert np.array_equal(again, first[::-1])
    assert len(EmbeddingCache(tmp_path, cache_name(model))) == 2  # what a later process finds on disk
    assert np.allclose(first, original(texts), atol=1e-5)
    # A text whose sha1 ends with a zero byte: its key must survive the trip to disk and back.
    zero_ended = next(t for t in (f"text {i}" for i in range(100000)) if text_key(t).endswith(b"\0"))
    encode(model, [zero_ended], cache_root=tmp_path)
    assert EmbeddingCache(tmp_path, cache_name(model)).missing([text_key(zero_ended)]) == []
    assert not list(tmp_path.rglob("*.partial"))


def test_evaluate_command_on_a_small_csv(minilm_path: str, tmp_path: Path) -> None:
    """Fast version: 90 sample rows, no graph; the CLI prints the table and writes every file."""
    data = write_sample(tmp_path / "rows.csv", sample_rows(90))
    result = CliRunner().invoke(
        main,
        [
            "--home",
            str(tmp_path / "home"),
            "evaluate",
            "--model",
            f"base={minilm_path}",
            "--data",
            str(data),
            "--no-graph",
            "--out",
            str(tmp_path / "report"),
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert "published micro-F1" in result.output
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    published = report["models"]["base"]["cpc"]["published"]
    assert published["all"]["rows"] == report["protocols"]["published"]["test_rows"] > 0
    assert 0 < published["all"]["micro_f1"] < 1
    assert not report["protocols"]["published"]["is_the_published_setup"]
    for name in ("projection.png", "metrics.png"):
        assert (tmp_path / "report" / name).read_bytes().startswith(PNG)
    assert "## Headline" in (tmp_path / "report" / "report.md").read_text()
    assert any((tmp_path / "home" / "cache" / "embeddings").rglob("shard-*.npz"))


@pytest.mark.slow
def test_two_models_with_held_out_triplets_and_graph_retrieval(
    minilm_path: str, graphs: Graphs, tmp_path: Path
) -> None:
    from patentcl.encoding import open_model
    from patentcl.loaders.csv_export import CsvSource
    from patentcl.loaders.filters import LoadFilter
    from patentcl.loaders.load import run_load
    from patentcl.trainer.embed import embed_patents

    rows = sample_rows(200)
    data = write_sample(tmp_path / "rows.csv", rows)
    triplets = write_triplets(tmp_path / "triplets", rows, train=range(0, 60), test=range(100, 140))
    settings = graphs.new("evaluation")
    same_folder = triplets.parent / ".." / triplets.parent.name / triplets.name  # another spelling: read once
    plan = EvaluationPlan(
        {"base": minilm_path, "again": minilm_path},
        [data],
        tmp_path / "report",
        [triplets, same_folder],
        cache=tmp_path / "cache",
        retrieval_queries=40,
        retrieval_corpus=120,
    )
    with open_store(settings) as store:
        run_load(store, settings, CsvSource([data], LoadFilter(types=None)))
        embed_patents(store, open_model(minilm_path), limit=None, progress=False)
        result = evaluate(plan, store)
    report = result.report
    touched = {r["publication_number"] for r in rows[0:62]}  # anchors 0..59, negatives up to row 61
    assert report["heldout"]["touched_patents"] == len(touched)
    assert report["heldout"]["triplet_folders"] == [str(triplets.resolve())]
    for model in report["models"].values():
        published = model["cpc"]["published"]
        assert 0 < published["heldout"]["rows"] < published["all"]["rows"]
        assert model["triplets"]["triplets"] == 40 and 0 <= model["triplets"]["accuracy"] <= 1
        assert model["retrieval"]["shares_cpc_code"]["queries"] > 0
        assert 0 < model["retrieval"]["shares_cpc_code"]["ndcg@10"] <= 1
    # The same model twice: the same figures, so every margin is zero, and so is its interval.
    assert all(abs(m) < 1e-9 for m in report["margins"]["again"].values())
    intervals = report["margin_intervals"]["again"]
    assert {"published held-out micro-F1", "clean held-out macro-F1"} <= set(intervals)
    assert all(interval == [0.0, 0.0] for interval in intervals.values())
    assert "+0.000 [+0.000, +0.000]" in result.markdown_path.read_text()
    assert {p.name for p in result.figure_paths} == {"projection.png", "metrics.png"}
