"""The mining index: the few derived properties the mining queries read.

    Patent.family        the patent's family key (patentcl.families: the smallest id of the patents
                         sharing its normalised abstract; its own id when it has no twin)
    Patent.rank          stable hash of the family key (splits, seeded orders): a family is never split
    CPC.rank             stable hash of the code (which sibling groups a negative comes from)
    CPC.patents          patents classified at the code or below (rarest codes first, caps)
    Patent.main_groups   codes of the patent's main groups (the "shares no main group" test)

All of it depends on the whole graph (a new patent can join an existing family), so it is
rebuilt when the graph's counts differ from those recorded when it was last built (a
`(:MiningIndex {id: 'cpc'})` node), when the index was built by an older layout (`INDEX_VERSION`),
when a patent with text has no rank yet, or when asked to. A family pass writes back only the
patents whose family or rank changed; the miner checks the anchors' ranks against their family
keys on every run. CPC ranks depend on the code alone and are only added where missing.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from itertools import chain
from typing import Any

from patentcl.families import abstract_families, family_figures
from patentcl.graph import GraphStore
from patentcl.mining.splits import Splits, rank_of

INDEX_ID = "cpc"
# 1: ranks hashed from the patent id; 2: families (Patent.family), ranks hashed from the family key.
INDEX_VERSION = 2
# What the counts and main groups are computed from; other labels (migrations, models, this
# index itself) come and go without making them stale.
_FINGERPRINT_LABELS = ("Patent", "CPC")
_FINGERPRINT_RELATIONSHIPS = ("CLASSIFIED_AS", "CHILD_OF")


@dataclass
class IndexReport:
    patents_ranked: int = 0  # patents whose family or rank was (re)written
    codes_ranked: int = 0
    rebuilt: bool = False
    fingerprint: dict[str, int] = field(default_factory=dict)
    families: dict[str, int] = field(default_factory=dict)  # patentcl.families.family_figures
    seconds: float = 0.0

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def fingerprint(store: GraphStore) -> dict[str, int]:
    """The graph counts the index depends on."""
    info = store.describe()
    counts = {f"(:{label})": info.labels.get(label, 0) for label in _FINGERPRINT_LABELS}
    counts |= {f"[:{rel}]": info.relationships.get(rel, 0) for rel in _FINGERPRINT_RELATIONSHIPS}
    return counts


def _write(store: GraphStore, query: str, rows: Iterator[dict[str, object]], description: str, batch_size: int) -> int:
    """Writes the rows, with a progress bar only when there is something to write."""
    first = next(rows, None)
    if first is None:
        return 0
    return store.write_batches(query, chain([first], rows), batch_size=batch_size, description=description).rows


def _index_families(store: GraphStore, batch_size: int, everything: bool) -> tuple[int, dict[str, int]]:
    """Computes every patent's family and writes the families and ranks that changed (all of them
    when `everything`); returns how many were written and the family figures."""
    stored: dict[str, tuple[Any, Any]] = {}

    def sources() -> Iterator[tuple[str, str | None]]:
        # Streamed: a PatentsView graph has millions of abstracts; only ids and keys are kept.
        for row in store.stream("patent_family_sources"):
            stored[row["id"]] = (row["family"], row["rank"])
            yield row["id"], row["abstract"]

    keys = abstract_families(sources())
    changed = (
        {"id": pid, "family": family, "rank": rank_of(family)}
        for pid, family in sorted(keys.items())
        if everything or stored[pid] != (family, rank_of(family))
    )
    return _write(store, "set_patent_families", changed, "grouping patent families", batch_size), family_figures(keys)


def ensure_index(store: GraphStore, *, rebuild: bool = False, batch_size: int = 5000) -> IndexReport:
    """Brings the mining index up to date; cheap when nothing changed."""
    start = time.perf_counter()
    report = IndexReport(fingerprint=fingerprint(store))
    recorded = next(store.run("mining_index_state", {"id": INDEX_ID}), None)
    current = json.dumps(report.fingerprint, sort_keys=True)
    stale = (
        rebuild
        or recorded is None
        or recorded["fingerprint"] != current
        or recorded["version"] != INDEX_VERSION
        # A citation stub that got its text since: same counts, but a patent to place in a family.
        or next(store.stream("unranked_patents", {"all": False}), None) is not None
    )
    codes = ({"code": r["code"], "rank": rank_of(r["code"])} for r in store.stream("unranked_cpc", {"all": rebuild}))
    report.codes_ranked = _write(store, "set_cpc_ranks", codes, "ranking CPC codes", batch_size)
    if recorded is not None and not stale:
        report.families = json.loads(recorded["families"])
    else:
        report.patents_ranked, report.families = _index_families(store, batch_size, rebuild)
        store.run("index_cpc_patents")
        store.run("index_patent_main_groups")
        store.run(
            "record_mining_index",
            {
                "id": INDEX_ID,
                "fingerprint": current,
                "version": INDEX_VERSION,
                "families": json.dumps(report.families, sort_keys=True),
                "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            },
        )
        report.rebuilt = True
    report.seconds = time.perf_counter() - start
    return report


def moved_by_family(store: GraphStore, splits: Splits) -> int:
    """How many patents their family puts in another split than the hash of their own id would:
    what family-aware splits change."""
    return sum(1 for row in store.stream("family_members") if splits.of(row["id"]) != splits.of(row["family"]))
