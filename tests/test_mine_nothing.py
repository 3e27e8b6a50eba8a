"""`patentcl mine` that finds nothing to write (an empty graph, or no anchor with a triplet) says
why in one line and exits with 1, writing no triplet file and losing nothing already there."""

from __future__ import annotations

import csv
from pathlib import Path

from click.testing import CliRunner

from helpers import cli_env
from patentcl.cli import main
from patentcl.config import Settings
from patentcl.graph import open_store
from patentcl.loaders.csv_export import CsvSource
from patentcl.loaders.filters import LoadFilter
from patentcl.loaders.load import run_load

# Three patents with text and CPC codes, no two sharing a subclass: each can anchor, none has a positive.
LONERS = [
    ("US1000001B2", "Plough frame", "A frame for a plough.", "['A01B1/02']"),
    ("US1000002B2", "Pyridine compound", "A pyridine compound.", "['C07D213/04']"),
    ("US1000003B2", "Key exchange", "A key exchange over a network.", "['H04L9/08']"),
]


def _mine(settings: Settings, *args: str):
    return CliRunner().invoke(main, ["mine", *args], env=cli_env(settings), catch_exceptions=False)


def _one_warning(result) -> str:
    """The run's one warning line (progress bars aside), which is its last word."""
    lines = [line for line in result.output.splitlines() if line.strip()]
    warnings = [line for line in lines if line.startswith("warning: ")]
    assert result.exit_code == 1 and warnings == lines[-1:], result.output
    return warnings[0]


def test_an_empty_graph_is_a_warning_exit_1_and_no_files(settings: Settings, tmp_path: Path) -> None:
    out = tmp_path / "mined"
    warning = _one_warning(_mine(settings, "--out", str(out)))
    assert "the graph holds no patents" in warning and "patentcl load" in warning
    assert not out.exists()


def test_no_anchor_with_a_triplet_writes_nothing_and_keeps_what_was_there(settings: Settings, tmp_path: Path) -> None:
    source = tmp_path / "loners.csv"
    with source.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([("publication_number", "title", "abstract", "cpc_codes"), *LONERS])
    with open_store(settings) as store:
        run_load(store, settings, CsvSource([source], LoadFilter(types=None)))
    out = tmp_path / "mined"
    out.mkdir()
    before = {"notes.txt": b"mine", "manifest.json": b"{}\n", "train.parquet": b"an earlier run"}
    for name, data in before.items():
        (out / name).write_bytes(data)

    warning = _one_warning(_mine(settings, "--out", str(out), "--overwrite"))
    assert "none of the 3 anchors yielded a triplet (3 without a positive" in warning
    assert "--negative-level class" in warning
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # no empty files, no .mining/
