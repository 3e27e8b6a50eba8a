"""PatentsView loads on a real FalkorDB graph, checked against counts computed independently
from the generated fixture files (patentcl.loaders.patentsview_fixture)."""

from __future__ import annotations

import csv
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from helpers import broken_rows, dump, dump_graph, read_rejects
from patentcl.config import Settings
from patentcl.graph import GraphStore, open_store
from patentcl.loaders import patentsview_fixture
from patentcl.loaders.filters import LoadFilter
from patentcl.loaders.load import run_load
from patentcl.loaders.patentsview import Options, PatentsViewSource
from patentcl.loaders.tables import InputError


@pytest.fixture(scope="session")
def pv_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The same 200 patents in the current layout and in the older one (abstract in g_patent)."""
    modern, legacy = tmp_path_factory.mktemp("pv_modern"), tmp_path_factory.mktemp("pv_legacy")
    patentsview_fixture.generate(modern, patents=200, seed=5)
    patentsview_fixture.generate(legacy, patents=200, seed=5, legacy_abstract=True)
    return modern, legacy


# -- an independent reading of the fixture files (plain csv, string slicing for CPC) -----------
def _rows(folder: Path, table: str) -> Iterator[tuple[int, dict[str, str]]]:
    broken = broken_rows(folder)
    plain = folder / f"{table}.tsv"
    if plain.exists():
        text = plain.read_text(encoding="utf-8")
    else:
        with zipfile.ZipFile(folder / f"{table}.tsv.zip") as archive:
            text = archive.read(f"{table}.tsv").decode("utf-8")
    lines = text.splitlines()
    header = next(csv.reader([lines[0]], delimiter="\t"))
    for number, line in enumerate(lines[1:], start=2):
        if (f"{table}.tsv", number) not in broken:
            yield number, dict(zip(header, next(csv.reader([line], delimiter="\t"))))


def _lineage(code: str) -> list[str]:
    group, _, sub = code.partition("/")
    main = f"{group}/00"
    return [code[0], code[:3], code[:4], main] + ([code] if sub != "00" else [])


def expected(folder: Path, keep: Any = lambda row: row["patent_type"] == "utility") -> dict[str, Any]:
    patents = {row["patent_id"]: row for _, row in _rows(folder, "g_patent") if keep(row)}
    pairs = {(r["patent_id"], r["cpc_group"]) for _, r in _rows(folder, "g_cpc_current") if r["patent_id"] in patents}
    cpc = {c for _, code in pairs for c in _lineage(code)}
    cites = {
        (r["patent_id"], r["citation_patent_id"])
        for _, r in _rows(folder, "g_us_patent_citation")
        if r["patent_id"] in patents
    }
    titled = {r[k] for _, r in _rows(folder, "g_cpc_title") for k in ("cpc_group", "cpc_subclass", "cpc_class")}
    return {
        "patents": patents,
        "labels": {"Patent": len(patents), "CPC": len(cpc)},
        "relationships": {
            "CLASSIFIED_AS": len(pairs),
            "CHILD_OF": len(cpc) - len({c[0] for c in cpc}),
            "CITES": len({(a, b) for a, b in cites if b in patents}),
        },
        "cpc": cpc,
        "titled": {c for c in cpc if c in titled or len(c) == 1},
        "external_cited": {b for _, b in cites} - set(patents),
    }


def load(
    store: GraphStore,
    settings: Settings,
    folder: Path,
    flt: LoadFilter = LoadFilter(),
    options: Options | None = None,
    **kwargs: Any,
):
    source = PatentsViewSource(folder, flt, options or Options())
    return run_load(
        store, settings, source, rejects_path=settings.home / f"rejects-{settings.graph_name}.tsv", **kwargs
    )


def counts(store: GraphStore) -> tuple[dict[str, int], dict[str, int]]:
    info = store.describe()
    labels = {k: v for k, v in info.labels.items() if k != "SchemaMigration"}
    return labels, info.relationships


# -- tests -----------------------------------------------------------------------------------
def test_load_matches_an_independent_reading_and_rejects_exactly_the_broken_rows(
    store: GraphStore, settings: Settings, pv_broken: Path
) -> None:
    report = load(store, settings, pv_broken, batch_size=97)
    want = expected(pv_broken)
    labels, relationships = counts(store)
    assert labels == want["labels"]
    assert relationships == want["relationships"]

    rejected = {(row["file"].rsplit("/", 1)[-1], int(row["line"])) for row in read_rejects(report.rejects_path)}
    assert rejected == broken_rows(pv_broken) and len(rejected) == 10
    assert report.rejected == 10
    by_step = {s.name: s.counts for s in report.steps}
    assert by_step["g_patent"]["loaded"] == len(want["patents"])
    assert by_step["g_us_patent_citation"]["loaded"] == want["relationships"]["CITES"]
    assert by_step["g_us_patent_citation"]["not_in_graph"] > 0

    patents = {row["id"]: row["props"] for row in dump(store, "dump_patents")}
    for patent_id in list(want["patents"])[:25]:
        row, props = want["patents"][patent_id], patents[patent_id]
        assert props["title"] == row["patent_title"] and props["date"] == row["patent_date"]
        assert props["num_claims"] == int(row["num_claims"]) and props["kind"] == row["wipo_kind"]
        assert (props["number"], props["country"], props["source"], props["type"]) == (
            patent_id,
            "US",
            "patentsview",
            "utility",
        )
        assert props.get("abstract")  # from g_patent_abstract

    cpc = {row["code"]: row["props"] for row in dump(store, "dump_cpc")}
    assert set(cpc) == want["cpc"]
    assert {code for code, props in cpc.items() if props.get("title")} == want["titled"]
    assert cpc["G"]["level"] == "section" and cpc["G06N"]["level"] == "subclass"
    assert cpc["G06N3/00"]["title"] == "Computing arrangements based on biological models"


def test_hierarchy_links_child_to_parent_and_edges_sit_at_the_given_level(
    store: GraphStore, settings: Settings, pv_broken: Path
) -> None:
    load(store, settings, pv_broken)
    relationships = list(dump(store, "dump_relationships"))
    parents = {r["source"]: r["target"] for r in relationships if r["type"] == "CHILD_OF"}
    assert parents["G06N3/084"] == "G06N3/00" and parents["G06N3/00"] == "G06N"
    assert parents["G06N"] == "G06" and parents["G06"] == "G"
    classified = {(r["source"], r["target"]): r["props"] for r in relationships if r["type"] == "CLASSIFIED_AS"}
    rows = [r for _, r in _rows(pv_broken, "g_cpc_current") if (r["patent_id"], r["cpc_group"]) in classified]
    assert rows and all(
        classified[(r["patent_id"], r["cpc_group"])] == {"sequence": int(r["cpc_sequence"]), "type": r["cpc_type"]}
        for r in rows
    )
    cites = [r for r in relationships if r["type"] == "CITES"]
    assert all(set(r["props"]) == {"sequence", "date", "category"} for r in cites)


def test_loading_twice_leaves_the_same_graph(store: GraphStore, settings: Settings, pv_broken: Path) -> None:
    load(store, settings, pv_broken)
    first = dump_graph(store)
    second_report = load(store, settings, pv_broken, batch_size=33)
    assert dump_graph(store) == first
    assert second_report.rejected == 10


def test_legacy_layout_with_the_abstract_in_g_patent_gives_the_same_graph(
    store: GraphStore, settings: Settings, pv_pair: tuple[Path, Path]
) -> None:
    modern, legacy = pv_pair
    assert not (legacy / "g_patent_abstract.tsv").exists()
    load(store, settings, modern)
    other = replace(settings, graph_name=settings.graph_name + "_legacy")
    with open_store(other) as legacy_store:
        load(legacy_store, other, legacy)
        assert dump_graph(legacy_store) == dump_graph(store)
    assert sum(1 for row in dump(store, "dump_patents") if row["props"].get("abstract")) > 150


def test_filters_keep_a_slice_and_edges_follow_it(store: GraphStore, settings: Settings, pv_pair) -> None:
    folder = pv_pair[0]
    flt = LoadFilter.from_options(date_from="2016-01-01", date_to="2021-12-31", types="utility", cpc="G06N,H04L9/")
    load(store, settings, folder, flt)
    codes: dict[str, set[str]] = {}
    for _, row in _rows(folder, "g_cpc_current"):
        codes.setdefault(row["patent_id"], set()).add(row["cpc_group"])

    def keep(row: dict[str, str]) -> bool:
        return (
            row["patent_type"] == "utility"
            and "2016-01-01" <= row["patent_date"] <= "2021-12-31"
            and any(c.startswith(("G06N", "H04L9/")) for c in codes.get(row["patent_id"], ()))
        )

    want = expected(folder, keep)
    assert 0 < want["labels"]["Patent"] < 200
    assert counts(store) == (want["labels"], want["relationships"])


def test_the_realistic_tables_load_to_an_independent_reading(
    store: GraphStore, settings: Settings, tmp_path: Path
) -> None:
    """The scale runs' tables (a real-size CPC scheme, heavy-tailed citations) load whole."""
    patentsview_fixture.generate(tmp_path, patents=1_500, seed=4, realistic=True)
    report = load(store, settings, tmp_path)
    want = expected(tmp_path)
    assert counts(store) == (want["labels"], want["relationships"])
    assert report.rejected == 0 and want["labels"]["CPC"] > 5_000
    cpc = {row["code"]: row["props"] for row in dump(store, "dump_cpc")}
    assert {code for code, props in cpc.items() if props.get("title")} == want["titled"]


def test_sample_loads_n_patents_the_same_n_every_time(store: GraphStore, settings: Settings, pv_pair) -> None:
    folder = pv_pair[0]
    load(store, settings, folder, LoadFilter.from_options(sample=40, seed=1))
    first = {row["id"] for row in dump(store, "dump_patents")}
    assert len(first) == 40
    want = expected(folder, lambda row: row["patent_id"] in first)
    assert counts(store) == (want["labels"], want["relationships"])
    other = replace(settings, graph_name=settings.graph_name + "_again")
    with open_store(other) as again:
        load(again, other, folder, LoadFilter.from_options(sample=40, seed=1))
        assert {row["id"] for row in dump(again, "dump_patents")} == first


def test_cited_patents_outside_the_load_can_be_kept_as_id_only_nodes(
    store: GraphStore, settings: Settings, pv_pair
) -> None:
    folder = pv_pair[0]
    report = load(store, settings, folder, options=Options(keep_external_citations=True, titles=False))
    want = expected(folder)
    labels, relationships = counts(store)
    assert labels["Patent"] == len(want["patents"]) + len(want["external_cited"])
    cites = [r for r in dump(store, "dump_relationships") if r["type"] == "CITES"]
    all_cites = {
        (r["patent_id"], r["citation_patent_id"])
        for _, r in _rows(folder, "g_us_patent_citation")
        if r["patent_id"] in want["patents"]
    }
    assert len(cites) == len(all_cites)
    stubs = [row["props"] for row in dump(store, "dump_patents") if row["id"] in want["external_cited"]]
    assert stubs and all(set(p) == {"id", "number", "country", "source"} for p in stubs)
    assert {s.name: s.counts for s in report.steps}["g_us_patent_citation"]["external"] > 0


def test_a_missing_file_or_column_is_an_error_before_anything_is_written(
    store: GraphStore, settings: Settings, pv_pair, tmp_path: Path
) -> None:
    folder = pv_pair[0]
    for name in ("g_patent.tsv", "g_cpc_current.tsv", "g_us_patent_citation.tsv", "g_cpc_title.tsv"):
        (tmp_path / name).write_bytes((folder / name).read_bytes())
    (tmp_path / "g_patent_abstracts.tsv").write_bytes((folder / "g_patent_abstract.tsv").read_bytes())
    with pytest.raises(InputError, match="g_patent_abstract.tsv or g_patent_abstract.tsv.zip.*g_patent_abstracts.tsv"):
        load(store, settings, tmp_path)
    (tmp_path / "g_patent_abstracts.tsv").rename(tmp_path / "g_patent_abstract.tsv")
    text = (tmp_path / "g_us_patent_citation.tsv").read_text(encoding="utf-8")
    (tmp_path / "g_us_patent_citation.tsv").write_text(
        text.replace('"citation_date"', '"cite_date"', 1), encoding="utf-8"
    )
    with pytest.raises(InputError, match="missing column.*citation_date"):
        load(store, settings, tmp_path)
    assert counts(store) == ({}, {})
