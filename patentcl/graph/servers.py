"""A fresh, empty graph on a server of its own, for benchmarks that compare the engines: the
embedded FalkorDB or a Neo4j from Maven Central, under a scratch folder, stopped afterwards."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Iterator

from patentcl.config import EMBEDDED, Settings

ENGINES = ("falkordb", "neo4j")


def parse_engines(text: str) -> list[str]:
    """`falkordb,neo4j` as a list; an empty or unknown name is a ValueError saying what is known."""
    chosen = [e.strip() for e in text.split(",") if e.strip()]
    if not chosen or set(chosen) - set(ENGINES):
        raise ValueError(f"{text!r}: give engines from {', '.join(ENGINES)}")
    return chosen


def unavailable(engine: str) -> str | None:
    """Why `fresh_graph(engine, ...)` cannot run on this machine, or None."""
    if engine == "neo4j":
        from patentcl.graph.neo4j_server import Neo4jServer

        return Neo4jServer.missing_tools()
    return None


@contextmanager
def fresh_graph(engine: str, home: Path, settings: Settings | None = None) -> Iterator[tuple[Settings, int]]:
    """Starts a new server of `engine` over the empty folder `home` and yields settings that point
    at it (others taken from `settings`) and the server's pid; stops it afterwards."""
    base = replace(settings or Settings(), home=home, graph=EMBEDDED)
    if engine == "neo4j":
        from patentcl.graph.neo4j_server import Neo4jServer

        neo4j = Neo4jServer(base.neo4j_dir)
        connection = neo4j.start()
        try:
            status = neo4j.status()
            yield base.with_neo4j(connection), int(status.pid or 0)
        finally:
            neo4j.stop()
        return
    from patentcl.graph.embedded import EmbeddedServer

    embedded = EmbeddedServer(base.graph_dir)
    embedded.start(pinned=True)
    try:
        yield base, int(embedded.status().pid or 0)
    finally:
        embedded.stop()
