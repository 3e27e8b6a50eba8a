"""The one configuration object: where the graph is and how to reach it.

Values come from the environment, then from a `.env` file in the working directory (the
environment wins). Secrets are never given defaults and never appear in `repr()`.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from dotenv import dotenv_values

from patentcl.errors import PatentclError

if TYPE_CHECKING:
    from patentcl.graph.neo4j_server import Neo4jConnection

EMBEDDED = "embedded"
NEO4J_SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")
FALKOR_SCHEMES = ("falkor", "falkors", "redis", "rediss")


class ConfigError(PatentclError, ValueError):
    """A setting patentcl cannot use; the message names where it came from (a variable or an option)."""


@dataclass(frozen=True)
class Settings:
    """Where patentcl keeps its graph and how it connects.

    graph: `embedded` (default: a FalkorDB server patentcl runs itself under `home`),
    `falkor://host:port` (a FalkorDB server you run), or a Neo4j URI (`bolt://`, `neo4j://`,
    `neo4j+s://`, ...).
    """

    graph: str = EMBEDDED
    home: Path = Path(".patentcl")
    graph_name: str = "patentcl"
    neo4j_user: str = "neo4j"
    neo4j_database: str = "neo4j"
    neo4j_password: str | None = field(default=None, repr=False)
    falkordb_password: str | None = field(default=None, repr=False)
    batch_size: int = 5000

    @property
    def engine(self) -> str:
        """`falkordb` or `neo4j`: the dialect of Cypher this graph speaks."""
        return engine_of(self.graph)

    @property
    def embedded(self) -> bool:
        return self.graph == EMBEDDED

    @property
    def graph_dir(self) -> Path:
        """Data folder of the embedded FalkorDB server."""
        return self.home / "graph"

    @property
    def neo4j_dir(self) -> Path:
        """Folder of the Neo4j server that `patentcl graph start --engine neo4j` runs."""
        return self.home / "neo4j"

    def with_neo4j(self, connection: Neo4jConnection) -> Settings:
        """These settings pointed at a Neo4j that patentcl started (`graph start --engine neo4j`)."""
        return replace(self, graph=connection.uri, neo4j_user=connection.user, neo4j_password=connection.password)

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        env_file: Path | str | None = ".env",
        *,
        graph: str | None = None,
        home: Path | None = None,
    ) -> Settings:
        """The settings of the variables; `graph` and `home` (the `--graph` and `--home` options)
        win over theirs. Every value is checked here, so a bad one stops a command before it
        starts a server or writes anything, with a message naming the variable or option."""
        values = environment(environ, env_file)

        def get(name: str) -> str | None:
            value = values.get(name)
            return value if value not in (None, "") else None

        graph, graph_source = (graph, "--graph") if graph else (get("PATENTCL_GRAPH") or EMBEDDED, "PATENTCL_GRAPH")
        engine_of(graph, graph_source)
        if home is not None:
            home_source = "--home"
        elif (home_value := get("PATENTCL_HOME")) is not None:
            home, home_source = Path(home_value), "PATENTCL_HOME"
        else:
            home, home_source = cls.home, "the default home (set PATENTCL_HOME or --home)"
        check_folder(home, home_source)
        batch_size = get("PATENTCL_BATCH_SIZE")
        return cls(
            graph=graph,
            home=home,
            graph_name=get("PATENTCL_GRAPH_NAME") or cls.graph_name,
            neo4j_user=get("NEO4J_USERNAME") or get("NEO4J_USER") or cls.neo4j_user,
            neo4j_database=get("NEO4J_DATABASE") or cls.neo4j_database,
            neo4j_password=get("NEO4J_PASSWORD"),
            falkordb_password=get("FALKORDB_PASSWORD"),
            batch_size=cls.batch_size if batch_size is None else positive_int(batch_size, "PATENTCL_BATCH_SIZE"),
        )


def engine_of(graph: str, source: str = "PATENTCL_GRAPH") -> str:
    """`falkordb` or `neo4j` for a graph setting; anything else is a ConfigError naming `source`."""
    scheme = graph.split("://", 1)[0].lower() if "://" in graph else graph
    if scheme == EMBEDDED or scheme in FALKOR_SCHEMES:
        return "falkordb"
    if scheme in NEO4J_SCHEMES:
        return "neo4j"
    raise ConfigError(
        f"{source}={graph!r} is not understood: use 'embedded', "
        "falkor://host:port or a Neo4j URI such as bolt://localhost:7687"
    )


def positive_int(text: str, source: str) -> int:
    """`text` as a whole number of at least 1, else a ConfigError naming `source`."""
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise ConfigError(f"{source}={text!r} is not a whole number of at least 1")
    return number


def check_folder(folder: Path, source: str) -> None:
    """A ConfigError naming `source` unless `folder` is a folder patentcl can write in, or one it
    can create. Probed with an unnamed temporary file, so nothing is left behind."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        if existing.is_symlink():
            raise ConfigError(f"{source}: {folder} leads through {existing}, a link to nothing")
        existing = existing.parent
    if not existing.is_dir():
        what = "is not a folder" if existing == folder else f"cannot be made: {existing} is not a folder"
        raise ConfigError(f"{source}: {folder} {what}")
    try:
        tempfile.TemporaryFile(dir=existing).close()
    except OSError as exc:
        raise ConfigError(f"{source}: {folder} is not writable ({exc.strerror or exc} in {existing})") from None


def environment(environ: Mapping[str, str] | None = None, env_file: Path | str | None = ".env") -> dict[str, str]:
    """The variables patentcl reads: the `.env` file's, overridden by the environment's."""
    values: dict[str, str] = {}
    if env_file is not None and Path(env_file).is_file():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(os.environ if environ is None else environ)
    return values
