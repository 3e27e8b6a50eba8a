"""CPC prediction by nearest neighbours in an embedding space, scored by micro- and macro-F1.

A query's k nearest reference patents vote for their codes (`patentcl.evaluators.votes`, the rule
`patentcl suggest-cpc` uses); codes whose vote share reaches a threshold are predicted. k and the
threshold (the operating point) are chosen on validation rows, never on test rows, by micro-F1.

`CpcKnnEvaluator` is the sentence-transformers evaluator over these functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from sentence_transformers import SentenceTransformer
from sentence_transformers.base.evaluation import BaseEvaluator

from patentcl.cpc import LEVELS, SUBGROUP, CpcError, at_level
from patentcl.evaluators.votes import VOTE_LEVELS, predict, vote

if TYPE_CHECKING:
    from sentence_transformers.base.model import BaseModel

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
        scores = torch.from_numpy(np.ascontiguousarray(queries[start : start + block], dtype=np.float32)) @ corpus_t.T
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
    """(micro-F1, macro-F1) of multi-hot matrices."""
    scores = classification_scores(y_true, y_pred)
    return scores["micro_f1"], scores["macro_f1"]


def classification_scores(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """Micro precision, recall and F1, and macro-F1, of multi-hot matrices. The macro mean runs over
    the labels that occur in `y_true` (scikit-learn's f1_score with labels=those): on a small test
    subset, labels with no test row would otherwise each add a 0 that says nothing about the model."""
    y_true, y_pred = y_true.astype(bool), y_pred.astype(bool)
    tp = (y_true & y_pred).sum(axis=0).astype(float)
    fp = (~y_true & y_pred).sum(axis=0).astype(float)
    fn = (y_true & ~y_pred).sum(axis=0).astype(float)
    denominator = 2 * tp.sum() + fp.sum() + fn.sum()
    supported = (tp + fn) > 0
    per_label = 2 * tp[supported] / (2 * tp[supported] + fp[supported] + fn[supported])
    return {
        "micro_precision": float(tp.sum() / (tp.sum() + fp.sum())) if tp.sum() + fp.sum() else 0.0,
        "micro_recall": float(tp.sum() / (tp.sum() + fn.sum())) if tp.sum() + fn.sum() else 0.0,
        "micro_f1": float(2 * tp.sum() / denominator) if denominator else 0.0,
        "macro_f1": float(per_label.mean()) if supported.any() else 0.0,
    }


def vote_scores(
    sims: np.ndarray,
    idx: np.ndarray,
    train_codes: Sequence[Sequence[str]],
    k: int,
    labels: Sequence[str],
    level: str = SUBGROUP,
) -> list[dict[str, float]]:
    """Per query, the vote shares of its k nearest training rows at `level` (codes outside
    `labels` dropped)."""
    keep = set(labels)
    return [
        {
            c: s
            for c, s in vote(zip(row_sims[:k].tolist(), (train_codes[j] for j in row_idx[:k])), level).items()
            if c in keep
        }
        for row_sims, row_idx in zip(sims, idx)
    ]


def predictions(scores: list[dict[str, float]], threshold: float) -> list[list[str]]:
    return [predict(s, threshold) for s in scores]


def choose_operating_point(
    sims: np.ndarray,
    idx: np.ndarray,
    train_codes: Sequence[Sequence[str]],
    truth: Sequence[Sequence[str]],
    labels: Sequence[str],
    *,
    ks: Sequence[int] = KS,
    thresholds: Sequence[float] = THRESHOLDS,
    level: str = SUBGROUP,
) -> OperatingPoint:
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


def predicted_matrix(
    sims: np.ndarray,
    idx: np.ndarray,
    train_codes: Sequence[Sequence[str]],
    labels: Sequence[str],
    point: OperatingPoint,
    level: str = SUBGROUP,
) -> np.ndarray:
    """Multi-hot kNN predictions at `point`, one row per query."""
    scores = vote_scores(sims, idx, train_codes, point.k, labels, level)
    return label_matrix(predictions(scores, point.threshold), labels)


def evaluate(
    sims: np.ndarray,
    idx: np.ndarray,
    train_codes: Sequence[Sequence[str]],
    truth: Sequence[Sequence[str]],
    labels: Sequence[str],
    point: OperatingPoint,
) -> tuple[float, float]:
    """(micro-F1, macro-F1) of the kNN predictions at `point`."""
    return f1_scores(label_matrix(truth, labels), predicted_matrix(sims, idx, train_codes, labels, point))


def paired_bootstrap(
    y_true: np.ndarray,
    base: np.ndarray,
    other: np.ndarray,
    *,
    resamples: int = 1000,
    seed: int = 42,
    level: float = 0.95,
) -> dict[str, tuple[float, float]]:
    """Percentile intervals of micro- and macro-F1(`other`) - F1(`base`) over the rows resampled
    with replacement, the same rows for both models (a paired bootstrap): how far a margin could
    move on another draw of test rows of the same kind."""
    weights = (
        np.random.default_rng(seed)
        .multinomial(len(y_true), np.full(len(y_true), 1.0 / len(y_true)), size=resamples)
        .astype(np.float32)
    )
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
    return {
        metric: (
            float(np.percentile(f1[1][metric] - f1[0][metric], tail)),
            float(np.percentile(f1[1][metric] - f1[0][metric], 100 - tail)),
        )
        for metric in ("micro_f1", "macro_f1")
    }


class CpcKnnEvaluator(BaseEvaluator):
    """CPC prediction by a vote of nearest neighbours, scored per CPC level.

    Each query text's nearest reference texts (cosine similarity of normalised embeddings) vote
    for their codes (`patentcl.evaluators.votes.vote`), and the codes whose vote share reaches the
    threshold are predicted; precision, recall and F1 are micro-averaged over every (query, code)
    pair, and macro-F1 averages over the codes the queries hold. With `point` the vote uses that
    k and threshold; without it, each level takes the best (k, threshold) of the grid on these very
    queries, which suits validation rows (choosing a checkpoint, or the operating point for test
    rows), never test rows.

    Args:
        reference_texts: the texts whose codes are known to the classifier (training patents).
        reference_codes: the CPC codes of each reference text, at subgroup level.
        query_texts: the texts whose codes are predicted (validation or test patents).
        query_codes: the true CPC codes of each query text, at subgroup level.
        labels: the codes that count (others are ignored in truth and votes); None: every code of
            the references and queries.
        levels: the CPC levels to score at (`patentcl.cpc` level names); the first one's micro-F1
            is the primary metric.
        point: a fixed operating point (k, threshold); None chooses one per level and call.
        ks, thresholds: the grid the operating point is chosen from.
        name: prefix of the metric names (as the library's evaluators).
        batch_size: texts per forward pass.
        show_progress_bar: show the encoding progress.

    Metrics, per level: `{level}_micro_f1` (primary for the first level), `{level}_micro_precision`,
    `{level}_micro_recall`, `{level}_macro_f1`, and the operating point `{level}_k`,
    `{level}_threshold`.
    """

    def __init__(
        self,
        reference_texts: Sequence[str],
        reference_codes: Sequence[Sequence[str]],
        query_texts: Sequence[str],
        query_codes: Sequence[Sequence[str]],
        *,
        labels: Sequence[str] | None = None,
        levels: Sequence[str] = VOTE_LEVELS,
        point: OperatingPoint | None = None,
        ks: Sequence[int] = KS,
        thresholds: Sequence[float] = THRESHOLDS,
        name: str = "",
        batch_size: int = 32,
        show_progress_bar: bool = False,
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # BaseEvaluator.__init__ has no annotations
        if len(reference_texts) != len(reference_codes) or len(query_texts) != len(query_codes):
            raise ValueError("one code list per text: the references' or the queries' counts differ")
        if not reference_texts or not query_texts or not levels:
            raise ValueError("the CPC kNN evaluation needs references, queries and at least one level")
        unknown = [level for level in levels if level not in LEVELS]
        if unknown:
            raise CpcError(f"CPC level must be one of {', '.join(LEVELS)}, not {unknown[0]!r}")
        self.reference_texts = list(reference_texts)
        self.reference_codes = [list(codes) for codes in reference_codes]
        self.query_texts = list(query_texts)
        self.query_codes = [list(codes) for codes in query_codes]
        counted = (
            labels if labels is not None else {c for codes in (*self.reference_codes, *self.query_codes) for c in codes}
        )
        self.levels = tuple(levels)
        self.labels = {level: sorted({at_level(c, level) for c in counted}) for level in self.levels}
        self.point = point
        self.ks, self.thresholds = tuple(ks), tuple(thresholds)
        self.name = name
        self.batch_size = batch_size
        self.show_progress_bar = show_progress_bar
        self.primary_metric = f"{self.levels[0]}_micro_f1"

    def __call__(
        self, model: BaseModel, output_path: str | None = None, epoch: int = -1, steps: int = -1
    ) -> dict[str, float]:
        if not isinstance(model, SentenceTransformer):
            raise TypeError(f"the CPC kNN evaluation embeds texts, which a {type(model).__name__} does not")
        metrics = self.compute_metrics(*self.embed(model))
        metrics = self.prefix_name_to_metrics(metrics, self.name)
        self.store_metrics_in_model_card_data(model, metrics, epoch, steps)
        return metrics

    def embed(self, model: SentenceTransformer) -> tuple[np.ndarray, np.ndarray]:
        """Normalised float32 embeddings of the queries and of the references."""

        return (
            unit_embeddings(model, self.query_texts, self.batch_size, self.show_progress_bar),
            unit_embeddings(model, self.reference_texts, self.batch_size, self.show_progress_bar),
        )

    def predictions(
        self, query_embeddings: np.ndarray, reference_embeddings: np.ndarray
    ) -> dict[str, tuple[OperatingPoint, np.ndarray, np.ndarray]]:
        """Per level: the operating point (with its F1 on these queries when chosen here), and the
        true and predicted multi-hot matrices over the level's labels, one row per query."""
        sims, idx = nearest(query_embeddings, reference_embeddings, self.point.k if self.point else max(self.ks))
        found = {}
        for level in self.levels:
            labels = self.labels[level]
            truth = [[at_level(c, level) for c in codes] for codes in self.query_codes]
            point = self.point or choose_operating_point(
                sims, idx, self.reference_codes, truth, labels, ks=self.ks, thresholds=self.thresholds, level=level
            )
            found[level] = (
                point,
                label_matrix(truth, labels),
                predicted_matrix(sims, idx, self.reference_codes, labels, point, level),
            )
        return found

    def compute_metrics(self, query_embeddings: np.ndarray, reference_embeddings: np.ndarray) -> dict[str, float]:
        """The metrics (without the name prefix) from embeddings made elsewhere, e.g. a cache."""
        metrics: dict[str, float] = {}
        for level, (point, truth, predicted) in self.predictions(query_embeddings, reference_embeddings).items():
            metrics.update({f"{level}_{key}": value for key, value in classification_scores(truth, predicted).items()})
            metrics[f"{level}_k"] = float(point.k)
            metrics[f"{level}_threshold"] = float(point.threshold)
        return metrics

    def get_config_dict(self) -> dict[str, Any]:
        config: dict[str, Any] = {"levels": list(self.levels)}
        if self.point is not None:
            config.update(k=self.point.k, threshold=self.point.threshold)
        return config


def unit_embeddings(
    model: SentenceTransformer, texts: Sequence[Any], batch_size: int, show_progress_bar: bool = False
) -> np.ndarray:
    """Normalised float32 embeddings of `texts`, as every evaluator here compares them (cosine =
    dot product)."""
    vectors = model.encode(
        list(texts),
        batch_size=batch_size,
        convert_to_tensor=True,
        normalize_embeddings=True,
        show_progress_bar=show_progress_bar,
    )
    return vectors.float().cpu().numpy()
