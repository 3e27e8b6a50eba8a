"""`patentcl bench onnx`: what ONNX and int8 cost and gain against the PyTorch model, on patent text.

N abstracts from a CSV are encoded by each backend: PyTorch (the reference), the float ONNX export
and the int8 exports (per-channel and per-tensor weights). For each, against the PyTorch vectors:
  patents/s, speed-up    encode throughput (after a warm-up batch), one process, this CPU
  mean / min cosine      between a patent's vector and its PyTorch vector
  top-10 overlap         shared nearest neighbours (among the N patents, self excluded)
  CPC micro-F1           the kNN (k=5) vote rule of `suggest-cpc` (evaluators.cpc_knn): the first
                         70% of the patents are the corpus, the next 10% choose the vote threshold
                         (on PyTorch vectors, then fixed), the last 20% are scored; subgroup and
                         subclass level; delta in points against PyTorch.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from patentcl.cpc import CpcError, at_level, parse_code_list
from patentcl.encoding import EmbeddingModel, open_model
from patentcl.errors import PatentclError
from patentcl.evaluators.cpc_knn import OperatingPoint, choose_operating_point, evaluate, nearest
from patentcl.onnx_runtime import FLOAT_FILE, ONNX_DIR
from patentcl.trainer.onnx_export import export_model, quant_config

KNN_K = 5
OVERLAP_K = 10
BATCH = 32


def read_patents(csv_path: Path, n: int) -> tuple[list[dict[str, Any]], list[list[str]]]:
    """The first n rows with an abstract and at least one CPC code."""
    frame = pd.read_csv(csv_path, dtype=str, keep_default_na=False, usecols=["title", "abstract", "cpc_codes"])
    rows, codes = [], []
    # A row's number, not its line: abstracts may hold quoted line breaks.
    for row, record in enumerate(frame.to_dict("records"), start=1):
        if not record["abstract"].strip():
            continue
        try:
            parsed = parse_code_list(record["cpc_codes"])
        except CpcError as exc:
            raise PatentclError(f"{csv_path}, row {row}: {exc}") from None
        if parsed:
            rows.append(record)
            codes.append(parsed)
        if len(rows) == n:
            break
    if len(rows) < 50:
        raise PatentclError(f"{csv_path}: {len(rows)} usable rows; the benchmark needs at least 50")
    return rows, codes


def neighbour_overlap(reference: np.ndarray, other: np.ndarray, k: int = OVERLAP_K) -> float:
    """Mean share of each patent's k nearest neighbours (self excluded) that both spaces agree on."""
    _, ref_idx = nearest(reference, reference, k + 1)
    _, oth_idx = nearest(other, other, k + 1)
    shared = [len(set(a[1:]) & set(b[1:])) / k for a, b in zip(ref_idx, oth_idx)]
    return float(np.mean(shared))


def cpc_f1(
    vectors: np.ndarray, codes: Sequence[Sequence[str]], level: str, point: OperatingPoint | None
) -> tuple[float, OperatingPoint]:
    """micro-F1 on the test part at `point` (chosen on the validation part when None)."""
    n = len(vectors)
    corpus, validation = int(n * 0.7), int(n * 0.8)
    # Codes cut to `level` up front, so the subgroup-level vote counts each cut code once.
    cut = [sorted({at_level(c, level) for c in row}) for row in codes]
    labels = sorted({code for row in cut for code in row})
    if point is None:
        sims, idx = nearest(vectors[corpus:validation], vectors[:corpus], KNN_K)
        point = choose_operating_point(sims, idx, cut[:corpus], cut[corpus:validation], labels, ks=(KNN_K,))
    sims, idx = nearest(vectors[validation:], vectors[:corpus], KNN_K)
    return evaluate(sims, idx, cut[:corpus], cut[validation:], labels, point)[0], point


def _encode(model: EmbeddingModel, texts: list[str]) -> tuple[np.ndarray, float]:
    model.encode(texts[:BATCH], batch_size=BATCH)  # warm-up: session and allocator set-up
    started = time.perf_counter()
    vectors = model.encode(texts, batch_size=BATCH)
    return vectors, time.perf_counter() - started


def run_benchmark(
    model_path: Path, csv_path: Path, n: int, *, preset: str | None = None, max_seq_length: int | None = None
) -> list[dict[str, Any]]:
    rows, codes = read_patents(csv_path, n)
    folder = Path(model_path)
    variants: list[tuple[str, str, str | None]] = [("torch", "torch", None), ("onnx float32", "onnx", FLOAT_FILE)]
    for per_channel in (True, False):
        config = quant_config(preset, per_channel=per_channel)
        if not (folder / ONNX_DIR / config.file_name).is_file() or not (folder / ONNX_DIR / FLOAT_FILE).is_file():
            export_model(folder, quantize="int8", preset=config.name, per_channel=per_channel)
        variants.append(
            (f"onnx int8 {config.name} {'per-channel' if per_channel else 'per-tensor'}", "onnx", config.file_name)
        )

    texts: list[str] = []
    results: list[dict[str, Any]] = []
    reference: np.ndarray | None = None
    base_rate = 0.0
    points: dict[str, OperatingPoint] = {}
    base_f1: dict[str, float] = {}
    for label, backend, file_name in variants:
        model = open_model(
            str(folder), backend=backend, onnx_file=file_name, max_seq_length=max_seq_length, device="cpu"
        )
        texts = texts or model.texts(rows)  # the text format the model was trained on
        vectors, seconds = _encode(model, texts)
        rate = len(texts) / seconds
        if reference is None:
            reference, base_rate = vectors, rate
        cosines = (vectors * reference).sum(axis=1)
        row: dict[str, Any] = {
            "backend": label,
            "patents_per_s": round(rate, 1),
            "speed_up": round(rate / base_rate, 2),
            "mean_cosine": round(float(cosines.mean()), 4),
            "min_cosine": round(float(cosines.min()), 4),
            "top10_overlap": round(neighbour_overlap(reference, vectors), 3),
        }
        for level in ("subgroup", "subclass"):
            f1, points[level] = cpc_f1(vectors, codes, level, points.get(level))
            base_f1.setdefault(level, f1)
            row[f"micro_f1_{level}"] = round(f1, 4)
            row[f"delta_points_{level}"] = round(100 * (f1 - base_f1[level]), 2)
        results.append(row)
    return results
