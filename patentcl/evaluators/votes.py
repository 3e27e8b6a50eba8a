"""CPC codes voted by nearest neighbours: the one rule behind `patentcl suggest-cpc` and the kNN
classifier of `patentcl.evaluators.cpc_knn`, so the figures in the report are the figures of the
command. Light on imports: the CLI reads `VOTE_LEVELS` for its options.

Each of the k nearest patents votes for its codes (once per code, at the chosen level) with its
cosine similarity; a code's score is its share of the total vote, in [0, 1]. Neighbours with a
negative similarity do not vote.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from patentcl.cpc import MAIN_GROUP, SUBCLASS, SUBGROUP, at_level

# The levels codes are suggested and evaluated at, finest first.
VOTE_LEVELS: tuple[str, ...] = (SUBGROUP, MAIN_GROUP, SUBCLASS)


def vote(neighbours: Iterable[tuple[float, Sequence[str]]], level: str = SUBGROUP) -> dict[str, float]:
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
