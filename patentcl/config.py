"""The one configuration object: where the graph is and how to reach it.

Values come from the environment, then from a `.env` file in the working directory (the
environment wins). Secrets are never given defaults and never appear in `repr()`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Mapping

from dotenv import dotenv_values

if TYPE_CHECKING:
    from patentcl.graph.neo4j_server import Neo4jConnection

EMBEDDED = "embedded"
NEO4J_SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")
FALKOR_SCHEMES = ("falkor", "falkors", "redis", "rediss")


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
        scheme = self.graph.split("://", 1)[0].lower() if "://" in self.graph else self.graph
        if scheme == EMBEDDED or scheme in FALKOR_SCHEMES:
            return "falkordb"
        if scheme in NEO4J_SCHEMES:
            return "neo4j"
        raise ValueError(
            f"PATENTCL_GRAPH={self.graph!r} is not understood: use 'embedded', "
            "falkor://host:port or a Neo4j URI such as bolt://localhost:7687"
        )

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

    def with_graph(self, graph: str) -> "Settings":
        return replace(self, graph=graph)

    def with_neo4j(self, connection: "Neo4jConnection") -> "Settings":
        """These settings pointed at a Neo4j that patentcl started (`graph start --engine neo4j`)."""
        return replace(self, graph=connection.uri, neo4j_user=connection.user, neo4j_password=connection.password)

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, env_file: Path | str | None = ".env"
    ) -> "Settings":
        values = environment(environ, env_file)

        def get(name: str) -> str | None:
            value = values.get(name)
            return value if value not in (None, "") else None

        home = get("PATENTCL_HOME")
        settings = cls(
            graph=get("PATENTCL_GRAPH") or EMBEDDED,
            home=Path(home) if home else cls.home,
            graph_name=get("PATENTCL_GRAPH_NAME") or cls.graph_name,
            neo4j_user=get("NEO4J_USERNAME") or get("NEO4J_USER") or cls.neo4j_user,
            neo4j_database=get("NEO4J_DATABASE") or cls.neo4j_database,
            neo4j_password=get("NEO4J_PASSWORD"),
            falkordb_password=get("FALKORDB_PASSWORD"),
            batch_size=int(get("PATENTCL_BATCH_SIZE") or cls.batch_size),
        )
        settings.engine  # validate the URI early, with a message naming the variable
        return settings


def environment(environ: Mapping[str, str] | None = None, env_file: Path | str | None = ".env") -> dict[str, str]:
    """The variables patentcl reads: the `.env` file's, overridden by the environment's."""
    values: dict[str, str] = {}
    if env_file is not None and Path(env_file).is_file():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(os.environ if environ is None else environ)
    return values
