"""`patentcl train` on real sample patents with all-MiniLM-L6-v2: tiny data, 32-token texts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sentence_transformers import SentenceTransformer
from test_train_data import Patent, build_triplets, codes_of, load_into_graph, sample_patents
from transformers import TrainerCallback

from helpers import cli_env
from patentcl.cli import main
from patentcl.config import Settings
from patentcl.errors import PatentclError
from patentcl.graph import GraphStore
from patentcl.trainer.cpc import codes_from_graph
from patentcl.trainer.train import CPC_METRIC, TrainConfig, TrainingError, cpc_evaluator, train
from patentcl.triplets import TripletSet, read_triplets


@pytest.fixture(scope="module")
def patents() -> list[Patent]:
    return sample_patents(400)


@pytest.fixture(scope="module")
def triplet_dir(patents: list[Patent], tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_triplets(
        tmp_path_factory.mktemp("triplets"), patents, sizes={"train": 16, "validation": 16, "test": 8}, seed=5
    )


@pytest.fixture(scope="module")
def triplets(triplet_dir: Path) -> TripletSet:
    return read_triplets([triplet_dir])


def _config(minilm_path: str, **changes) -> TrainConfig:
    values = dict(
        base_model=minilm_path,
        batch_size=8,
        max_seq_length=32,
        learning_rate=5e-5,
        warmup_ratio=0.0,
        eval_steps=100,
        seed=1,
    )
    return TrainConfig(**{**values, **changes})


def test_training_lowers_held_out_loss_and_records_provenance(
    tmp_path: Path, minilm_path: str, triplets: TripletSet, patents: list[Patent]
) -> None:
    out = tmp_path / "model"
    result = train(_config(minilm_path, epochs=2), triplets, out, codes=codes_of(patents))
    m = result.metrics
    assert m["eval_loss"] < m["base_loss"]  # validation triplets are not trained on (their patents are)
    assert 0 <= m["test_cosine_accuracy"] <= 1 and result.triplets_per_second > 0

    card = json.loads((out / "patentcl_model.json").read_text())
    assert card["base_model"] == minilm_path and card["dimension"] == 384
    assert card["training"]["loss"] == "mnrl" and card["training"]["cpc_mask"] is True
    assert card["triplets"][0]["query"]["query"] == "test_cpc_hierarchy"
    assert card["triplets"][0]["rows"] == {"train": 16, "validation": 16, "test": 8}
    assert card["device"]["type"] == "cpu" and card["device"]["precision"] == "fp32"
    assert card["metrics"]["eval_loss"] == pytest.approx(m["eval_loss"])
    assert card["selected_checkpoint"] is None  # without --keep-best-cpc the model is the last step's
    readme = (out / "README.md").read_text()
    assert "## PatentCL provenance" in readme and "test_cpc_hierarchy" in readme
    logged = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert any("train_loss" in line for line in logged) and any("base_loss" in line for line in logged)

    model = SentenceTransformer(str(out), device="cpu")
    assert model.max_seq_length == 32 and model.encode(["a neural network"]).shape == (1, 384)
    with pytest.raises(TrainingError, match="already holds a trained model"):
        train(_config(minilm_path), triplets, out, codes=codes_of(patents))


@pytest.mark.slow
def test_keep_best_cpc_saves_the_best_checkpoint(
    tmp_path: Path, minilm_path: str, triplets: TripletSet, patents: list[Patent]
) -> None:
    out = tmp_path / "model"
    config = _config(minilm_path, eval_steps=1, max_steps=3, learning_rate=1e-3, keep_best_cpc=True)
    result = train(config, triplets, out, codes=codes_of(patents))
    logged = [
        (line["step"], line[CPC_METRIC])
        for line in map(json.loads, (out / "metrics.jsonl").read_text().splitlines())
        if CPC_METRIC in line
    ]
    during = logged[:3]  # then the final evaluation, of the kept model
    assert [step for step, _ in during] == [1, 2, 3]
    best_step, best = max(during, key=lambda item: (item[1], -item[0]))  # the first of equal best ones
    chosen = json.loads((out / "patentcl_model.json").read_text())["selected_checkpoint"]
    assert chosen == {"metric": CPC_METRIC, "value": pytest.approx(best), "step": best_step}
    assert result.metrics[CPC_METRIC] == pytest.approx(best) == logged[-1][1]
    assert f"checkpoint of step {best_step}" in (out / "README.md").read_text()
    saved = SentenceTransformer(str(out), device="cpu")
    again = cpc_evaluator(triplets, codes_of(patents), config)(saved)
    assert again[CPC_METRIC.removeprefix("eval_")] == pytest.approx(best, abs=1e-6)


def test_keep_best_cpc_needs_a_validation_split(
    tmp_path: Path, minilm_path: str, triplet_dir: Path, patents: list[Patent]
) -> None:
    train_only = read_triplets([triplet_dir])
    train_only.splits.pop("validation")
    with pytest.raises(TrainingError, match="--keep-best-cpc needs a validation split"):
        train(_config(minilm_path, keep_best_cpc=True), train_only, tmp_path / "m", codes=codes_of(patents))


class _InterruptAt(TrainerCallback):
    """Ctrl-C after `step` optimizer steps (before that step's checkpoint is written)."""

    def __init__(self, step: int):
        self.step = step

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step == self.step:
            raise KeyboardInterrupt


@pytest.mark.slow
def test_resume_continues_an_interrupted_run(
    tmp_path: Path, minilm_path: str, triplets: TripletSet, patents: list[Patent]
) -> None:
    out = tmp_path / "model"
    config = _config(minilm_path, eval_steps=1, max_steps=3)
    with pytest.raises(KeyboardInterrupt):
        train(config, triplets, out, codes=codes_of(patents), callbacks=[_InterruptAt(2)])
    assert [p.name for p in (out / "checkpoints").glob("checkpoint-*")] == ["checkpoint-1"]
    assert not (out / "patentcl_model.json").exists()

    with pytest.raises(TrainingError, match="--resume to continue"):
        train(config, triplets, out, codes=codes_of(patents))
    with pytest.raises(TrainingError, match="learning_rate"):
        train(
            _config(minilm_path, eval_steps=1, max_steps=3, learning_rate=3e-5),
            triplets,
            out,
            codes=codes_of(patents),
            resume=True,
        )

    result = train(config, triplets, out, codes=codes_of(patents), resume=True)
    state = json.loads((out / "checkpoints" / "checkpoint-3" / "trainer_state.json").read_text())
    assert state["global_step"] == 3
    steps = [
        line["step"] for line in map(json.loads, (out / "metrics.jsonl").read_text().splitlines()) if "loss" in line
    ]
    assert steps == [1, 2, 3]  # step 2, interrupted before its checkpoint, is run again after checkpoint 1
    assert "base_loss" in result.metrics  # the untrained model's figures survive the interruption


def test_resume_without_checkpoint_is_an_error(tmp_path: Path, minilm_path: str, triplets: TripletSet) -> None:
    with pytest.raises(TrainingError, match="no checkpoint"):
        train(_config(minilm_path, cpc_mask=False), triplets, tmp_path / "m", resume=True)


def test_cpc_guards_need_codes_and_a_loadable_model(tmp_path: Path, minilm_path: str, triplets: TripletSet) -> None:
    with pytest.raises(TrainingError, match="need the patents' CPC codes"):
        train(_config(minilm_path), triplets, tmp_path / "a")
    with pytest.raises(PatentclError, match="cannot load model"):
        train(_config(str(tmp_path / "no-such-model"), cpc_mask=False), triplets, tmp_path / "b")
    assert not list(tmp_path.iterdir())  # nothing is written before the inputs are known to be usable


def _invoke(settings: Settings, *args: str):
    env = cli_env(settings, HF_HUB_OFFLINE="1")
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


_CLI_TRAIN = [
    "train",
    "--batch-sampler",
    "cpc-aware",
    "--max-seq-length",
    "32",
    "--triplets-per-batch",
    "8",
    "--max-steps",
    "1",
    "--eval-steps",
    "100",
]


def test_codes_come_from_the_graph(
    settings: Settings,
    store: GraphStore,
    tmp_path: Path,
    minilm_path: str,
    triplet_dir: Path,
    triplets: TripletSet,
    patents: list[Patent],
) -> None:
    args = [*_CLI_TRAIN, "--triplets", str(triplet_dir), "--base-model", minilm_path, "--out", str(tmp_path / "m")]
    with pytest.raises(TrainingError, match="none of the triplets' patents has CPC codes"):
        _invoke(settings, *args)  # an empty graph: not the graph the triplets were mined from
    load_into_graph(store, settings, patents, tmp_path)
    found = codes_from_graph(store, [*triplets.patent_ids(), "US0000000X1"])
    assert set(found) == set(triplets.patent_ids())  # unknown ids are left out
    for patent in patents:
        if patent.id in found:
            assert found[patent.id].codes == patent.codes and found[patent.id].main_groups == patent.main_groups


@pytest.mark.slow
def test_cli_trains_with_the_cpc_aware_sampler(
    settings: Settings, store: GraphStore, tmp_path: Path, minilm_path: str, triplet_dir: Path, patents: list[Patent]
) -> None:
    common = [*_CLI_TRAIN, "--triplets", str(triplet_dir), "--base-model", minilm_path]
    load_into_graph(store, settings, patents, tmp_path)
    result = _invoke(settings, *common, "--out", str(tmp_path / "model"))
    assert result.exit_code == 0, result.output
    assert "model saved to" in result.output and "eval_validation_cosine_accuracy" in result.output
    card = json.loads((tmp_path / "model" / "patentcl_model.json").read_text())
    assert card["training"]["batch_sampler"] == "cpc-aware" and card["training"]["max_steps"] == 1
