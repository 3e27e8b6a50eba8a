"""`patentcl train --resume` after SIGKILL: a real `patentcl train` process killed after a
checkpoint, and again as a checkpoint is being saved, resumed each time, ends with the weights of
a clean run (all-MiniLM-L6-v2, tiny triplets, on the CPU; no graph: the options need no codes)."""

from __future__ import annotations

import csv
import json
import os
import random
import subprocess
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from safetensors.torch import load_file

from helpers import SAMPLE_CSV, cli_env, kill_when, patentcl_executable
from patentcl.config import Settings

STEPS, SAVE_EVERY = 6, 2


@pytest.fixture(scope="module")
def triplet_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Random triplets of real patent texts (what they teach does not matter here, only that the
    resumed run learns exactly what the clean one did)."""
    out = tmp_path_factory.mktemp("triplets")
    with SAMPLE_CSV.open(encoding="utf-8", newline="") as handle:
        patents = [row for _, row in zip(range(200), csv.DictReader(handle))]
    rng = random.Random(3)
    for split, size in (("train", 48), ("validation", 8)):
        rows = []
        for _ in range(size):
            picked = rng.sample(patents, 3)
            rows.append(
                {
                    f"{role}_{field}": p[key]
                    for role, p in zip(("anchor", "positive", "negative"), picked)
                    for field, key in (("id", "publication_number"), ("title", "title"), ("abstract", "abstract"))
                }
            )
        pq.write_table(pa.Table.from_pylist(rows), out / f"{split}.parquet")
    (out / "manifest.json").write_text(
        json.dumps(
            {
                "query": {"query": "random_triplets", "version": 1, "dialect": "python", "sha256": "0" * 64},
                "strategy": "random",
                "parameters": {},
                "seed": 3,
            }
        )
    )
    return out


def training(triplet_dir: Path, out: Path, minilm_path: str, *extra: str) -> subprocess.Popen:
    args = [
        "train",
        "--triplets",
        str(triplet_dir),
        "--out",
        str(out),
        "--base-model",
        minilm_path,
        "--no-cpc-mask",
        "--max-seq-length",
        "32",
        "--triplets-per-batch",
        "8",
        "--lr",
        "5e-5",
        "--warmup-ratio",
        "0",
        "--max-steps",
        str(STEPS),
        "--eval-steps",
        str(SAVE_EVERY),
        "--seed",
        "1",
        *extra,
    ]
    # One thread: the machine is shared, and the runs compare equal whatever the thread count.
    env = {**os.environ, **cli_env(Settings(home=out.parent / "home"), HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1")}
    return subprocess.Popen(
        [patentcl_executable(), *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def finished(process: subprocess.Popen) -> None:
    try:
        _, err = process.communicate(timeout=900)
    finally:
        process.kill()  # nothing left running when the test fails
    assert process.returncode == 0, err[-3000:]


def checkpoint_saved(out: Path, step: int) -> bool:
    """The Trainer writes trainer_state.json last."""
    try:
        return (
            json.loads((out / "checkpoints" / f"checkpoint-{step}" / "trainer_state.json").read_text())["global_step"]
            == step
        )
    except (OSError, ValueError, KeyError):
        return False


def logged_losses(out: Path) -> list[tuple[int, float]]:
    lines = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    return [(line["step"], line["loss"]) for line in lines if "loss" in line]


@pytest.mark.slow
def test_killed_training_resumes_to_the_clean_runs_weights(triplet_dir: Path, tmp_path: Path, minilm_path: str) -> None:
    clean = tmp_path / "clean"
    finished(training(triplet_dir, clean, minilm_path))

    out = tmp_path / "killed"
    process = training(triplet_dir, out, minilm_path)
    kill_when(process, lambda: checkpoint_saved(out, SAVE_EVERY))  # after its first checkpoint
    assert not (out / "patentcl_model.json").exists()
    # Killed as soon as the next checkpoint's folder appears: most likely while it is written.
    process = training(triplet_dir, out, minilm_path, "--resume")
    kill_when(process, lambda: (out / "checkpoints" / f"checkpoint-{2 * SAVE_EVERY}").is_dir())
    finished(training(triplet_dir, out, minilm_path, "--resume"))

    expected, weights = load_file(clean / "model.safetensors"), load_file(out / "model.safetensors")
    assert weights.keys() == expected.keys()
    base = load_file(Path(minilm_path) / "model.safetensors")
    assert any(not tensor.equal(base[name]) for name, tensor in expected.items() if name in base)  # it trained
    for name, tensor in weights.items():
        assert tensor.allclose(expected[name], rtol=0, atol=1e-6), name
    assert logged_losses(out) == logged_losses(clean)  # every step once, with the clean run's loss
    card, clean_card = (json.loads((d / "patentcl_model.json").read_text()) for d in (out, clean))
    assert card["metrics"]["eval_loss"] == pytest.approx(clean_card["metrics"]["eval_loss"], abs=1e-6)
