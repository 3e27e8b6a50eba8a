"""`patentcl bench engines`: one run gives both engines' figures, from an empty graph each."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from helpers import SAMPLE_CSV
from patentcl.cli import main
from patentcl.graph.servers import unavailable

pytestmark = pytest.mark.skipif(
    bool(unavailable("neo4j")) and not os.environ.get("CI"), reason=f"{unavailable('neo4j')}"
)


def test_both_engines_side_by_side_in_one_run(minilm_path: str, tmp_path: Path) -> None:
    shutil.copy(SAMPLE_CSV, tmp_path / "sample.csv")
    result = CliRunner().invoke(
        main,
        [
            "bench",
            "engines",
            "--csv-dir",
            str(tmp_path),
            "--model",
            minilm_path,
            "--max-seq-length",
            "32",
            "--triplet-count",
            "200",
            "--queries",
            "20",
            "--recall-queries",
            "5",
            "--json",
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout[result.stdout.index("{") :])
    falkordb, neo4j = report["results"]["falkordb"], report["results"]["neo4j"]
    assert falkordb["engine"].startswith("FalkorDB") and neo4j["engine"].startswith("Neo4j 5.26")
    for figures in (falkordb, neo4j):
        assert figures["patents"] == figures["vectors"] == 3000
        assert figures["classification_edges"] == falkordb["classification_edges"] > 30_000
        assert figures["mining_triplets"] >= 180
        for rate in ("load_patents_per_s", "load_edges_per_s", "mining_triplets_per_s", "write_back_vectors_per_s"):
            assert figures[rate] > 0, rate
        assert figures["index_build_s"] > 0 and 0 < figures["id p50_ms"] <= figures["id p95_ms"]
        assert figures["id recall@10"] >= 0.9 and figures["text+cpc recall@10"] >= 0.9
        assert figures["first_load_s"] > 0 and figures["first_mining_triplets_per_s"] > 0  # the warm-ups ran
