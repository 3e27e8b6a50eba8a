"""The neighbour vote behind suggest-cpc and the evaluation's kNN classifier."""

from __future__ import annotations

import pytest

from patentcl.cpc import at_level
from patentcl.evaluators.votes import predict, vote


@pytest.mark.parametrize(
    "code, level, expected",
    [
        ("G06N3/084", "subgroup", "G06N3/084"),
        ("G06N3/084", "main_group", "G06N3/00"),
        ("G06N3/00", "main_group", "G06N3/00"),
        ("G06N3/084", "subclass", "G06N"),
        ("Y02D10/00", "subclass", "Y02D"),
    ],
)
def test_codes_at_each_level(code: str, level: str, expected: str) -> None:
    assert at_level(code, level) == expected


def test_unknown_level_is_an_error() -> None:
    with pytest.raises(ValueError, match="subclass, main_group, subgroup"):
        at_level("G06N3/084", "group")


def test_vote_shares_are_similarity_weighted_and_count_a_code_once_per_neighbour() -> None:
    scores = vote([(0.8, ["G06N3/084", "G06N3/08"]), (0.2, ["G06N3/08", "G06F16/00"]), (0.5, ["G06N3/084"])])
    # totals: G06N3/084 0.8 + 0.5 = 1.3, G06N3/08 0.8 + 0.2 = 1.0, G06F16/00 0.2; weight 1.5
    assert scores == pytest.approx({"G06N3/084": 1.3 / 1.5, "G06N3/08": 1.0 / 1.5, "G06F16/00": 0.2 / 1.5})
    assert list(scores) == ["G06N3/084", "G06N3/08", "G06F16/00"]
    # At main-group level the two G06N3 codes of the first neighbour are one vote, not two.
    assert vote([(0.8, ["G06N3/084", "G06N3/08"]), (0.2, ["G06F16/22"])], "main_group") == pytest.approx(
        {"G06N3/00": 0.8, "G06F16/00": 0.2}
    )


def test_negative_neighbours_do_not_vote() -> None:
    assert vote([(-0.3, ["A01B1/00"]), (0.6, ["G06N3/08"])]) == {"G06N3/08": 1.0}
    assert vote([(-0.3, ["A01B1/00"])]) == {}


def test_predict_keeps_codes_over_the_threshold_or_the_best_one() -> None:
    scores = {"a": 0.7, "b": 0.5, "c": 0.1}
    assert predict(scores, 0.5) == ["a", "b"]
    assert predict(scores, 0.9) == ["a"]
    assert predict({}, 0.5) == []
