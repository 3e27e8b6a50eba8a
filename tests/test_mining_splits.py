"""Stable hashes, seeds and splits: pure functions, checked against their definitions."""

from __future__ import annotations

import hashlib
from collections import Counter

import pytest

from helpers import split_of
from patentcl.mining.splits import RANK_SPACE, Splits, rank_of, shuffle_of
from patentcl.triplets import SPLITS


def test_rank_is_the_first_31_bits_of_a_salted_sha256_of_the_id() -> None:
    for key in ("US11532378B2", "11532378", "G06N3/084", "é"):
        digest = hashlib.sha256(b"patentcl-rank:" + key.encode("utf-8")).digest()
        assert rank_of(key) == int.from_bytes(digest, "big") >> (256 - 31)
        assert 0 <= rank_of(key) < RANK_SPACE


def test_shuffles_are_odd_multipliers_that_differ_by_seed() -> None:
    shuffles = [shuffle_of(seed) for seed in range(200)]
    assert all(s % 2 == 1 and 0 < s < RANK_SPACE for s in shuffles)
    assert len(set(shuffles)) == 200
    # The largest product the queries compute stays a signed 64-bit integer.
    assert (RANK_SPACE - 1) * max(shuffles) + RANK_SPACE < 2**63


def test_split_ranges_tile_the_rank_space_in_order() -> None:
    for splits in (Splits(), Splits(0.7, 0.2, 0.1), Splits(1, 0, 0), Splits(0.5, 0, 0.5)):
        ranges = splits.ranges()
        assert list(ranges) == list(SPLITS)
        bounds = [b for name in SPLITS for b in ranges[name]]
        assert bounds[0] == 0 and bounds[-1] == RANK_SPACE
        assert bounds[1] == bounds[2] and bounds[3] == bounds[4]  # no gap, no overlap
        assert ranges["train"][1] - ranges["train"][0] == pytest.approx(splits.train * RANK_SPACE, abs=1)


def test_splits_follow_the_fractions_and_depend_on_the_id_alone() -> None:
    ids = [f"US{n}B2" for n in range(20_000)]
    # Ids chosen by a plain sha256 of the id (as the quickstart sample is) still spread over splits.
    by_plain_hash = sorted(ids, key=lambda i: hashlib.sha256(i.encode()).hexdigest())[:1000]
    assert Counter(split_of(i) for i in by_plain_hash)["test"] > 60
    counts = Counter(split_of(i) for i in ids)
    assert counts["train"] / len(ids) == pytest.approx(0.8, abs=0.02)
    assert counts["validation"] / len(ids) == pytest.approx(0.1, abs=0.01)
    assert counts["test"] / len(ids) == pytest.approx(0.1, abs=0.01)
    assert all(Splits().of(i) == Splits().of_rank(rank_of(i)) for i in ids[:500])
    moved = [i for i in ids if Splits(0.7, 0.2, 0.1).of(i) != split_of(i)]
    # Growing validation at train's expense only moves train patents into validation.
    assert moved and all(split_of(i) == "train" and Splits(0.7, 0.2, 0.1).of(i) == "validation" for i in moved)


@pytest.mark.parametrize(
    "text, message",
    [
        ("0.8,0.2", "three fractions"),
        ("a,b,c", "three numbers"),
        ("0.8,0.3,0.1", "add up to 1"),
        ("1.2,-0.1,-0.1", ">= 0"),
    ],
)
def test_bad_split_options_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Splits.parse(text)


def test_parsed_splits_equal_constructed_ones() -> None:
    assert Splits.parse("0.7, 0.2, 0.1") == Splits(0.7, 0.2, 0.1)
