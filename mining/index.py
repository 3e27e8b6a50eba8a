"""The mining index: the few derived properties the mining queries read.

    Patent.rank          stable hash of the id (splits, seeded orders); written once per patent
    CPC.rank             stable hash of the code (which sibling groups a negative comes from)
    CPC.patents          patents classified at the code or below (rarest codes first, caps)
    Patent.main_groups   codes of the patent's main groups (the "shares no main group" test)

Ranks depend on the id alone, so they are only added where missing (a rebuild rewrites them
all; the miner checks the anchors' ranks against their ids on every run). Counts and main groups
depend on the whole graph; they are rebuilt when the graph's counts differ from those recorded
when they were last built (a `(:MiningIndex {id: 'cpc'})` node), or when asked to.
"""

from __future__ import annotations

import json
import time
from itertools import chain
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Iterable, Iterator

from patentcl.graph import GraphStore
from patentcl.mining.splits import rank_of

INDEX_ID = "cpc"
# What the counts and main groups are computed from; other labels (migrations, models, this
# index itself) come and go without making them stale.
_FINGERPRINT_LABELS = ("Patent", "CPC")
_FINGERPRINT_RELATIONSHIPS = ("CLASSIFIED_AS", "CHILD_OF")


@dataclass
class IndexReport:
    patents_ranked: int = 0
    codes_ranked: int = 0
    rebuilt: bool = False
    fingerprint: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def fingerprint(store: GraphStore) -> dict[str, int]:
    """The graph counts the index depends on."""
    info = store.describe()
    counts = {f"(:{label})": info.labels.get(label, 0) for label in _FINGERPRINT_LABELS}
    counts |= {f"[:{rel}]": info.relationships.get(rel, 0) for rel in _FINGERPRINT_RELATIONSHIPS}
    return counts


def _rank_rows(keys: Iterable[str], name: str) -> Iterator[dict[str, object]]:
    return ({name: key, "rank": rank_of(key)} for key in keys)


def _write_ranks(store: GraphStore, query: str, rows: Iterator[dict[str, object]], description: str,
                 batch_size: int) -> int:
    """Writes the ranks, with a progress bar only when there is something to rank."""
    first = next(rows, None)
    if first is None:
        return 0
    return store.write_batches(query, chain([first], rows), batch_size=batch_size, description=description).rows


def ensure_index(store: GraphStore, *, rebuild: bool = False, batch_size: int = 5000) -> IndexReport:
    """Brings the mining index up to date; cheap when nothing changed."""
    start = time.perf_counter()
    report = IndexReport()
    # Streamed: the ids of a PatentsView graph are millions of rows.
    patents = _rank_rows((r["id"] for r in store.stream("unranked_patents", {"all": rebuild})), "id")
    report.patents_ranked = _write_ranks(store, "set_patent_ranks", patents, "ranking patents", batch_size)
    codes = _rank_rows((r["code"] for r in store.stream("unranked_cpc", {"all": rebuild})), "code")
    report.codes_ranked = _write_ranks(store, "set_cpc_ranks", codes, "ranking CPC codes", batch_size)

    report.fingerprint = fingerprint(store)
    recorded = next(store.run("mining_index_state", {"id": INDEX_ID}), None)
    current = json.dumps(report.fingerprint, sort_keys=True)
    if rebuild or recorded is None or recorded["fingerprint"] != current:
        store.run("index_cpc_patents")
        store.run("index_patent_main_groups")
        store.run("record_mining_index", {
            "id": INDEX_ID,
            "fingerprint": current,
            "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        })
        report.rebuilt = True
    report.seconds = time.perf_counter() - start
    return report
