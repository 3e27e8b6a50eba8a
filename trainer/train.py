"""`patentcl train`: fine-tune a sentence-transformers model on mined triplets.

Uses the library's `SentenceTransformerTrainer` (Hugging Face Trainer underneath): checkpoints,
`--resume`, evaluation on the validation split with `TripletEvaluator` (and, with --keep-best-cpc,
the validation patents' CPC kNN micro-F1 (`CpcKnnEvaluator`), whose best checkpoint becomes the
saved model), early stopping, a progress bar and a metrics log (`metrics.jsonl`). On a GPU it
trains in bf16 (fp16 where bf16 is not supported) with pinned memory and tokenisation in
data-loader workers; multi-GPU through `torchrun` or `accelerate launch` (each GPU gets whole
CPC-aware batches; see the README).

Output folder:
    MODEL_DIR/                 the fine-tuned model (load with SentenceTransformer(MODEL_DIR)),
      README.md                the model card, with a PatentCL provenance section
      patentcl_model.json      provenance: base model, triplet manifests, options, metrics, time, device
      metrics.jsonl            one JSON line per logging step and evaluation
      checkpoints/             the Trainer's checkpoints (for --resume) and patentcl_run.json
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import shutil
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

import torch
import transformers
from datasets import Dataset
from sentence_transformers.base.sampler import BatchSamplers
from sentence_transformers.sentence_transformer.evaluation import TripletEvaluator
from sentence_transformers.sentence_transformer.trainer import SentenceTransformerTrainer
from sentence_transformers.sentence_transformer.training_args import SentenceTransformerTrainingArguments
from transformers import EarlyStoppingCallback, TrainerCallback
from transformers.trainer_utils import get_last_checkpoint

from patentcl.cpc import SUBGROUP
from patentcl.encoding import TextSpec, embedding_dimension, load_model
from patentcl.errors import PatentclError
from patentcl.evaluators.cpc_knn import CpcKnnEvaluator
from patentcl.trainer.choices import DEFAULT_BASE_MODEL, IN_BATCH_LOSSES
from patentcl.trainer.cpc import CodeLevel, CodeTable, PatentCodes
from patentcl.trainer.losses import LossName, build_loss
from patentcl.trainer.model_card import write_provenance
from patentcl.trainer.samplers import KEY_COLUMN, CPCAwareBatchSampler
from patentcl.triplets import ROLES, TripletSet

logger = logging.getLogger(__name__)

SamplerName = Literal["cpc-aware", "no-duplicates"]
Precision = Literal["auto", "bf16", "fp16", "fp32"]
CHECKPOINTS = "checkpoints"
RUN_FILE = "patentcl_run.json"
METRICS_LOG = "metrics.jsonl"


class TrainingError(PatentclError):
    """Training cannot start or continue: bad options, an occupied output folder, no checkpoint."""


@dataclass(frozen=True)
class TrainConfig:
    """Every option of a training run; recorded in the model card and checked on --resume."""

    base_model: str = DEFAULT_BASE_MODEL
    loss: LossName = "mnrl"
    batch_sampler: SamplerName = "no-duplicates"
    cpc_mask: bool = True
    cpc_level: CodeLevel = "subgroup"
    text: TextSpec = field(default_factory=TextSpec)
    epochs: float = 1.0
    learning_rate: float = 2e-5
    warmup_ratio: float = 0.1
    batch_size: int = 32
    mini_batch_size: int = 32
    max_seq_length: int = 256
    seed: int = 42
    eval_steps: int = 500
    early_stopping: int | None = None
    keep_best_cpc: bool = False
    precision: Precision = "auto"
    max_steps: int | None = None

    @property
    def needs_codes(self) -> bool:
        return self.batch_sampler == "cpc-aware" or self.uses_mask or self.keep_best_cpc

    @property
    def uses_mask(self) -> bool:
        return self.cpc_mask and self.loss in IN_BATCH_LOSSES

    def as_dict(self) -> dict[str, Any]:
        values = asdict(self)
        values["text"] = self.text.as_dict()
        return values

    def check(self) -> None:
        for name in ("batch_size", "mini_batch_size", "max_seq_length", "eval_steps"):
            if getattr(self, name) < 1:
                raise TrainingError(f"--{name.replace('_', '-')} must be at least 1")
        if not 0 <= self.warmup_ratio < 1:
            raise TrainingError("--warmup-ratio must be in [0, 1)")
        if self.epochs <= 0 or self.learning_rate <= 0:
            raise TrainingError("--epochs and --lr must be positive")
        if self.early_stopping is not None and self.early_stopping < 1:
            raise TrainingError("--early-stopping counts evaluations without improvement: at least 1")


@dataclass
class TrainResult:
    model_dir: Path
    metrics: dict[str, float]
    seconds: float
    triplets_per_second: float
    device: dict[str, Any]


def device_info() -> dict[str, Any]:
    """What the run trains on: the accelerator, or the CPU with its thread count."""
    if torch.cuda.is_available():
        return {
            "type": "cuda",
            "name": torch.cuda.get_device_name(0),
            "count": torch.cuda.device_count(),
            "bf16": torch.cuda.is_bf16_supported(),
        }
    return {"type": "cpu", "name": _cpu_name(), "threads": torch.get_num_threads()}


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or platform.machine()


def resolve_precision(precision: Precision) -> str:
    """bf16 on GPUs that support it (Ampere and newer), else fp16 on a GPU; fp32 on the CPU."""
    cuda = torch.cuda.is_available()
    if precision == "auto":
        return ("bf16" if torch.cuda.is_bf16_supported() else "fp16") if cuda else "fp32"
    if precision in ("bf16", "fp16") and not cuda:
        raise TrainingError(f"--precision {precision} needs a CUDA GPU; none is visible (use fp32 or auto)")
    if precision == "bf16" and not torch.cuda.is_bf16_supported():
        raise TrainingError("this GPU does not support bf16; use --precision fp16")
    return precision


def train(
    config: TrainConfig,
    triplets: TripletSet,
    out: Path,
    *,
    codes: Mapping[str, PatentCodes] | None = None,
    resume: bool = False,
    callbacks: Sequence[TrainerCallback] = (),
) -> TrainResult:
    """Fine-tunes `config.base_model` on the triplets and saves the model with its provenance to `out`.
    `callbacks` are extra Hugging Face Trainer callbacks (progress reporting, interruption)."""
    config.check()
    if config.needs_codes and codes is None:
        raise TrainingError("the CPC-aware sampler and the CPC mask need the patents' CPC codes (from the graph)")
    if config.early_stopping and not triplets.has("validation"):
        raise TrainingError("--early-stopping needs a validation split in the triplet folder")
    if config.keep_best_cpc and not triplets.has("validation"):
        raise TrainingError("--keep-best-cpc needs a validation split in the triplet folder")
    out = Path(out)
    precision = resolve_precision(config.precision)
    splits = [s for s in ("train", "validation") if triplets.has(s)]
    table = _code_table(triplets, splits, codes, config.cpc_level) if config.needs_codes and codes is not None else None
    if table is not None and table.without_codes:
        logger.warning(
            "%d triplet patents have no CPC codes in the graph; only duplicates of them are kept apart",
            table.without_codes,
        )
    started = datetime.now(timezone.utc)
    model = load_model(config.base_model)
    dimension = embedding_dimension(model, config.base_model)  # training keeps it: fail before, not after
    model.max_seq_length = config.max_seq_length
    model.model_card_data.generate_widget_examples = False  # it encodes samples: time, and nothing for a patent card
    checkpoint = _prepare_output(out, config, triplets, resume)
    datasets = _datasets(triplets, splits, config.text, with_keys=table is not None)
    evaluators = {s: triplet_evaluator(triplets, s, config) for s in ("validation", "test") if triplets.has(s)}
    selecting = [evaluators["validation"], cpc_evaluator(triplets, codes or {}, config)] if config.keep_best_cpc else []
    loss = build_loss(
        config.loss, model, table=table if config.uses_mask else None, mini_batch_size=config.mini_batch_size
    )
    args = _training_arguments(config, out / CHECKPOINTS, precision, has_validation="validation" in datasets)
    callbacks = [MetricsLog(out / METRICS_LOG), *callbacks]
    if config.early_stopping:
        callbacks.append(EarlyStoppingCallback(early_stopping_patience=config.early_stopping))
    trainer = PatentclTrainer(
        model=model,
        args=args,
        train_dataset=datasets["train"],
        eval_dataset=datasets.get("validation"),
        loss=loss,
        evaluator=selecting or evaluators.get("validation"),
        callbacks=callbacks,
        cpc_table=table if config.batch_sampler == "cpc-aware" else None,
    )

    run_file = out / CHECKPOINTS / RUN_FILE
    run = json.loads(run_file.read_text())
    if "baseline" not in run:  # the untrained model on the validation split, once (not again on --resume)
        run["baseline"] = trainer.evaluate(metric_key_prefix="base") if "validation" in datasets else {}
        if trainer.is_world_process_zero():
            run_file.write_text(json.dumps(run, indent=2))
    output = trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)

    metrics = _figures(run["baseline"])
    if "validation" in datasets:
        metrics.update(_figures(trainer.evaluate()))
    if "test" in evaluators:
        metrics.update({k: float(v) for k, v in evaluators["test"](model).items()})
    selection = _selection(trainer.state, args.metric_for_best_model) if args.load_best_model_at_end else None
    metrics.update({k: float(v) for k, v in output.metrics.items()})
    finished = datetime.now(timezone.utc)
    result = TrainResult(
        out,
        metrics,
        (finished - started).total_seconds(),
        float(output.metrics.get("train_samples_per_second", 0.0)),
        device_info(),
    )
    if trainer.is_world_process_zero():
        model.save_pretrained(str(out))
        write_provenance(
            out,
            config=config.as_dict(),
            triplets=triplets,
            metrics=metrics,
            started=started,
            finished=finished,
            device={**result.device, "precision": precision, "processes": trainer.args.world_size},
            dimension=dimension,
            selection=selection,
        )
    return result


def _figures(metrics: Mapping[str, Any]) -> dict[str, float]:
    """Evaluation results without the timings, which say nothing about the model."""
    return {k: float(v) for k, v in metrics.items() if not k.endswith(("runtime", "per_second", "preparation_time"))}


def _selection(state: Any, metric: str | None) -> dict[str, Any] | None:
    """The checkpoint the saved model is (the best by `metric`), for the provenance."""
    if state.best_global_step is None:
        return None
    return {"metric": metric, "value": float(state.best_metric), "step": int(state.best_global_step)}


def _prepare_output(out: Path, config: TrainConfig, triplets: TripletSet, resume: bool) -> Path | None:
    """Refuses to overwrite a finished model or silently restart an interrupted run; on --resume,
    returns the last checkpoint after checking the options match the interrupted run's."""
    checkpoints = out / CHECKPOINTS
    run_file = checkpoints / RUN_FILE
    run = {"config": config.as_dict(), "triplets": [_fingerprint(m) for m in triplets.manifests]}
    if (out / "patentcl_model.json").exists():
        raise TrainingError(f"{out} already holds a trained model; choose another --out or delete it")
    if resume:
        previous = json.loads(run_file.read_text()) if run_file.exists() else run
        changed = _differences(previous, run)
        if changed:
            raise TrainingError(f"--resume with options that differ from the interrupted run: {'; '.join(changed)}")
        last = _resumable_checkpoint(checkpoints) if checkpoints.is_dir() else None
        if last is None:
            raise TrainingError(f"--resume: no checkpoint in {checkpoints} (nothing to resume; run without --resume)")
        path, step = last
        _forget_logs_after(out / METRICS_LOG, step)
        return path
    if checkpoints.is_dir() and any(checkpoints.glob("checkpoint-*")):
        raise TrainingError(
            f"{out} holds checkpoints of an interrupted run: add --resume to continue it, or delete them"
        )
    checkpoints.mkdir(parents=True, exist_ok=True)
    run_file.write_text(json.dumps(run, indent=2))
    return None


def _saved_step(checkpoint: Path) -> int | None:
    """The step of a checkpoint the Trainer finished saving, else None. It writes
    trainer_state.json last, so a run killed while saving leaves a folder without it, or with
    half of it."""
    try:
        return int(json.loads((checkpoint / "trainer_state.json").read_text())["global_step"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _resumable_checkpoint(checkpoints: Path) -> tuple[Path, int] | None:
    """The newest complete checkpoint and its step. Newer, half-saved ones are removed: resuming
    from one fails or starts from half-written weights, and the resumed run saves that step again."""
    while (last := get_last_checkpoint(str(checkpoints))) is not None:
        step = _saved_step(Path(last))
        if step is not None:
            return Path(last), step
        shutil.rmtree(last)
    return None


def _forget_logs_after(log: Path, step: int) -> None:
    """Drops the metrics logged after the checkpoint a run resumes from (and a line cut short by a
    kill): the resumed run logs those steps again, and the log should read as one clean run's."""
    if not log.exists():
        return
    kept = []
    for line in log.read_text(encoding="utf-8").splitlines():
        try:
            if json.loads(line)["step"] <= step:
                kept.append(line)
        except (ValueError, KeyError, TypeError):
            continue
    tmp = log.with_name(log.name + ".tmp")
    tmp.write_text("".join(f"{line}\n" for line in kept), encoding="utf-8")
    os.replace(tmp, log)


def _fingerprint(manifest: dict[str, Any]) -> str:
    """The triplets' identity for --resume: the manifest (query, hash, seed, ...) and row counts."""
    content = {k: v for k, v in manifest.items() if k != "folder"}
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _differences(before: dict[str, Any], now: dict[str, Any]) -> list[str]:
    changed = [
        f"{key}: {before['config'].get(key)!r} then, {value!r} now"
        for key, value in now["config"].items()
        if before["config"].get(key) != value
    ]
    if before["triplets"] != now["triplets"]:
        changed.append("the triplet folders differ")
    return changed


def _code_table(
    triplets: TripletSet, splits: list[str], codes: Mapping[str, PatentCodes], level: CodeLevel
) -> CodeTable:
    rows = [t for split in splits for t in zip(*(triplets[split][f"{role}_id"] for role in ROLES))]
    table = CodeTable(rows, codes, level)
    if table.without_codes == 3 * len(rows):
        raise TrainingError(
            "none of the triplets' patents has CPC codes in the graph: is PATENTCL_GRAPH "
            "the graph the triplets were mined from?"
        )
    return table


def _datasets(triplets: TripletSet, splits: list[str], text: TextSpec, *, with_keys: bool) -> dict[str, Dataset]:
    """anchor / positive / negative text columns; with `label` = the row's key in the CodeTable
    (train rows first, then validation rows), which the sampler and the masked loss read."""
    datasets, offset = {}, 0
    for split in splits:
        columns: dict[str, list[Any]] = dict(triplets.texts(split, text))
        if with_keys:
            columns[KEY_COLUMN] = list(range(offset, offset + len(triplets[split])))
        offset += len(triplets[split])
        datasets[split] = Dataset.from_dict(columns)
    return datasets


def triplet_evaluator(triplets: TripletSet, split: str, config: TrainConfig) -> TripletEvaluator:
    """Cosine triplet accuracy on a split: how often the anchor is nearer its positive than its negative."""
    texts = triplets.texts(split, config.text)
    return TripletEvaluator(
        texts["anchor"],
        texts["positive"],
        texts["negative"],
        main_similarity_function="cosine",
        name=split,
        batch_size=config.batch_size,
        write_csv=False,
    )


# Bounds on the CPC evaluation's patents: it encodes them all at every evaluation.
CPC_EVAL_QUERIES = 1000
CPC_EVAL_REFERENCES = 10000
CPC_EVAL_NAME = "validation_cpc"
CPC_METRIC = f"eval_{CPC_EVAL_NAME}_{SUBGROUP}_micro_f1"  # the evaluator's primary metric, as the Trainer logs it


def cpc_evaluator(triplets: TripletSet, codes: Mapping[str, PatentCodes], config: TrainConfig) -> CpcKnnEvaluator:
    """CPC kNN micro-F1 of the validation patents (queries) against the training patents
    (references): mining splits patents, not triplets, so no validation patent is trained on.
    Patents without codes are left out; large sets are sampled (seeded)."""
    found = {split: _coded_patents(triplets, split, codes, config.text) for split in ("train", "validation")}
    if not found["train"] or not found["validation"]:
        raise TrainingError("--keep-best-cpc needs train and validation patents with CPC codes in the graph")
    rng = random.Random(config.seed)
    queries = rng.sample(found["validation"], min(CPC_EVAL_QUERIES, len(found["validation"])))
    references = rng.sample(found["train"], min(CPC_EVAL_REFERENCES, len(found["train"])))
    return CpcKnnEvaluator(
        [t for t, _ in references],
        [c for _, c in references],
        [t for t, _ in queries],
        [c for _, c in queries],
        name=CPC_EVAL_NAME,
        batch_size=config.batch_size,
    )


def _coded_patents(
    triplets: TripletSet, split: str, codes: Mapping[str, PatentCodes], text: TextSpec
) -> list[tuple[str, list[str]]]:
    """(text, subgroup codes) of each patent of a split that has codes, once, in id order."""
    frame = triplets[split]
    patents: dict[str, tuple[str, list[str]]] = {}
    for role in ROLES:
        for pid, title, abstract in zip(frame[f"{role}_id"], frame[f"{role}_title"], frame[f"{role}_abstract"]):
            known = codes.get(pid)
            if known and known.codes and pid not in patents:
                patents[pid] = (text.text(title, abstract), sorted(known.codes))
    return [patents[pid] for pid in sorted(patents)]


def _training_arguments(
    config: TrainConfig, output_dir: Path, precision: str, *, has_validation: bool
) -> SentenceTransformerTrainingArguments:
    cuda = torch.cuda.is_available()
    workers = min(4, max(0, (os.cpu_count() or 1) - 1)) if cuda else 0
    if workers:
        # Each worker tokenises its own batches; the Rust tokenizer's own thread pool would only fight them.
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    kwargs: dict[str, Any] = dict(
        output_dir=str(output_dir),
        num_train_epochs=config.epochs,
        max_steps=config.max_steps if config.max_steps else -1,
        per_device_train_batch_size=config.batch_size,
        per_device_eval_batch_size=config.batch_size,
        learning_rate=config.learning_rate,
        seed=config.seed,
        data_seed=config.seed,
        bf16=precision == "bf16",
        fp16=precision == "fp16",
        tf32=True if cuda and torch.cuda.get_device_capability()[0] >= 8 else None,
        batch_sampler=BatchSamplers.NO_DUPLICATES,  # PatentclTrainer swaps in the CPC-aware sampler
        eval_strategy="steps" if has_validation else "no",
        eval_steps=config.eval_steps if has_validation else None,
        save_strategy="steps",
        save_steps=config.eval_steps,
        save_total_limit=2,
        logging_steps=max(1, min(50, config.eval_steps)),
        load_best_model_at_end=bool(config.early_stopping or config.keep_best_cpc) and has_validation,
        metric_for_best_model=(
            None if not has_validation else CPC_METRIC if config.keep_best_cpc else "eval_validation_cosine_accuracy"
        ),
        greater_is_better=True,
        dataloader_num_workers=workers,
        dataloader_pin_memory=cuda,
        dataloader_persistent_workers=workers > 0,
        report_to="none",
        disable_tqdm=False,
    )
    # transformers 5 folded warmup_ratio into warmup_steps (a float below 1 is a ratio).
    kwargs["warmup_steps" if int(transformers.__version__.split(".")[0]) >= 5 else "warmup_ratio"] = config.warmup_ratio
    return SentenceTransformerTrainingArguments(**kwargs)


class PatentclTrainer(SentenceTransformerTrainer):
    """The library's trainer with the CPC-aware batch sampler when given a CodeTable. (Through this
    documented override rather than the `batch_sampler` argument: the arguments are pickled into
    every checkpoint, and the table has no place there.)"""

    def __init__(self, *args: Any, cpc_table: CodeTable | None = None, **kwargs: Any):
        self.cpc_table = cpc_table
        super().__init__(*args, **kwargs)

    def get_batch_sampler(self, dataset, batch_size, drop_last, valid_label_columns=None, generator=None, seed=0):
        if self.cpc_table is None:
            return super().get_batch_sampler(dataset, batch_size, drop_last, valid_label_columns, generator, seed)
        return CPCAwareBatchSampler(
            dataset, batch_size, drop_last, valid_label_columns, generator, seed, table=self.cpc_table
        )


class MetricsLog(TrainerCallback):
    """Appends every log and evaluation of the Trainer to a JSON-lines file, with step and time."""

    def __init__(self, path: Path):
        self.path = path

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs and state.is_world_process_zero:
            line = {"step": state.global_step, "epoch": state.epoch, "time": time.time(), **logs}
            with self.path.open("a", encoding="utf-8") as f:
                f.write(json.dumps(line) + "\n")
