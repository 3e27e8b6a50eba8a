"""The same input gives the same results on FalkorDB and on Neo4j: the loaded graph (every node and
relationship with its properties), the mined triplets (same strategy, options and seed), and the
similarity lookups (the exact scan's neighbours and scores; the index's recall against it).

Each test needs both engines at once, so the graphs come from the session's servers directly
(`server_home`, `neo4j_server`), loaded once for the module: the quickstart sample (3,000 real
patents, no citations) and a generated PatentsView fixture (with citations and stub patents) in
one graph per engine (their ids never collide: US11532378B2 against 11532378)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest

from helpers import SAMPLE_CSV, FalkorDBGraphs, Neo4jGraphs, dump_graph
from patentcl.config import Settings
from patentcl.graph import GraphStore, open_store
from patentcl.graph.neo4j_server import Neo4jServer
from patentcl.graph.vector_index import IndexSettings, build_index
from patentcl.loaders import patentsview_fixture
from patentcl.loaders.csv_export import CsvSource
from patentcl.loaders.filters import LoadFilter
from patentcl.loaders.load import run_load
from patentcl.loaders.patentsview import Options, PatentsViewSource
from patentcl.mining.miner import MineOptions, mine
from patentcl.search.similar import Filters, Hit, similar
from patentcl.triplets import SPLITS

ENGINES = ("falkordb", "neo4j")
DIMENSION = 32
MODEL = "random@cross-engine"
DUMPS = ("dump_patents", "dump_cpc", "dump_relationships", "label_counts", "relationship_counts")


@dataclass
class Both:
    settings: dict[str, Settings]
    dumps: dict[str, dict[str, list[dict[str, Any]]]]  # engine -> query -> rows, right after the load


def _needs_both_engines(config: pytest.Config) -> None:
    wanted = config.getoption("--engines").split(",")
    if not set(ENGINES) <= set(wanted):
        pytest.skip("cross-engine tests need both engines in --engines")
    if missing := Neo4jServer.missing_tools():
        if os.environ.get("CI"):
            pytest.fail(f"CI runs the Neo4j tests, but {missing}")
        pytest.skip(f"cross-engine tests need Neo4j: {missing}")


def _dump(store: GraphStore) -> dict[str, list[dict[str, Any]]]:
    out = dump_graph(store) | {name: list(store.run(name)) for name in ("label_counts", "relationship_counts")}
    # Both queries order by (type, source, target) only; two relationships may share those.
    out["dump_relationships"].sort(key=lambda r: (r["type"], r["source"], r["target"], sorted(r["props"].items())))
    return out


@pytest.fixture(scope="module")
def both(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Both:
    _needs_both_engines(request.config)
    tables = tmp_path_factory.mktemp("pv_cross")
    patentsview_fixture.generate(tables, patents=400, seed=17)
    server: Neo4jServer = request.getfixturevalue("neo4j_server")
    factories = {
        "falkordb": FalkorDBGraphs(request.getfixturevalue("server_home")),
        "neo4j": Neo4jGraphs(server.start(), tmp_path_factory.mktemp("neo4j-cross")),
    }
    settings, dumps = {}, {}
    for engine, graphs in factories.items():
        settings[engine] = graphs.new("cross")
        with open_store(settings[engine]) as store:
            run_load(store, settings[engine], CsvSource([SAMPLE_CSV], LoadFilter(types=None)))
            run_load(
                store,
                settings[engine],
                PatentsViewSource(tables, LoadFilter(types=None), Options(keep_external_citations=True)),
            )
            dumps[engine] = _dump(store)
    return Both(settings, dumps)


# -- (a) the loaded graph ------------------------------------------------------------------------
def test_the_same_input_loads_the_same_graph(both: Both) -> None:
    falkordb, neo4j = both.dumps["falkordb"], both.dumps["neo4j"]
    labels = {row["label"]: row["count"] for row in falkordb["label_counts"]}
    assert labels["Patent"] > 3_400 and labels["CPC"] > 100  # the sample, the fixture and its stub patents
    types = {row["type"]: row["count"] for row in falkordb["relationship_counts"]}
    assert types.keys() == {"CHILD_OF", "CLASSIFIED_AS", "CITES"} and types["CITES"] > 1_000
    for name in DUMPS:
        assert falkordb[name] == neo4j[name], name
    # Types too (1 == 1.0 and True == 1 in Python): every property value has the same Python type.
    for name in ("dump_patents", "dump_cpc", "dump_relationships"):
        for a, b in zip(falkordb[name], neo4j[name]):
            assert {k: type(v) for k, v in a["props"].items()} == {k: type(v) for k, v in b["props"].items()}, a


# -- (b) mining ---------------------------------------------------------------------------------
@pytest.mark.parametrize("strategy", ["cpc-hierarchy", "cpc-overlap", "cited-shared-cpc"])
def test_the_same_mining_gives_the_same_triplets(both: Both, strategy: str, tmp_path: Path) -> None:
    options = MineOptions(strategy=strategy, anchors=400, negatives=2, seed=7, batch_size=150)
    rows, counts = {}, {}
    for engine in ENGINES:
        with open_store(both.settings[engine]) as store:
            info = mine(store, options, tmp_path / engine)
        counts[engine] = info["counts"]
        rows[engine] = {split: pq.read_table(tmp_path / engine / f"{split}.parquet").to_pylist() for split in SPLITS}
    assert sum(map(len, rows["falkordb"].values())) > 100, "the strategy found triplets"
    for split in SPLITS:
        assert rows["falkordb"][split] == rows["neo4j"][split], split
    assert counts["falkordb"] == counts["neo4j"]


# -- (c) similarity -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def vectors(both: Both) -> dict[str, np.ndarray]:
    """Fixed random vectors on every patent with text, written the way `patentcl embed` writes
    them, and the vector index built with the default settings, on both engines."""
    ids: dict[str, list[str]] = {}
    for engine in ENGINES:
        with open_store(both.settings[engine]) as store:
            ids[engine] = sorted(r["id"] for r in store.run("patent_ids_needing_vectors", {"model": MODEL}))
    assert ids["falkordb"] == ids["neo4j"] and len(ids["neo4j"]) > 3_000
    rng = np.random.default_rng(23)
    table = {pid: rng.normal(size=DIMENSION).astype(np.float32) for pid in ids["neo4j"]}
    for engine in ENGINES:
        with open_store(both.settings[engine]) as store:
            store.write_batches(
                "write_patent_vectors",
                ({"id": pid, "vector": v} for pid, v in table.items()),
                batch_size=500,
                params={"model": MODEL},
            )
            build_index(store, DIMENSION, IndexSettings())
    return table


def _queries(table: dict[str, np.ndarray], n: int) -> list[str]:
    ids = sorted(table)
    return [ids[i] for i in np.random.default_rng(29).choice(len(ids), size=n, replace=False)]


def _numpy_exact(table: dict[str, np.ndarray], pid: str, k: int) -> list[tuple[str, float]]:
    ids = sorted(table)
    matrix = np.stack([table[i] for i in ids]).astype(np.float64)
    unit = matrix / np.linalg.norm(matrix, axis=1, keepdims=True)
    sims = unit @ unit[ids.index(pid)]
    ranked = sorted(((float(s), i) for i, s in zip(ids, sims) if i != pid), key=lambda t: (-t[0], t[1]))
    return [(i, s) for s, i in ranked[:k]]


FILTERS = {
    "none": Filters(),
    "cpc": Filters(cpc=("G06N",)),
    "dated": Filters(date_from="2018-01-01", date_to="2022-12-31", exclude_cited=True),
}


@pytest.fixture(scope="module")
def exact_hits(both: Both, vectors: dict[str, np.ndarray]) -> dict[str, dict[tuple[str, str], list[Hit]]]:
    """engine -> (query patent, filter name) -> the exact scan's 10 nearest."""
    found: dict[str, dict[tuple[str, str], list[Hit]]] = {engine: {} for engine in ENGINES}
    for engine in ENGINES:
        with open_store(both.settings[engine]) as store:
            for pid in _queries(vectors, 15):
                for name, filters in FILTERS.items():
                    lookup = similar(store, patent=pid, k=10, filters=filters, exact=True)
                    assert lookup.method == "exact"
                    found[engine][pid, name] = lookup.hits
    return found


def test_the_exact_scan_gives_the_same_neighbours_and_scores(exact_hits: dict, vectors: dict[str, np.ndarray]) -> None:
    for key, hits in exact_hits["falkordb"].items():
        other = exact_hits["neo4j"][key]
        assert [h.id for h in hits] == [h.id for h in other], key
        assert [h.similarity for h in hits] == pytest.approx([h.similarity for h in other], abs=1e-5), key
        assert [(h.title, h.date) for h in hits] == [(h.title, h.date) for h in other], key
        if key[1] == "none":  # and both are the true nearest
            expected = _numpy_exact(vectors, key[0], 10)
            assert [h.id for h in hits] == [i for i, _ in expected]
            assert [h.similarity for h in hits] == pytest.approx([s for _, s in expected], abs=1e-5)
    for name in ("cpc", "dated"):  # the filters had something to do
        assert any(
            exact_hits["falkordb"][pid, name] != exact_hits["falkordb"][pid, "none"]
            for pid, kind in exact_hits["falkordb"]
            if kind == name
        )


def test_the_exact_scan_gives_the_same_codes(exact_hits: dict) -> None:
    for key, hits in exact_hits["falkordb"].items():
        other = exact_hits["neo4j"][key]
        assert [(sorted(h.codes), sorted(h.shared_codes)) for h in hits] == [
            (sorted(h.codes), sorted(h.shared_codes)) for h in other
        ], key
    assert any(h.shared_codes for hits in exact_hits["neo4j"].values() for h in hits)


@pytest.mark.parametrize("engine_name", ENGINES)
def test_index_lookups_reach_the_exact_scans_recall(
    both: Both, vectors: dict[str, np.ndarray], engine_name: str
) -> None:
    queries = _queries(vectors, 50)
    hits = 0
    with open_store(both.settings[engine_name]) as store:
        for pid in queries:
            lookup = similar(store, patent=pid, k=10)
            assert lookup.method == "index"
            exact = similar(store, patent=pid, k=10, exact=True)
            hits += len({h.id for h in lookup.hits} & {h.id for h in exact.hits})
    recall = hits / (10 * len(queries))
    assert recall >= 0.95, f"{engine_name}: recall@10 {recall:.3f}"
