"""Patent CSV exports into a real FalkorDB graph: the quickstart sample, duplicates across
files, rejects, filters, CPC titles; the full shared data set (slow)."""

from __future__ import annotations

import ast
import csv
from pathlib import Path

import pytest

from helpers import SAMPLE_CSV, cli_env, dump, patentcl_executable, read_rejects
from patentcl.config import Settings
from patentcl.graph import GraphStore
from patentcl.loaders.csv_export import CsvSource
from patentcl.loaders.filters import LoadFilter
from patentcl.loaders.load import run_load
from patentcl.loaders.patentsview import TitleStep
from patentcl.loaders.tables import InputError

ALL = LoadFilter(types=None)


def load(store: GraphStore, settings: Settings, files: list[Path], flt: LoadFilter = ALL, **kwargs):
    return run_load(
        store,
        settings,
        CsvSource(files, flt),
        rejects_path=settings.home / f"rejects-{settings.graph_name}.tsv",
        **kwargs,
    )


def counts(store: GraphStore) -> tuple[dict[str, int], dict[str, int]]:
    info = store.describe()
    return {k: v for k, v in info.labels.items() if k != "SchemaMigration"}, info.relationships


def _compact(code: str) -> str:
    return "".join(code.split())


def expected(files: list[Path]) -> tuple[dict[str, int], dict[str, int]]:
    """Counts from a plain reading: distinct ids, the codes of each id's last row (a later row
    replaces the patent whole), the CPC closure of every row's codes."""
    last: dict[str, set[str]] = {}
    every: set[str] = set()
    for path in files:
        with open(path, newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                codes = {_compact(c) for c in (ast.literal_eval(row["cpc_codes"]) if row["cpc_codes"] else [])}
                last[row["publication_number"]] = codes
                every |= codes
    ids, pairs = set(last), {(patent, code) for patent, codes in last.items() for code in codes}
    cpc = set()
    for code in every:
        group, _, sub = code.partition("/")
        cpc.update([code[0], code[:3], code[:4], f"{group}/00"] + ([code] if sub != "00" else []))
    return (
        {"Patent": len(ids), "CPC": len(cpc)},
        {"CLASSIFIED_AS": len(pairs), "CHILD_OF": len(cpc) - len({c[0] for c in cpc})},
    )


def write_csv(path: Path, rows: list[list[str]], header: str = "publication_number,title,abstract,cpc_codes") -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        f.write(header + "\n")
        csv.writer(f, lineterminator="\n").writerows(rows)
    return path


def test_quickstart_sample_loads_completely(store: GraphStore, settings: Settings) -> None:
    report = load(store, settings, [SAMPLE_CSV], batch_size=700)
    assert counts(store) == expected([SAMPLE_CSV])
    assert counts(store)[0]["Patent"] == 3000 and report.rejected == 0
    props = {row["id"]: row["props"] for row in dump(store, "dump_patents")}
    with open(SAMPLE_CSV, newline="", encoding="utf-8") as f:
        first = next(csv.DictReader(f))
    patent = props[first["publication_number"]]
    assert patent["title"] == first["title"] and patent["abstract"] == first["abstract"]
    assert patent["country"] == "US" and patent["source"] == "csv:google-patents-ai-us.csv"
    assert first["publication_number"] == f"US{patent['number']}{patent['kind']}"
    assert {p["type"] for p in props.values()} <= {"utility", "application", "design", "reissue", "plant"}


def test_a_later_row_of_a_patent_in_another_file_replaces_it_whole(
    store: GraphStore, settings: Settings, tmp_path: Path
) -> None:
    a = write_csv(
        tmp_path / "a.csv",
        [
            ["US11532378B2", "First title", "An abstract.", "['G06N3/084', 'G06F16/2255']"],
            ["CN110543639B", "Other", "", "['G06F40/30']"],
        ],
    )
    b = write_csv(tmp_path / "b.csv", [["US11532378B2", "Second title", "", "['G06N3/084', 'H04L9/32']"]])
    report = load(store, settings, [a, b])
    props = {row["id"]: row["props"] for row in dump(store, "dump_patents")}
    assert set(props) == {"US11532378B2", "CN110543639B"}
    assert props["US11532378B2"]["title"] == "Second title" and props["US11532378B2"]["source"] == "csv:b.csv"
    assert "abstract" not in props["US11532378B2"]  # the later row has none: never a mix of two rows
    assert props["CN110543639B"]["country"] == "CN" and "abstract" not in props["CN110543639B"]
    edges = {
        (r["source"], r["target"]): r["props"]
        for r in dump(store, "dump_relationships")
        if r["type"] == "CLASSIFIED_AS"
    }
    assert {k: v["sequence"] for k, v in edges.items() if k[0] == "US11532378B2"} == {
        ("US11532378B2", "G06N3/084"): 0,
        ("US11532378B2", "H04L9/32"): 1,
    }
    assert [report.total("loaded"), report.total("replaced"), report.total("duplicate")] == [2, 1, 0]


def test_same_patent_twice_in_one_batch_and_a_reload(store: GraphStore, settings: Settings, tmp_path: Path) -> None:
    """New patents are CREATEd with their edges; a repeat in the same batch, a later batch or a
    second load must still give one node and one edge per code."""
    a = write_csv(
        tmp_path / "a.csv",
        [
            ["US1B2", "First", "Abstract one.", "['G06N3/084', 'G06F16/2255']"],
            ["US2B2", "Two", "Abstract two.", "['G06N3/08']"],
            ["US1B2", "Again", "", "['G06F16/2255', 'H04L9/32']"],
            ["US3B2", "Three", "Abstract three.", "['G06N3/084']"],
        ],
    )
    for batch_size in (10, 1):
        report = load(store, settings, [a], batch_size=batch_size)
        assert counts(store) == expected([a])
        props = {row["id"]: row["props"] for row in dump(store, "dump_patents")}
        assert props["US1B2"]["title"] == "Again" and "abstract" not in props["US1B2"]
        assert [report.total("loaded"), report.total("replaced")] == [3, 1]  # a reload counts alike
    edges = {
        (r["source"], r["target"]): r["props"]
        for r in dump(store, "dump_relationships")
        if r["type"] == "CLASSIFIED_AS"
    }
    # the later row's codes, in its order: the first row's G06N3/084 is gone
    assert {k[1]: v["sequence"] for k, v in edges.items() if k[0] == "US1B2"} == {"G06F16/2255": 0, "H04L9/32": 1}


def test_a_load_into_a_graph_holding_some_of_its_patents(store: GraphStore, settings: Settings, tmp_path: Path) -> None:
    """A batch is CREATEd whole until one fails on an existing patent (the graph undoes it); then
    the loader asks what exists before each batch, until a batch finds none."""
    a = write_csv(
        tmp_path / "a.csv",
        [["US1B2", "One", "First abstract.", "['G06N3/084']"], ["US2B2", "Two", "", "['G06F16/35']"]],
    )
    load(store, settings, [a])
    b = write_csv(
        tmp_path / "b.csv",
        [
            ["US1B2", "One again", "", "['G06N3/084', 'H04L9/32']"],
            ["US10B2", "", "", "['G06N3/08']"],
            ["US11B2", "", "", "['G06N3/08']"],
            ["US12B2", "", "", "[]"],
            ["US13B2", "", "", "['G06N3/084']"],
            ["US14B2", "", "", "['G06N3/084']"],
            ["US2B2", "", "", "['G06F16/35']"],
            ["US15B2", "", "", "['G06N3/084']"],
        ],
    )
    report = load(store, settings, [b], batch_size=2)
    assert counts(store) == expected([a, b])
    props = {row["id"]: row["props"] for row in dump(store, "dump_patents")}
    assert props["US1B2"]["title"] == "One again" and "abstract" not in props["US1B2"]  # a later load replaces too
    rows = {name: int(stat[0]) for name, stat in report.write_stats.items()}
    # batch 1 fails its CREATE and asks (1 exists), batch 2 asks (none), batch 3 CREATEs whole,
    # batch 4 fails its CREATE and asks (1 exists)
    assert (rows["existing_patents"], rows["create_patents"], rows["load_patents"]) == (6, 6, 2)
    assert report.write_stats["create_patents"][1] > 0


def test_classification_queries_look_codes_up_once_and_skip_a_missing_one(store: GraphStore) -> None:
    """create/load_classifications v3 index each row's codes into the batch's `$codes`: a code the
    graph lacks leaves its slot empty, so its edges are skipped and every other edge still goes
    to its own code with its own sequence."""
    store.run("create_patents", {"rows": [{"id": "US1B2"}, {"id": "US2B2"}]})
    store.run(
        "load_cpc_nodes",
        {"rows": [{"code": "G06N3/08", "level": "subgroup"}, {"code": "H04L9/32", "level": "subgroup"}]},
    )
    params = {
        "codes": ["H04L9/32", "A01B1/00", "G06N3/08"],  # A01B1/00 was never loaded
        "rows": [
            {"id": "US1B2", "at": [2, 1, 0], "sequences": [0, 1, 2], "types": ["inventive"] * 3},
            {"id": "US2B2", "at": [1, 2], "sequences": [0, 1], "types": ["additional"] * 2},
        ],
    }
    assert next(store.run("create_classifications", params))["written"] == 3

    def edges() -> dict[tuple[str, str], dict]:
        return {
            (r["source"], r["target"]): r["props"]
            for r in dump(store, "dump_relationships")
            if r["type"] == "CLASSIFIED_AS"
        }

    expected_edges = {
        ("US1B2", "G06N3/08"): {"sequence": 0, "type": "inventive"},
        ("US1B2", "H04L9/32"): {"sequence": 2, "type": "inventive"},
        ("US2B2", "G06N3/08"): {"sequence": 1, "type": "additional"},
    }
    assert edges() == expected_edges
    assert next(store.run("load_classifications", params))["written"] == 3  # MERGE: found, not doubled
    assert edges() == expected_edges


def test_bad_rows_are_rejected_with_file_line_and_field(store: GraphStore, settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "title,publication_number,cpc_codes,abstract,extra\n"  # other column order, an extra column
        "Good,US1234567B2,\"['G06N3/08']\",ok,x\n"  # line 2
        ",,\"['G06N3/08']\",no id,x\n"  # line 3: empty id
        "Bad code,US1234568B2,\"['G0?N3/x']\",bad,x\n"  # line 4
        "Short,US1234569B2\n"  # line 5: too few fields
        '"Broken "quote",US1234570B2,"[]",x,x\n'  # line 6: broken quoting
        'Spaced,US1234571B2,"G06N 3/084; G06N 3/00",ok,x\n',  # line 7: separated codes
        encoding="utf-8",
    )
    report = load(store, settings, [path])
    rejects = {(int(r["line"]), r["field"]) for r in read_rejects(report.rejects_path)}
    assert {line for line, _ in rejects} == {3, 4, 5, 6}
    assert (3, "publication_number") in rejects and (4, "cpc_codes") in rejects
    assert {row["id"] for row in dump(store, "dump_patents")} == {"US1234567B2", "US1234571B2"}
    targets = {r["target"] for r in dump(store, "dump_relationships") if r["source"] == "US1234571B2"}
    assert targets == {"G06N3/084", "G06N3/00"}


def test_date_filters_need_a_date_column(store: GraphStore, settings: Settings, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no date column"):
        CsvSource([SAMPLE_CSV], LoadFilter.from_options(date_from="2020-01-01", types="all"))
    dated = write_csv(
        tmp_path / "dated.csv",
        [
            ["US1111111B2", "a", "", "['G06N3/08']", "20190105"],
            ["US2222222B2", "b", "", "['G06N3/08']", "2021-03-02"],
            ["US3333333B2", "c", "", "['G06N3/08']", "2021-13-02"],
        ],
        header="publication_number,title,abstract,cpc_codes,publication_date",
    )
    report = load(store, settings, [dated], LoadFilter.from_options(date_from="2020-01-01", types="all"))
    assert [row["id"] for row in dump(store, "dump_patents")] == ["US2222222B2"]
    assert [(r["line"], r["field"]) for r in read_rejects(report.rejects_path)] == [("4", "publication_date")]


def test_cpc_prefix_filter_and_titles(store: GraphStore, settings: Settings, tmp_path: Path) -> None:
    titles = tmp_path / "g_cpc_title.tsv"
    titles.write_text(
        '"cpc_subclass"\t"cpc_subclass_title"\t"cpc_group"\t"cpc_group_title"\t"cpc_class"\t"cpc_class_title"\n'
        '"G06N"\t"Computing arrangements"\t"G06N3/08"\t"Learning methods"\t"G06"\t"Computing"\n',
        encoding="utf-8",
    )
    files = write_csv(
        tmp_path / "p.csv",
        [["US1111111B2", "a", "", "['G06N3/08', 'G06F16/35']"], ["US2222222B2", "b", "", "['H04L9/32']"]],
    )
    run_load(
        store,
        settings,
        CsvSource([files], LoadFilter.from_options(cpc="g06n", types="all")),
        extra_steps=[TitleStep(titles)],
    )
    assert [row["id"] for row in dump(store, "dump_patents")] == ["US1111111B2"]
    cpc = {row["code"]: row["props"].get("title") for row in dump(store, "dump_cpc")}
    assert cpc["G06N3/08"] == "Learning methods" and cpc["G06N"] == "Computing arrangements"
    assert cpc["G06F16/35"] is None and cpc["G"] == "Physics"
    assert "G06F16/35" in cpc  # classifications follow the patents kept, not only the matching codes


@pytest.mark.slow
def test_full_shared_data_set(store: GraphStore, settings: Settings, shared_data: Path) -> None:
    files = sorted(shared_data.glob("*.csv"))
    report = load(store, settings, files)
    assert counts(store) == expected(files)
    assert counts(store)[0]["Patent"] == 31540 and report.rejected == 0


def _invoke(settings: Settings, *args: str):
    from click.testing import CliRunner

    from patentcl.cli import main

    env = cli_env(settings)
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_load_csv_command_prints_a_summary_per_file(settings: Settings, tmp_path: Path) -> None:
    bad = write_csv(tmp_path / "bad.csv", [["US1234567B2", "t", "a", "['G0?N3/x']"]])
    result = _invoke(settings, "load", "csv", str(SAMPLE_CSV), str(bad), "--rows-per-write", "1000")
    assert result.exit_code == 0, result.output
    lines = {line.split("│")[1].strip(): line for line in result.output.splitlines() if line.count("│") > 5}
    sample = [c.strip() for c in lines["google-patents-ai-us.csv"].split("│")]
    assert sample[2:8] == ["3,000", "3,000", "0", "0", "0", "0"]  # read, loaded, replaced, skipped, rejected, duplicate
    assert [c.strip() for c in lines["bad.csv"].split("│")][2:8] == ["1", "0", "0", "0", "1", "0"]
    assert "1 rejected rows listed in" in result.output and "(:Patent) 3,000" in result.output


def test_a_wrongly_named_column_is_one_clear_error_line(settings: Settings, tmp_path: Path) -> None:
    import os
    import subprocess

    path = write_csv(
        tmp_path / "export.csv", [["US1234567B2", "t", "a", "[]"]], header="publication_number,title,abstract,cpc"
    )
    env = {**os.environ, **cli_env(settings)}
    done = subprocess.run([patentcl_executable(), "load", "csv", str(path)], env=env, capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"error: {path}: missing column(s) cpc_codes; its header has: publication_number, title, abstract, cpc"
    ]
