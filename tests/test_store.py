"""The store interface on a real FalkorDB server; Neo4j connection errors without leaking secrets."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest

from patentcl.catalogue import Catalogue, default_root
from patentcl.config import Settings
from patentcl.errors import CatalogueError, GraphUnavailableError, QueryError
from patentcl.graph import GraphStore, open_store

AWKWARD = ["it's \"quoted\"", "back\\slash \\n not a newline", "naïve ✓ 特許 🚀", "two\nlines\r\ttab", "$x {y}", ""]


@pytest.mark.parametrize("value", AWKWARD)
def test_parameters_round_trip(store: GraphStore, value: str) -> None:
    assert store.run_text("RETURN $v AS v", {"v": value})[0]["v"] == value
    store.run_text("MERGE (p:Patent {id: $id}) SET p.title = $v", {"id": "X1", "v": value})
    assert store.run_text("MATCH (p:Patent {id: 'X1'}) RETURN p.title AS t")[0]["t"] == value


def test_structured_parameters_round_trip(store: GraphStore) -> None:
    value = {"ids": ["a", "b'c"], "n": 3, "x": 0.5, "nested": {"k": [1, 2]}, "none": None, "flag": True}
    assert store.run_text("RETURN $v AS v", {"v": value})[0]["v"] == value


def test_a_prepared_query_runs_later_with_the_parameters_it_was_given(store: GraphStore) -> None:
    rows = [{"id": "P1", "title": AWKWARD[0]}, {"id": "P2", "title": AWKWARD[3]}]
    prepared = store.prepare("create_patents", {"rows": rows})
    rows.append({"id": "P3"})  # rendered already: a later change is not sent
    assert b"P1" in prepared.statement and prepared.params == {}  # FalkorDB: parameters in the text
    assert store.describe().labels.get("Patent", 0) == 0  # nothing ran yet
    assert next(store.run_prepared(prepared))["written"] == 2
    titles = {r["id"]: r["props"].get("title") for r in store.run("dump_patents")}
    assert titles == {"P1": AWKWARD[0], "P2": AWKWARD[3]}
    with pytest.raises(QueryError, match=r"missing parameter\(s\) \$rows"):
        store.prepare("create_patents", {})  # parameters are checked when prepared


def test_write_batches_is_idempotent(tmp_path: Path, settings: Settings) -> None:
    root = _catalogue_copy(tmp_path)
    (root / "demo").mkdir()
    (root / "demo" / "put.v1.cypher").write_text(
        "// name: put\n// version: 1\n// mode: write\n// param $rows: patents\n"
        "UNWIND $rows AS row MERGE (p:Patent {id: row.id}) SET p.title = row.title\n")
    rows = [{"id": f"US{i}", "title": f"t{i}"} for i in range(2345)]
    with open_store(settings, Catalogue(root)) as store:
        for _ in range(2):
            stats = store.write_batches("put", rows, batch_size=1000)
            assert (stats.rows, stats.batches) == (2345, 3)
        assert store.describe().labels["Patent"] == 2345


def test_migrations_are_recorded_and_idempotent(store: GraphStore) -> None:
    before = store.describe()
    assert before.migrations == [m.name for m in store.catalogue.migrations("falkordb")]
    assert store.migrate() == []
    assert store.describe() == before


def test_editing_an_applied_migration_is_refused(tmp_path: Path, settings: Settings) -> None:
    root = _catalogue_copy(tmp_path)
    with open_store(settings, Catalogue(root)):
        pass
    migration = root / "schema" / "001_keys.falkordb.cypher"
    migration.write_text(migration.read_text() + "CREATE INDEX FOR (p:Patent) ON (p.title);\n")
    with pytest.raises(CatalogueError, match="changed after it was applied"):
        with open_store(settings, Catalogue(root)):
            pass


def test_bad_query_error_names_file_query_and_engine(tmp_path: Path, settings: Settings) -> None:
    root = _catalogue_copy(tmp_path)
    (root / "demo").mkdir()
    (root / "demo" / "broken.v1.cypher").write_text("// name: broken\n// version: 1\nMATCH (p:Patent RETURN p\n")
    with open_store(settings, Catalogue(root)) as store:
        with pytest.raises(QueryError) as error:
            store.run("broken")
    message = str(error.value)
    assert "FalkorDB" in message and "broken v1" in message and "broken.v1.cypher" in message
    assert "Invalid input" in message  # the engine's own words


def test_missing_parameter_is_a_clear_error(store: GraphStore) -> None:
    with pytest.raises(QueryError, match=r"record_migration v1.*missing parameter\(s\) \$applied_at, \$id"):
        store.run("record_migration", {"version": 1, "sha256": "x"})


def test_unreachable_neo4j_names_the_uri_not_the_password() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once the socket closes
    password = "s3cret-Pa55word"
    settings = Settings(graph=f"bolt://127.0.0.1:{port}", neo4j_password=password)
    with pytest.raises(GraphUnavailableError) as error:
        with open_store(settings):
            pass
    assert f"bolt://127.0.0.1:{port}" in str(error.value)
    assert password not in str(error.value) and password not in repr(settings)


def test_neo4j_without_password_is_a_clear_error() -> None:
    with pytest.raises(GraphUnavailableError, match="NEO4J_PASSWORD is not set"):
        with open_store(Settings(graph="neo4j://localhost:7687")):
            pass


def test_settings_from_env_file(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("PATENTCL_GRAPH=bolt://db.example:7687\nNEO4J_PASSWORD=from-file\nNEO4J_DATABASE=patents\n")
    settings = Settings.from_env(environ={"NEO4J_DATABASE": "from-env"}, env_file=env)
    assert settings.engine == "neo4j" and settings.neo4j_password == "from-file"
    assert settings.neo4j_database == "from-env"  # the environment wins over .env
    with pytest.raises(ValueError, match="PATENTCL_GRAPH='mysql://x' is not understood"):
        Settings.from_env(environ={"PATENTCL_GRAPH": "mysql://x"}, env_file=None)


def _catalogue_copy(tmp_path: Path) -> Path:
    """The core part of the shipped catalogue (schema and meta queries), to extend in a test."""
    root = tmp_path / "cypher"
    for group in ("schema", "meta"):
        shutil.copytree(default_root() / group, root / group)
    return root


def test_params_by_hand_in_each_engines_console(store: GraphStore) -> None:
    from patentcl.graph.neo4j_store import Neo4jStore

    params = {"id": "US1'B2", "k": 10, "cpc": ["G06N"], "exact": False, "vector": None}
    assert (Neo4jStore.params_by_hand(None, params)  # type: ignore[arg-type]  (no server: pure rendering)
            == ":params {id: 'US1\\'B2', k: 10, cpc: ['G06N'], exact: false, vector: null}")
    header = store.params_by_hand(params)
    assert header.startswith("CYPHER ")
    row = store.run_text(f"{header} RETURN $id AS id, $k AS k, $cpc AS cpc, $exact AS exact, $vector AS vector",
                         write=False)[0]
    assert row == {"id": "US1'B2", "k": 10, "cpc": ["G06N"], "exact": False, "vector": None}
