"""Loader parsing without a graph: CPC symbols, code lists, publication numbers, id sets,
filters and the deterministic sample, and reading tables (plain, zipped, broken)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from patentcl.loaders.cpc import CpcError, normalise_prefix, parse_cpc
from patentcl.loaders.csv_export import parse_code_list, split_publication_number
from patentcl.loaders.filters import BadValue, LoadFilter, Sampler, parse_date
from patentcl.loaders.idset import IdSet
from patentcl.loaders.tables import InputError, open_table


@pytest.mark.parametrize("text", ["G06N 3/084", "G06N3/084", "g06n  3/084", "G06N0003/084", " G06N3/084 "])
def test_cpc_spellings_normalise_to_one_code(text: str) -> None:
    code = parse_cpc(text)
    assert (code.code, code.level, code.parent) == ("G06N3/084", "subgroup", "G06N3/00")
    assert [c.code for c in code.lineage()] == ["G", "G06", "G06N", "G06N3/00", "G06N3/084"]
    assert [c.level for c in code.lineage()] == ["section", "class", "subclass", "main_group", "subgroup"]


def test_a_main_group_code_is_the_group_node() -> None:
    assert parse_cpc("G06N 3/00") == parse_cpc("G06N3/00")
    code = parse_cpc("G06N3/00")
    assert (code.level, code.parent) == ("main_group", "G06N")
    assert [c.code for c in code.lineage()] == ["G", "G06", "G06N", "G06N3/00"]


def test_short_codes_and_indexing_codes() -> None:
    assert (parse_cpc("H04L").level, parse_cpc("H04").level, parse_cpc("Y").level) == ("subclass", "class", "section")
    assert parse_cpc("G06T2207/20081").parent == "G06T2207/00"
    assert parse_cpc("G06N  3/08").code == "G06N3/08"  # subgroup digits are kept as written


@pytest.mark.parametrize("text", ["G0?N3/x", "", "Z01B", "G06N3", "G06N0/00", "G06N3/0", "G06N3/084/1", "12"])
def test_unparsable_codes_are_errors(text: str) -> None:
    with pytest.raises(CpcError):
        parse_cpc(text)


def test_prefixes_normalise_like_codes() -> None:
    assert normalise_prefix(" g06n ") == "G06N"
    assert normalise_prefix("G06F 016") == "G06F16"
    assert normalise_prefix("G06N 3/") == "G06N3/"
    with pytest.raises(CpcError):
        normalise_prefix("G06N3x")


def test_code_lists_in_every_spelling() -> None:
    assert parse_code_list("['G06N3/084', 'G06F16/2255']") == ["G06N3/084", "G06F16/2255"]
    assert parse_code_list('["G06N 3/084","G06N3/084"]') == ["G06N3/084"]  # repeats collapse
    assert parse_code_list('[{"code": "G06N3/084", "inventive": true}]') == ["G06N3/084"]
    assert parse_code_list("G06N3/084; H04L9/32 | G06F16/35") == ["G06N3/084", "H04L9/32", "G06F16/35"]
    assert parse_code_list("") == [] and parse_code_list("[]") == []
    for bad in ("['G06N3/084'", "['G06N3/084' junk]", "['G0?N3/x']", '[{"nocode": 1}]'):
        with pytest.raises(BadValue):
            parse_code_list(bad)


@pytest.mark.parametrize("publication, parts", [
    ("US11532378B2", ("US", "11532378", "B2")),
    ("US2020123456A1", ("US", "2020123456", "A1")),
    ("USRE49000E", ("US", "RE49000", "E")),
    ("USD912345S", ("US", "D912345", "S")),
    ("CN110543639B", ("CN", "110543639", "B")),
    ("WO2021123456A1", ("WO", "2021123456", "A1")),
    ("11532378", (None, "11532378", None)),
])
def test_publication_numbers_split_into_country_number_kind(publication: str, parts: tuple) -> None:
    assert split_publication_number(publication) == parts


def test_idset_holds_every_id_shape() -> None:
    ids = ["11532378", "D912345", "RE49000", "PP33000", "H002345", "US11532378B2", "7", "99999999"]
    kept = IdSet(ids)
    assert all(i in kept for i in ids) and len(kept) == len(ids)
    for absent in ("11532377", "D912346", "RE49001", "H2345", "US11532378B1", "", "0", "PP3300"):
        assert absent not in kept
    assert not kept.add("D912345") and len(kept) == len(ids)
    assert kept.nbytes < 2_000_000  # a bit per possible number, not a string per id
    assert kept.discard("D912345") and kept.discard("US11532378B2") and not kept.discard("D912345")
    assert "D912345" not in kept and "US11532378B2" not in kept and "D912344" not in kept
    assert len(kept) == len(ids) - 2 and all(i in kept for i in ids if i not in ("D912345", "US11532378B2"))


def test_dates_are_checked_against_the_calendar() -> None:
    assert parse_date("2024-02-29") == "2024-02-29"
    for bad in ("2021-13-45", "2023-02-29", "20210101", "2021-1-5", ""):
        with pytest.raises(BadValue):
            parse_date(bad)


def test_filter_options_and_tests() -> None:
    flt = LoadFilter.from_options(date_from="2020-01-01", date_to="2020-12-31", types="utility,design",
                                  cpc="g06n, H04L9/")
    assert flt.cpc_prefixes == ("G06N", "H04L9/")
    assert flt.keeps("utility", "2020-06-02") and flt.keeps("design", "2020-01-01")
    assert not flt.keeps("plant", "2020-06-02") and not flt.keeps("utility", "2021-01-05")
    assert not flt.keeps("utility", None)  # a date filter drops undated patents
    assert LoadFilter.from_options(types="all").keeps(None, None)
    for bad in ({"date_from": "2020-13-01"}, {"date_from": "2021-01-01", "date_to": "2020-01-01"},
                {"sample": 0}, {"cpc": "nonsense"}):
        with pytest.raises(ValueError):
            LoadFilter.from_options(**bad)


def test_sample_is_deterministic_nested_and_order_free() -> None:
    ids = [str(8_000_000 + 7 * i) for i in range(5000)]

    def sample(n: int, order: list[str], seed: int = 0) -> set[str]:
        sampler = Sampler(n, seed)
        for i in order:
            sampler.offer(i)
        sampler.offer(order[0])  # offering an id twice changes nothing
        chosen = sampler.chosen()
        return {i for i in ids if i in chosen}

    small, large = sample(100, ids), sample(400, ids)
    assert len(small) == 100 and len(large) == 400
    assert small == sample(100, ids[::-1])  # file order does not matter
    assert small <= large  # a larger sample keeps every patent of a smaller one
    assert small != sample(100, ids, seed=1)


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_tables_find_columns_by_name_and_number_lines(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.tsv", '\ufeff"b"\t"a"\n"x"\t1\n\n"multi\nline"\t2\n"bad "quote"\t3\n"y"\t4\n')
    with open_table(path, "\t") as table:
        assert table.columns == {"b": 0, "a": 1}  # a byte-order mark is not part of the first name
        records = list(table.records())
    assert [(r.line, r.fields) for r in records if r.fields] == [
        (2, ["x", "1"]), (4, ["multi\nline", "2"]), (7, ["y", "4"])]
    broken = [r for r in records if r.fields is None]
    assert len(broken) == 1 and broken[0].line == 6 and "quot" in broken[0].error


def test_zipped_tables_read_like_plain_ones(tmp_path: Path) -> None:
    plain = _write(tmp_path / "g_patent.tsv", '"patent_id"\t"num_claims"\n"11532378"\t12\n')
    with zipfile.ZipFile(tmp_path / "g_patent.tsv.zip", "w") as archive:
        archive.write(plain, "g_patent.tsv")
    with open_table(tmp_path / "g_patent.tsv.zip", "\t") as zipped, open_table(plain, "\t") as unzipped:
        assert zipped.display.endswith("g_patent.tsv.zip/g_patent.tsv")
        assert [r.fields for r in zipped.records()] == [r.fields for r in unzipped.records()] == [["11532378", "12"]]


def test_missing_files_and_columns_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        open_table(tmp_path / "nope.tsv", "\t")
    path = _write(tmp_path / "t.tsv", '"patent_id"\t"patent_titel"\n')
    with open_table(path, "\t") as table, pytest.raises(InputError, match="missing column.*patent_title.*patent_titel"):
        table.require(["patent_id", "patent_title"])
    with pytest.raises(InputError, match="empty"):
        open_table(_write(tmp_path / "empty.tsv", ""), "\t")


def test_a_damaged_zip_is_a_clear_error_naming_the_line(tmp_path: Path) -> None:
    rows = "".join(f'"{8_000_000 + i}"\t"title number {i} {i * 7919 % 1000}"\n' for i in range(20_000))
    with zipfile.ZipFile(tmp_path / "g_patent.tsv.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("g_patent.tsv", '"patent_id"\t"patent_title"\n' + rows)
    data = bytearray((tmp_path / "g_patent.tsv.zip").read_bytes())
    middle = len(data) // 2
    data[middle:middle + 64] = bytes(64)  # corrupt the compressed stream
    (tmp_path / "g_patent.tsv.zip").write_bytes(bytes(data))
    with open_table(tmp_path / "g_patent.tsv.zip", "\t") as table:
        with pytest.raises(InputError, match=r"g_patent.tsv is damaged after line \d+.*--resume"):
            for _ in table.records():
                pass
