"""CPC prediction by nearest neighbours in an embedding space, scored by micro- and macro-F1.

A test abstract's k nearest training abstracts vote for their codes (`patentcl.search.votes`, the
rule `patentcl suggest-cpc` uses); codes whose vote share reaches a threshold are predicted. k and
the threshold are chosen per model on a validation part of the training rows (never on the test
rows), by micro-F1.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Sequence

import numpy as np

from patentcl.search.votes import predict, vote

KS: tuple[int, ...] = (1, 3, 5, 10, 20, 30, 50)
THRESHOLDS: tuple[float, ...] = tuple(round(t, 2) for t in np.arange(0.05, 0.96, 0.05))


@dataclass(frozen=True)
class OperatingPoint:
    k: int
    threshold: float
    micro_f1: float
    macro_f1: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def nearest(queries: np.ndarray, corpus: np.ndarray, k: int, *, block: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """Cosine similarities and indices of each query's k nearest corpus rows (normalised vectors),
    nearest first."""
    import torch

    k = min(k, len(corpus))
    corpus_t = torch.from_numpy(np.ascontiguousarray(corpus, dtype=np.float32))
    sims, idx = [], []
    for start in range(0, len(queries), block):
        scores = torch.from_numpy(np.ascontiguousarray(queries[start:start + block], dtype=np.float32)) @ corpus_t.T
        top = torch.topk(scores, k, dim=1)
        sims.append(top.values.numpy())
        idx.append(top.indices.numpy())
    if not sims:
        return np.zeros((0, k), np.float32), np.zeros((0, k), np.int64)
    return np.concatenate(sims), np.concatenate(idx)


def label_matrix(code_lists: Sequence[Sequence[str]], labels: Sequence[str]) -> np.ndarray:
    """Multi-hot rows over `labels`; codes outside the label set are ignored."""
    column = {code: j for j, code in enumerate(labels)}
    matrix = np.zeros((len(code_lists), len(labels)), dtype=bool)
    for i, codes in enumerate(code_lists):
        for code in codes:
            j = column.get(code)
            if j is not None:
                matrix[i, j] = True
    return matrix


def f1_scores(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[float, float]:
    """(micro-F1, macro-F1) of multi-hot matrices. The macro mean runs over the labels that occur in
    `y_true` (scikit-learn's f1_score with labels=those): on a small test subset, labels with no
    test row would otherwise each add a 0 that says nothing about the model."""
    y_true, y_pred = y_true.astype(bool), y_pred.astype(bool)
    tp = (y_true & y_pred).sum(axis=0).astype(float)
    fp = (~y_true & y_pred).sum(axis=0).astype(float)
    fn = (y_true & ~y_pred).sum(axis=0).astype(float)
    denominator = 2 * tp.sum() + fp.sum() + fn.sum()
    micro = float(2 * tp.sum() / denominator) if denominator else 0.0
    supported = (tp + fn) > 0
    per_label = 2 * tp[supported] / (2 * tp[supported] + fp[supported] + fn[supported])
    return micro, float(per_label.mean()) if supported.any() else 0.0


def vote_scores(sims: np.ndarray, idx: np.ndarray, train_codes: Sequence[Sequence[str]], k: int,
                labels: Sequence[str], level: str = "subgroup") -> list[dict[str, float]]:
    """Per query, the vote shares of its k nearest training rows at `level` (codes outside
    `labels` dropped)."""
    keep = set(labels)
    return [
        {c: s for c, s in vote(zip(row_sims[:k].tolist(), (train_codes[j] for j in row_idx[:k])), level).items()
         if c in keep}
        for row_sims, row_idx in zip(sims, idx)
    ]


def predictions(scores: list[dict[str, float]], threshold: float) -> list[list[str]]:
    return [predict(s, threshold) for s in scores]


def choose_operating_point(sims: np.ndarray, idx: np.ndarray, train_codes: Sequence[Sequence[str]],
                           truth: Sequence[Sequence[str]], labels: Sequence[str], *, ks: Sequence[int] = KS,
                           thresholds: Sequence[float] = THRESHOLDS, level: str = "subgroup") -> OperatingPoint:
    """The (k, threshold) with the best micro-F1 on validation rows (ties: smaller k, higher
    threshold). `truth` and `labels` are codes at `level`."""
    y_true = label_matrix(truth, labels)
    best: OperatingPoint | None = None
    for k in sorted(k for k in ks if k <= sims.shape[1]):
        scores = vote_scores(sims, idx, train_codes, k, labels, level)
        for threshold in sorted(thresholds, reverse=True):
            micro, macro = f1_scores(y_true, label_matrix(predictions(scores, threshold), labels))
            if best is None or micro > best.micro_f1:
                best = OperatingPoint(k, float(threshold), micro, macro)
    if best is None:
        raise ValueError("no k to try: the training rows are fewer than the smallest k")
    return best


def predicted_matrix(sims: np.ndarray, idx: np.ndarray, train_codes: Sequence[Sequence[str]],
                     labels: Sequence[str], point: OperatingPoint) -> np.ndarray:
    """Multi-hot kNN predictions at `point`, one row per query."""
    scores = vote_scores(sims, idx, train_codes, point.k, labels)
    return label_matrix(predictions(scores, point.threshold), labels)


def evaluate(sims: np.ndarray, idx: np.ndarray, train_codes: Sequence[Sequence[str]],
             truth: Sequence[Sequence[str]], labels: Sequence[str], point: OperatingPoint) -> tuple[float, float]:
    """(micro-F1, macro-F1) of the kNN predictions at `point`."""
    return f1_scores(label_matrix(truth, labels), predicted_matrix(sims, idx, train_codes, labels, point))


def paired_bootstrap(y_true: np.ndarray, base: np.ndarray, other: np.ndarray, *, resamples: int = 1000,
                     seed: int = 42, level: float = 0.95) -> dict[str, tuple[float, float]]:
    """Percentile intervals of micro- and macro-F1(`other`) - F1(`base`) over the rows resampled
    with replacement, the same rows for both models (a paired bootstrap): how far a margin could
    move on another draw of test rows of the same kind."""
    weights = np.random.default_rng(seed).multinomial(
        len(y_true), np.full(len(y_true), 1.0 / len(y_true)), size=resamples).astype(np.float32)
    truth = y_true.astype(bool)
    support = weights @ truth.astype(np.float32)  # tp + fn per resample and label
    f1 = []
    for pred in (base.astype(bool), other.astype(bool)):
        tp = weights @ (truth & pred).astype(np.float32)
        fp = weights @ (~truth & pred).astype(np.float32)
        micro = 2 * tp.sum(1) / np.maximum(tp.sum(1) + fp.sum(1) + support.sum(1), 1e-9)
        per_label = np.where(support > 0, 2 * tp / np.maximum(tp + fp + support, 1e-9), np.nan)
        f1.append({"micro_f1": micro, "macro_f1": np.nanmean(per_label, axis=1)})
    tail = (1 - level) / 2 * 100
    return {metric: (float(np.percentile(f1[1][metric] - f1[0][metric], tail)),
                     float(np.percentile(f1[1][metric] - f1[0][metric], 100 - tail)))
            for metric in ("micro_f1", "macro_f1")}
