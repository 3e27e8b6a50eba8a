"""The store interface on a real FalkorDB server; Neo4j connection errors without leaking secrets."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest

from helpers import dump
from patentcl.catalogue import Catalogue, default_root
from patentcl.config import Settings
from patentcl.errors import CatalogueError, ConstraintViolation, GraphUnavailableError, QueryError, SchemaConflict
from patentcl.graph import GraphStore, open_store

AWKWARD = ['it\'s "quoted"', "back\\slash \\n not a newline", "naïve ✓ 特許 🚀", "two\nlines\r\ttab", "$x {y}", ""]


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
    rows[0]["title"] = "changed"
    if store.engine == "falkordb":
        assert b"P1" in prepared.statement and prepared.params == {}  # parameters in the text
    else:
        assert prepared.statement == prepared.query.text  # the driver sends them beside it, copied
        assert prepared.params == {"rows": [{"id": "P1", "title": AWKWARD[0]}, {"id": "P2", "title": AWKWARD[3]}]}
    assert store.describe().labels.get("Patent", 0) == 0  # nothing ran yet
    assert next(store.run_prepared(prepared))["written"] == 2
    titles = {r["id"]: r["props"].get("title") for r in dump(store, "dump_patents")}
    assert titles == {"P1": AWKWARD[0], "P2": AWKWARD[3]}
    with pytest.raises(QueryError, match=r"missing parameter\(s\) \$rows"):
        store.prepare("create_patents", {})  # parameters are checked when prepared


def test_write_batches_is_idempotent(tmp_path: Path, settings: Settings) -> None:
    root = _catalogue_copy(tmp_path)
    (root / "demo").mkdir()
    (root / "demo" / "put.v1.cypher").write_text(
        "// name: put\n// version: 1\n// mode: write\n// param $rows: patents\n"
        "UNWIND $rows AS row MERGE (p:Patent {id: row.id}) SET p.title = row.title\n"
    )
    rows = [{"id": f"US{i}", "title": f"t{i}"} for i in range(2345)]
    with open_store(settings, Catalogue(root)) as store:
        for _ in range(2):
            stats = store.write_batches("put", rows, batch_size=1000)
            assert (stats.rows, stats.batches) == (2345, 3)
        assert store.describe().labels["Patent"] == 2345


def test_migrations_are_recorded_and_idempotent(store: GraphStore) -> None:
    before = store.describe()
    assert before.migrations == [m.name for m in store.catalogue.migrations(store.engine)]
    assert store.migrate() == []
    assert store.describe() == before


def test_editing_an_applied_migration_is_refused(tmp_path: Path, settings: Settings) -> None:
    root = _catalogue_copy(tmp_path)
    with open_store(settings, Catalogue(root)):
        pass
    migration = root / "schema" / f"001_keys.{settings.engine}.cypher"
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
    engine = {"falkordb": "FalkorDB", "neo4j": "Neo4j"}[settings.engine]
    assert message.startswith(f"{engine}: ") and "broken v1" in message and "broken.v1.cypher" in message
    assert "Invalid input" in message  # the engine's own words
    if settings.engine == "neo4j":
        assert "Neo.ClientError.Statement.SyntaxError" in message


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
    assert (
        Neo4jStore.params_by_hand(None, params)  # type: ignore[arg-type]  (no server: pure rendering)
        == ":params {id: 'US1\\'B2', k: 10, cpc: ['G06N'], exact: false, vector: null}"
    )
    header = store.params_by_hand(params)
    query = "RETURN $id AS id, $k AS k, $cpc AS cpc, $exact AS exact, $vector AS vector"
    if store.engine == "falkordb":  # the CYPHER header goes before the query, in the same text
        assert header.startswith("CYPHER ")
        row = store.run_text(f"{header} {query}", write=False)[0]
    else:  # Neo4j Browser's `:params {...}`: its map is a Cypher map literal the server reads back
        assert header.startswith(":params {") and header.endswith("}")
        row = store.run_text(
            f"WITH {header.removeprefix(':params ')} AS p "
            "RETURN p.id AS id, p.k AS k, p.cpc AS cpc, p.exact AS exact, p.vector AS vector",
            write=False,
        )[0]
    assert row == {"id": "US1'B2", "k": 10, "cpc": ["G06N"], "exact": False, "vector": None}


def test_a_unique_key_broken_is_a_constraint_violation(store: GraphStore) -> None:
    store.run_text("CREATE (:Patent {id: 'US1'})")
    with pytest.raises(ConstraintViolation):
        store.run("create_patents", {"rows": [{"id": "US2"}, {"id": "US1"}]})
    assert store.describe().labels["Patent"] == 1  # the whole query was undone
    with pytest.raises(QueryError) as error:  # any other failure is no ConstraintViolation
        store.run("create_patents", {"rows": [{"id": "US3", "title": {"not": "a property value"}}]})
    assert not isinstance(error.value, ConstraintViolation)


def test_a_plain_index_where_the_unique_key_belongs_is_an_error(tmp_path: Path, settings: Settings) -> None:
    """Only an equivalent rule already in place is tolerated: here 001_keys finds a plain index on
    Patent.id where its uniqueness constraint belongs (Neo4j; FalkorDB's constraint needs that index)."""
    if settings.engine != "neo4j":
        pytest.skip("FalkorDB builds its unique constraint on the exact-match index")
    with open_store(settings, migrate=False) as store:
        store.run_text("DROP CONSTRAINT patent_id IF EXISTS")
        store.run_text("MATCH (m:SchemaMigration) DELETE m")
        store.run_text("CREATE INDEX patent_id_plain IF NOT EXISTS FOR (p:Patent) ON (p.id)")
    try:
        with pytest.raises(
            SchemaConflict,
            match=r"001_keys.*There already exists an index \(:Patent \{id\}\)"
            r".*CREATE CONSTRAINT patent_id.*SHOW INDEXES",
        ):
            with open_store(settings):
                pass
    finally:
        with open_store(settings, migrate=False) as store:
            store.run_text("DROP INDEX patent_id_plain IF EXISTS")
    with open_store(settings) as store:  # the index dropped, the migrations apply
        assert store.describe().migrations == [m.name for m in store.catalogue.migrations("neo4j")]
        indexes = store.run_text("SHOW INDEXES YIELD name, state WHERE name = 'patent_id' RETURN state", write=False)
        assert indexes == [{"state": "ONLINE"}]  # migrate waited for it


def test_a_streamed_answer_holds_the_same_rows_as_a_run(store: GraphStore) -> None:
    rows = [{"id": f"S{i:05d}", "title": f"patent {i}"} for i in range(2500)]  # more than one fetch batch
    store.write_batches("create_patents", rows, batch_size=1000)
    streamed = store.stream("unranked_patents", {"all": True})
    assert iter(streamed) is streamed  # an iterator, consumed as it goes
    assert sorted(r["id"] for r in streamed) == sorted(r["id"] for r in store.run("unranked_patents", {"all": True}))
    with pytest.raises(QueryError, match=r"missing parameter\(s\) \$all"):
        store.stream("unranked_patents")
