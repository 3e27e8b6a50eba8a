"""What loads read from the bytes of their input, on both engines: strict decoding in the
encoding given (`--encoding`), a UTF-8 byte-order mark, gzipped tables, files that are not
text, NUL bytes and ids no patent can have."""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from helpers import Graphs, broken_rows, cli_env, dump, dump_graph, patentcl_executable, read_rejects
from patentcl.cli import main
from patentcl.config import Settings
from patentcl.graph import GraphStore, open_store
from patentcl.loaders.csv_export import CsvSource
from patentcl.loaders.filters import LoadFilter
from patentcl.loaders.load import run_load
from patentcl.loaders.patentsview import Options, PatentsViewSource

ALL = LoadFilter(types=None)
HEADER = b"publication_number,title,abstract,cpc_codes\n"
# the same rows in UTF-8, latin-1 and cp1252 (the smart quotes only where the encoding has them)
TITLES = {"US1111111B2": "Café crème brûlée", "US2222222B2": "Straße über Öl"}
SMART = "\u201cSmart\u201d quotes \u2013 and more\u2026"


def _csv(path: Path, encoding: str, smart: bool = False) -> Path:
    rows = dict(TITLES, **({"US3333333B2": SMART} if smart else {}))
    text = "".join(f"{pid},{title},An abstract of {title}.,\"['G06N3/08']\"\n" for pid, title in rows.items())
    path.write_bytes(HEADER + text.encode(encoding))
    return path


def _load(store: GraphStore, settings: Settings, source: Any):
    return run_load(store, settings, source, rejects_path=settings.home / f"rejects-{settings.graph_name}.tsv")


def _titles(store: GraphStore) -> dict[str, str]:
    return {row["id"]: row["props"].get("title") for row in dump(store, "dump_patents")}


def test_a_latin1_file_is_rejected_under_utf8_and_loads_intact_when_named(
    store: GraphStore, settings: Settings, tmp_path: Path
) -> None:
    path = _csv(tmp_path / "latin1.csv", "latin-1")
    data = path.read_bytes()
    report = _load(store, settings, CsvSource([path], ALL))
    rejects = read_rejects(report.rejects_path)
    assert [(r["file"], r["line"]) for r in rejects] == [(str(path), "2"), (str(path), "3")]
    first_bad = data.index("é".encode("latin-1"))
    assert rejects[0]["reason"].startswith(f"byte 0xE9 is not valid utf-8 at byte offset {first_bad}")
    assert _titles(store) == {}  # nothing loaded with a replacement character in it

    report = _load(store, settings, CsvSource([path], ALL, "latin-1"))
    assert report.rejected == 0
    assert _titles(store) == TITLES
    abstracts = {row["id"]: row["props"]["abstract"] for row in dump(store, "dump_patents")}
    assert abstracts["US1111111B2"] == "An abstract of Café crème brûlée."


def test_cp1252_smart_quotes_load_intact(store: GraphStore, settings: Settings, tmp_path: Path) -> None:
    path = _csv(tmp_path / "cp1252.csv", "cp1252", smart=True)
    assert b"\x93" in path.read_bytes()
    report = _load(store, settings, CsvSource([path], ALL, "cp1252"))
    assert report.rejected == 0 and _titles(store) == dict(TITLES, US3333333B2=SMART)


def test_a_byte_order_mark_keeps_the_first_column_name(store: GraphStore, settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + _csv(tmp_path / "plain.csv", "utf-8").read_bytes())
    report = _load(store, settings, CsvSource([path], ALL))  # publication_number is found
    assert report.rejected == 0 and _titles(store) == TITLES


def test_the_encoding_option_of_load_csv_and_export_admin_import(
    store: GraphStore, settings: Settings, tmp_path: Path
) -> None:
    path = _csv(tmp_path / "latin1.csv", "latin-1")
    runner = CliRunner()
    result = runner.invoke(
        main,
        ["load", "csv", str(path), "--encoding", "latin-1", "--json"],
        env=cli_env(settings),
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert _titles(store) == TITLES
    out = tmp_path / "out"
    result = runner.invoke(
        main,
        ["export", "admin-import", str(out), "--csv", str(path), "--encoding", "latin-1", "--json"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert "Café crème brûlée" in (out / "patents.csv").read_text(encoding="utf-8")
    result = runner.invoke(main, ["load", "csv", str(path), "--encoding", "ebcdic"], env=cli_env(settings))
    assert result.exit_code == 2 and "'ebcdic' is not one of" in result.output


def _graph_of(graphs: Graphs, load: Any) -> tuple[dict[str, list], Any]:
    settings = graphs.new()
    with open_store(settings) as store:
        report = load(store, settings)
        return dump_graph(store), report


def test_gzipped_csv_loads_the_same_graph_as_the_plain_file(graphs: Graphs, tmp_path: Path) -> None:
    plain = _csv(tmp_path / "p.csv", "utf-8")
    zipped = tmp_path / "p.csv.gz"
    zipped.write_bytes(gzip.compress(plain.read_bytes()))
    want, _ = _graph_of(graphs, lambda store, settings: _load(store, settings, CsvSource([plain], ALL)))
    got, report = _graph_of(graphs, lambda store, settings: _load(store, settings, CsvSource([zipped], ALL)))
    assert report.rejected == 0 and len(got["dump_patents"]) == 2
    # the same graph, but for the file each patent names as its source
    assert {r["props"].pop("source") for r in got["dump_patents"]} == {"csv:p.csv.gz"}
    assert {r["props"].pop("source") for r in want["dump_patents"]} == {"csv:p.csv"}
    assert got == want


def test_gzipped_patentsview_tables_load_the_same_graph(graphs: Graphs, pv_broken: Path, tmp_path: Path) -> None:
    folder = tmp_path / "gz"
    folder.mkdir()
    plain = tmp_path / "plain"
    plain.mkdir()
    shutil.copy(pv_broken / "BROKEN.txt", plain)
    for table in pv_broken.glob("*.tsv.zip"):
        with zipfile.ZipFile(table) as archive:
            data = archive.read(table.name.removesuffix(".zip"))
        (plain / table.name.removesuffix(".zip")).write_bytes(data)
        (folder / f"{table.name.removesuffix('.zip')}.gz").write_bytes(gzip.compress(data))

    def load(source_folder: Path) -> Any:
        return lambda store, settings: _load(store, settings, PatentsViewSource(source_folder, LoadFilter(), Options()))

    want, _ = _graph_of(graphs, load(plain))
    got, report = _graph_of(graphs, load(folder))
    assert got == want and len(got["dump_patents"]) > 100
    rejected = {(row["file"].rsplit("/", 1)[-1], int(row["line"])) for row in read_rejects(report.rejects_path)}
    assert rejected == {(f"{name}.gz", line) for name, line in broken_rows(plain)}


@pytest.mark.parametrize(
    "command",
    [
        ["load", "csv", "{csv}"],
        ["load", "patentsview", "{folder}"],
        ["export", "admin-import", "{out}", "--csv", "{csv}"],
    ],
)
def test_a_binary_file_is_one_error_line_and_exit_2(settings: Settings, tmp_path: Path, command: list[str]) -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + bytes(range(256))
    csv_path = tmp_path / "export.csv"
    csv_path.write_bytes(png)
    folder = tmp_path / "pv"
    folder.mkdir()
    for table in ("g_patent", "g_patent_abstract", "g_cpc_current", "g_us_patent_citation", "g_cpc_title"):
        (folder / f"{table}.tsv").write_bytes(png)
    args = [part.format(csv=csv_path, folder=folder, out=tmp_path / "out") for part in command]
    done = subprocess.run([patentcl_executable(), *args], env={**os.environ, **cli_env(settings)}, capture_output=True)
    assert done.returncode == 2
    shown = csv_path if command[0] != "load" or command[1] == "csv" else folder / "g_patent.tsv"
    assert done.stderr.decode("utf-8").splitlines() == [f"error: {shown} is not a text table: it holds a PNG image"]


def test_nul_bytes_and_ids_no_patent_can_have_are_rejected_with_a_reason(
    store: GraphStore, settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "bad.csv"
    data = (
        HEADER
        + b"US1111111B2,Good,Fine.,\"['G06N3/08']\"\n"  # line 2
        + b"US2222222B2,Nul,Bro\x00ken.,\"['G06N3/08']\"\n"  # line 3: NUL in the abstract
        + b'"US33""33333B2",Quoted,Fine.,"[\'G06N3/08\']"\n'  # line 4: a quote in the id
        + b"US4444 444B2,Spaced,Fine.,\"['G06N3/08']\"\n"  # line 5: a space in the id
        + b"US5555555B2,Last,Fine.,\"['G06N3/08']\"\n"
    )  # line 6
    path.write_bytes(data)
    report = _load(store, settings, CsvSource([path], ALL))
    rejects = {int(r["line"]): (r["field"], r["reason"]) for r in read_rejects(report.rejects_path)}
    assert rejects == {
        3: ("", f"NUL byte in abstract at byte offset {data.index(0)}"),
        4: ("publication_number", "publication_number 'US33\"33333B2' holds '\"', which a patent id cannot hold"),
        5: ("publication_number", "publication_number 'US4444 444B2' holds ' ', which a patent id cannot hold"),
    }
    assert set(_titles(store)) == {"US1111111B2", "US5555555B2"}


def test_patentsview_ids_with_quotes_are_rejected(store: GraphStore, settings: Settings, tmp_path: Path) -> None:
    (tmp_path / "g_patent.tsv").write_text(
        '"patent_id"\t"patent_type"\t"patent_date"\t"patent_title"\t"wipo_kind"\t"num_claims"\n'
        '"7000001"\t"utility"\t"2020-01-07"\t"Good"\t"B2"\t3\n'
        '"70""00002"\t"utility"\t"2020-01-07"\t"Quoted"\t"B2"\t3\n'
        '"7000\'003"\t"utility"\t"2020-01-07"\t"Apostrophe"\t"B2"\t3\n',
        encoding="utf-8",
    )
    source = PatentsViewSource(
        tmp_path, LoadFilter(), Options(abstracts=False, classifications=False, citations=False, titles=False)
    )
    report = _load(store, settings, source)
    rejects = [(r["line"], r["field"], r["reason"]) for r in read_rejects(report.rejects_path)]
    assert rejects == [
        ("3", "patent_id", "patent_id '70\"00002' holds '\"', which a patent id cannot hold"),
        ("4", "patent_id", 'patent_id "7000\'003" holds "\'", which a patent id cannot hold'),
    ]
    assert set(_titles(store)) == {"7000001"}
