"""Connection failures are one clear line (exit code 2, no traceback, no secret), and a write the
Neo4j driver retries after a transient error is applied once."""

from __future__ import annotations

import logging
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from neo4j import GraphDatabase, Session
from neo4j.exceptions import TransientError

from helpers import TEST_CYPHER, Graphs, cli_env, patentcl_executable
from patentcl.config import Settings
from patentcl.graph import GraphStore, open_store
from patentcl.graph.embedded import EmbeddedServer
from patentcl.graph.processes import free_loopback_port
from patentcl.loaders.csv_export import CsvSource
from patentcl.loaders.filters import LoadFilter
from patentcl.loaders.load import run_load

SECRET = "not-the-password-4f1c2a"


def _patentcl(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [patentcl_executable(), *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=300
    )


def _error_line(done: subprocess.CompletedProcess[str]) -> str:
    """The one line a failed command prints; it never holds the password it was given."""
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert SECRET not in done.stdout + done.stderr
    return lines[0]


def test_an_unreachable_server_is_one_line(engine: str, tmp_path: Path) -> None:
    port = free_loopback_port()  # nothing listens there
    graph = f"bolt://127.0.0.1:{port}" if engine == "neo4j" else f"falkor://127.0.0.1:{port}"
    env = {
        "PATENTCL_HOME": str(tmp_path),
        "PATENTCL_GRAPH": graph,
        "NEO4J_PASSWORD": SECRET,
        "FALKORDB_PASSWORD": SECRET,
    }
    line = _error_line(_patentcl(env, "info"))
    assert f"cannot reach {'Neo4j' if engine == 'neo4j' else 'FalkorDB'} at" in line and str(port) in line


def test_a_wrong_password_is_one_line(engine: str, graphs: Graphs, tmp_path: Path) -> None:
    if engine == "neo4j":
        env = {**cli_env(graphs.new()), "NEO4J_PASSWORD": SECRET}
        expected = "refused user 'neo4j': wrong NEO4J_USERNAME or NEO4J_PASSWORD"
        line = _error_line(_patentcl(env, "info"))
    else:  # a FalkorDB on TCP: the embedded server listens there when its socket path is too long
        server = EmbeddedServer(tmp_path / ("long" * 30) / "graph")
        address = server.start(pinned=True)
        try:
            env = {
                "PATENTCL_HOME": str(tmp_path),
                "PATENTCL_GRAPH": f"falkor://127.0.0.1:{address.port}",
                "FALKORDB_PASSWORD": SECRET,
            }
            line = _error_line(_patentcl(env, "info"))
        finally:
            server.stop()
        expected = "refused the password (FALKORDB_PASSWORD)"
    assert expected in line


def test_a_missing_neo4j_database_is_one_line(engine: str, graphs: Graphs) -> None:
    if engine != "neo4j":
        pytest.skip("FalkorDB makes a graph on its first write: no graph name is missing")
    env = {**cli_env(graphs.new()), "NEO4J_DATABASE": "nosuchdb"}
    line = _error_line(_patentcl(env, "info"))
    assert "has no database 'nosuchdb' (NEO4J_DATABASE)" in line


def _csv(path: Path, ids: list[str]) -> Path:
    path.write_text(
        "publication_number,title,abstract,cpc_codes\n"
        + "".join(f'{i},title {i},abstract {i},"[""G06N3/08""]"\n' for i in ids)
    )
    return path


def test_a_batch_retried_after_a_deadlock_is_written_once(
    engine: str, graphs: Graphs, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A second transaction holds the constraint lock of a batch's second patent; the load's
    batch (one CREATE of all its patents) takes the first patent's lock and waits for the second;
    the second transaction then asks for the first. Neo4j breaks the deadlock by failing one of
    the two with a transient error. When that is the batch, the driver retries it after the other
    commits: the retry meets the second patent existing (the CREATE fails on the constraint, the
    loader MERGEs) and every patent is in the graph once. Which one fails is Neo4j's choice (in
    practice the one holding fewer locks, so the other takes many), so rounds run until the batch
    was retried."""
    if engine != "neo4j":
        pytest.skip("FalkorDB runs one write at a time: no lock is waited for, no transient error")
    settings = graphs.new()
    caplog.set_level(logging.WARNING, logger="neo4j")
    with open_store(settings) as store, _neo4j_session(settings) as blocker:
        for round_ in range(20):
            ids = [f"US{round_}{i:02}B2" for i in range(1, 6)]
            source = CsvSource([_csv(tmp_path / f"patents{round_}.csv", ids)], LoadFilter(types=None))
            caplog.clear()
            _deadlock_a_batch(store, settings, source, blocker, ids)
            counts = {row["id"]: row["n"] for row in store.run_text(_cypher("patent_counts")) if row["id"] in ids}
            assert counts == {i: 1 for i in ids}
            if any(
                "DeadlockDetected" in r.getMessage() and "will be retried" in r.getMessage() for r in caplog.records
            ):
                return
    pytest.fail("in 20 rounds Neo4j never failed the batch (always the other transaction)")


def _deadlock_a_batch(
    store: GraphStore, settings: Settings, source: CsvSource, blocker: Session, ids: list[str]
) -> None:
    held = blocker.begin_transaction()
    # Neo4j fails the transaction holding fewer locks: many more than the batch's for this one
    held.run(_cypher("lock_patent"), ids=[ids[1], *(f"{ids[1]}-other{i}" for i in range(200))]).consume()
    failure: list[BaseException] = []

    def load() -> None:
        try:
            run_load(store, settings, source, batch_size=len(ids))
        except BaseException as exc:  # reported by the test's thread
            failure.append(exc)

    loader = threading.Thread(target=load)
    loader.start()
    deadline = time.monotonic() + 120  # only ends a test that would hang
    while not list(store.run_text(_cypher("blocked_transactions"))):
        assert loader.is_alive() and time.monotonic() < deadline, failure
        time.sleep(0.05)
    try:
        held.run(_cypher("lock_patent"), ids=[ids[0]]).consume()  # closes the cycle
        held.commit()
    except TransientError:  # Neo4j failed this transaction, not the batch
        held.close()
    loader.join()
    assert not failure, failure


def _cypher(name: str) -> str:
    return (TEST_CYPHER / f"{name}.neo4j.cypher").read_text()


@contextmanager
def _neo4j_session(settings: Settings) -> Iterator[Session]:
    """A second client of the test's Neo4j, beside the store."""
    with GraphDatabase.driver(settings.graph, auth=(settings.neo4j_user, settings.neo4j_password)) as driver:
        with driver.session(database=settings.neo4j_database) as session:
            yield session
