"""Each engine's official bulk loader, over one set of CSV files (`patentcl export admin-import`).

The files' headers give every column's type (`num_claims:int`, `title:string`, `id:ID(Patent)`),
which both Neo4j's `neo4j-admin database import full` and FalkorDB's bulk loader
(`falkordb-bulk-insert` of the PyPI package `falkordb-bulk-loader`, over GRAPH.BULK) read, so one
export feeds both and `patentcl bench load --compare` measures both official paths on the same
files. Both build a new graph only: neo4j-admin writes a database while its server is stopped
(Community cannot stop one database), the bulk loader refuses a graph key that exists. An empty
cell is no property in both.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager, nullcontext
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

import redis

from patentcl.config import EMBEDDED, Settings
from patentcl.errors import PatentclError

if TYPE_CHECKING:
    from patentcl.graph.neo4j_server import Neo4jServer

# key: (file name, header, label or relationship type)
BULK_FILES = {
    "patents": (
        "patents.csv",
        [
            "id:ID(Patent)",
            "number:string",
            "title:string",
            "abstract:string",
            "date:string",
            "type:string",
            "kind:string",
            "num_claims:int",
            "country:string",
            "source:string",
        ],
        "Patent",
    ),
    "cpc": ("cpc.csv", ["code:ID(CPC)", "level:string", "title:string"], "CPC"),
    "child_of": ("cpc_child_of.csv", [":START_ID(CPC)", ":END_ID(CPC)"], "CHILD_OF"),
    "classified_as": (
        "classified_as.csv",
        [":START_ID(Patent)", ":END_ID(CPC)", "sequence:int", "type:string"],
        "CLASSIFIED_AS",
    ),
    "cites": (
        "cites.csv",
        [":START_ID(Patent)", ":END_ID(Patent)", "sequence:int", "date:string", "category:string"],
        "CITES",
    ),
}
_NODES = ("patents", "cpc")
_BULK_SOCKET_TIMEOUT_S = 3600
_RELATIONSHIPS = ("child_of", "classified_as", "cites")
# falkordb-bulk-insert reads its options from FALKORDB_BULK_* variables too (click's
# auto_envvar_prefix): the server URL holds the password, which must not reach a command line.
_FALKORDB_BULK = (
    "from falkordb_bulk_loader.bulk_insert import bulk_insert; bulk_insert(auto_envvar_prefix='FALKORDB_BULK')"
)


def neo4j_import_arguments(folder: Path, database: str = "neo4j", *, prefix: str | None = None) -> list[str]:
    """The arguments of `neo4j-admin` that import the files in `folder` into `database` (paths
    under `prefix` if given): `database import full DATABASE --nodes=... --relationships=...`."""
    where = prefix or str(folder.resolve())
    return [
        "database",
        "import",
        "full",
        database,
        *(f"--nodes={BULK_FILES[k][2]}={where}/{BULK_FILES[k][0]}" for k in _NODES),
        *(f"--relationships={BULK_FILES[k][2]}={where}/{BULK_FILES[k][0]}" for k in _RELATIONSHIPS),
        "--multiline-fields=true",
        "--overwrite-destination=true",
        # beside the files, not in whatever folder the command happens to run from
        f"--report-file={where}/import.report",
    ]


def falkordb_bulk_arguments(folder: Path, graph: str) -> list[str]:
    """The arguments of `falkordb-bulk-insert` that build `graph` from the files in `folder`
    (the server URL comes apart: it holds the password)."""
    return [
        graph,
        "--enforce-schema",  # the headers' types, not a guess per cell ("0012" stays a string)
        "--escapechar",
        "none",  # the files double their quotes; a backslash is text (abstracts hold some)
        *(a for k in _NODES for a in ("--nodes-with-label", BULK_FILES[k][2], str(folder / BULK_FILES[k][0]))),
        *(
            a
            for k in _RELATIONSHIPS
            for a in ("--relations-with-type", BULK_FILES[k][2], str(folder / BULK_FILES[k][0]))
        ),
    ]


@dataclass
class BulkLoaded:
    """A new server whose graph an official bulk loader built; the schema migrations have not run."""

    settings: Settings
    server_pid: int
    import_s: float  # the bulk loader, from its start to its exit
    start_s: float  # the server's start (before the import for FalkorDB, after it for Neo4j)


@contextmanager
def bulk_loaded_graph(engine: str, folder: Path, home: Path, settings: Settings | None = None) -> Iterator[BulkLoaded]:
    """Starts a new server of `engine` over the empty folder `home` whose graph the engine's
    official bulk loader built from the files in `folder`; stops it afterwards."""
    base = replace(settings or Settings(), home=home, graph=EMBEDDED)
    if engine == "neo4j":
        from patentcl.graph.neo4j_server import Neo4jServer

        neo4j = Neo4jServer(base.neo4j_dir)
        import_s = _timed(lambda: _neo4j_import(neo4j, folder, base.neo4j_database))
        started = time.perf_counter()
        connection = neo4j.start()
        try:
            yield BulkLoaded(
                base.with_neo4j(connection), int(neo4j.status().pid or 0), import_s, time.perf_counter() - started
            )
        finally:
            neo4j.stop()
        return
    from patentcl.graph.embedded import EmbeddedServer

    embedded = EmbeddedServer(base.graph_dir)
    started = time.perf_counter()
    address = embedded.start(pinned=True)
    start_s = time.perf_counter() - started
    url = _redis_url(address.unix_socket, address.port, address.password)
    try:
        with closing(redis.Redis.from_url(url, decode_responses=True)) as client, _aof_rewrites_paused(client):
            import_s = _timed(lambda: _falkordb_bulk(url, folder, base.graph_name))
            yield BulkLoaded(base, int(embedded.status().pid or 0), import_s, start_s)
    finally:
        embedded.stop()


def build_graph(settings: Settings, folder: Path) -> str:
    """Builds the configured graph, which must hold nothing but patentcl's migration records (the
    caller checks), from the files in `folder` with the engine's official bulk loader, then applies
    the migrations over it and waits for their indexes; returns the tool's name.

    FalkorDB (embedded or a server you run): the empty graph is deleted and the bulk loader
    builds it anew over GRAPH.BULK; if that fails or is interrupted, the partial graph is deleted
    again. Neo4j: only the server patentcl runs (`patentcl graph start --engine neo4j`), which is
    stopped for neo4j-admin and started again after it."""
    if settings.engine == "neo4j":
        server = _managed_neo4j(settings)
        server.stop()
        try:
            _neo4j_import(server, folder, settings.neo4j_database)
        except BaseException:
            # A failed import has already removed the database it was to replace, and the server
            # would wait for it forever: import nothing, which makes it the empty graph it was.
            with tempfile.TemporaryDirectory() as empty:
                for name, header, _ in BULK_FILES.values():
                    (Path(empty) / name).write_text(",".join(header) + "\n", encoding="utf-8")
                _neo4j_import(server, Path(empty), settings.neo4j_database)
            raise
        finally:
            server.start()
        _migrate(settings)
        return "neo4j-admin database import full"
    with _falkordb_url(settings) as url, closing(redis.Redis.from_url(url, decode_responses=True)) as client:
        with _aof_rewrites_paused(client) if settings.embedded else nullcontext():
            try:
                _delete_graph(client, settings.graph_name)
                _falkordb_bulk(url, folder, settings.graph_name)
            except BaseException:
                _delete_graph(client, settings.graph_name)  # it held nothing before: leave nothing half built
                raise
            _migrate(settings)
    return "falkordb-bulk-insert"


def _migrate(settings: Settings) -> None:
    from patentcl.graph import open_store

    with open_store(settings):  # applies the migrations and waits for their indexes
        pass


def _timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def _neo4j_import(server: Neo4jServer, folder: Path, database: str) -> None:
    done = server.admin(neo4j_import_arguments(folder, database))
    if done.returncode != 0:
        raise PatentclError(f"neo4j-admin database import failed: {(done.stderr or done.stdout).strip()[-2000:]}")


def _managed_neo4j(settings: Settings) -> Neo4jServer:
    """The Neo4j server patentcl runs under `settings.home`, if `settings.graph` is that server."""
    from patentcl.graph.neo4j_server import Neo4jServer

    server = Neo4jServer(settings.neo4j_dir)
    status = server.status()
    if not status.running or status.bolt != settings.graph:
        raise PatentclError(
            f"a bulk load into Neo4j needs the server patentcl runs (`patentcl graph start --engine neo4j`, "
            f"then PATENTCL_GRAPH={status.bolt or 'its bolt URI'}): neo4j-admin writes the store while the server "
            f"is stopped, and {settings.graph} is not that server. For another Neo4j, run `patentcl export "
            "admin-import` and the import.sh it writes on that server's machine."
        )
    return server


@contextmanager
def _falkordb_url(settings: Settings) -> Iterator[str]:
    """The redis URL of the configured FalkorDB (the embedded server is kept running meanwhile)."""
    if settings.embedded:
        from patentcl.graph.embedded import EmbeddedServer

        with EmbeddedServer(settings.graph_dir).lease() as address:
            yield _redis_url(address.unix_socket, address.port, address.password)
        return
    where = urlsplit(settings.graph)
    scheme = "rediss" if where.scheme in ("falkors", "rediss") else "redis"
    url = f"{scheme}://{where.hostname or '127.0.0.1'}:{where.port or 6379}"
    yield url + (f"?password={quote(settings.falkordb_password, safe='')}" if settings.falkordb_password else "")


def _redis_url(unix_socket: str | None, port: int | None, password: str) -> str:
    where = f"unix://{unix_socket}" if unix_socket else f"redis://127.0.0.1:{port}"
    return f"{where}?password={quote(password, safe='')}"


@contextmanager
def _aof_rewrites_paused(client: redis.Redis) -> Iterator[None]:
    """The embedded server rewrites its append-only file only after the bulk load and the index
    builds over it: at 1M patents (FalkorDB 4.16.3), a GRAPH.BULK that met the fork of an
    automatic rewrite hung, its reply never sent, and a rewrite that forked while the indexes were
    built crashed the server (an assertion in `whileBlockedCron`). The writes still go to the
    append-only file, fsynced every second."""
    setting = "auto-aof-rewrite-percentage"
    before = str(client.config_get(setting)[setting])
    client.config_set(setting, 0)
    try:
        yield
    finally:
        client.config_set(setting, before)


def _delete_graph(client: redis.Redis, graph: str) -> None:
    client.delete(graph)  # a graph is one key: DEL frees it as GRAPH.DELETE does


def _falkordb_bulk(url: str, folder: Path, graph: str) -> None:
    if importlib.util.find_spec("falkordb_bulk_loader") is None:
        raise PatentclError(
            "FalkorDB's bulk loader is not installed: pip install 'patentcl[bulk]' (falkordb-bulk-loader)"
        )
    # redis-py 8 gives every socket a 5 s timeout, and the server may take longer over one
    # GRAPH.BULK token than that while the loader's next one waits to be sent.
    done = subprocess.run(
        [sys.executable, "-c", _FALKORDB_BULK, *falkordb_bulk_arguments(folder, graph)],
        env={
            **os.environ,
            "FALKORDB_BULK_SERVER_URL": f"{url}{'&' if '?' in url else '?'}socket_timeout={_BULK_SOCKET_TIMEOUT_S}",
        },
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise PatentclError(f"falkordb-bulk-insert failed: {(done.stderr or done.stdout).strip()[-2000:]}")
