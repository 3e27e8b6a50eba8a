"""`patentcl quickstart` end to end, as the README runs it, on each engine (small settings: the
pipeline's plumbing, not the model's quality, is under test here)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from helpers import cli_env
from patentcl.cli import main
from patentcl.config import Settings
from patentcl.graph import open_store


def test_quickstart_runs_every_stage_on_the_graph(settings: Settings, minilm_path: str, tmp_path: Path) -> None:
    out = tmp_path / "quickstart"
    result = CliRunner().invoke(
        main,
        ["quickstart", "--anchors", "120", "--epochs", "0.2", "--max-seq-length", "32", "--out", str(out)],
        env=cli_env(settings, HF_HUB_OFFLINE="1"),
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    for stage in ("1/7 load", "2/7 mine", "3/7 train", "4/7 embed", "5/7 similar", "6/7 suggest-cpc", "7/7 evaluate"):
        assert f"== {stage}: patentcl " in result.output
    report = json.loads((out / "report" / "report.json").read_text())
    assert list(report["models"]) == ["base", "tuned"] and report["baseline"] == "base"
    with open_store(settings) as store:
        info = store.describe()
        vectors = list(store.run("embedding_model_counts"))
    assert info.labels["Patent"] == 3000 and info.relationships["CLASSIFIED_AS"] > 30000
    assert [row["patents"] for row in vectors] == [3000]  # every patent embedded, by one model
