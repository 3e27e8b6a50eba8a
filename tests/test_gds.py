"""Graph Data Science (issue 17, part A) on the real Neo4j with GDS: FastRP reproducible, kNN
neighbours ranked, the projection dropped (also after an error), the memory check, the
`graph-embed` command and the graph-neighbours mining strategy. On FalkorDB every feature stops
with the one clear GdsUnavailable line."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from helpers import Graphs, cli_env
from patentcl.cli import main
from patentcl.config import Settings
from patentcl.graph import GraphStore, open_store
from patentcl.graph.gds import EmbedOptions, GdsUnavailable, ProjectionTooLarge, embed_graph, gds_session, projection
from patentcl.loaders import patentsview_fixture
from patentcl.loaders.filters import LoadFilter
from patentcl.loaders.load import run_load
from patentcl.loaders.patentsview import Options, PatentsViewSource
from patentcl.mining.miner import MineOptions, mine
from patentcl.mining.validate import FactsReader
from patentcl.triplets import SPLITS

OPTIONS = EmbedOptions(dimension=32, neighbours=20)
MINE = MineOptions(
    strategy="graph-neighbours", anchors=150, batch_size=50, negatives=2, positive_band=(1, 3), negative_band=(8, 20)
)


@pytest.fixture(scope="module")
def patents(graphs: Graphs, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A PatentsView-format fixture (citations and CPC codes) loaded by the loader."""
    settings = graphs.new("gds")
    tables = tmp_path_factory.mktemp("pv")
    patentsview_fixture.generate(tables, patents=300, seed=5)
    with open_store(settings) as store:
        run_load(store, settings, PatentsViewSource(tables, LoadFilter(types=None), Options()))
    return settings


def _vectors(store: GraphStore) -> dict[str, list[float]]:
    return {
        row["id"]: row["vector"]
        for row in store.run_text("MATCH (p:Patent) RETURN p.id AS id, p.graph_embedding AS vector", write=False)
    }


def _projections(settings: Settings) -> list[str]:
    with gds_session(settings) as gds:
        return [info.graph_name for info in gds.graph.list()]


def test_falkordb_stops_with_one_clear_line(patents: Settings, tmp_path: Path) -> None:
    if patents.engine == "neo4j":
        pytest.skip("the Neo4j half runs the features themselves")
    with pytest.raises(GdsUnavailable, match="needs Neo4j with Graph Data Science"):
        with gds_session(patents):
            pass
    with open_store(patents) as store, pytest.raises(GdsUnavailable, match="needs Neo4j with Graph Data Science"):
        mine(store, MINE, tmp_path / "out")
    result = CliRunner().invoke(main, ["graph-embed"], env=cli_env(patents), standalone_mode=False)
    assert isinstance(result.exception, GdsUnavailable)
    assert "needs Neo4j with Graph Data Science" in str(result.exception) and "\n" not in str(result.exception)


@pytest.fixture(scope="module")
def embedded(patents: Settings) -> Settings:
    if patents.engine != "neo4j":
        pytest.skip("GDS runs on Neo4j only (the FalkorDB half checks the message)")
    with open_store(patents) as store:
        embed_graph(patents, store, OPTIONS)
    return patents


def test_fastrp_is_reproducible_and_projection_dropped(embedded: Settings) -> None:
    with open_store(embedded) as store:
        first = _vectors(store)
        report = embed_graph(embedded, store, OPTIONS)
        second = _vectors(store)
        meta = store.run_text("MATCH (m:GraphEmbedding {id: 'fastrp'}) RETURN properties(m) AS m")[0]["m"]
    assert len(first) == report.patents == 300
    assert all(len(v) == OPTIONS.dimension for v in first.values())
    assert first == second  # bit for bit: same graph, seed and concurrency
    assert any(any(x != 0 for x in v) for v in first.values())
    assert meta["seed"] == 42 and meta["dimension"] == 32 and meta["concurrency"] == 4
    assert meta["orientation"] == "UNDIRECTED" and set(meta["relationship_types"]) == {
        "CLASSIFIED_AS",
        "CHILD_OF",
        "CITES",
    }
    assert not [name for name in _projections(embedded) if name.startswith("patentcl-")]
    with open_store(embedded) as store:
        embed_graph(embedded, store, EmbedOptions(dimension=32, neighbours=20, seed=7))
        other = _vectors(store)
        embed_graph(embedded, store, OPTIONS)  # back to the module's embedding
    assert other != first


def test_knn_neighbours_ranked_one_to_k(embedded: Settings) -> None:
    with open_store(embedded) as store:
        rows = store.run_text(
            "MATCH (a:Patent)-[r:GRAPH_NEIGHBOUR]->(b:Patent) "
            "RETURN a.id AS a, b.id AS b, r.rank AS rank, r.score AS score",
            write=False,
        )
    by_anchor: dict[str, list[dict]] = {}
    for row in rows:
        by_anchor.setdefault(row["a"], []).append(row)
    assert len(by_anchor) == 300
    for anchor, neighbours in by_anchor.items():
        assert sorted(n["rank"] for n in neighbours) == list(range(1, OPTIONS.neighbours + 1))
        ordered = sorted(neighbours, key=lambda n: n["rank"])
        assert all(x["score"] >= y["score"] for x, y in zip(ordered, ordered[1:]))
        assert anchor not in {n["b"] for n in neighbours}


def test_projection_dropped_after_an_error(embedded: Settings) -> None:
    with gds_session(embedded) as gds, open_store(embedded) as store:
        with pytest.raises(RuntimeError, match="boom"):
            with projection(gds, store, OPTIONS) as projected:
                assert projected.graph.name() in [g.graph_name for g in gds.graph.list()]
                raise RuntimeError("boom")
    assert not [name for name in _projections(embedded) if name.startswith("patentcl-")]


def test_memory_check_refuses_an_oversized_projection(embedded: Settings) -> None:
    with gds_session(embedded) as gds, open_store(embedded) as store:
        with pytest.raises(ProjectionTooLarge, match=r"needs up to .* MiB, and the limit is 0\.0 MiB"):
            with projection(gds, store, OPTIONS, max_bytes=1000):
                pytest.fail("an oversized projection was made")
        with pytest.raises(ProjectionTooLarge, match="of heap free"):  # the server's own heap: 1G in the tests
            with projection(gds, store, EmbedOptions(dimension=4_000_000)):
                pytest.fail("an oversized projection was made")
    assert not [name for name in _projections(embedded) if name.startswith("patentcl-")]


def test_leaving_out_classifications(embedded: Settings) -> None:
    with open_store(embedded) as store:
        left = [
            row["id"]
            for row in store.run_text(
                "MATCH (p:Patent)-[:CLASSIFIED_AS]->() RETURN DISTINCT p.id AS id ORDER BY id LIMIT 30", write=False
            )
        ]
        edges = store.run_text(
            "MATCH (p:Patent)-[r:CLASSIFIED_AS]->() WHERE p.id IN $ids RETURN count(r) AS n", {"ids": left}, write=False
        )[0]["n"]
        with gds_session(embedded) as gds:
            with projection(gds, store, OPTIONS) as full:
                everything = (full.nodes, full.relationships)
            with projection(gds, store, EmbedOptions(leave_out=tuple(left))) as partial:
                assert (partial.nodes, partial.relationships) == (everything[0], everything[1] - 2 * edges)
    assert edges > 0


def _check_triplets(store: GraphStore, out: Path) -> int:
    facts = FactsReader(store)
    rows = [
        r
        for split in SPLITS
        if (out / f"{split}.parquet").exists()
        for r in pq.read_table(out / f"{split}.parquet").to_pylist()
    ]
    read = facts.read(
        {r[f"{role}_id"] for r in rows for role in ("anchor", "positive", "negative")},
        {r["anchor_id"] for r in rows},
        graph_neighbours=True,
    )
    for row in rows:
        anchor, positive, negative = (read[row[f"{role}_id"]] for role in ("anchor", "positive", "negative"))
        assert 1 <= anchor.neighbour_ranks[positive.id] <= 3
        assert 8 <= anchor.neighbour_ranks[negative.id] <= 20
        assert not anchor.codes & negative.codes
        assert negative.id not in anchor.cites | anchor.cited_by
        assert row["shared_level"] == "graph_rank" and int(row["shared_code"]) == anchor.neighbour_ranks[positive.id]
    return len(rows)


def test_graph_neighbours_triplets_valid_and_deterministic(embedded: Settings, tmp_path: Path) -> None:
    with open_store(embedded) as store:
        first = mine(store, MINE, tmp_path / "a")
        second = mine(store, MINE, tmp_path / "b")
        assert _check_triplets(store, tmp_path / "a") == first["counts"]["triplets"] > 0
    assert first["strategy"] == "graph-neighbours" and first["query"]["query"] == "graph_neighbours"
    assert list(first["parameters"]["positive_band"]) == [1, 3] and list(first["parameters"]["negative_band"]) == [
        8,
        20,
    ]
    assert not first["counts"]["rejected"]
    for split, entry in first["files"].items():
        assert (tmp_path / "a" / entry["path"]).read_bytes() == (tmp_path / "b" / entry["path"]).read_bytes()
        assert entry["sha256"] == second["files"][split]["sha256"]


def test_graph_embed_command(embedded: Settings) -> None:
    result = CliRunner().invoke(
        main, ["graph-embed", "--dimension", "32", "--neighbours", "20"], env=cli_env(embedded), catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert "300 patents with a 32-dimensional graph_embedding" in result.output
    assert "6,000 GRAPH_NEIGHBOUR" in result.output and "memory estimate" in result.output
