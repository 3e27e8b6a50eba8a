"""The versioned Cypher catalogue: every query patentcl runs is a file under `cypher/`.

Naming (dbt/Liquibase style, one file per query and version):

    cypher/<group>/<name>.v<N>.cypher            portable openCypher, both engines
    cypher/<group>/<name>.v<N>.<dialect>.cypher  where the engines differ (neo4j | falkordb)
    cypher/schema/<NNN>_<name>[.<dialect>].cypher  migrations, applied in NNN order

Each file opens with a `//` header that must agree with its file name:

    // name: cpc_hierarchy
    // version: 2
    // mode: read                      (read | write; default read)
    // param $anchors: anchor patent ids
    // returns: anchor, positive, negative, level
    // Free text: what the query does and why.

Outputs record `Query.provenance()` (name, version, dialect, sha256 of the file) so every result
can be traced to the exact query text that produced it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from importlib.resources import files
from pathlib import Path

from patentcl.errors import CatalogueError, QueryError

DIALECTS = ("neo4j", "falkordb")
PORTABLE = "portable"

_QUERY_FILE = re.compile(r"^(?P<name>[a-z][a-z0-9_]*)\.v(?P<version>\d+)(?:\.(?P<dialect>neo4j|falkordb))?\.cypher$")
_MIGRATION_FILE = re.compile(r"^(?P<number>\d{3})_(?P<slug>[a-z][a-z0-9_]*)(?:\.(?P<dialect>neo4j|falkordb))?\.cypher$")
_HEADER_FIELD = re.compile(r"^//\s*(?P<key>name|version|mode|returns)\s*:\s*(?P<value>.*?)\s*$")
_HEADER_PARAM = re.compile(r"^//\s*param\s+\$(?P<param>[A-Za-z_][A-Za-z0-9_]*)\s*:\s*(?P<doc>.*?)\s*$")
# Strings and comments are blanked before looking for $parameters, so "$5" in a literal is no parameter.
_STRINGS_AND_COMMENTS = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|`[^`]*`|//[^\n]*|/\*.*?\*/", re.S)
_PARAMETER = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_STATEMENT_END = re.compile(r";[ \t]*(?://[^\n]*)?$", re.M)


def strip_strings_and_comments(cypher: str) -> str:
    """The Cypher with its string literals, quoted names and comments blanked out: what is left
    are keywords, names and $parameters."""
    return _STRINGS_AND_COMMENTS.sub(" ", cypher)


def parameters_in(cypher: str) -> frozenset[str]:
    """The names of the $parameters the Cypher uses (not those inside strings or comments)."""
    return frozenset(_PARAMETER.findall(strip_strings_and_comments(cypher)))


def default_root() -> Path:
    """The catalogue shipped with patentcl (the repository's `cypher/` folder)."""
    return Path(str(files("patentcl.cypher")))


@dataclass(frozen=True)
class Query:
    """One catalogue file: a named, versioned query (or migration) in one dialect."""

    name: str
    version: int
    dialect: str
    group: str
    path: Path
    text: str
    mode: str
    params: Mapping[str, str]
    returns: str
    description: str

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @property
    def ref(self) -> str:
        return f"{self.name} v{self.version} ({self.dialect})"

    def provenance(self) -> dict[str, object]:
        return {
            "query": self.name,
            "version": self.version,
            "dialect": self.dialect,
            "sha256": self.sha256,
            "file": f"{self.group}/{self.path.name}",
        }

    @cached_property
    def used_params(self) -> frozenset[str]:
        return parameters_in(self.text)

    def statements(self) -> list[str]:
        """The file's statements (migrations may hold several, each ending with `;`)."""
        return [s.strip() for s in _STATEMENT_END.split(self.text) if _has_code(s)]

    def check_params(self, given: Mapping[str, object]) -> None:
        missing = sorted(self.used_params - set(given))
        if missing:
            raise QueryError(
                "missing parameter(s) "
                + ", ".join(f"${p}" for p in missing)
                + (f"; it takes: {', '.join('$' + p for p in self.params)}" if self.params else ""),
                query=self.ref,
                path=str(self.path),
            )


def _has_code(statement: str) -> bool:
    return bool(strip_strings_and_comments(statement).strip())


def parse_file(path: Path, root: Path) -> Query:
    """Reads one catalogue file and checks its header against its file name."""
    group = path.parent.relative_to(root).as_posix()
    text = path.read_text(encoding="utf-8")
    if group == "schema":
        match = _MIGRATION_FILE.match(path.name)
        if not match:
            raise CatalogueError(f"{path}: migration files are named NNN_name[.neo4j|.falkordb].cypher")
        name, version = f"{match['number']}_{match['slug']}", int(match["number"])
    else:
        match = _QUERY_FILE.match(path.name)
        if not match:
            raise CatalogueError(f"{path}: query files are named name.vN[.neo4j|.falkordb].cypher")
        name, version = match["name"], int(match["version"])
    dialect = match["dialect"] or PORTABLE

    header: dict[str, str] = {}
    params: dict[str, str] = {}
    description: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("//"):
            break
        if field := _HEADER_FIELD.match(line):
            header[field["key"]] = field["value"]
        elif param := _HEADER_PARAM.match(line):
            params[param["param"]] = param["doc"]
        elif line.lstrip("/ "):
            description.append(line.lstrip("/ "))

    if header.get("name") != name:
        raise CatalogueError(f"{path}: header says name {header.get('name')!r}, file name says {name!r}")
    if header.get("version", "").lstrip("0") != str(version).lstrip("0"):
        raise CatalogueError(f"{path}: header says version {header.get('version')!r}, file name says {version}")
    mode = header.get("mode", "read")
    if mode not in ("read", "write"):
        raise CatalogueError(f"{path}: mode must be read or write, not {mode!r}")
    query = Query(
        name, version, dialect, group, path, text, mode, params, header.get("returns", ""), " ".join(description)
    )
    undeclared = sorted(query.used_params - set(params))
    if undeclared:
        raise CatalogueError(f"{path}: parameter(s) used but not declared in the header: {', '.join(undeclared)}")
    return query


class Catalogue:
    """All queries and migrations under one root, looked up by name, version and dialect."""

    def __init__(self, root: Path | None = None):
        self.root = Path(root) if root is not None else default_root()
        if not self.root.is_dir():
            raise CatalogueError(f"catalogue folder {self.root} does not exist")
        self._files = [parse_file(p, self.root) for p in sorted(self.root.rglob("*.cypher"))]
        seen: dict[tuple[str, int, str], Path] = {}
        for q in self._files:
            key = (q.name, q.version, q.dialect)
            if key in seen:
                raise CatalogueError(f"{q.path} and {seen[key]} both define {q.ref}")
            seen[key] = q.path

    def __iter__(self) -> Iterator[Query]:
        return iter(self._files)

    def queries(self) -> list[Query]:
        return [q for q in self._files if q.group != "schema"]

    def versions(self, name: str) -> list[int]:
        return sorted({q.version for q in self.queries() if q.name == name})

    def get(self, name: str, version: int | None = None, dialect: str = PORTABLE) -> Query:
        """The query `name` at `version` (default: newest) for `dialect`, falling back to portable."""
        versions = self.versions(name)
        if not versions:
            known = ", ".join(sorted({q.name for q in self.queries()}))
            raise CatalogueError(f"no query named {name!r} in {self.root} (known: {known})")
        version = versions[-1] if version is None else version
        candidates = {q.dialect: q for q in self.queries() if q.name == name and q.version == version}
        if not candidates:
            raise CatalogueError(f"query {name!r} has no version {version} (versions: {versions})")
        query = candidates.get(dialect) or candidates.get(PORTABLE)
        if query is None:
            raise CatalogueError(
                f"query {name} v{version} has no {dialect} or portable file (dialects: {sorted(candidates)})"
            )
        return query

    def migrations(self, dialect: str) -> list[Query]:
        """Schema migrations for `dialect` in application order (portable ones apply to both)."""
        chosen: dict[int, Query] = {}
        for q in self._files:
            if q.group == "schema" and q.dialect in (dialect, PORTABLE):
                if q.version in chosen and chosen[q.version].dialect == dialect:
                    continue
                chosen[q.version] = q
        return [chosen[v] for v in sorted(chosen)]
