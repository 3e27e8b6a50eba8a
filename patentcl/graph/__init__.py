"""Graph stores: `open_store(settings)` gives the configured graph behind one interface."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from urllib.parse import urlsplit

from patentcl.catalogue import Catalogue
from patentcl.config import Settings
from patentcl.graph.store import EngineInfo, GraphStore, Notice, Plan, PreparedQuery, Row, WriteStats

__all__ = [
    "EngineInfo",
    "GraphStore",
    "Notice",
    "Plan",
    "PreparedQuery",
    "Row",
    "WriteStats",
    "database_name",
    "open_store",
]


def database_name(settings: Settings) -> str:
    """Which graph inside the server holds the data: the Neo4j database or the FalkorDB graph name."""
    return settings.neo4j_database if settings.engine == "neo4j" else settings.graph_name


@contextmanager
def open_store(settings: Settings, catalogue: Catalogue | None = None, *, migrate: bool = True) -> Iterator[GraphStore]:
    """Opens the configured graph (leasing the embedded server if that is the graph) with its
    schema migrations applied, and closes it (and stops an auto-started server) afterwards."""
    with ExitStack() as stack:
        store = stack.enter_context(_connect(settings, catalogue, stack))
        if migrate:
            store.migrate()
        yield store


def _connect(settings: Settings, catalogue: Catalogue | None, stack: ExitStack) -> GraphStore:
    if settings.engine == "neo4j":
        from patentcl.graph.neo4j_store import Neo4jStore

        return Neo4jStore(
            uri=settings.graph,
            user=settings.neo4j_user,
            password=settings.neo4j_password,
            database=settings.neo4j_database,
            catalogue=catalogue,
        )

    from patentcl.graph.falkordb_store import FalkorDBStore

    if settings.embedded:
        from patentcl.graph.embedded import EmbeddedServer

        address = stack.enter_context(EmbeddedServer(settings.graph_dir).lease())
        return FalkorDBStore(
            graph_name=settings.graph_name,
            password=address.password,
            unix_socket=address.unix_socket,
            port=address.port,
            catalogue=catalogue,
        )
    url = urlsplit(settings.graph)
    return FalkorDBStore(
        graph_name=settings.graph_name,
        password=settings.falkordb_password,
        host=url.hostname or "127.0.0.1",
        port=url.port or 6379,
        ssl=url.scheme in ("falkors", "rediss"),
        catalogue=catalogue,
    )
