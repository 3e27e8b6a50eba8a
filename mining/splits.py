"""Stable hashes of patents and the train/validation/test split they define.

Every patent gets a rank: the first 31 bits of sha256("patentcl-rank:" + id). Mining stores it on the node
(`Patent.rank`), orders every random-like choice by it, and splits patents (never triplets) by
it: a split is a range of ranks, so a patent's split depends on its id and the fractions alone,
is the same for every strategy, seed and graph, and anyone can recompute it with `split_of`.

31 bits keep `rank * multiplier` inside a signed 64-bit integer for the seeded orderings the
queries compute, `(rank * shuffle + salt) mod 2^31`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

RANK_SPACE = 2**31
SPLITS = ("train", "validation", "test")


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
    def parse(cls, text: str) -> "Splits":
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

    def of(self, patent_id: str) -> str:
        """The split of a patent, from its id alone."""
        return self.of_rank(rank_of(patent_id))

    def as_dict(self) -> dict[str, object]:
        return {
            "fractions": {"train": self.train, "validation": self.validation, "test": self.test},
            "rank_ranges": {name: list(bounds) for name, bounds in self.ranges().items()},
            "rank": "first 31 bits of sha256('patentcl-rank:' + patent id), big-endian "
                    "(patentcl.mining.splits.rank_of)",
        }


def split_of(patent_id: str, splits: Splits | None = None) -> str:
    """The split `patentcl mine` puts a patent in (default fractions 0.8, 0.1, 0.1)."""
    return (splits or Splits()).of(patent_id)
