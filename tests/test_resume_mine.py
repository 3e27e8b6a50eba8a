"""`patentcl mine --resume` after SIGKILL: a real `patentcl mine` process killed at points taken
from its own checkpoint (one batch done, about half, nearly all), resumed each time, ends with
triplet files byte-identical to a clean run's, on both engines."""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path

import pytest

from helpers import SAMPLE_CSV, Graphs, kill_when, output_of, start_patentcl
from patentcl.config import Settings
from patentcl.graph import open_store
from patentcl.loaders.csv_export import CsvSource
from patentcl.loaders.filters import LoadFilter
from patentcl.loaders.load import run_load
from patentcl.triplets import SPLITS

MINE = ["mine", "--anchors", "600", "--anchors-per-query", "10", "--negatives", "2", "--seed", "11", "--json"]


@pytest.fixture(scope="module")
def sample(graphs: Graphs) -> Settings:
    settings = graphs.new("resume_mine")
    with open_store(settings) as store:
        run_load(store, settings, CsvSource([SAMPLE_CSV], LoadFilter(types=None)))
    return settings


def finished(process: subprocess.Popen) -> dict:
    return json.loads(output_of(process).strip().splitlines()[-1])


def batches_done(out: Path) -> int:
    try:
        return len(json.loads((out / ".mining" / "checkpoint.json").read_text())["batches"])
    except (OSError, ValueError, KeyError):
        return 0


def kill_after(process: subprocess.Popen, out: Path, batches: int) -> int:
    """SIGKILLs the miner once its checkpoint lists at least `batches` finished batches; returns
    how many it listed then."""
    kill_when(process, lambda: batches_done(out) >= batches, timeout=120.0)
    return batches_done(out)


def test_a_killed_run_resumes_to_the_bytes_of_a_clean_run(sample: Settings, tmp_path: Path) -> None:
    clean = finished(start_patentcl(sample, *MINE, "--out", str(tmp_path / "clean")))
    assert clean["counts"]["triplets"] > 300
    batches = sum(math.ceil(s["anchors"] / 10) for s in clean["counts"]["splits"].values())

    out = tmp_path / "killed"
    process = start_patentcl(sample, *MINE, "--out", str(out))
    seen = [kill_after(process, out, 1)]
    for target in (batches // 2, batches - 5):  # each resumed run is killed again, further on
        process = start_patentcl(sample, *MINE, "--out", str(out), "--resume")
        seen.append(kill_after(process, out, target))
    assert not (out / "manifest.json").exists() and seen[0] < seen[1] < seen[2] < batches

    resumed = finished(start_patentcl(sample, *MINE, "--out", str(out), "--resume"))
    assert resumed["run"]["resumed"] and resumed["run"]["timings"]["triplets_mined"] < clean["counts"]["triplets"]
    for split in SPLITS:
        assert (out / f"{split}.parquet").read_bytes() == (tmp_path / "clean" / f"{split}.parquet").read_bytes()
    assert {k: v for k, v in resumed.items() if k != "run"} == {k: v for k, v in clean.items() if k != "run"}
    assert not (out / ".mining").exists()
