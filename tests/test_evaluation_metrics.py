"""kNN CPC prediction and its F1 scores, against values computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from patentcl.evaluation.triplets import triplet_accuracy
from patentcl.evaluators.cpc_knn import (
    OperatingPoint,
    choose_operating_point,
    evaluate,
    f1_scores,
    label_matrix,
    nearest,
    paired_bootstrap,
)


def test_f1_micro_and_macro_by_hand() -> None:
    labels = ["a", "b", "c"]
    truth = label_matrix([["a", "b"], ["a"], ["c"]], labels)
    pred = label_matrix([["a"], ["a", "c"], ["b"]], labels)
    # a: tp 2; b: fp 1, fn 1; c: fp 1, fn 1  -> micro 2*2 / (2*2 + 2 + 2) = 0.5
    # per label F1: a 1.0, b 0.0, c 0.0 -> macro 1/3
    micro, macro = f1_scores(truth, pred)
    assert micro == pytest.approx(0.5)
    assert macro == pytest.approx(1 / 3)


def test_macro_f1_averages_over_labels_present_in_the_truth() -> None:
    labels = ["a", "b", "z"]
    truth = label_matrix([["a"], ["b"]], labels)
    pred = label_matrix([["a"], ["a", "z"]], labels)
    # a: tp 1 fp 1 -> 2/3; b: fn 1 -> 0; z has no true row: left out of the macro mean
    micro, macro = f1_scores(truth, pred)
    assert macro == pytest.approx((2 / 3 + 0) / 2)
    assert micro == pytest.approx(2 * 1 / (2 * 1 + 2 + 1))


def test_label_matrix_ignores_codes_outside_the_label_set() -> None:
    assert label_matrix([["a", "x"], []], ["a", "b"]).tolist() == [[True, False], [False, False]]


def test_nearest_returns_cosine_order() -> None:
    corpus = np.array([[1, 0], [0, 1], [0.6, 0.8]], dtype=np.float32)
    sims, idx = nearest(np.array([[1, 0]], dtype=np.float32), corpus, 2)
    assert idx.tolist() == [[0, 2]]
    assert sims[0].tolist() == pytest.approx([1.0, 0.6])
    assert nearest(corpus[:1], corpus, 10)[1].shape == (1, 3)  # k is capped at the corpus size


def test_knn_prediction_and_operating_point() -> None:
    # Two clusters; each train row is labelled by its cluster, one row of cluster x also has "y".
    train = np.array([[1, 0], [0.99, 0.14], [0.98, 0.2], [0, 1], [0.1, 0.99]], dtype=np.float32)
    train /= np.linalg.norm(train, axis=1, keepdims=True)
    train_codes = [["x"], ["x"], ["x", "y"], ["y"], ["y"]]
    queries = np.array([[1, 0.05], [0.05, 1]], dtype=np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    truth = [["x"], ["y"]]
    sims, idx = nearest(queries, train, 3)
    point = choose_operating_point(sims, idx, train_codes, truth, ["x", "y"], ks=(1, 3), thresholds=(0.2, 0.5, 0.9))
    assert (point.k, point.micro_f1) == (1, 1.0)  # the nearest neighbour alone is right for both
    # With k=3 and a low threshold, the first query also gets "y" (1 of its 3 neighbours has it).
    micro, _ = evaluate(sims, idx, train_codes, truth, ["x", "y"], OperatingPoint(3, 0.2, 0, 0))
    assert micro == pytest.approx(2 * 2 / (2 * 2 + 1))


def _noisy(truth: np.ndarray, flip: float, rng: np.random.Generator) -> np.ndarray:
    return truth ^ (rng.random(truth.shape) < flip)


def test_paired_bootstrap_brackets_the_margin_and_tells_noise_from_a_real_gap() -> None:
    rng = np.random.default_rng(0)
    truth = rng.random((800, 20)) < 0.15
    weak, strong, weak_again = _noisy(truth, 0.10, rng), _noisy(truth, 0.05, rng), _noisy(truth, 0.10, rng)

    same = paired_bootstrap(truth, weak, weak)
    assert same == {"micro_f1": (0.0, 0.0), "macro_f1": (0.0, 0.0)}  # one model against itself

    gap = paired_bootstrap(truth, weak, strong)
    for i, metric in enumerate(("micro_f1", "macro_f1")):
        observed = f1_scores(truth, strong)[i] - f1_scores(truth, weak)[i]
        low, high = gap[metric]
        assert 0 < low < observed < high  # half the errors: clearly better on 800 rows

    noise = paired_bootstrap(truth, weak, weak_again)
    for metric in ("micro_f1", "macro_f1"):
        low, high = noise[metric]
        assert low < 0 < high  # two draws of the same error rate cannot be told apart
        assert high - low < 0.1


def test_triplet_accuracy() -> None:
    a = np.array([[1, 0], [1, 0]], dtype=np.float32)
    p = np.array([[0.8, 0.6], [0, 1]], dtype=np.float32)
    n = np.array([[0, 1], [0.6, 0.8]], dtype=np.float32)
    assert triplet_accuracy(a, p, n) == 0.5
