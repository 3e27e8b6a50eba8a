"""The one way patentcl talks to a graph: a small interface with two engines.

Engines implement three primitives (`_execute`, `_execute_schema`, `engine_version`); everything
else (catalogue lookup, parameter checks, batched writes with progress, migrations, counts) is
written once here. Nothing outside `falkordb_store.py` and `neo4j_store.py` imports a driver.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from itertools import islice
from typing import Any

from patentcl.catalogue import Catalogue, Query
from patentcl.errors import CatalogueError
from patentcl.progress import progress_bar

Row = dict[str, Any]


@dataclass
class EngineInfo:
    engine: str
    version: str
    address: str
    database: str
    labels: dict[str, int] = field(default_factory=dict)
    relationships: dict[str, int] = field(default_factory=dict)
    migrations: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class PreparedQuery:
    """A catalogue query with its parameters checked and rendered for the engine (`prepare`)."""

    query: Query
    statement: str | bytes  # what the engine runs: FalkorDB's is UTF-8 with the parameters in its CYPHER header
    params: Mapping[str, Any]  # what is still sent beside it (Neo4j's driver encodes them)


@dataclass(frozen=True)
class Notice:
    """A remark the engine makes about a query it planned (Neo4j's notifications)."""

    classification: str  # DEPRECATION, PERFORMANCE, UNRECOGNIZED, HINT, ...
    code: str  # the engine's own code (Neo4j: the GQL status, e.g. 01N00)
    description: str


@dataclass
class Plan:
    """What `explain` learns without running a query: the operators of the plan, the engine's
    remarks on it."""

    operators: list[str]
    notices: list[Notice] = field(default_factory=list)


@dataclass
class WriteStats:
    rows: int = 0
    batches: int = 0
    seconds: float = 0.0

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


class GraphStore(ABC):
    """A graph that runs catalogue queries. Use as a context manager, or call `close()`."""

    engine: str  # "falkordb" | "neo4j": also the catalogue dialect
    address: str
    database: str

    def __init__(self, catalogue: Catalogue | None = None):
        self.catalogue = catalogue or Catalogue()

    # -- engine primitives ------------------------------------------------------------------
    @abstractmethod
    def _execute(self, text: str | bytes, params: Mapping[str, Any], *, write: bool, source: Query | None) -> list[Row]:
        """Runs one statement as `_render` left it (`params`: what is sent beside the text);
        raises QueryError naming `source` (file, query) and the engine's message."""

    def _render(self, text: str, params: dict[str, Any]) -> tuple[str | bytes, dict[str, Any]]:
        """The statement and the parameters to send beside it; engines whose client renders
        parameters into the text do it here (and may encode it), so that it can happen ahead
        of time."""
        return text, params

    @abstractmethod
    def _execute_schema(self, statement: str, source: Query) -> None:
        """Runs one schema statement of a migration. An equivalent rule already in place (a
        migration interrupted half-way and run again) is no error; a different rule standing
        where this one belongs is a SchemaConflict."""

    @abstractmethod
    def _explain(self, text: str | bytes, params: Mapping[str, Any], source: Query) -> Plan:
        """Plans one statement as `_render` left it without running it."""

    def _after_migrations(self) -> None:  # noqa: B027 (a hook: engines without background indexes keep it empty)
        """Engines that build indexes in the background wait for them here."""

    @abstractmethod
    def engine_version(self) -> str: ...

    @abstractmethod
    def params_by_hand(self, params: Mapping[str, Any]) -> str:
        """The line that sets `params` by hand before pasting a catalogue query into the engine's
        own console (Neo4j Browser's `:params`, FalkorDB's `CYPHER` header)."""

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> GraphStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- queries ------------------------------------------------------------------------------
    def query(self, name: str, version: int | None = None) -> Query:
        """The catalogue query `name` (newest version by default) in this engine's dialect."""
        return self.catalogue.get(name, version, self.engine)

    def run(self, query: Query | str, params: Mapping[str, Any] | None = None) -> Iterator[Row]:
        """Runs a catalogue query now and returns an iterator over its rows as dicts."""
        return self.run_prepared(self.prepare(query, params))

    def prepare(self, query: Query | str, params: Mapping[str, Any] | None = None) -> PreparedQuery:
        """Checks and renders a query with its parameters now, to run later (`run_prepared`):
        the loader renders a batch on its reader thread while the graph writes the one before."""
        query = self.query(query) if isinstance(query, str) else query
        params = dict(params or {})
        query.check_params(params)
        return PreparedQuery(query, *self._render(query.text, params))

    def run_prepared(self, prepared: PreparedQuery) -> Iterator[Row]:
        query = prepared.query
        return iter(self._execute(prepared.statement, prepared.params, write=query.mode == "write", source=query))

    def stream(self, query: Query | str, params: Mapping[str, Any] | None = None) -> Iterator[Row]:
        """Runs a read query whose answer may be large (every patent id of a PatentsView graph) and
        yields its rows as they come: Neo4j sends them in batches as they are read; FalkorDB,
        which answers with the whole result, gives them from it."""
        prepared = self.prepare(query, params)
        return self._stream(prepared.statement, prepared.params, prepared.query)

    def _stream(self, text: str | bytes, params: Mapping[str, Any], source: Query) -> Iterator[Row]:
        return iter(self._execute(text, params, write=False, source=source))

    def explain(self, query: Query | str, params: Mapping[str, Any] | None = None) -> Plan:
        """The engine's plan of a catalogue query and its remarks on it (deprecations,
        performance warnings); nothing runs."""
        prepared = self.prepare(query, params)
        return self._explain(prepared.statement, prepared.params, prepared.query)

    def run_text(self, cypher: str, params: Mapping[str, Any] | None = None, *, write: bool = True) -> list[Row]:
        """Ad-hoc Cypher (the `patentcl cypher` command); pipelines use catalogue queries."""
        return self._execute(*self._render(cypher, dict(params or {})), write=write, source=None)

    def write_batches(
        self,
        query: Query | str,
        rows: Iterable[Row],
        *,
        batch_size: int = 5000,
        params: Mapping[str, Any] | None = None,
        description: str | None = None,
        total: int | None = None,
    ) -> WriteStats:
        """Writes `rows` through a query that UNWINDs `$rows`, one transaction per batch."""
        query = self.query(query) if isinstance(query, str) else query
        stats = WriteStats()
        start = time.perf_counter()
        rows = iter(rows)
        with progress_bar(description, total) as advance:
            while batch := list(islice(rows, batch_size)):
                self.run(query, {**(params or {}), "rows": batch})
                stats.rows += len(batch)
                stats.batches += 1
                advance(len(batch))
        stats.seconds = time.perf_counter() - start
        return stats

    # -- schema -------------------------------------------------------------------------------
    def migrate(self) -> list[str]:
        """Applies pending schema migrations in order; returns the names applied now.

        Each applied migration is recorded in the graph with its hash, so a second run changes
        nothing, and editing an applied migration is an error (write a new one instead).
        """
        applied = {r["id"]: r["sha256"] for r in self.run("migrations_applied")}
        done: list[str] = []
        for migration in self.catalogue.migrations(self.engine):
            if migration.name in applied:
                if applied[migration.name] != migration.sha256:
                    raise CatalogueError(
                        f"{migration.path} was changed after it was applied to this graph; "
                        "add a new migration instead of editing an applied one"
                    )
                continue
            for statement in migration.statements():
                self._execute_schema(statement, migration)
            self.run(
                "record_migration",
                {
                    "id": migration.name,
                    "version": migration.version,
                    "sha256": migration.sha256,
                    "applied_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                },
            )
            done.append(migration.name)
        self._after_migrations()
        return done

    def describe(self) -> EngineInfo:
        return EngineInfo(
            engine=self.engine,
            version=self.engine_version(),
            address=self.address,
            database=self.database,
            labels={r["label"]: int(r["count"]) for r in self.run("label_counts")},
            relationships={r["type"]: int(r["count"]) for r in self.run("relationship_counts")},
            migrations=[r["id"] for r in self.run("migrations_applied")],
        )
