"""Every catalogue query planned by the real engines, nothing run.

On Neo4j each query (portable and Neo4j dialect, every version; not the migrations) goes through
`EXPLAIN` with typed sample parameters, and any DEPRECATION or PERFORMANCE notification (cartesian
product, eager, ...) fails the test: a query Neo4j 5.26 deprecates stops working in the next
Cypher, and a performance warning on a small test graph is a slow query on a real one. On FalkorDB
each portable and FalkorDB query goes through `GRAPH.EXPLAIN` (it parses and plans).

The file that runs is the one the catalogue picks for the engine (the dialect's, else the
portable one). A notification that cannot be avoided and does no harm is allowed below, per query
and code, with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from helpers import Graphs
from patentcl.catalogue import Catalogue, Query
from patentcl.errors import CatalogueError
from patentcl.graph import GraphStore, open_store

FAILING = ("DEPRECATION", "PERFORMANCE")

_ROW = {
    "id": "US11532378B2",
    "number": "11532378",
    "title": "A title",
    "abstract": "An abstract.",
    "code": "G06N3/084",
    "level": "subgroup",
    "parent": "G06N3/00",
    "rank": 12345,
    "at": [0, 1],
    "cited": ["US1", "US2"],
    "sequences": [0, 1],
    "types": ["inventional", "additional"],
    "dates": ["2020-01-01", "2020-01-02"],
    "categories": ["cited by examiner", "cited by applicant"],
    "stubs": [None, {"id": "US2", "number": "2", "country": "US"}],
    "vector": [0.1, 0.2, 0.3],
}

# One typed sample value per parameter name used anywhere in the catalogue. EXPLAIN does not run
# the query, but Neo4j plans with the parameters' types: give realistic ones.
SAMPLES: dict[str, Any] = {
    "after": "",
    "all": False,
    "anchors": ["US11532378B2", "US10000000B1"],
    "applied_at": "2025-01-01T00:00:00+00:00",
    "built_at": "2025-01-01T00:00:00+00:00",
    "calibration": '{"subclass": {"k": 10, "threshold": 0.5}}',
    "citing": [
        {
            "id": "US11532378B2",
            "citations": [
                ["US1", 0, "2020-01-01", "cited by examiner", None],
                ["US2", 1, "2020-01-02", "cited by applicant", {"id": "US2", "number": "2", "country": "US"}],
            ],
        }
    ],
    "codes": ["G06N3/084", "G06N3/00", "G06N"],
    "cpc": ["G06N", "G06F16/"],
    "date_from": "2010-01-01",
    "date_to": "2020-12-31",
    "dimension": 3,
    "ef_construction": 100,
    "ef_runtime": 100,
    "exclude_cited": True,
    "fetch": 50,
    "families": '{"families": 2, "patents_in_families": 5}',
    "fingerprint": '{"Patent": 10}',
    "graph_name": "patentcl-fastrp-test",
    "graph_weight": 0.25,
    "hi": 1 << 30,
    "id": "US11532378B2",
    "ids": ["US11532378B2", "US10000000B1"],
    "k": 10,
    "key": "US11532378B2",
    "leave_out": ["US11532378B2"],
    "limit": 100,
    "lo": 0,
    "m": 16,
    "margin": 0.95,
    "max_candidates": 200,
    "max_groups": 8,
    "model": "all-MiniLM-L6-v2@abc123",
    "negative_level": "subclass",
    "negative_from": 20,
    "negative_to": 50,
    "negatives": 3,
    "neighbours": 50,
    "parameters": {"dimension": 128, "seed": 42},
    "positive_from": 1,
    "positive_to": 5,
    "props": {"name": "all-MiniLM-L6-v2", "hash": "abc123", "dimension": 3, "patents": 10},
    "room": 1000,
    "rows": [_ROW],
    "same_subclass": True,
    "seconds": 60,
    "sha256": "0" * 64,
    "shuffle": 2654435761,
    "skip": 0,
    "types": ["CLASSIFIED_AS", "CHILD_OF"],
    "vector": [0.1, 0.2, 0.3],
    "version": 1,
    "window": 24,
}

# (name, version, engine's dialect) -> {notification code: why it is harmless and unavoidable}
_SUPERSEDED = "superseded by a version with CALL (a, ...) { ... }; kept so that triplets it mined stay traceable"
ALLOWED: dict[tuple[str, int, str], dict[str, str]] = {
    ("cpc_hierarchy", 2, "portable"): {"01N00": _SUPERSEDED},
    ("cpc_overlap", 1, "portable"): {"01N00": _SUPERSEDED},
    ("cited_shared_cpc", 1, "portable"): {"01N00": _SUPERSEDED},
}


def _query_versions() -> list[tuple[str, int]]:
    return sorted({(q.name, q.version) for q in Catalogue().queries()})


@pytest.fixture(scope="module")
def planner(graphs: Graphs) -> Iterator[GraphStore]:
    """A graph with the migrations applied (FalkorDB plans only in a graph that exists)."""
    with open_store(graphs.new("explain")) as store:
        yield store


def sample_params(query: Query) -> dict[str, Any]:
    unknown = sorted(query.used_params - set(SAMPLES))
    if unknown:
        pytest.fail(
            f"{query.path.name} takes {', '.join('$' + p for p in unknown)}: add a typed sample value "
            f"for each to SAMPLES in {__file__}"
        )
    return {name: SAMPLES[name] for name in query.used_params}


@pytest.mark.parametrize(("name", "version"), _query_versions(), ids=[f"{n}.v{v}" for n, v in _query_versions()])
def test_every_query_plans_without_deprecation_or_performance_warnings(
    planner: GraphStore, name: str, version: int
) -> None:
    try:
        query = planner.catalogue.get(name, version, planner.engine)
    except CatalogueError:
        pytest.skip(f"{name} v{version} has no {planner.engine} or portable file")
    plan = planner.explain(query, sample_params(query))
    assert plan.operators, f"{query.ref}: the engine returned no plan"
    allowed = ALLOWED.get((query.name, query.version, query.dialect), {})
    flagged = [n for n in plan.notices if n.classification in FAILING and n.code not in allowed]
    assert not flagged, f"{query.path.name} on {planner.engine}:\n" + "\n".join(
        f"  {n.classification} {n.code}: {n.description}" for n in flagged
    )


def test_an_unknown_parameter_asks_for_a_sample(tmp_path) -> None:
    path = tmp_path / "demo" / "q.v1.cypher"
    path.parent.mkdir()
    path.write_text("// name: q\n// version: 1\n// param $nobody_knows: x\nRETURN $nobody_knows AS x\n")
    query = Catalogue(tmp_path).get("q")
    with pytest.raises(pytest.fail.Exception, match=r"takes \$nobody_knows: add a typed sample value"):
        sample_params(query)


def test_the_checks_see_what_they_look_for(planner: GraphStore, tmp_path) -> None:
    """The test above can fail: a cartesian product and a deprecated subquery are flagged."""
    if planner.engine != "neo4j":
        pytest.skip("notifications are Neo4j's")
    path = tmp_path / "demo" / "bad.v1.cypher"
    path.parent.mkdir()
    path.write_text(
        "// name: bad\n// version: 1\n// param $ids: x\n"
        "MATCH (a:Patent), (c:CPC) WHERE a.id IN $ids\n"
        "CALL { WITH a RETURN a.id AS x }\nRETURN x, c.code AS code\n"
    )
    plan = planner.explain(Catalogue(tmp_path).get("bad"), {"ids": ["US1"]})
    assert {n.classification for n in plan.notices} >= {"DEPRECATION", "PERFORMANCE"}


def test_label_and_type_counts_come_from_the_count_store(planner: GraphStore) -> None:
    if planner.engine != "neo4j":
        pytest.skip("Neo4j's count store")
    labels = planner.explain("label_counts").operators
    types = planner.explain("relationship_counts").operators
    assert labels.count("NodeCountFromCountStore") >= 5, labels  # Patent, CPC, and the bookkeeping labels
    assert types.count("RelationshipCountFromCountStore") >= 3, types  # CITES, CLASSIFIED_AS, CHILD_OF


def test_label_and_type_counts_are_exact(settings) -> None:
    """The model's labels and types, and any other (counted without the count store)."""
    with open_store(settings) as store:
        store.run_text(
            "CREATE (:Patent {id: 'A'})-[:CITES]->(:Patent:Extra {id: 'B'})-[:CLASSIFIED_AS]->(:CPC {code: 'G'}),"
            " (:Other)-[:ODD]->(:Other), (:CPC {code: 'H'})-[:CHILD_OF]->(:CPC {code: 'I'})"
        )
        info = store.describe()
    assert {k: v for k, v in info.labels.items() if k != "SchemaMigration"} == {
        "CPC": 3,
        "Extra": 1,
        "Other": 2,
        "Patent": 2,
    }
    assert info.labels["SchemaMigration"] == len(store.catalogue.migrations(store.engine))
    assert info.relationships == {"CHILD_OF": 1, "CITES": 1, "CLASSIFIED_AS": 1, "ODD": 1}
