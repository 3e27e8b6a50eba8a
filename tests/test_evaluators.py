"""The metrics as sentence-transformers evaluators: numbers by hand, and the evaluation report's
figures equal to the evaluator's."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sentence_transformers import SentenceTransformer

from helpers import SAMPLE_CSV
from patentcl.cpc import SUBGROUP
from patentcl.evaluation.protocols import published_protocol
from patentcl.evaluation.report import EvaluationPlan, evaluate
from patentcl.evaluators.cpc_knn import CpcKnnEvaluator, OperatingPoint
from patentcl.evaluators.retrieval import RetrievalEvaluator

# One reference per topic and one between them.
REFERENCES = np.array([[1, 0], [0, 1], [0.8, 0.6]], dtype=np.float32)
REFERENCE_CODES = [["A01B1/02"], ["H04L9/32"], ["A01B1/04", "H04L9/32"]]
QUERIES = np.array([[1, 0], [0, 1]], dtype=np.float32)
QUERY_CODES = [["A01B1/02"], ["H04L9/30"]]


def _evaluator(**options) -> CpcKnnEvaluator:
    return CpcKnnEvaluator(["r0", "r1", "r2"], REFERENCE_CODES, ["q0", "q1"], QUERY_CODES, **options)


def test_cpc_knn_metrics_by_hand_at_a_fixed_point() -> None:
    # k=3, threshold 0.4. q0: sims 1.0 (r0), 0.8 (r2), 0 (r1, no vote): shares A01B1/02 1/1.8, A01B1/04 and
    # H04L9/32 0.8/1.8 = 0.44 -> all three predicted (tp 1, fp 2). q1: r1 1.0, r2 0.6: H04L9/32 1.6/1.6,
    # A01B1/04 0.375 -> H04L9/32 only (fp 1; its H04L9/30 is missed: fn 1).
    metrics = _evaluator(point=OperatingPoint(3, 0.4, 0, 0)).compute_metrics(QUERIES, REFERENCES)
    assert metrics["subgroup_micro_precision"] == pytest.approx(1 / 4)
    assert metrics["subgroup_micro_recall"] == pytest.approx(1 / 2)
    assert metrics["subgroup_micro_f1"] == pytest.approx(2 * 1 / (2 * 1 + 3 + 1))
    assert metrics["subgroup_macro_f1"] == pytest.approx((1.0 + 0.0) / 2)  # the true codes: A01B1/02 F1 1, H04L9/30 0
    # At main group: q0 predicts A01B1/00 (1.8/1.8) and H04L9/00 (0.44): tp 1, fp 1; q1 predicts H04L9/00
    # (1.0) and A01B1/00 (0.375 < 0.4: not): tp 1.
    assert metrics["main_group_micro_precision"] == pytest.approx(2 / 3)
    assert metrics["main_group_micro_recall"] == pytest.approx(1.0)
    assert (metrics["subgroup_k"], metrics["subgroup_threshold"]) == (3.0, 0.4)


def test_cpc_knn_chooses_the_operating_point_per_level() -> None:
    metrics = _evaluator(ks=(1, 3), thresholds=(0.4, 0.95)).compute_metrics(QUERIES, REFERENCES)
    # k=1 predicts each query's own cluster code: subgroup q0 right, q1 wrong (H04L9/32 for H04L9/30).
    assert metrics["subgroup_micro_f1"] == pytest.approx(0.5)
    assert (metrics["subgroup_k"], metrics["subgroup_threshold"]) == (1.0, 0.95)  # ties: smaller k, higher threshold
    assert metrics["main_group_micro_f1"] == metrics["subclass_micro_f1"] == pytest.approx(1.0)


def test_cpc_knn_evaluator_as_sentence_transformers_calls_it(minilm_path: str) -> None:
    model = SentenceTransformer(minilm_path, device="cpu")
    texts = ["a plough for soil", "a cryptographic key exchange", "a soil plough with encrypted control"]
    evaluator = CpcKnnEvaluator(
        texts,
        REFERENCE_CODES,
        ["soil tilling plough", "public key encryption"],
        QUERY_CODES,
        name="dev",
        point=OperatingPoint(1, 0.5, 0, 0),
    )
    metrics = evaluator(model)
    assert evaluator.primary_metric == "dev_subgroup_micro_f1" and evaluator.greater_is_better
    assert metrics == pytest.approx(
        {f"dev_{k}": v for k, v in evaluator.compute_metrics(*evaluator.embed(model)).items()}
    )
    assert metrics["dev_main_group_micro_f1"] == pytest.approx(1.0)  # each query's nearest text is its own topic


def test_cpc_knn_evaluator_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="one code list per text"):
        CpcKnnEvaluator(["r"], [], ["q"], [["A01B1/02"]])
    with pytest.raises(ValueError, match="CPC level must be one of"):
        _evaluator(levels=("group",))


def test_retrieval_evaluator_skips_the_query_itself() -> None:
    vectors = np.array([[1, 0], [0.9, 0.436], [0, 1]], dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    evaluator = RetrievalEvaluator({"0": ""}, {"0": "", "1": "", "2": ""}, {"0": {"2"}}, k=10)
    scores = evaluator.scores(vectors[:1], vectors)
    # Ranking without itself: 1, 2 -> the relevant patent at rank 2.
    assert scores["map@k"][10] == pytest.approx(1 / 2)
    assert scores["ndcg@k"][10] == pytest.approx(1 / np.log2(3))
    assert scores["mrr@k"][10] == pytest.approx(1 / 2)


def test_retrieval_evaluator_as_sentence_transformers_calls_it(minilm_path: str) -> None:
    model = SentenceTransformer(minilm_path, device="cpu")
    corpus = {"a": "a plough for soil", "b": "a soil tilling plough", "c": "public key encryption"}
    evaluator = RetrievalEvaluator({"a": corpus["a"]}, corpus, {"a": {"b"}}, k=2, name="dev")
    metrics = evaluator(model)
    assert evaluator.primary_metric == "dev_cosine_ndcg@2"
    assert metrics["dev_cosine_map@2"] == pytest.approx(1.0)  # b is a's nearest once a itself is skipped


def test_report_figures_are_the_evaluators(minilm_path: str, tmp_path: Path) -> None:
    plan = EvaluationPlan(
        {"base": minilm_path},
        [SAMPLE_CSV],
        tmp_path / "report",
        max_rows=300,
        retrieval_queries=None,
        triplet_limit=0,
        max_seq_length=32,
    )
    report = evaluate(plan).report
    assert json.loads((tmp_path / "report" / "report.json").read_text())["models"]["base"]["cpc"]
    cpc = report["models"]["base"]["cpc"]["published"]
    point = cpc["operating_point"]
    protocol = published_protocol([SAMPLE_CSV], max_rows=300, seed=plan.seed)
    model = SentenceTransformer(minilm_path, device="cpu")
    model.max_seq_length = 32
    evaluator = CpcKnnEvaluator(
        list(protocol.train["abstract"]),
        list(protocol.train["codes"]),
        list(protocol.test["abstract"]),
        list(protocol.test["codes"]),
        labels=protocol.labels,
        levels=(SUBGROUP,),
        point=OperatingPoint(point["k"], point["threshold"], 0, 0),
        batch_size=plan.batch_size,
    )
    metrics = evaluator(model)
    assert cpc["all"]["micro_f1"] == pytest.approx(metrics["subgroup_micro_f1"], abs=1e-6)
    assert cpc["all"]["macro_f1"] == pytest.approx(metrics["subgroup_macro_f1"], abs=1e-6)
