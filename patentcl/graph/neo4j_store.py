"""Neo4j 5 engine through the official driver (Bolt).

Every query goes through `Driver.execute_query`: a managed transaction that retries transient
errors, with `database_` always passed (no extra round trip to resolve the home database) and
read/write routing so clusters send reads to followers. A query that batches itself
(`CALL { ... } IN TRANSACTIONS`) can only run in an auto-commit transaction: it goes through
`Session.run`, and the server commits each batch.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from neo4j import (
    READ_ACCESS,
    GraphDatabase,
    NotificationDisabledClassification,
    NotificationMinimumSeverity,
    RoutingControl,
)
from neo4j.exceptions import AuthError, ClientError, DriverError, Neo4jError, ServiceUnavailable, SessionExpired
from neo4j.graph import Node, Relationship
from neo4j.graph import Path as GraphPath

from patentcl.catalogue import Catalogue, Query, strip_strings_and_comments
from patentcl.errors import ConstraintViolation, GraphUnavailableError, QueryError, SchemaConflict
from patentcl.graph.store import GraphStore, Notice, Plan, Row

_IN_TRANSACTIONS = re.compile(r"\bIN\s+TRANSACTIONS\b", re.I)
# Schema statements carry IF NOT EXISTS, so an equivalent rule is a no-op; this code (a statement
# without IF NOT EXISTS) still means "it is already there, exactly so".
_EQUIVALENT = "Neo.ClientError.Schema.EquivalentSchemaRuleAlreadyExists"
# A different rule holds the place: e.g. a plain index on (:Patent {id}) where the uniqueness
# constraint belongs (Neo4j refuses the constraint while the index stands), or a rule of the name.
_CONFLICT = (
    "Neo.ClientError.Schema.IndexAlreadyExists",
    "Neo.ClientError.Schema.ConstraintAlreadyExists",
    "Neo.ClientError.Schema.IndexWithNameAlreadyExists",
    "Neo.ClientError.Schema.ConstraintWithNameAlreadyExists",
)
_CONSTRAINT_FAILED = "Neo.ClientError.Schema.ConstraintValidationFailed"
_NO_DATABASE = "Neo.ClientError.Database.DatabaseNotFound"
# The connection broke mid-query (server stopped or killed, network): after the driver's retries
# for managed transactions, or at once for a streamed read or a batched auto-commit query.
_LOST = (ServiceUnavailable, SessionExpired)


def _plain(value: Any) -> Any:
    if isinstance(value, (Node, Relationship)):
        return dict(value)
    if isinstance(value, GraphPath):
        return [dict(n) for n in value.nodes]
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


class Neo4jStore(GraphStore):
    engine = "neo4j"

    def __init__(self, *, uri: str, user: str, password: str | None, database: str, catalogue: Catalogue | None = None):
        super().__init__(catalogue)
        self.address = uri
        self.database = database
        if not password:
            raise GraphUnavailableError(f"PATENTCL_GRAPH is {uri} but NEO4J_PASSWORD is not set (environment or .env)")
        # Labels and types a query names before the graph holds them (a fresh graph, counts of
        # the model's labels) are expected: the driver would log each as a warning.
        self._driver = GraphDatabase.driver(
            uri,
            auth=(user, password),
            notifications_disabled_classifications=[NotificationDisabledClassification.UNRECOGNIZED],
        )
        try:
            self._driver.verify_connectivity()
        except AuthError:
            self._driver.close()
            raise GraphUnavailableError(
                f"Neo4j at {uri} refused user {user!r}: wrong NEO4J_USERNAME or NEO4J_PASSWORD"
            ) from None
        except (ServiceUnavailable, DriverError, OSError, ValueError) as exc:
            self._driver.close()
            raise GraphUnavailableError(f"cannot reach Neo4j at {uri}: {_first_line(exc)}") from None

    def _execute(self, text: str | bytes, params: Mapping[str, Any], *, write: bool, source: Query | None) -> list[Row]:
        statement = text.decode() if isinstance(text, bytes) else text
        try:
            if _IN_TRANSACTIONS.search(strip_strings_and_comments(statement)):
                with self._driver.session(database=self.database) as session:
                    records = list(session.run(statement, dict(params)))
            else:
                records, _, _ = self._driver.execute_query(
                    statement,
                    dict(params),
                    database_=self.database,
                    routing_=RoutingControl.WRITE if write else RoutingControl.READ,
                )
        except Neo4jError as exc:
            raise self._error(exc, source) from None
        except _LOST as exc:
            raise self._lost(exc) from None
        return [{key: _plain(value) for key, value in zip(record.keys(), record)} for record in records]

    def _stream(self, text: str | bytes, params: Mapping[str, Any], source: Query) -> Iterator[Row]:
        # An auto-commit read whose records the driver fetches in batches (fetch_size) as they
        # are consumed, instead of execute_query's whole list.
        with self._driver.session(database=self.database, default_access_mode=READ_ACCESS) as session:
            try:
                for record in session.run(text if isinstance(text, str) else text.decode(), dict(params)):
                    yield {key: _plain(value) for key, value in zip(record.keys(), record)}
            except Neo4jError as exc:
                raise self._error(exc, source) from None
            except _LOST as exc:
                raise self._lost(exc) from None

    def _render(self, text: str, params: dict[str, Any]) -> tuple[str | bytes, dict[str, Any]]:
        # The driver encodes the parameters when the query runs: copy the containers now, so that
        # a prepared query sends the values it was given, as FalkorDB's rendered text does.
        return text, _frozen(params)

    def _explain(self, text: str | bytes, params: Mapping[str, Any], source: Query) -> Plan:
        statement = text.decode() if isinstance(text, bytes) else text
        try:
            with self._driver.session(
                database=self.database,
                notifications_min_severity=NotificationMinimumSeverity.INFORMATION,
                notifications_disabled_classifications=[],
            ) as session:
                summary = session.run("EXPLAIN " + statement, dict(params)).consume()
        except Neo4jError as exc:
            raise self._error(exc, source) from None
        operators: list[str] = []
        stack = [summary.plan] if summary.plan else []
        while stack:
            operator = stack.pop()
            operators.append(str(operator.get("operatorType", "")).split("@")[0])
            stack.extend(reversed(operator.get("children", [])))
        notices = [
            Notice(str(status.raw_classification), status.gql_status, status.status_description)
            for status in summary.gql_status_objects
            if status.is_notification
        ]
        return Plan(operators, notices)

    def _execute_schema(self, statement: str, source: Query) -> None:
        try:
            self._driver.execute_query(statement, database_=self.database, routing_=RoutingControl.WRITE)
        except ClientError as exc:
            if exc.code == _EQUIVALENT:
                return
            if exc.code in _CONFLICT:
                raise SchemaConflict(
                    f"{exc.message} ({exc.code}). The migration cannot create `{' '.join(statement.split())}`: "
                    "another index or constraint holds its place. See SHOW INDEXES and SHOW CONSTRAINTS, "
                    "drop the one in the way, and run again.",
                    query=source.ref,
                    path=str(source.path),
                    engine="Neo4j",
                ) from None
            raise self._error(exc, source) from None

    def _after_migrations(self) -> None:
        # Indexes and constraints are built in the background: queries planned before they are
        # online scan instead, and a constraint is not enforced until its index is populated.
        self.run("await_indexes", {"seconds": 600})

    def _lost(self, exc: DriverError) -> GraphUnavailableError:
        return GraphUnavailableError(f"lost the connection to Neo4j at {self.address}: {_first_line(exc)}")

    def _error(self, exc: Neo4jError, source: Query | None) -> QueryError | GraphUnavailableError:
        if exc.code == _NO_DATABASE:  # NEO4J_DATABASE names no database: a setting, not a query, is wrong
            return GraphUnavailableError(
                f"Neo4j at {self.address} has no database {self.database!r} (NEO4J_DATABASE); "
                "SHOW DATABASES lists the ones it has (Community Edition has one, neo4j)"
            )
        # The first line holds the reason and the position (line, column); the rest repeats the
        # query with a caret, which would break the one-line error the CLI promises.
        first_line = (exc.message or "").strip().splitlines()[0] if exc.message else ""
        message = f"{exc.code}: {first_line}"
        if exc.code and exc.code.startswith("Neo.TransientError."):
            message += " (a transient failure that lasted through the driver's retries: run the command again)"
        kind = ConstraintViolation if exc.code == _CONSTRAINT_FAILED else QueryError
        if source is None:
            return kind(message, engine="Neo4j")
        return kind(message, query=source.ref, path=str(source.path), engine="Neo4j")

    def params_by_hand(self, params: Mapping[str, Any]) -> str:
        return ":params {" + ", ".join(f"{name}: {_literal(value)}" for name, value in params.items()) + "}"

    def engine_version(self) -> str:
        row = next(self.run("engine_version"))
        return f"Neo4j {row['version']} {row['edition']}"

    def close(self) -> None:
        self._driver.close()


def _first_line(exc: Exception) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _frozen(value: Any) -> Any:
    """`value` with its lists and maps copied (the values in them are immutable)."""
    if isinstance(value, dict):
        return {k: _frozen(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_frozen(v) for v in value]
    return value


def _literal(value: Any) -> str:
    """A parameter value as a Cypher literal for Neo4j Browser's `:params`."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"
