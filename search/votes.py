"""CPC codes voted by nearest neighbours: the one rule behind `patentcl suggest-cpc` and the
evaluation's kNN classifier, so the figures in the report are the figures of the command.

Each of the k nearest patents votes for its codes (once per code, at the chosen level) with its
cosine similarity; a code's score is its share of the total vote, in [0, 1]. Neighbours with a
negative similarity do not vote.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Iterable, Literal, Sequence

Level = Literal["subgroup", "main_group", "subclass"]
LEVELS: tuple[str, ...] = ("subgroup", "main_group", "subclass")


def at_level(code: str, level: str) -> str:
    """`G06N3/084` at subgroup, main_group (`G06N3/00`) or subclass (`G06N`) level."""
    if level == "subgroup":
        return code
    if level == "subclass":
        return code[:4]
    if level == "main_group":
        group, sep, _ = code.partition("/")
        return f"{group}/00" if sep else code
    raise ValueError(f"CPC level must be one of {', '.join(LEVELS)}, not {level!r}")


def vote(neighbours: Iterable[tuple[float, Sequence[str]]], level: str = "subgroup") -> dict[str, float]:
    """Code -> similarity-weighted share of the neighbours' votes, highest first."""
    totals: dict[str, float] = defaultdict(float)
    weight = 0.0
    for similarity, codes in neighbours:
        if similarity <= 0:
            continue
        weight += similarity
        for code in {at_level(c, level) for c in codes}:
            totals[code] += similarity
    if weight == 0:
        return {}
    return dict(sorted(((c, s / weight) for c, s in totals.items()), key=lambda item: (-item[1], item[0])))


def predict(scores: dict[str, float], threshold: float) -> list[str]:
    """The codes whose vote share reaches the threshold; the single best code when none does,
    since every patent has at least one code."""
    chosen = [code for code, score in scores.items() if score >= threshold]
    return chosen or list(scores)[:1]
