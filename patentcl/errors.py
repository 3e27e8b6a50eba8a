"""Errors patentcl reports to users. Each message names what failed and where, never a secret."""

from __future__ import annotations


class PatentclError(Exception):
    """Base class: the CLI prints these as one clear line instead of a traceback."""


class CatalogueError(PatentclError):
    """A catalogue file is missing, misnamed, or its header disagrees with its name."""


class GraphUnavailableError(PatentclError):
    """The configured graph cannot be reached or refused our credentials."""


class QueryError(PatentclError):
    """A catalogue query failed: names the file, the query and the engine's own message."""

    def __init__(self, message: str, *, query: str = "", path: str = "", engine: str = ""):
        where = " ".join(part for part in (f"query {query}" if query else "", f"({path})" if path else "") if part)
        prefix = f"{engine}: " if engine else ""
        super().__init__(f"{prefix}{where}: {message}" if where else f"{prefix}{message}")
        self.query = query
        self.path = path
        self.engine = engine


class ConstraintViolation(QueryError):
    """A write broke a uniqueness constraint (e.g. a CREATE of a Patent whose id is in the graph):
    the graph undid the whole query. Both engines raise it; every other failure stays a QueryError."""


class SchemaConflict(QueryError):
    """A migration's index or constraint cannot be made because a different rule holds its place
    (e.g. a plain index where the uniqueness constraint belongs)."""
