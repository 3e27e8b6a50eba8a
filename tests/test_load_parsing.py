"""Loader parsing without a graph: CPC symbols, code lists, publication numbers, id sets,
filters and the deterministic sample, and reading tables (plain, zipped, gzipped, broken,
in another encoding, not text at all)."""

from __future__ import annotations

import gzip
import zipfile
from pathlib import Path

import pytest

from patentcl.cpc import LEVELS, CpcError, at_level, normalise_prefix, parse_code_list, parse_cpc
from patentcl.loaders.csv_export import split_publication_number
from patentcl.loaders.filters import BadValue, LoadFilter, Sampler, parse_date
from patentcl.loaders.ids import check_id
from patentcl.loaders.idset import IdSet
from patentcl.loaders.runner import Rejected
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


def test_a_code_at_every_level_is_its_ancestor_there() -> None:
    code = parse_cpc("G06N3/084")
    assert [at_level(code.code, level) for level in LEVELS] == [c.code for c in code.lineage()]
    assert at_level("G06N", "main_group") == "G06N"  # already coarser: stays as it is
    with pytest.raises(CpcError, match="section, class, subclass, main_group, subgroup"):
        at_level("G06N3/084", "main-group")


def test_code_lists_in_every_spelling() -> None:
    assert parse_code_list("['G06N3/084', 'G06F16/2255']") == ["G06N3/084", "G06F16/2255"]
    assert parse_code_list('["G06N 3/084","G06N3/084"]') == ["G06N3/084"]  # repeats collapse
    assert parse_code_list('[{"code": "G06N3/084", "inventive": true}]') == ["G06N3/084"]
    assert parse_code_list("G06N3/084; H04L9/32 | G06F16/35") == ["G06N3/084", "H04L9/32", "G06F16/35"]
    assert parse_code_list("") == [] and parse_code_list("[]") == []
    for bad in ("['G06N3/084'", "['G06N3/084' junk]", "['G0?N3/x']", '[{"nocode": 1}]'):
        with pytest.raises(CpcError, match="^cpc_codes: "):
            parse_code_list(bad)


@pytest.mark.parametrize(
    "publication, parts",
    [
        ("US11532378B2", ("US", "11532378", "B2")),
        ("US2020123456A1", ("US", "2020123456", "A1")),
        ("USRE49000E", ("US", "RE49000", "E")),
        ("USD912345S", ("US", "D912345", "S")),
        ("CN110543639B", ("CN", "110543639", "B")),
        ("WO2021123456A1", ("WO", "2021123456", "A1")),
        ("11532378", (None, "11532378", None)),
    ],
)
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
    flt = LoadFilter.from_options(
        date_from="2020-01-01", date_to="2020-12-31", types="utility,design", cpc="g06n, H04L9/"
    )
    assert flt.cpc_prefixes == ("G06N", "H04L9/")
    assert flt.keeps("utility", "2020-06-02") and flt.keeps("design", "2020-01-01")
    assert not flt.keeps("plant", "2020-06-02") and not flt.keeps("utility", "2021-01-05")
    assert not flt.keeps("utility", None)  # a date filter drops undated patents
    assert LoadFilter.from_options(types="all").keeps(None, None)
    for bad in (
        {"date_from": "2020-13-01"},
        {"date_from": "2021-01-01", "date_to": "2020-01-01"},
        {"sample": 0},
        {"cpc": "nonsense"},
    ):
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
        (2, ["x", "1"]),
        (4, ["multi\nline", "2"]),
        (7, ["y", "4"]),
    ]
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
    data[middle : middle + 64] = bytes(64)  # corrupt the compressed stream
    (tmp_path / "g_patent.tsv.zip").write_bytes(bytes(data))
    with open_table(tmp_path / "g_patent.tsv.zip", "\t") as table:
        with pytest.raises(InputError, match=r"g_patent.tsv is damaged after line \d+.*--resume"):
            for _ in table.records():
                pass


def _records(path: Path, encoding: str = "utf-8") -> list[tuple[int, list[str] | None, str | None]]:
    with open_table(path, ",", encoding) as table:
        return [tuple(record) for record in table.records()]


def test_bytes_not_valid_in_the_encoding_reject_their_record_with_line_and_byte_offset(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    data = 'id,title\n1,plain\n2,Caf\xe9 cr\xe8me\n3,"two\nlines \xfc"\n4,after\n'.encode("latin-1")
    path.write_bytes(data)
    strict = _records(path)
    assert [(line, fields) for line, fields, _ in strict] == [
        (2, ["1", "plain"]),
        (3, None),
        (4, None),
        (6, ["4", "after"]),
    ]  # reading goes on after each
    e_acute, u_umlaut = data.index(0xE9), data.index(0xFC)
    assert strict[1][2].startswith(f"byte 0xE9 is not valid utf-8 at byte offset {e_acute} ")
    assert "--encoding" in strict[1][2]
    # the bad byte of a record spanning lines: its offset, and the line it is on
    assert f"byte 0xFC is not valid utf-8 at byte offset {u_umlaut} (line 5)" in strict[2][2]
    assert [fields for _, fields, _ in _records(path, "latin-1")] == [
        ["1", "plain"],
        ["2", "Café crème"],
        ["3", "two\nlines ü"],
        ["4", "after"],
    ]
    header = tmp_path / "header.csv"
    header.write_bytes("id,titr\xe9\n1,a\n".encode("latin-1"))
    with pytest.raises(
        InputError,
        match=r"header.csv is not a text table in utf-8: its header, at byte offset 7: "
        r"byte 0xE9 is not valid utf-8 \(for a latin-1 or cp1252 file",
    ):
        open_table(header, ",")


def test_cp1252_reads_smart_quotes_and_rejects_its_undefined_bytes(tmp_path: Path) -> None:
    path = tmp_path / "cp1252.csv"
    data = b"id,title\n1,\x93Smart\x94 \x96 quotes\x85\n2,undefined \x81 byte\n"
    path.write_bytes(data)
    records = _records(path, "cp1252")
    assert records[0] == (2, ["1", "\u201cSmart\u201d \u2013 quotes\u2026"], None)
    assert records[1] == (3, None, f"byte 0x81 is not valid cp1252 at byte offset {data.index(0x81)}")
    assert all(fields is None for _, fields, _ in _records(path))  # not UTF-8 either


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig"])
def test_a_utf8_byte_order_mark_is_dropped(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbfpublication_number,title\nUS1B2,\xc3\xa9t\xc3\xa9\n")
    with open_table(path, ",", encoding) as table:
        assert table.header == ["publication_number", "title"]
        assert [r.fields for r in table.records()] == [["US1B2", "été"]]
    with pytest.raises(InputError, match="byte-order mark: it is UTF-8, not latin-1"):
        open_table(path, ",", "latin-1")


def test_gzipped_tables_read_like_plain_ones(tmp_path: Path) -> None:
    for name, delimiter, text in (
        ("p.csv", ",", 'id,title\n1,"a, b"\n2,c\n'),
        ("g_patent.tsv", "\t", '"patent_id"\t"num_claims"\n"11532378"\t12\n'),
    ):
        plain = _write(tmp_path / name, text)
        (tmp_path / f"{name}.gz").write_bytes(gzip.compress(text.encode()))
        with open_table(plain, delimiter) as a, open_table(tmp_path / f"{name}.gz", delimiter) as b:
            assert a.header == b.header and b.display == str(tmp_path / f"{name}.gz")
            records = list(b.records())
            assert records == list(a.records()) and len(records) == 2 - (delimiter == "\t")


@pytest.mark.parametrize(
    "name, data, what",
    [
        ("picture.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "a PNG image"),
        ("export.csv", gzip.compress(b"id,title\n1,a\n"), "gzip-compressed data (name it .csv.gz or .tsv.gz)"),
        ("g_patent.tsv", b"PK\x03\x04\x14\x00\x00\x00\x08\x00", "a zip archive (name it .zip)"),
        ("noise.csv", bytes(range(256)) * 300, None),
        ("control.csv", b"id\x01,ti\x02tle\n1,2\n", None),
    ],
)
def test_a_file_that_is_not_text_is_one_clear_error_line(
    tmp_path: Path, name: str, data: bytes, what: str | None
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(InputError) as caught:
        open_table(path, ",")
    message = str(caught.value)
    assert message.startswith(f"{path} is not a text table") and message.isprintable()
    if what:
        assert message.endswith(f"it holds {what}")
    (tmp_path / "wrong.csv.gz").write_bytes(b"id,title\n1,a\n")  # named .gz, not gzipped
    with pytest.raises(InputError, match=r"wrong.csv.gz: cannot be read: Not a gzipped file") as caught:
        open_table(tmp_path / "wrong.csv.gz", ",")
    assert str(caught.value).isprintable()


def test_a_nul_byte_rejects_its_record_naming_the_field(tmp_path: Path) -> None:
    path = tmp_path / "nul.csv"
    data = b"id,title,abstract\n1,a,fine\n2,b,bro\x00ken\n3,c,fine\n"
    path.write_bytes(data)
    assert _records(path) == [
        (2, ["1", "a", "fine"], None),
        (3, None, f"NUL byte in abstract at byte offset {data.index(0)}"),
        (4, ["3", "c", "fine"], None),
    ]


@pytest.mark.parametrize("patent_id", ["11532378", "D912345", "USRE49000E", "US-11532378-B2", "CN110543639B"])
def test_ids_of_every_shape_pass_the_id_check(patent_id: str) -> None:
    assert check_id(patent_id, "patent_id") == patent_id


@pytest.mark.parametrize(
    "patent_id, char",
    [
        ('US1"2B2', '"'),
        ("US1'2B2", "'"),
        ("1153\\2378", "\\"),
        ("US 1B2", " "),
        ("US1\x00B2", "\x00"),
        ("11\u200b53", "\u200b"),
    ],
)
def test_ids_with_characters_an_id_cannot_hold_are_rejected(patent_id: str, char: str) -> None:
    with pytest.raises(Rejected) as caught:
        check_id(patent_id, "publication_number")
    assert caught.value.field == "publication_number"
    assert caught.value.reason == f"publication_number {patent_id!r} holds {char!r}, which a patent id cannot hold"
    assert caught.value.reason.isprintable()
    with pytest.raises(Rejected, match="^publication_number is empty$"):
        check_id("", "publication_number")
