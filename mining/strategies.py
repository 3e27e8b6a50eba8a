"""Mining strategies: each is a named, versioned catalogue query (`cypher/mining/`).

The query decides what "similar" and "hard" mean; this module only names the strategies for the
command line, says which rules their triplets must pass, and supplies the parameters each
query version declares (a query receives exactly the parameters its header lists, so an older
or newer version with other knobs runs through the same code).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from patentcl.catalogue import Query
from patentcl.errors import PatentclError
from patentcl.graph import GraphStore
from patentcl.graph.gds import GdsUnavailable, graph_embedding_state, require_gds

# What a negative must not share with its anchor: no code and no main group (structural
# strategies), or no code only (embedding neighbours may share a main group; the space decides).
NegativeRule = Literal["no_main_group", "no_code"]


@dataclass(frozen=True)
class Strategy:
    name: str  # command-line name: cpc-hierarchy
    query: str  # catalogue name: cpc_hierarchy
    summary: str
    negative_rule: NegativeRule
    positive_cited: bool = False  # the positive must be a patent the anchor cites
    negative_in_area: bool = False  # the negative must lie in the shared code's subclass (or class)
    needs_vectors: bool = False
    # Positive and negatives are bands of the anchor's GRAPH_NEIGHBOUR ranks (`patentcl graph-embed`),
    # checked against those ranks instead of a shared code.
    needs_graph_neighbours: bool = False


STRATEGIES: dict[str, Strategy] = {
    s.name: s
    for s in (
        Strategy(
            "cpc-hierarchy",
            "cpc_hierarchy",
            "positive shares the anchor's most specific code; negatives from the same subclass, "
            "sharing no subgroup or main group and no citation",
            negative_rule="no_main_group",
            negative_in_area=True,
        ),
        Strategy(
            "cpc-overlap",
            "cpc_overlap",
            "positive: of the patents sharing the anchor's rarest codes, the one whose codes overlap the "
            "anchor's most (Jaccard); negatives as cpc-hierarchy",
            negative_rule="no_main_group",
            negative_in_area=True,
        ),
        Strategy(
            "cited-shared-cpc",
            "cited_shared_cpc",
            "the published PatentCL recipe: a cited patent sharing a CPC group; random negatives",
            negative_rule="no_main_group",
            positive_cited=True,
        ),
        Strategy(
            "embedding-neighbours",
            "embedding_neighbours",
            "negatives are the anchor's nearest neighbours in the embedding space, sharing no code, "
            "not closer than the positive allows",
            negative_rule="no_code",
            needs_vectors=True,
        ),
        Strategy(
            "graph-neighbours",
            "graph_neighbours",
            "SciNCL on the patent graph: positive from the anchor's nearest graph-embedding neighbours "
            "(--positive-band), negatives from a farther band (--negative-band) sharing no code and no "
            "citation; needs `patentcl graph-embed` (Neo4j with GDS)",
            negative_rule="no_code",
            needs_graph_neighbours=True,
        ),
    )
}
DEFAULT_STRATEGY = "cpc-hierarchy"


def strategy_named(name: str) -> Strategy:
    key = name.replace("_", "-")
    if key not in STRATEGIES:
        raise PatentclError(f"unknown strategy {name!r}; strategies: {', '.join(STRATEGIES)}")
    return STRATEGIES[key]


def query_params(query: Query, available: dict[str, Any]) -> dict[str, Any]:
    """The parameters `query` declares, taken from `available`; a declared one missing is an error."""
    missing = sorted(set(query.params) - set(available))
    if missing:
        raise PatentclError(
            f"{query.ref} ({query.group}/{query.path.name}) takes parameter(s) "
            f"{', '.join('$' + p for p in missing)} that `patentcl mine` does not know how to set"
        )
    return {name: available[name] for name in query.params}


def check_vectors(store: GraphStore, strategy: Strategy) -> None:
    """Strategies that read the embedding space refuse to run before there is one."""
    if not strategy.needs_vectors:
        return
    counts = next(store.run("mining_patent_counts"), {"patents": 0, "with_vectors": 0})
    if not counts["with_vectors"]:
        raise PatentclError(
            f"strategy {strategy.name} needs patent embeddings and a vector index, and none of the "
            f"{int(counts['patents']):,} patents has one yet: train a model and run `patentcl embed` first"
        )


def check_graph_neighbours(store: GraphStore, strategy: Strategy) -> None:
    """Strategies that read graph neighbours need Neo4j with GDS and a `patentcl graph-embed` run."""
    if not strategy.needs_graph_neighbours:
        return
    require_gds(
        store.engine, f"strategy {strategy.name} reads graph neighbours computed by `patentcl graph-embed`, which"
    )
    meta, neighbours = graph_embedding_state(store)
    if not neighbours:
        raise GdsUnavailable(
            f"strategy {strategy.name} needs graph neighbours and this graph has none"
            f"{'' if meta is None else ' (its graph embedding has no GRAPH_NEIGHBOUR left)'}: "
            "run `patentcl graph-embed` first"
        )
