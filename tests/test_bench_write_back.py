"""`patentcl bench write-back`: random vectors written to every patent, the index built over them,
recall@10 of the index against the exact scan on --recall-queries of them, and nothing left after."""

from __future__ import annotations

import json

from click.testing import CliRunner

from helpers import TEST_CYPHER, cli_env
from patentcl.cli import main
from patentcl.config import Settings
from patentcl.graph import GraphStore


def test_write_back_bench_measures_and_removes_its_vectors(store: GraphStore, settings: Settings) -> None:
    store.run_text((TEST_CYPHER / "create_bare_patents.cypher").read_text(), {"n": 500})
    runner = CliRunner()
    args = ["bench", "write-back", "--dimension", "16", "--rows-per-write", "100", "--json"]
    result = runner.invoke(main, [*args, "--recall-queries", "20"], env=cli_env(settings), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output[result.output.index("{") :])
    assert figures["vectors"] == 500 and figures["dimension"] == 16 and figures["recall_queries"] == 20
    assert figures["vectors_per_second"] > 0 and figures["index_seconds"] > 0
    assert 0.9 <= figures["recall_at_10"] <= 1.0  # 500 vectors: HNSW at efRuntime 100 finds nearly all
    assert not list(store.run("embedding_model_counts")), "the random vectors are removed"

    result = runner.invoke(main, [*args, "--recall-queries", "0"], env=cli_env(settings), catch_exceptions=False)
    figures = json.loads(result.output[result.output.index("{") :])
    assert figures["recall_at_10"] is None and figures["recall_queries"] == 0
