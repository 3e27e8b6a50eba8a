"""`patentcl load ... --bulk`: a first load through the engine's official bulk loader
(falkordb-bulk-insert over GRAPH.BULK; neo4j-admin import into the Neo4j that patentcl runs)
builds exactly the graph a load builds, and refuses what it cannot do without touching the graph."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from helpers import TEST_CYPHER, Graphs, cli_env, dump_graph, start_patentcl
from patentcl.cli import main
from patentcl.config import Settings
from patentcl.errors import ConstraintViolation, PatentclError
from patentcl.graph import GraphStore, database_name, open_store
from patentcl.graph.bulk import build_graph
from patentcl.graph.neo4j_server import Neo4jServer
from patentcl.loaders import patentsview_fixture
from patentcl.loaders.admin_import import export_admin_import
from patentcl.loaders.filters import LoadFilter
from patentcl.loaders.load import run_load
from patentcl.loaders.patentsview import Options, PatentsViewSource

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def pv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """300 generated patents with abstracts, CPC codes and citations, and a few broken rows."""
    out = tmp_path_factory.mktemp("pv_bulk")
    patentsview_fixture.generate(out, patents=300, seed=21, broken=True)
    return out


@pytest.fixture(scope="module")
def managed_neo4j(engine: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings | None]:
    """On Neo4j, settings for a server of the module's own that patentcl runs under the home
    folder (`graph start`): the one kind of Neo4j a bulk load may stop and import into."""
    if engine != "neo4j":
        yield None
        return
    home = tmp_path_factory.mktemp("bulk-home")
    server = Neo4jServer(
        Settings(home=home).neo4j_dir, {**os.environ, "NEO4J_HEAP_MAX": "512M", "NEO4J_PAGECACHE": "64M"}
    )
    try:
        yield Settings(home=home).with_neo4j(server.start())
    finally:
        server.stop()


@pytest.fixture
def bulk_target(graphs: Graphs, managed_neo4j: Settings | None) -> Settings:
    """An empty graph that a bulk load may build: on FalkorDB a new graph of the session's
    embedded server, on Neo4j the module's server, emptied."""
    if managed_neo4j is None:
        return graphs.new("bulk")
    with open_store(managed_neo4j, migrate=False) as store:
        store.run_text((TEST_CYPHER / "clear_graph.neo4j.cypher").read_text())
    return managed_neo4j


def _load(settings: Settings, *args: str) -> Any:
    return CliRunner().invoke(main, ["load", *args], env=cli_env(settings))


def _graph(store: GraphStore) -> dict[str, Any]:
    graph = dump_graph(store)
    graph["dump_relationships"].sort(key=lambda r: (r["type"], r["source"], r["target"]))
    graph["types"] = [
        {key: type(value).__name__ for key, value in row["props"].items()}
        for name in ("dump_patents", "dump_cpc", "dump_relationships")
        for row in graph[name]
    ]
    return graph


def test_bulk_load_builds_the_graph_a_load_builds(
    store: GraphStore, settings: Settings, bulk_target: Settings, pv: Path
) -> None:
    options = Options(keep_external_citations=True)  # stub patents too
    loaded = run_load(store, settings, PatentsViewSource(pv, LoadFilter(types=None), options))
    expected = _graph(store)

    result = _load(
        bulk_target, "patentsview", str(pv), "--type", "all", "--keep-external-citations", "--bulk", "--json"
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output[result.output.index("{") :])
    tool = "neo4j-admin database import full" if bulk_target.engine == "neo4j" else "falkordb-bulk-insert"
    assert any(f"built by {tool}" in note for note in report["notes"])
    assert report["rejected"] == loaded.rejected == 10  # the same checks and rejects as a load
    assert Path(report["rejects"]).is_file()
    assert report["graph"]["(:Patent)"] == len(expected["dump_patents"])
    with open_store(bulk_target) as built:  # the migrations ran over the built graph: its unique keys hold
        assert _graph(built) == expected
        create = (TEST_CYPHER / "create_bare_patents.cypher").read_text()
        built.run_text(create, {"n": 1})
        with pytest.raises(ConstraintViolation):
            built.run_text(create, {"n": 1})
    assert not list(bulk_target.home.glob("bulk-*")), "the bulk files are removed"


def test_bulk_load_refuses_a_graph_that_holds_patents(bulk_target: Settings, pv: Path) -> None:
    assert _load(bulk_target, "patentsview", str(pv), "--no-citations").exit_code == 0
    with open_store(bulk_target) as store:
        before = _graph(store)
    refused = start_patentcl(bulk_target, "load", "patentsview", str(pv), "--bulk")  # as a user runs it
    _, err = refused.communicate(timeout=300)
    assert refused.returncode == 2  # a user error: one line, no traceback
    assert f"--bulk builds a new graph, and {bulk_target.graph} ({database_name(bulk_target)}) holds" in err
    assert "load without --bulk to add to it" in err and "Traceback" not in err
    with open_store(bulk_target) as store:
        assert _graph(store) == before, "nothing was written"
    result = _load(bulk_target, "patentsview", str(pv), "--bulk", "--resume")
    assert result.exit_code == 2 and "not resumable" in result.output


def test_neo4j_bulk_load_needs_the_server_patentcl_runs(engine: str, settings: Settings, pv: Path) -> None:
    if engine != "neo4j":
        pytest.skip("FalkorDB builds any graph it serves: the bulk loader needs no server of patentcl's")
    result = _load(settings, "patentsview", str(pv), "--bulk")
    assert result.exit_code == 1 and "needs the server patentcl runs" in str(result.exception)
    assert "export admin-import" in str(result.exception) and settings.neo4j_password not in str(result.exception)
    with open_store(settings) as store:
        assert not store.describe().labels.get("Patent")


def test_a_failed_bulk_load_leaves_an_empty_working_graph(bulk_target: Settings, pv: Path, tmp_path: Path) -> None:
    files = tmp_path / "files"
    export_admin_import(files, PatentsViewSource(pv, LoadFilter(), Options()))
    with open(files / "cites.csv", "a", encoding="utf-8") as f:
        f.write("NO-SUCH-PATENT,NO-OTHER-PATENT,1,2020-01-01,\n")  # both loaders refuse an edge without end points
    with pytest.raises(PatentclError) as failed:
        build_graph(bulk_target, files)
    # falkordb-bulk-insert names the id; neo4j-admin says what failed (its --verbose would name it)
    assert "NO-SUCH-PATENT" in str(failed.value) or "Error in input data" in str(failed.value)
    with open_store(bulk_target) as store:  # the server answers, and nothing half built stayed
        assert not store.describe().labels.get("Patent")
