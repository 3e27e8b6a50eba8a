"""`export admin-import` writes the same graph a load builds: every node, relationship and
property of the neo4j-admin CSV files equals what `load` put into FalkorDB from the same input."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from helpers import SAMPLE_CSV
from patentcl.cli import main
from patentcl.config import Settings
from patentcl.graph import GraphStore
from patentcl.loaders.admin_import import FILES, export_admin_import, import_command
from patentcl.loaders.csv_export import CsvSource
from patentcl.loaders.filters import LoadFilter
from patentcl.loaders.load import run_load
from patentcl.loaders.patentsview import Options, PatentsViewSource
from test_load_patentsview import dump, pv_broken  # noqa: F401  (pv_broken is a fixture)


def _typed(header: str, value: str) -> tuple[str, Any]:
    name, _, kind = header.partition(":")
    return name, int(value) if kind == "int" else value


def export_rows(outdir: Path) -> dict[str, Any]:
    def table(key: str) -> tuple[list[str], list[list[str]]]:
        with open(outdir / FILES[key][0], newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            return next(reader), list(reader)

    def props(header: list[str], row: list[str]) -> dict[str, Any]:
        return dict(_typed(h, v) for h, v in zip(header, row) if v != "" and not h.startswith(":"))

    header, patents = table("patents")
    out: dict[str, Any] = {"dump_patents": sorted(({"id": r[0], "props": props(header, r)} for r in patents),
                                                  key=lambda r: r["id"])}
    header, nodes = table("cpc")
    out["dump_cpc"] = sorted(({"code": r[0], "props": props(header, r)} for r in nodes), key=lambda r: r["code"])
    relationships = []
    for key, rel in (("child_of", "CHILD_OF"), ("classified_as", "CLASSIFIED_AS"), ("cites", "CITES")):
        header, rows = table(key)
        relationships += [{"type": rel, "source": r[0], "target": r[1], "props": props(header, r)} for r in rows]
    out["dump_relationships"] = sorted(relationships, key=lambda r: (r["type"], r["source"], r["target"]))
    return out


def graph_rows(store: GraphStore) -> dict[str, Any]:
    graph = dump(store)
    graph["dump_relationships"] = sorted(graph["dump_relationships"], key=lambda r: (r["type"], r["source"], r["target"]))
    return graph


@pytest.mark.parametrize("keep_external", [False, True])
def test_patentsview_export_equals_the_loaded_graph(store: GraphStore, settings: Settings, pv_broken: Path,
                                                    tmp_path: Path, keep_external: bool) -> None:
    options = Options(keep_external_citations=keep_external)
    run_load(store, settings, PatentsViewSource(pv_broken, LoadFilter(), options))
    report, counts = export_admin_import(tmp_path / "out", PatentsViewSource(pv_broken, LoadFilter(), options),
                                         batch_size=64)
    exported, loaded = export_rows(tmp_path / "out"), graph_rows(store)
    assert exported == loaded
    assert counts["patents"] == len(loaded["dump_patents"]) and report.rejected == 10
    assert not (tmp_path / "out" / "patents-staging.sqlite").exists()


def test_csv_export_merges_duplicates_like_the_load(store: GraphStore, settings: Settings, tmp_path: Path) -> None:
    lines = SAMPLE_CSV.read_text(encoding="utf-8").splitlines(keepends=True)
    head = tmp_path / "head.csv"
    head.write_text("".join(lines[:400]), encoding="utf-8")  # the sample has no newlines inside fields
    first = next(csv.reader([lines[1]]))
    dup = tmp_path / "dup.csv"
    dup.write_text("publication_number,title,abstract,cpc_codes\n"
                   f"{first[0]},Second title,,\"['G06N3/084', 'H04L9/32']\"\n", encoding="utf-8")
    files = [head, dup]
    run_load(store, settings, CsvSource(files, LoadFilter(types=None)))
    export_admin_import(tmp_path / "out", CsvSource(files, LoadFilter(types=None)))
    assert export_rows(tmp_path / "out") == graph_rows(store)


def test_command_writes_files_and_the_import_command(tmp_path: Path, pv_broken: Path) -> None:
    outdir = tmp_path / "neo4j-import"
    result = CliRunner().invoke(main, ["export", "admin-import", str(outdir), "--patentsview", str(pv_broken),
                                       "--cpc", "G06N", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    script = (outdir / "import.sh").read_text()
    assert import_command(outdir) in script
    for key, (name, _) in FILES.items():
        assert (outdir / name).exists() and f"={outdir.resolve()}/{name}" in script
    assert "--nodes=Patent=" in script and "--relationships=CITES=" in script and "--multiline-fields=true" in script
    again = CliRunner().invoke(main, ["export", "admin-import", str(tmp_path), "--csv", str(SAMPLE_CSV)])
    assert again.exit_code != 0 and "holds other files" in str(again.exception)
