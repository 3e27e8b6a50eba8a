"""Which patents a load keeps: date range, patent type, CPC prefixes, a deterministic sample.

Filters select patents; classifications, abstracts and citations follow the patents kept. The
sample is the N patents (among those passing the other filters) with the smallest keyed hash
of their id: the same N for the same inputs and seed, whatever the file order, and a larger N
keeps every patent a smaller one kept.
"""

from __future__ import annotations

import hashlib
import heapq
import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from patentcl.cpc import normalise_prefix
from patentcl.loaders.idset import IdSet

ALL_TYPES = "all"
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class BadValue(ValueError):
    """A field value that does not parse; its message is the reject reason."""


@lru_cache(maxsize=1 << 16)
def parse_date(text: str) -> str:
    """An ISO date `YYYY-MM-DD`, checked to exist on the calendar (2021-13-45 does not)."""
    if not _ISO_DATE.match(text):
        raise BadValue(f"{text!r} is not a date (expected YYYY-MM-DD)")
    try:
        date.fromisoformat(text)
    except ValueError:
        raise BadValue(f"{text!r} is not a valid date") from None
    return text


@dataclass(frozen=True)
class LoadFilter:
    """What to keep. `types=None` keeps every type; dates are inclusive ISO strings."""

    date_from: str | None = None
    date_to: str | None = None
    types: frozenset[str] | None = frozenset({"utility"})
    cpc_prefixes: tuple[str, ...] = ()
    sample: int | None = None
    seed: int = 0

    @classmethod
    def from_options(
        cls,
        *,
        date_from: str | None = None,
        date_to: str | None = None,
        types: str | None = "utility",
        cpc: str | None = None,
        sample: int | None = None,
        seed: int = 0,
    ) -> LoadFilter:
        """Builds a filter from command-line strings; ValueError names the bad option."""
        for name, value in (("--from", date_from), ("--to", date_to)):
            if value is not None:
                try:
                    parse_date(value)
                except BadValue as exc:
                    raise ValueError(f"{name}: {exc}") from None
        if date_from and date_to and date_from > date_to:
            raise ValueError(f"--from {date_from} is after --to {date_to}")
        kinds = None
        if types and types.strip().lower() != ALL_TYPES:
            kinds = frozenset(t.strip().lower() for t in types.split(",") if t.strip())
        prefixes = tuple(sorted({normalise_prefix(p) for p in (cpc or "").split(",") if p.strip()}))
        if sample is not None and sample < 1:
            raise ValueError("--sample must be a positive number of patents")
        return cls(date_from, date_to, kinds, prefixes, sample, seed)

    @property
    def has_dates(self) -> bool:
        return self.date_from is not None or self.date_to is not None

    def keeps(self, patent_type: str | None, patent_date: str | None) -> bool:
        """Type and date tests (CPC prefixes and sampling are decided per id elsewhere)."""
        if self.types is not None and (patent_type or "") not in self.types:
            return False
        if self.has_dates:
            if patent_date is None:
                return False
            if self.date_from is not None and patent_date < self.date_from:
                return False
            if self.date_to is not None and patent_date > self.date_to:
                return False
        return True

    def describe(self) -> dict[str, Any]:
        """Plain values for checkpoints, summaries and manifests."""
        return {
            "from": self.date_from,
            "to": self.date_to,
            "types": sorted(self.types) if self.types is not None else ALL_TYPES,
            "cpc": list(self.cpc_prefixes),
            "sample": self.sample,
            "seed": self.seed,
        }


@dataclass
class Sampler:
    """Keeps the `size` ids with the smallest keyed hash, in one streaming pass."""

    size: int
    seed: int = 0
    _heap: list[tuple[int, str]] = field(default_factory=list)
    _members: set[str] = field(default_factory=set)

    def offer(self, patent_id: str) -> None:
        if patent_id in self._members:
            return
        key = self.seed.to_bytes(8, "big", signed=True)
        rank = -int.from_bytes(hashlib.blake2b(patent_id.encode(), digest_size=8, key=key).digest(), "big")
        if len(self._heap) < self.size:
            heapq.heappush(self._heap, (rank, patent_id))
            self._members.add(patent_id)
        elif rank > self._heap[0][0]:
            _, dropped = heapq.heapreplace(self._heap, (rank, patent_id))
            self._members.discard(dropped)
            self._members.add(patent_id)

    def chosen(self) -> IdSet:
        return IdSet(patent_id for _, patent_id in self._heap)
