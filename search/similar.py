"""`patentcl similar`: the patents nearest to a patent or a text, within graph limits.

The vector index only knows vectors: it returns the n nearest and the graph filters (CPC prefix,
same subclass, citations, dates) run afterwards, so asking it for k leaves fewer than k when a
filter rejects some. The lookup therefore over-fetches, adaptively:

1. ask the index for `fetch = max(overfetch * k, k + 1)` candidates and filter them;
2. if fewer than k survive, estimate the filter's pass rate from the survivors and ask again
   for enough candidates (at least twice as many);
3. when the next fetch would exceed `exact_share` of the graph's vectors or `max_fetch`
   candidates, or nothing survives twice, or the whole index was fetched, the filter is
   selective: switch to an exact scan over the filtered candidates (`similar_patents_exact_cpc`,
   which finds them from the CPC codes, or `similar_patents_exact`), the true k nearest among them.

`max_fetch` caps every index query, whatever `exact_share` allows: an HNSW search for n
candidates keeps all n in memory and walks the graph for each (Neo4j's Lucene search sets its ef
to n), so asking for a large share of all vectors costs more than the exact scan over the
filtered patents and is less exact.

Every answer holds k patents when k pass the filters, nearest first, scored by cosine similarity
(1 = same direction) on both engines. Both queries are catalogue files (`cypher/search/`), so the
lookup can be pasted into Neo4j Browser with the same parameters and gives the same rows.

Hybrid similarity (`graph_weight` W > 0, `patentcl similar --graph-weight W`) ranks by
(1 - W) * text cosine + W * graph cosine, the graph cosine comparing `Patent.graph_embedding`
(FastRP vectors written by `patentcl graph-embed`, Neo4j with Graph Data Science only). No
vector index can rank by a sum of two similarities, and candidates taken from either index
would miss a patent mediocre in both spaces but best in the mix (and a patent with a high
graph score may lie far outside the text index's candidates), so the hybrid lookup is always an
exact scan over the patents that pass the filters (`similar_patents_hybrid`, starting from the
CPC codes when they limit it): k results when k pass, best first, with both cosines. Only
patents holding both vectors are ranked, and the query is a patent (a text has no graph vector).
W = 0 is the text-only lookup above, unchanged.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

import numpy as np

from patentcl.catalogue import Query
from patentcl.errors import PatentclError, QueryError
from patentcl.graph import GraphStore
from patentcl.graph.gds import GdsUnavailable, require_gds
from patentcl.graph.vector_index import ONLINE, index_info, index_status

INDEX_QUERY = "similar_patents"
EXACT_QUERY = "similar_patents_exact"
EXACT_CPC_QUERY = "similar_patents_exact_cpc"
HYBRID_QUERY = "similar_patents_hybrid"
TEXT_HAS_NO_GRAPH_VECTOR = (
    "--graph-weight compares graph embeddings, which only patents have: give a patent id, not a text"
)
INDEX_WAIT_S = 120.0
MAX_FETCH = 5000  # most candidates one index query asks for; beyond it: the exact scan
_CPC_PREFIX = re.compile(r"^[A-HY](\d{0,2}|\d{2}[A-Z](\d{1,4}(/\d*)?)?)$")


def parse_cpc(value: str | None) -> tuple[str, ...]:
    """`G06N, g06f16/` as given on a command line or in a URL -> ('G06N', 'G06F16/')."""
    return tuple(p.strip().upper() for p in (value or "").split(",") if p.strip())


class SearchError(PatentclError):
    """A lookup cannot run: unknown patent, no vector, bad filter."""


@dataclass(frozen=True)
class Filters:
    """Graph limits on the results; the defaults limit nothing."""

    cpc: tuple[str, ...] = ()
    same_subclass: bool = False
    exclude_cited: bool = False
    date_from: str | None = None
    date_to: str | None = None

    def __post_init__(self) -> None:
        for prefix in self.cpc:
            if not _CPC_PREFIX.match(prefix):
                raise SearchError(f"--cpc {prefix!r} is not a CPC code or prefix (e.g. G06N, G06N3/, G06F16/2455)")
        for name in ("date_from", "date_to"):
            value = getattr(self, name)
            if value is not None:
                try:
                    date.fromisoformat(value)
                except ValueError:
                    raise SearchError(f"--{name.replace('_', '-')} {value!r} is not a date YYYY-MM-DD") from None
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise SearchError(f"--date-from {self.date_from} is after --date-to {self.date_to}")

    @property
    def active(self) -> bool:
        return bool(self.cpc or self.same_subclass or self.exclude_cited or self.date_from or self.date_to)

    @property
    def needs_anchor(self) -> list[str]:
        return [
            name
            for name, on in (("--same-subclass", self.same_subclass), ("--exclude-cited", self.exclude_cited))
            if on
        ]

    def params(self) -> dict[str, Any]:
        return {
            "cpc": list(self.cpc),
            "same_subclass": self.same_subclass,
            "exclude_cited": self.exclude_cited,
            "date_from": self.date_from,
            "date_to": self.date_to,
        }


@dataclass
class Hit:
    id: str
    title: str | None
    date: str | None
    similarity: float
    codes: list[str]
    shared_codes: list[str]
    # Hybrid lookups only: `similarity` is then (1 - W) * text_similarity + W * graph_similarity.
    text_similarity: float | None = None
    graph_similarity: float | None = None

    def as_dict(self) -> dict[str, Any]:
        found = asdict(self)
        if self.graph_similarity is None:  # a text-only lookup answers as it always did
            del found["text_similarity"], found["graph_similarity"]
        return found


@dataclass
class Lookup:
    """The answer, with how it was found (for --json, benchmarks and the report)."""

    hits: list[Hit]
    method: str  # "index" | "exact" | "hybrid"
    rounds: int  # index queries run (0: exact scan only)
    fetched: int  # candidates the last index query asked for
    query: dict[str, Any]  # provenance of the catalogue query that produced the hits
    params: dict[str, Any] = field(default_factory=dict)  # its parameters (vector left out)
    anchor: dict[str, Any] | None = None
    graph_embedding: dict[str, Any] | None = None  # hybrid lookups: the FastRP run's recorded parameters

    def as_dict(self) -> dict[str, Any]:
        found = {
            "hits": [h.as_dict() for h in self.hits],
            "method": self.method,
            "rounds": self.rounds,
            "fetched": self.fetched,
            "query": self.query,
            "params": self.params,
            "anchor": self.anchor,
        }
        if self.graph_embedding is not None:
            found["graph_embedding"] = self.graph_embedding
        return found


def find_patent(store: GraphStore, key: str) -> dict[str, Any]:
    """The patent a user names by id or by number; an error says why none (or several) fit."""
    key = key.strip()
    rows = list(store.run("lookup_patent", {"key": key}))
    if not rows and key.upper() != key:
        rows = list(store.run("lookup_patent", {"key": key.upper()}))
    if not rows:
        raise SearchError(
            f"no patent {key!r} in the graph (give Patent.id as loaded, e.g. US11532378B2, or its number)"
        )
    if len(rows) > 1:
        raise SearchError(f"{key!r} names {len(rows)} patents ({', '.join(r['id'] for r in rows)}): give the id")
    return rows[0]


def _anchor(store: GraphStore, patent: str) -> dict[str, Any]:
    anchor = find_patent(store, patent)
    if not anchor["has_vector"]:
        raise SearchError(f"patent {anchor['id']} has no embedding yet: run `patentcl embed --model DIR` first")
    return anchor


def similar(
    store: GraphStore,
    *,
    patent: str | None = None,
    vector: np.ndarray | Sequence[float] | None = None,
    k: int = 10,
    filters: Filters = Filters(),
    exact: bool = False,
    overfetch: int = 4,
    exact_share: float = 0.05,
    max_fetch: int = MAX_FETCH,
    graph_weight: float = 0.0,
) -> Lookup:
    """The k patents nearest to `patent` (an id or number) or to `vector`, that pass `filters`.

    `exact` skips the index (the exact scan is the reference for the index's recall);
    `overfetch` is the first round's candidates per result; `exact_share` is the share of the
    graph's vectors beyond which an index fetch is judged no cheaper than the exact scan (above 1:
    never judged so); `max_fetch` is the most candidates any index query asks for (beyond it the
    exact scan answers); `graph_weight` W > 0 ranks by (1 - W) * text cosine + W * graph cosine
    (an exact scan: see the module's docstring)."""
    if (patent is None) == (vector is None):
        raise SearchError("give a patent id or a query vector (exactly one)")
    if k < 1:
        raise SearchError("k must be at least 1")
    if graph_weight != 0:
        if patent is None:
            raise SearchError(TEXT_HAS_NO_GRAPH_VECTOR)
        return hybrid_similar(store, patent=patent, k=k, filters=filters, graph_weight=graph_weight)
    anchor = None
    if patent is not None:
        anchor = _anchor(store, patent)
    elif filters.needs_anchor:
        raise SearchError(
            f"{' and '.join(filters.needs_anchor)} compare with a query patent: give a patent id, not a text"
        )
    params: dict[str, Any] = {
        "id": anchor["id"] if anchor else None,
        "vector": None if vector is None else np.asarray(vector, dtype=np.float32),
        "k": k,
        **filters.params(),
    }
    shown = {key: value for key, value in params.items() if key != "vector"}
    if exact:
        return _exact(store, params, shown, anchor, rounds=0, fetched=0)

    fetch = max(overfetch * k, k + 1) if filters.active else k + (1 if anchor else 0)
    if fetch > max_fetch:
        return _exact(store, params, shown, anchor, rounds=0, fetched=0)
    total: int | None = None
    rounds = 0
    empty_rounds = 0
    query = store.query(INDEX_QUERY)
    while True:
        rows = _index_rows(store, query, {**params, "fetch": fetch})
        rounds += 1
        if len(rows) >= k or not filters.active:
            return Lookup(_hits(rows), "index", rounds, fetch, query.provenance(), {**shown, "fetch": fetch}, anchor)
        total = _vector_count(store) if total is None else total
        empty_rounds += not rows
        if fetch >= total or empty_rounds >= 2:
            break
        # The survivors estimate the filter's pass rate; ask for half as much again to be safe.
        needed = 2 * fetch if not rows else math.ceil(1.5 * k * fetch / len(rows))
        following = min(max(needed, 2 * fetch), total)
        # The fetch actually asked for (at least doubled, so the rounds stay few) is what is
        # capped, not the estimate: doubling alone could otherwise pass the caps.
        if needed > exact_share * total or following > min(exact_share * total, max_fetch):
            break
        fetch = following
    return _exact(store, params, shown, anchor, rounds=rounds, fetched=fetch)


def browser_query(store: GraphStore, lookup: Lookup, vector: np.ndarray | Sequence[float] | None) -> str:
    """The catalogue query `lookup` came from, headed by its parameters in the engine's own syntax:
    pasted into Neo4j Browser (or FalkorDB's) it gives the same rows."""
    params = {**lookup.params, "vector": None if vector is None else [float(x) for x in vector]}
    query = store.catalogue.get(lookup.query["query"], lookup.query["version"], store.engine)
    params = {name: params[name] for name in query.params}
    return f"// {query.group}/{query.path.name}\n{store.params_by_hand(params)}\n{query.text.rstrip()}\n"


def _index_rows(store: GraphStore, query: Query, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Runs the index query; a missing index is the user's to fix, one still being built (FalkorDB
    rebuilds indexes in the background after a restart) is waited for."""
    try:
        return list(store.run(query, params))
    except QueryError:
        info = index_info(store)
        if info is None:
            raise SearchError("the graph has no vector index: run `patentcl embed --model DIR` first") from None
        if index_status(info) == ONLINE:
            raise
    deadline = time.monotonic() + INDEX_WAIT_S
    while index_status(index_info(store)) != ONLINE:
        if time.monotonic() > deadline:
            raise SearchError(f"the vector index is still being built after {INDEX_WAIT_S:.0f} s; try again shortly")
        time.sleep(0.1)
    return list(store.run(query, params))


def _exact(
    store: GraphStore,
    params: dict[str, Any],
    shown: dict[str, Any],
    anchor: dict[str, Any] | None,
    *,
    rounds: int,
    fetched: int,
) -> Lookup:
    # With CPC limits the candidates come from the CPC codes (a selective limit reads few
    # patents); without, every patent's cosine is computed and only the best k read their codes.
    by_cpc = bool(params["cpc"]) or params["same_subclass"]
    query = store.query(EXACT_CPC_QUERY if by_cpc else EXACT_QUERY)
    rows = list(store.run(query, params))
    return Lookup(
        _hits(rows),
        "exact",
        rounds,
        fetched,
        query.provenance(),
        {name: value for name, value in shown.items() if name in query.params},
        anchor,
    )


def hybrid_similar(
    store: GraphStore, *, patent: str, k: int = 10, filters: Filters = Filters(), graph_weight: float
) -> Lookup:
    """The hybrid lookup at any weight, 0 included: at W = 0 it ranks by text cosine alone but,
    unlike `similar`, among the patents holding both vectors, so that answers at several weights
    (the CPC measurement) choose among the same patents."""
    if not 0 <= graph_weight <= 1:
        raise SearchError(f"--graph-weight must be between 0 and 1, not {graph_weight}")
    if k < 1:
        raise SearchError("k must be at least 1")
    require_gds(store.engine, "--graph-weight")
    anchor = _anchor(store, patent)
    params = {"id": anchor["id"], "k": k, **filters.params(), "graph_weight": float(graph_weight)}
    state = next(iter(store.run("hybrid_lookup_state", {"id": anchor["id"]})))
    if not state["present"]:
        raise GdsUnavailable(
            "--graph-weight needs graph embeddings, and this graph has none: run `patentcl "
            "graph-embed` on Neo4j with Graph Data Science (`patentcl graph start --engine neo4j`, "
            "PATENTCL_GRAPH=bolt://...)"
        )
    if not state["anchor_has_vector"]:
        raise SearchError(
            f"patent {anchor['id']} has no graph embedding: run `patentcl graph-embed` again to embed "
            "the patents loaded since"
        )
    query = store.query(HYBRID_QUERY)
    rows = list(store.run(query, params))
    return Lookup(_hits(rows), "hybrid", 0, 0, query.provenance(), params, anchor, dict(state["parameters"]))


def _hits(rows: list[dict[str, Any]]) -> list[Hit]:
    def optional(value: Any) -> float | None:
        return None if value is None else float(value)

    return [
        Hit(
            r["id"],
            r["title"],
            r["date"],
            float(r["similarity"]),
            list(r["codes"] or []),
            list(r["shared_codes"] or []),
            optional(r.get("text_similarity")),
            optional(r.get("graph_similarity")),
        )
        for r in rows
    ]


def _vector_count(store: GraphStore) -> int:
    return sum(int(r["patents"]) for r in store.run("embedding_model_counts"))
