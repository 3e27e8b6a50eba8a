"""Neo4j 5 engine through the official driver (Bolt).

Every query goes through `Driver.execute_query`: a managed transaction that retries transient
errors, with `database_` always passed (no extra round trip to resolve the home database) and
read/write routing so clusters send reads to followers. A query that batches itself
(`CALL { ... } IN TRANSACTIONS`) can only run in an auto-commit transaction: it goes through
`Session.run`, and the server commits each batch.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from neo4j import GraphDatabase, RoutingControl
from neo4j.exceptions import AuthError, ClientError, DriverError, Neo4jError, ServiceUnavailable
from neo4j.graph import Node, Path as GraphPath, Relationship

from patentcl.catalogue import Catalogue, Query, strip_strings_and_comments
from patentcl.errors import GraphUnavailableError, QueryError
from patentcl.graph.store import GraphStore, Row

# Schema statements carry IF NOT EXISTS; these codes still mean "it is already there".
_IN_TRANSACTIONS = re.compile(r"\bIN\s+TRANSACTIONS\b", re.I)
_ALREADY_THERE = ("Neo.ClientError.Schema.EquivalentSchemaRuleAlreadyExists",
                  "Neo.ClientError.Schema.IndexAlreadyExists",
                  "Neo.ClientError.Schema.ConstraintAlreadyExists")


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

    def __init__(self, *, uri: str, user: str, password: str | None, database: str,
                 catalogue: Catalogue | None = None):
        super().__init__(catalogue)
        self.address = uri
        self.database = database
        if not password:
            raise GraphUnavailableError(f"PATENTCL_GRAPH is {uri} but NEO4J_PASSWORD is not set (environment or .env)")
        self._driver = GraphDatabase.driver(uri, auth=(user, password))
        try:
            self._driver.verify_connectivity()
        except AuthError as exc:
            self._driver.close()
            raise GraphUnavailableError(
                f"Neo4j at {uri} refused user {user!r}: wrong NEO4J_USERNAME or NEO4J_PASSWORD"
            ) from None
        except (ServiceUnavailable, DriverError, OSError) as exc:
            self._driver.close()
            raise GraphUnavailableError(f"cannot reach Neo4j at {uri}: {type(exc).__name__}") from None

    def _execute(self, text: str, params: Mapping[str, Any], *, write: bool, source: Query | None) -> list[Row]:
        try:
            if _IN_TRANSACTIONS.search(strip_strings_and_comments(text)):
                with self._driver.session(database=self.database) as session:
                    records = list(session.run(text, dict(params)))
            else:
                records, _, _ = self._driver.execute_query(
                    text, dict(params), database_=self.database,
                    routing_=RoutingControl.WRITE if write else RoutingControl.READ,
                )
        except Neo4jError as exc:
            raise self._error(exc, source) from None
        except ServiceUnavailable as exc:
            raise GraphUnavailableError(f"lost the connection to Neo4j at {self.address}: {exc}") from None
        return [{key: _plain(value) for key, value in record.items()} for record in records]

    def _execute_schema(self, statement: str, source: Query) -> None:
        try:
            self._driver.execute_query(statement, database_=self.database, routing_=RoutingControl.WRITE)
        except ClientError as exc:
            if exc.code not in _ALREADY_THERE:
                raise self._error(exc, source) from None

    def _error(self, exc: Neo4jError, source: Query | None) -> QueryError:
        message = f"{exc.code}: {exc.message}"
        if source is None:
            return QueryError(message, engine="Neo4j")
        return QueryError(message, query=source.ref, path=str(source.path), engine="Neo4j")

    def params_by_hand(self, params: Mapping[str, Any]) -> str:
        return ":params {" + ", ".join(f"{name}: {_literal(value)}" for name, value in params.items()) + "}"

    def engine_version(self) -> str:
        row = next(self.run("engine_version"))
        return f"Neo4j {row['version']} {row['edition']}"

    def close(self) -> None:
        self._driver.close()


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
