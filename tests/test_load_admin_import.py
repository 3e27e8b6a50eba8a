"""`export admin-import` writes the same graph a load builds: every node, relationship and
property of the neo4j-admin CSV files equals what `load` put into the graph from the same input,
and the real `neo4j-admin database import full` (from the same Maven-resolved Neo4j 5.26 as the
test server) turns those files into that graph."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from helpers import SAMPLE_CSV, Neo4jGraphs, dump_graph
from patentcl.cli import main
from patentcl.config import Settings
from patentcl.graph import GraphStore, open_store
from patentcl.graph.bulk import BULK_FILES, neo4j_import_arguments
from patentcl.graph.neo4j_server import Neo4jServer
from patentcl.loaders import patentsview_fixture
from patentcl.loaders.admin_import import export_admin_import, import_command
from patentcl.loaders.csv_export import CsvSource
from patentcl.loaders.filters import LoadFilter
from patentcl.loaders.load import run_load
from patentcl.loaders.patentsview import Options, PatentsViewSource


def _typed(header: str, value: str) -> tuple[str, Any]:
    name, _, kind = header.partition(":")
    return name, int(value) if kind == "int" else value


def export_rows(outdir: Path) -> dict[str, Any]:
    def table(key: str) -> tuple[list[str], list[list[str]]]:
        with open(outdir / BULK_FILES[key][0], newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            return next(reader), list(reader)

    def props(header: list[str], row: list[str]) -> dict[str, Any]:
        return dict(_typed(h, v) for h, v in zip(header, row) if v != "" and not h.startswith(":"))

    header, patents = table("patents")
    out: dict[str, Any] = {
        "dump_patents": sorted(({"id": r[0], "props": props(header, r)} for r in patents), key=lambda r: r["id"])
    }
    header, nodes = table("cpc")
    out["dump_cpc"] = sorted(({"code": r[0], "props": props(header, r)} for r in nodes), key=lambda r: r["code"])
    relationships = []
    for key, rel in (("child_of", "CHILD_OF"), ("classified_as", "CLASSIFIED_AS"), ("cites", "CITES")):
        header, rows = table(key)
        relationships += [{"type": rel, "source": r[0], "target": r[1], "props": props(header, r)} for r in rows]
    out["dump_relationships"] = sorted(relationships, key=lambda r: (r["type"], r["source"], r["target"]))
    return out


def graph_rows(store: GraphStore) -> dict[str, Any]:
    graph = dump_graph(store)
    graph["dump_relationships"] = sorted(
        graph["dump_relationships"], key=lambda r: (r["type"], r["source"], r["target"])
    )
    return graph


@pytest.mark.parametrize("keep_external", [False, True])
def test_patentsview_export_equals_the_loaded_graph(
    store: GraphStore, settings: Settings, pv_broken: Path, tmp_path: Path, keep_external: bool
) -> None:
    options = Options(keep_external_citations=keep_external)
    run_load(store, settings, PatentsViewSource(pv_broken, LoadFilter(), options))
    report, counts = export_admin_import(
        tmp_path / "out", PatentsViewSource(pv_broken, LoadFilter(), options), batch_size=64
    )
    exported, loaded = export_rows(tmp_path / "out"), graph_rows(store)
    assert exported == loaded
    assert counts["patents"] == len(loaded["dump_patents"]) and report.rejected == 10
    assert not (tmp_path / "out" / "patents-staging.sqlite").exists()


def test_csv_export_replaces_repeated_patents_like_the_load(
    store: GraphStore, settings: Settings, tmp_path: Path
) -> None:
    lines = SAMPLE_CSV.read_text(encoding="utf-8").splitlines(keepends=True)
    first, second = next(csv.reader([lines[1]])), next(csv.reader([lines[2]]))
    head = tmp_path / "head.csv"  # the sample has no newlines inside fields; a repeat inside the file
    head.write_text("".join(lines[:400]) + f"{second[0]},Revised,,\"['H04L9/32']\"\n", encoding="utf-8")
    dup = tmp_path / "dup.csv"
    dup.write_text(
        "publication_number,title,abstract,cpc_codes\n"
        f"{first[0]},Second title,,\"['G06N3/084', 'H04L9/32']\"\n" + "".join(lines[300:320]),
        encoding="utf-8",
    )
    files = [head, dup]
    run_load(store, settings, CsvSource(files, LoadFilter(types=None)), batch_size=7)
    export_admin_import(tmp_path / "out", CsvSource(files, LoadFilter(types=None)), batch_size=7)
    exported = export_rows(tmp_path / "out")
    assert exported == graph_rows(store)
    patents = {row["id"]: row["props"] for row in exported["dump_patents"]}
    assert patents[first[0]]["title"] == "Second title" and "abstract" not in patents[first[0]]
    assert patents[second[0]]["title"] == "Revised"
    assert patents[lines[300].split(",")[0]]["source"] == "csv:head.csv"  # repeated unchanged: a duplicate
    assert {r["target"] for r in exported["dump_relationships"] if r["source"] == second[0]} == {"H04L9/32"}


def test_command_writes_files_and_the_import_command(tmp_path: Path, pv_broken: Path) -> None:
    outdir = tmp_path / "neo4j-import"
    result = CliRunner().invoke(
        main,
        ["export", "admin-import", str(outdir), "--patentsview", str(pv_broken), "--cpc", "G06N", "--json"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["import_command"] == import_command(outdir)
    script = (outdir / "import.sh").read_text()
    assert import_command(outdir) in script
    for name, _, _ in BULK_FILES.values():
        assert (outdir / name).exists() and f"={outdir.resolve()}/{name}" in script
    assert "--nodes=Patent=" in script and "--relationships=CITES=" in script and "--multiline-fields=true" in script
    shown = CliRunner().invoke(
        main,
        ["export", "admin-import", str(tmp_path / "shown [x]"), "--csv", str(SAMPLE_CSV), "--cpc", "G06N3"],
        env={"COLUMNS": "60"},
        catch_exceptions=False,
    )
    assert shown.exit_code == 0, shown.output
    assert import_command(tmp_path / "shown [x]") in shown.stdout.splitlines()  # one line, exactly
    again = CliRunner().invoke(main, ["export", "admin-import", str(tmp_path), "--csv", str(SAMPLE_CSV)])
    assert again.exit_code != 0 and "holds other files" in str(again.exception)


# -- the real neo4j-admin ------------------------------------------------------------------------
# Text the fixture generator never writes: a field over several lines (\n and \r\n), backslashes
# before a quote and at the end, quotes at both ends, separators (neo4j-admin must keep them all;
# the loader strips spaces at the ends, and a field of white space only is no abstract).
AWKWARD_ABSTRACTS = [
    "A first line,\nthen a second one\r\nand a third.",
    'A backslash before a quote \\" stays, and one at the end \\',
    ' spaces around, a "quoted" word, a comma, a tab-free ünïcödé µ “smart” line  ',
    '"Starts and ends with quotes"',
    "\n",
]


@pytest.fixture(scope="module")
def pv_awkward(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """120 patents with a few abstracts rewritten to the awkward texts above."""
    out = tmp_path_factory.mktemp("pv_awkward")
    patentsview_fixture.generate(out, patents=120, seed=13)
    path = out / "g_patent_abstract.tsv"
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f, delimiter="\t"))
    for row, text in zip(rows[1::7], AWKWARD_ABSTRACTS):
        row[1] = text
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f, delimiter="\t", quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)
    return out


def _needs_neo4j(config: pytest.Config) -> None:
    """The real neo4j-admin needs what the Neo4j half of the graph tests needs."""
    if "neo4j" not in [e.strip() for e in config.getoption("--engines").split(",")]:
        pytest.skip("neo4j-admin import needs Neo4j: not in --engines")
    if missing := Neo4jServer.missing_tools():
        if os.environ.get("CI"):
            pytest.fail(f"CI runs the Neo4j tests, but {missing}")
        pytest.skip(f"neo4j-admin import needs Neo4j: {missing}")


@pytest.fixture
def neo4j_settings(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """An empty graph on the session's Neo4j (the source: what the loader builds there). Neo4j
    only: the exported files do not depend on the engine, and test_cross_engine shows that
    FalkorDB loads the same graph."""
    _needs_neo4j(request.config)
    server: Neo4jServer = request.getfixturevalue("neo4j_server")
    return Neo4jGraphs(server.start(), tmp_path_factory.mktemp("neo4j-home")).new("admin_import")


@pytest.fixture
def fresh_neo4j(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Neo4jServer]:
    """A Neo4j of its own that has never started (its jars copied from the Maven cache),
    stopped in the end."""
    _needs_neo4j(request.config)
    server = Neo4jServer(
        tmp_path / "imported-neo4j", {**os.environ, "NEO4J_HEAP_MAX": "512M", "NEO4J_PAGECACHE": "64M"}
    )
    try:
        yield server
    finally:
        server.stop()


def _whole_graph(store: GraphStore) -> dict[str, Any]:
    rows = graph_rows(store)
    rows["label_counts"] = list(store.run("label_counts"))
    rows["relationship_counts"] = list(store.run("relationship_counts"))
    return rows


def _types(row: dict[str, Any]) -> dict[str, str]:
    return {key: type(value).__name__ for key, value in row["props"].items()}


def test_neo4j_admin_import_builds_the_loaded_graph(
    neo4j_settings: Settings, pv_awkward: Path, fresh_neo4j: Neo4jServer, tmp_path: Path
) -> None:
    options = Options(keep_external_citations=True)  # stub patents too
    with open_store(neo4j_settings) as store:
        run_load(store, neo4j_settings, PatentsViewSource(pv_awkward, LoadFilter(types=None), options))
        loaded = _whole_graph(store)
    abstracts = {row["props"].get("abstract") for row in loaded["dump_patents"]}
    assert {text.strip() for text in AWKWARD_ABSTRACTS} - {""} <= abstracts, "the loader keeps the awkward texts"
    export_admin_import(tmp_path / "out", PatentsViewSource(pv_awkward, LoadFilter(types=None), options), batch_size=50)

    # The server's first start comes after the import: Community cannot stop a database.
    done = fresh_neo4j.admin(neo4j_import_arguments(tmp_path / "out"))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "IMPORT DONE" in done.stdout + done.stderr
    connection = fresh_neo4j.start()
    imported = Settings(graph=connection.uri, home=tmp_path / "imported-home", neo4j_password=connection.password)
    with open_store(imported) as target:  # applies the migrations: the unique keys must hold
        graph = _whole_graph(target)
    assert graph == loaded
    for name in ("dump_patents", "dump_cpc", "dump_relationships"):  # and no 1 == 1.0 or "" == None slips by
        assert [_types(row) for row in graph[name]] == [_types(row) for row in loaded[name]], name
    counts = {row["label"]: row["count"] for row in loaded["label_counts"]}
    assert counts["Patent"] > 120 and counts["CPC"] > 0, "stub patents and the CPC hierarchy were imported"
