"""`patentcl export admin-import`: the graph as CSV files for `neo4j-admin database import full`.

The fast path for a first full-scale Neo4j load: the input files are converted directly, with
the same parsing, validation, filters, rejects and CPC hierarchy as `patentcl load`, so the
files hold the graph a load would build, without first loading 150 million citations through
Cypher. (Reading an already loaded graph back would need that load first.)

Citations stream straight to their CSV file. Patent nodes must be complete in one row, but
PatentsView ships abstracts in a separate table, and a later row of a patent replaces it whole,
its CPC codes included (README.md, Loading patents): so patents and their CLASSIFIED_AS edges
are staged in an SQLite file on disk, replaced there the way the graph load replaces them, and
written out at the end; CPC nodes are few and stay in memory.
"""

from __future__ import annotations

import csv
import shlex
import sqlite3
from collections.abc import Sequence
from functools import partial
from itertools import groupby
from pathlib import Path
from typing import Any

from patentcl.cpc import SECTION, SECTION_TITLES, parse_cpc
from patentcl.errors import PatentclError
from patentcl.graph.bulk import BULK_FILES, falkordb_bulk_arguments, neo4j_import_arguments
from patentcl.loaders.idset import IdSet
from patentcl.loaders.rejects import RejectLog
from patentcl.loaders.runner import PATENT_PROPERTIES, Later, LoadReport, Runner, Step, Write, check_inputs

Row = dict[str, Any]
_STAGING = "patents-staging.sqlite"


def import_command(outdir: Path, database: str = "neo4j", *, prefix: str | None = None) -> str:
    """The neo4j-admin command line for the files in `outdir` (paths under `prefix` if given)."""
    return " ".join(shlex.quote(p) for p in ["neo4j-admin", *neo4j_import_arguments(outdir, database, prefix=prefix)])


class AdminImportSink:
    """The loader's sink interface, writing neo4j-admin CSV files instead of the graph."""

    def __init__(self, outdir: Path, known: IdSet):
        outdir.mkdir(parents=True, exist_ok=True)
        self.outdir = outdir
        self.known = known  # patents kept: citations to other patents are skipped (or stubbed)
        self._handles = {
            key: open(outdir / file, "w", encoding="utf-8", newline="")
            for key, (file, _, _) in BULK_FILES.items()
            if key == "cites"
        }
        self._writers = {key: csv.writer(handle) for key, handle in self._handles.items()}
        for key, writer in self._writers.items():
            writer.writerow(BULK_FILES[key][1])
        self.rows = {"cites": 0}
        self._cpc: dict[str, Row] = {}
        staging = outdir / _STAGING
        staging.unlink(missing_ok=True)
        # created here, used by the loader's writer thread, finished here again: never concurrently
        self._db = sqlite3.connect(staging, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=OFF")
        self._db.execute("PRAGMA synchronous=OFF")
        columns = ", ".join(f"{p} {'INTEGER' if p == 'num_claims' else 'TEXT'}" for p in PATENT_PROPERTIES[1:])
        self._db.execute(f"CREATE TABLE patent (id TEXT PRIMARY KEY, {columns})")
        self._db.execute("CREATE TABLE classified (patent TEXT, code TEXT, sequence INTEGER, type TEXT)")
        self._db.execute("CREATE UNIQUE INDEX classified_key ON classified (patent, code)")
        self._upserts: dict[tuple[str, ...], str] = {}  # per set of properties a row gives
        self._stub = f"INSERT INTO patent VALUES ({', '.join('?' * len(PATENT_PROPERTIES))}) ON CONFLICT(id) DO NOTHING"

    # -- the sink interface: each write runs on the loader's writer thread -----------------------
    def patents(self, rows: list[Row], *, existing: bool = False) -> Write:
        return Later(partial(self._patents, rows))  # upserted: `existing` changes nothing

    def abstracts(self, rows: list[Row]) -> Write:
        return Later(partial(self._abstracts, rows))

    def classifications(self, groups: list[Row]) -> Write:
        return Later(partial(self._classifications, groups))

    def citations(self, groups: list[Row]) -> Write:
        return Later(partial(self._citations, groups))

    def cpc_titles(self, rows: list[Row]) -> Write:
        return Later(partial(self._cpc_titles, rows))

    def _upsert(self, keys: tuple[str, ...]) -> str:
        """Inserts a patent or replaces the properties the row gives (None included), as the
        graph's `SET p += row` does."""
        statement = self._upserts.get(keys)
        if statement is None:
            replaced = ", ".join(f"{key} = excluded.{key}" for key in keys if key != "id")
            statement = self._upserts[keys] = (
                f"INSERT INTO patent ({', '.join(keys)}) VALUES ({', '.join('?' * len(keys))}) "
                f"ON CONFLICT(id) DO UPDATE SET {replaced}"
            )
        return statement

    def _patents(self, rows: list[Row]) -> int:
        for keys, same in groupby(rows, key=tuple):
            self._db.executemany(self._upsert(keys), (tuple(row.values()) for row in same))
        return len(rows)

    def _abstracts(self, rows: list[Row]) -> int:
        before = self._db.total_changes
        self._db.executemany("UPDATE patent SET abstract = ? WHERE id = ?", ((r["abstract"], r["id"]) for r in rows))
        return self._db.total_changes - before

    def _classifications(self, groups: list[Row]) -> int:
        """A replacing group deletes the patent's edges first; an edge already there keeps its
        properties (the graph's MERGE ... ON CREATE SET)."""
        written = 0
        for group in groups:
            if group.get("replace"):
                self._db.execute("DELETE FROM classified WHERE patent = ?", (group["id"],))
            types = group.get("types") or [None] * len(group["codes"])
            for code in group["codes"]:
                self._add_cpc(code)
            self._db.executemany(
                "INSERT INTO classified VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (
                    (group["id"], code, sequence, kind)
                    for code, sequence, kind in zip(group["codes"], group["sequences"], types)
                ),
            )
            written += len(group["codes"])
        return written

    def _citations(self, groups: list[Row]) -> int:
        write = self._writers["cites"].writerow
        written = 0
        for group in groups:
            stubs = group.get("stubs") or [None] * len(group["cited"])
            for cited, sequence, day, category, stub in zip(
                group["cited"], group["sequences"], group["dates"], group["categories"], stubs
            ):
                if cited not in self.known:
                    if stub is None:
                        continue  # the graph load's MATCH finds no such patent either
                    self._db.execute(self._stub, [cited if p == "id" else stub.get(p) for p in PATENT_PROPERTIES])
                write((group["id"], cited, sequence, day, category))
                written += 1
        self.rows["cites"] += written
        return written

    def _cpc_titles(self, rows: list[Row]) -> int:
        written = 0
        for row in rows:
            node = self._cpc.get(row["code"])
            if node is not None:
                node["title"] = row["title"]
                written += 1
        return written

    # -- nodes ----------------------------------------------------------------------------------
    def _add_cpc(self, code: str) -> None:
        if code in self._cpc:
            return
        for node in parse_cpc(code).lineage():
            if node.code not in self._cpc:
                self._cpc[node.code] = {
                    "code": node.code,
                    "level": node.level,
                    "parent": node.parent,
                    "title": SECTION_TITLES[node.code] if node.level == SECTION else None,
                }

    def _copy(self, key: str, select: str) -> int:
        """Writes the staged rows `select` reads to the file of `key`; returns how many."""
        rows = 0
        with open(self.outdir / BULK_FILES[key][0], "w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(BULK_FILES[key][1])
            for row in self._db.execute(select):
                writer.writerow(row)
                rows += 1
        return rows

    def finish(self) -> dict[str, int]:
        """Writes the node files and closes everything; returns rows per file."""
        for handle in self._handles.values():
            handle.close()
        counts = dict(self.rows)
        counts["patents"] = self._copy("patents", f"SELECT {', '.join(PATENT_PROPERTIES)} FROM patent ORDER BY rowid")
        counts["classified_as"] = self._copy(
            "classified_as", "SELECT patent, code, sequence, type FROM classified ORDER BY rowid"
        )
        self._db.close()
        (self.outdir / _STAGING).unlink(missing_ok=True)
        nodes = sorted(self._cpc.values(), key=lambda n: n["code"])
        with open(self.outdir / BULK_FILES["cpc"][0], "w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(BULK_FILES["cpc"][1])
            writer.writerows((n["code"], n["level"], n["title"]) for n in nodes)
        with open(self.outdir / BULK_FILES["child_of"][0], "w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(BULK_FILES["child_of"][1])
            writer.writerows((n["code"], n["parent"]) for n in nodes if n["parent"])
        counts["cpc"] = len(nodes)
        counts["child_of"] = sum(1 for n in nodes if n["parent"])
        return counts


def export_admin_import(
    outdir: Path,
    source: Any,
    *,
    extra_steps: Sequence[Step] = (),
    batch_size: int = 5000,
    rejects_path: Path | None = None,
    database: str = "neo4j",
) -> tuple[LoadReport, dict[str, int]]:
    """Converts `source` into neo4j-admin files in `outdir`; also writes `import.sh` there."""
    if outdir.exists() and any(
        p.name not in {f for f, _, _ in BULK_FILES.values()} | {"import.sh", _STAGING, "rejects.tsv"}
        for p in outdir.iterdir()
    ):
        raise PatentclError(f"{outdir} holds other files; give an empty or new folder")
    steps = source.steps() + list(extra_steps)
    check_inputs(steps)
    rejects_path = rejects_path or outdir / "rejects.tsv"
    report = LoadReport(rejects_path=rejects_path)
    outdir.mkdir(parents=True, exist_ok=True)
    rejects = RejectLog(rejects_path)
    try:
        source.prepare()
        sink = AdminImportSink(outdir, source.kept)
        Runner(sink, None, rejects, batch_size=batch_size).run(steps, report)
        counts = sink.finish()
    finally:
        rejects.close()
    falkordb_arguments = " ".join(shlex.quote(a) for a in falkordb_bulk_arguments(outdir.resolve(), "patentcl"))
    script = outdir / "import.sh"
    script.write_text(
        "#!/bin/sh\n"
        "# Import into a stopped Neo4j 5 (neo4j-admin replaces the database), then start Neo4j and\n"
        "# run `PATENTCL_GRAPH=bolt://localhost:7687 patentcl info` to create patentcl's constraints\n"
        "# and indexes (migrations).\n"
        "#\n"
        "# With the docker-compose.yml of patentcl (from the repository folder):\n"
        "#   docker compose stop neo4j\n"
        f'#   docker compose run --rm --no-deps -v "{outdir.resolve()}:/import/patentcl:ro" neo4j \\\n'
        f"#     {import_command(outdir, database, prefix='/import/patentcl')}\n"
        "#   docker compose start neo4j\n"
        "#\n"
        "# The same files build a FalkorDB graph that does not exist yet (pip install falkordb-bulk-loader;\n"
        "# then run `PATENTCL_GRAPH=falkor://HOST:PORT patentcl info` for the migrations):\n"
        f"#   falkordb-bulk-insert --server-url redis://HOST:PORT {falkordb_arguments}\n"
        "set -e\n"
        f"{import_command(outdir, database)}\n"
    )
    script.chmod(0o755)
    return report, counts
