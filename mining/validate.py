"""Checks every mined triplet against the graph itself before it is written.

The facts come from the graph's classifications, citations and CPC hierarchy (not from the
mining index the queries read), and splits are recomputed from the patents' family keys (hashed
here, not read as stored ranks), so a stale index or a wrong query cannot pass its own test. A
triplet failing a check is not written; the reason is counted.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from patentcl.cpc import MAIN_GROUP, SUBCLASS
from patentcl.graph import GraphStore
from patentcl.mining.splits import Splits
from patentcl.mining.strategies import Strategy

REASONS = (
    "missing_patent",  # a patent of the triplet is not in the graph
    "not_distinct",  # anchor, positive and negative are not three different patents
    "no_text",  # a patent has neither title nor abstract
    "split_mismatch",  # the three patents' families are not all in the same split
    "positive_code",  # the positive does not share the stated code with the anchor
    "positive_not_cited",  # (cited-shared-cpc) the anchor does not cite the positive
    "negative_shares_code",  # the negative is classified at one of the anchor's codes
    "negative_shares_main_group",  # the negative shares a main group with the anchor
    "negative_linked",  # the negative cites or is cited by the anchor
    "negative_outside_area",  # (cpc-hierarchy) the negative is not in the shared code's subclass/class
    "positive_outside_band",  # (graph-neighbours) the positive is not a GRAPH_NEIGHBOUR of the anchor in its band
    "negative_outside_band",  # (graph-neighbours) the negative is not a GRAPH_NEIGHBOUR of the anchor in its band
)


class Hierarchy:
    """Level and ancestors of every CPC code in the graph."""

    def __init__(self, levels: dict[str, str], parents: dict[str, str]):
        self.levels = levels
        self._parents = parents
        self._at: dict[str, dict[str, str | None]] = {}

    @classmethod
    def read(cls, store: GraphStore) -> Hierarchy:
        levels: dict[str, str] = {}
        parents: dict[str, str] = {}
        for row in store.run("mining_cpc_parents"):
            levels[row["code"]] = row["level"]
            if row["parent"] is not None:
                parents[row["code"]] = row["parent"]
        return cls(levels, parents)

    def at_level(self, code: str, level: str) -> str | None:
        """The code itself or its ancestor at `level` (a `patentcl.cpc.LEVELS` entry), read from the
        graph's hierarchy rather than computed from the code's spelling."""
        known = self._at.setdefault(level, {})
        if code not in known:
            seen: set[str] = set()
            node: str | None = code
            while node is not None and node not in seen and self.levels.get(node) != level:
                seen.add(node)  # the guard stops on a (corrupt) cycle
                node = self._parents.get(node)
            known[code] = node if node is not None and self.levels.get(node) == level else None
        return known[code]

    def main_groups(self, codes: Iterable[str]) -> set[str]:
        return {g for g in (self.at_level(c, MAIN_GROUP) for c in codes) if g}

    def areas(self, codes: Iterable[str], level: str) -> set[str]:
        return {a for a in (self.at_level(c, level) for c in codes) if a}


@dataclass(frozen=True)
class PatentFacts:
    id: str
    title: str | None
    abstract: str | None
    codes: frozenset[str]
    family: str  # the family key (Patent.family); a patent without one is its own family
    cites: frozenset[str] = frozenset()  # read for anchors only
    cited_by: frozenset[str] = frozenset()
    # GRAPH_NEIGHBOUR rank by neighbour id, read for anchors of strategies that need it
    neighbour_ranks: Mapping[str, int] = field(default_factory=dict)

    @property
    def has_text(self) -> bool:
        return bool((self.title or "").strip() or (self.abstract or "").strip())


class FactsReader:
    """Reads patent facts batch by batch, keeping recent ones: a patent recurs across a run (as an
    anchor, then as positive or negative of others), and reading its codes again costs more than
    the query that named it. Citations are read for anchors only, each anchor once."""

    def __init__(self, store: GraphStore, capacity: int = 50_000):
        self.store = store
        self.capacity = capacity
        self._known: OrderedDict[str, PatentFacts] = OrderedDict()

    def read(
        self, ids: Iterable[str], anchors: Iterable[str], *, graph_neighbours: bool = False
    ) -> dict[str, PatentFacts]:
        """Texts and codes of `ids`, plus the citations of `anchors` (a subset of them), by id;
        with `graph_neighbours`, the anchors' GRAPH_NEIGHBOUR ranks too."""
        wanted = set(ids)
        missing = sorted(wanted - self._known.keys())
        if missing:
            for row in self.store.run("mining_patent_facts", {"ids": missing}):
                self._known[row["id"]] = PatentFacts(
                    row["id"], row["title"], row["abstract"], frozenset(row["codes"]), row["family"] or row["id"]
                )
        for key in wanted & self._known.keys():
            self._known.move_to_end(key)
        while len(self._known) > self.capacity:
            self._known.popitem(last=False)
        facts = {key: self._known[key] for key in wanted if key in self._known}
        for row in self.store.run("mining_anchor_links", {"ids": sorted(set(anchors) & facts.keys())}):
            facts[row["id"]] = replace(
                facts[row["id"]], cites=frozenset(row["cites"]), cited_by=frozenset(row["cited_by"])
            )
        if graph_neighbours:
            for row in self.store.run("mining_graph_neighbour_ranks", {"ids": sorted(set(anchors) & facts.keys())}):
                facts[row["id"]] = replace(
                    facts[row["id"]],
                    neighbour_ranks={n["id"]: int(n["rank"]) for n in row["neighbours"] if n["rank"] is not None},
                )
        return facts


class Checker:
    """The rules of one run: which strategy, hierarchy, splits and negative area."""

    def __init__(
        self,
        strategy: Strategy,
        hierarchy: Hierarchy,
        splits: Splits,
        negative_level: str = SUBCLASS,
        positive_band: tuple[int, int] = (1, 5),
        negative_band: tuple[int, int] = (20, 50),
    ):
        self.strategy = strategy
        self.positive_band = positive_band
        self.negative_band = negative_band
        self.hierarchy = hierarchy
        self.splits = splits
        self.negative_level = negative_level
        self._groups: dict[str, set[str]] = {}  # main groups by patent id: a patent recurs across triplets

    def problem(self, triplet: dict[str, Any], facts: dict[str, PatentFacts]) -> str | None:
        """The first rule `triplet` breaks (a REASONS entry), or None if it is sound."""
        ids = (triplet["anchor_id"], triplet["positive_id"], triplet["negative_id"])
        if any(i not in facts for i in ids):
            return "missing_patent"
        if len(set(ids)) != 3:
            return "not_distinct"
        anchor, positive, negative = (facts[i] for i in ids)
        if not all(p.has_text for p in (anchor, positive, negative)):
            return "no_text"
        if len({self.splits.of(p.family) for p in (anchor, positive, negative)}) != 1:
            return "split_mismatch"
        if self.strategy.needs_graph_neighbours:
            if not _in_band(anchor.neighbour_ranks.get(positive.id), self.positive_band):
                return "positive_outside_band"
            if not _in_band(anchor.neighbour_ranks.get(negative.id), self.negative_band):
                return "negative_outside_band"
        elif not self._shares(anchor, positive, triplet["shared_code"], triplet["shared_level"]):
            return "positive_code"
        if self.strategy.positive_cited and positive.id not in anchor.cites:
            return "positive_not_cited"
        if anchor.codes & negative.codes:
            return "negative_shares_code"
        if self.strategy.negative_rule == "no_main_group" and self._main_groups(anchor) & self._main_groups(negative):
            return "negative_shares_main_group"
        if negative.id in anchor.cites or negative.id in anchor.cited_by:
            return "negative_linked"
        if self.strategy.negative_in_area:
            area = self.hierarchy.at_level(triplet["shared_code"], self.negative_level)
            if area is None or area not in self.hierarchy.areas(negative.codes, self.negative_level):
                return "negative_outside_area"
        return None

    def _main_groups(self, patent: PatentFacts) -> set[str]:
        if patent.id not in self._groups:
            self._groups[patent.id] = self.hierarchy.main_groups(patent.codes)
        return self._groups[patent.id]

    def _shares(self, anchor: PatentFacts, positive: PatentFacts, code: str, level: str) -> bool:
        if self.hierarchy.levels.get(code) != level:
            return False
        if level == MAIN_GROUP:
            return code in self._main_groups(anchor) & self._main_groups(positive)
        return code in anchor.codes & positive.codes


def _in_band(rank: int | None, band: tuple[int, int]) -> bool:
    return rank is not None and band[0] <= rank <= band[1]
