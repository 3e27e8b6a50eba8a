"""A fresh, empty graph on a server of its own, for benchmarks that compare the engines: the
embedded FalkorDB or a Neo4j from Maven Central, under a scratch folder, stopped afterwards."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any, Protocol

from patentcl.config import EMBEDDED, Settings
from patentcl.errors import PatentclError

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


def data_folder(settings: Settings) -> Path:
    """Where the server that patentcl runs for `settings` keeps its graph on disk."""
    return settings.neo4j_dir / "data" if settings.engine == "neo4j" else settings.graph_dir


class LocalServer(Protocol):
    """A server patentcl runs itself (`patentcl graph start|stop|status`), whatever its engine."""

    def start(self) -> list[str]:
        """Starts it (provisioning it first if needed) and says where it runs, a line each."""
        ...

    def stop(self, force: bool = False) -> bool:
        """Stops it; False when it was not running."""
        ...

    def status(self) -> tuple[dict[str, Any], list[str]]:
        """Its state for --json and for people."""
        ...


class _EmbeddedControl:
    def __init__(self, settings: Settings):
        from patentcl.graph.embedded import EmbeddedServer

        if not settings.embedded:
            raise PatentclError(f"the graph is {settings.graph}, not the embedded server; nothing to manage here")
        self.settings = settings
        self.server = EmbeddedServer(settings.graph_dir)

    def start(self) -> list[str]:
        from patentcl.graph import open_store

        address = self.server.start(pinned=True)
        with open_store(self.settings) as store:
            info = store.describe()
        return [f"embedded graph running at {address} ({info.version}), data in {self.server.data_dir}"]

    def stop(self, force: bool = False) -> bool:
        return self.server.stop(force=force)

    def status(self) -> tuple[dict[str, Any], list[str]]:
        status = self.server.status()
        if status.running:
            pinned = "started with `graph start`" if status.pinned else "stops when its last command ends"
            lines = [f"running: pid {status.pid} at {status.address}, {pinned}; data in {status.data_dir}"]
        else:
            lines = [f"not running; data in {status.data_dir}"]
        return asdict(status), lines + [f"used by {user}" for user in status.users]


class _Neo4jControl:
    def __init__(self, settings: Settings, environ: Mapping[str, str] | None):
        from patentcl.graph.neo4j_server import Neo4jServer

        self.settings = settings
        self.server = Neo4jServer(settings.neo4j_dir, environ)

    def start(self) -> list[str]:
        from patentcl.graph import open_store

        connection = self.server.start()
        with open_store(self.settings.with_neo4j(connection)) as store:
            versions = next(store.run("server_plugins"))
        env_file = self.server.env_file
        return [
            f"Neo4j {versions['neo4j']} {versions['edition']} (APOC {versions['apoc']}, GDS {versions['gds']}) "
            f"running at {connection.uri}, Neo4j Browser at {connection.browser}, data in {self.server.home}",
            f"connection settings in {env_file}; to use it: set -a; . {env_file}; set +a",
        ]

    def stop(self, force: bool = False) -> bool:
        return self.server.stop()

    def status(self) -> tuple[dict[str, Any], list[str]]:
        status = self.server.status()
        if status.running:
            line = (
                f"running: pid {status.pid} at {status.bolt}, Neo4j Browser at {status.browser}; data in {status.home}"
            )
        else:
            line = f"not running; data in {status.home}"
        return asdict(status), [line]


def local_server(engine: str, settings: Settings, environ: Mapping[str, str] | None = None) -> LocalServer:
    """The server of `engine` that patentcl runs under `settings.home` (`environ` may hold Neo4j's
    memory settings)."""
    return _Neo4jControl(settings, environ) if engine == "neo4j" else _EmbeddedControl(settings)
