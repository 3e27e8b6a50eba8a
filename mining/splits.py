"""Stable hashes of patents and the train/validation/test split they define.

Every patent gets a rank: the first 31 bits of sha256("patentcl-rank:" + key), where the key is its
family key (patentcl.families: the smallest id among the patents sharing its normalised abstract,
its own id when it has no twin). Mining stores it on the node (`Patent.rank`), orders every
random-like choice by it, and splits patents (never triplets) by it: a split is a range of ranks,
so a patent's split depends on its family key and the fractions alone, a family is never split,
the split is the same for every strategy and seed, and anyone can recompute it with
`Splits.of(family key)`.

31 bits keep `rank * multiplier` inside a signed 64-bit integer for the seeded orderings the
queries compute, `(rank * shuffle + salt) mod 2^31`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

RANK_SPACE = 2**31


# The hash is salted: data sets are often sampled by a plain hash of the id (the quickstart
# sample is the 3,000 ids with the smallest sha256), and an unsalted rank would then put a whole
# sample at one end of the rank space, in one split.
_SALT = b"patentcl-rank:"


def rank_of(key: str) -> int:
    """The stable hash of a patent id (or CPC code): an integer in [0, 2^31)."""
    return int.from_bytes(hashlib.sha256(_SALT + key.encode("utf-8")).digest()[:4], "big") >> 1


def shuffle_of(seed: int) -> int:
    """The odd multiplier below 2^31 a seed stands for in the mining queries.

    Multiplying by an odd number modulo 2^31 permutes the ranks, so each seed orders patents
    differently while the order stays a pure function of stored ranks.
    """
    digest = hashlib.sha256(f"patentcl-mining-seed:{seed}".encode()).digest()
    return (int.from_bytes(digest[:4], "big") % RANK_SPACE) | 1


@dataclass(frozen=True)
class Splits:
    """Fractions of patents in train, validation and test; each split a half-open rank range."""

    train: float = 0.8
    validation: float = 0.1
    test: float = 0.1

    def __post_init__(self) -> None:
        values = (self.train, self.validation, self.test)
        if any(v < 0 for v in values) or abs(sum(values) - 1.0) > 1e-9:
            raise ValueError(f"split fractions must be >= 0 and add up to 1, not {','.join(map(str, values))}")

    @classmethod
    def parse(cls, text: str) -> Splits:
        """`0.8,0.1,0.1` (train, validation, test)."""
        parts = [p.strip() for p in text.split(",")]
        if len(parts) != 3:
            raise ValueError(f"--split takes three fractions TRAIN,VALIDATION,TEST, not {text!r}")
        try:
            values = [float(p) for p in parts]
        except ValueError:
            raise ValueError(f"--split takes three numbers TRAIN,VALIDATION,TEST, not {text!r}") from None
        return cls(*values)

    def ranges(self) -> dict[str, tuple[int, int]]:
        """Each split's ranks as [lo, hi); the three cover [0, 2^31) without overlap."""
        first = round(self.train * RANK_SPACE)
        second = round((self.train + self.validation) * RANK_SPACE)
        return {"train": (0, first), "validation": (first, second), "test": (second, RANK_SPACE)}

    def of_rank(self, rank: int) -> str:
        for name, (lo, hi) in self.ranges().items():
            if lo <= rank < hi:
                return name
        raise ValueError(f"rank {rank} is outside [0, 2^31)")

    def of(self, key: str) -> str:
        """The split of a family key (mining puts every member of the family there); a patent
        with no twin is its own family, keyed by its id."""
        return self.of_rank(rank_of(key))

    def as_dict(self) -> dict[str, object]:
        return {
            "fractions": {"train": self.train, "validation": self.validation, "test": self.test},
            "rank_ranges": {name: list(bounds) for name, bounds in self.ranges().items()},
            "rank": "first 31 bits of sha256('patentcl-rank:' + family key), big-endian "
            "(patentcl.mining.splits.rank_of); family key: the smallest patent id of the family "
            "(patentcl.families)",
        }
