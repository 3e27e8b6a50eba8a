"""`patentcl bench load` runs a real load into a fresh graph of each engine and prints its figures."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from helpers import SAMPLE_CSV
from patentcl.cli import main


def test_bench_load_reports_figures_for_a_fresh_graph_and_the_official_bulk_loader(engine: str, tmp_path: Path) -> None:
    shutil.copy(SAMPLE_CSV, tmp_path / "sample.csv")
    result = CliRunner().invoke(
        main,
        ["bench", "load", "--csv-dir", str(tmp_path), "--rows-per-write", "1000", "--json", "--engines", engine]
        + ["--compare"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output[result.output.index("{") :])
    ((label, figures),) = report["results"].items()
    assert label.startswith(f"{engine}: ")
    assert figures["patents"] == 3000 and figures["classification_edges"] > 30_000
    assert figures["patents_per_s"] > 0 and figures["classification_edges_per_s"] > 0
    # parsing and writing overlap (two threads); each fits inside the wall time of the load
    assert 0 < figures["parse_s"] and 0 < figures["write_s"]
    assert figures["total_s"] >= max(figures["parse_s"], figures["write_s"]) * 0.99
    assert figures["peak_rss_mb"] > 10 and figures["server_cpu_s"] > 0
    assert "CPUs, load average" in report["machine"]
    assert figures["first_load_total_s"] > 0 and figures["first_load_server_cpu_s"] > 0  # the warm-up ran
    assert figures["server_peak_mb"] > 10 and figures["data_mb"] > 1
    # --compare: the engine's official bulk loader built the same graph from the exported files
    assert figures["same_graph"] is True
    assert figures["official_export_s"] > 0 and figures["official_import_s"] > 0 and figures["official_index_s"] > 0
    bulk = figures["official_import_s"] + figures["official_index_s"]
    assert figures["patentcl_over_official_import"] == pytest.approx(figures["total_s"] / bulk)
    assert figures["patentcl_over_official_export_and_import"] < figures["patentcl_over_official_import"]


def test_bench_load_refuses_a_folder_without_csv_files(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["bench", "load", "--csv-dir", str(tmp_path)])
    assert result.exit_code == 2 and "holds no .csv file" in result.output
    result = CliRunner().invoke(main, ["bench", "load", "--csv-dir", str(tmp_path / "missing")])
    assert result.exit_code == 2 and "does not exist" in result.output
    result = CliRunner().invoke(main, ["bench", "load", "--csv-dir", str(tmp_path), "--engines", "mysql"])
    assert result.exit_code == 2 and "give engines from falkordb, neo4j" in result.output
