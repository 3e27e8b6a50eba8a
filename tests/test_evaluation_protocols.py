"""The published and the clean CPC protocols, on small CSV files and on the real data."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from patentcl.evaluation.protocols import ProtocolDataError, clean_protocol, published_protocol, source_files
from patentcl.families import normalise

HEADER = ["publication_number", "title", "abstract", "cpc_codes"]


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def rows(n: int, start: int = 0, codes: str = "['G06N3/08', 'RARE%d']") -> list[list[str]]:
    return [
        [f"US{i}B2", f"title {i}", f"abstract number {i} of a small test patent", codes % i if "%d" in codes else codes]
        for i in range(start, start + n)
    ]


def test_published_protocol_preprocessing_and_split(tmp_path: Path) -> None:
    # File names decide the order; b_ holds a duplicate row of a_, an empty abstract and an empty code list.
    write_csv(
        tmp_path / "b_second.csv",
        [rows(1, 0)[0], ["US999B2", "t", "", "['G06N3/08']"], ["US998B2", "t", "no codes", "[]"], *rows(40, 100)],
    )
    write_csv(tmp_path / "a_first.csv", rows(60))
    protocol = published_protocol(source_files([tmp_path]), min_share=0.05)
    # 60 + 40 distinct rows with text; the no-code row is dropped for having no label.
    assert protocol.labels == ["G06N3/08"]  # each RARE code is in one row only, under 5%
    assert len(protocol.train) + len(protocol.test) == 100
    assert len(protocol.test) == 10  # int(0.1 * 100): fastai's RandomSplitter
    assert set(protocol.train["publication_number"]).isdisjoint(protocol.test["publication_number"])
    assert all(codes == ["G06N3/08"] for codes in protocol.test["codes"])
    assert protocol.details["rows_read"] == 103
    import torch

    torch.manual_seed(42)
    expected = set(torch.randperm(100)[:10].tolist())
    ordered = [f"US{i}B2" for i in range(60)] + [f"US{i}B2" for i in range(100, 140)]  # a_ first, then b_
    assert set(protocol.test["publication_number"]) == {ordered[i] for i in expected}


def test_published_protocol_marks_test_rows_whose_abstract_is_in_train(tmp_path: Path) -> None:
    data = rows(50)
    # Family members: other numbers, the same abstract up to case and spacing.
    data += [[f"EP{i}A1", "t", f"Abstract  NUMBER {i} of a small, test patent.", "['G06N3/08']"] for i in range(50)]
    protocol = published_protocol([write_csv(tmp_path / "a.csv", data)], min_share=0.05)
    twins = {normalise(a) for a in protocol.train["abstract"]}
    assert protocol.test["duplicate_in_train"].tolist() == [normalise(a) in twins for a in protocol.test["abstract"]]
    assert protocol.test["duplicate_in_train"].any()


def test_clean_protocol_keeps_identical_abstracts_on_one_side(tmp_path: Path) -> None:
    data = rows(80) + [
        [f"EP{i}A1", "t", f"Abstract  NUMBER {i} of a small, test patent.", "['G06N3/08']"] for i in range(80)
    ]
    data += [["US5B2", "t", "a second row of US5B2", "['G06N3/08']"]]  # one row per publication: the first wins
    path = write_csv(tmp_path / "a.csv", data)
    protocol = clean_protocol([path], ["G06N3/08"], test_fraction=0.2)
    assert len(protocol.train) + len(protocol.test) == 160
    assert not protocol.test["duplicate_in_train"].any()
    assert set(protocol.train["family"]).isdisjoint(protocol.test["family"])
    assert set(protocol.train["abstract"].map(normalise)).isdisjoint(protocol.test["abstract"].map(normalise))
    assert 32 <= len(protocol.test) <= 33  # whole groups of two until 20% of 160 rows
    fit, validation = protocol.validation_split(0.25, seed=1)
    assert set(protocol.train["family"].iloc[fit]).isdisjoint(protocol.train["family"].iloc[validation])
    assert "a second row of US5B2" not in set(protocol.train["abstract"]) | set(protocol.test["abstract"])


def test_bad_files_are_named_with_line_and_field(tmp_path: Path) -> None:
    no_codes = tmp_path / "no_codes.csv"
    no_codes.write_text("publication_number,title,abstract\nUS1B2,t,a\n", encoding="utf-8")
    with pytest.raises(ProtocolDataError, match=r"no_codes.csv: missing column\(s\) cpc_codes"):
        published_protocol([no_codes])
    bad = write_csv(tmp_path / "bad.csv", [*rows(3), ["US9B2", "t", "a", "['G06N3/08'"]])
    with pytest.raises(ProtocolDataError, match=r"bad.csv line 5: field cpc_codes is not a list literal"):
        published_protocol([bad])
    with pytest.raises(ProtocolDataError, match="no such file"):
        source_files([tmp_path / "missing.csv"])


@pytest.mark.slow
def test_real_data_matches_the_published_counts(shared_data: Path) -> None:
    published = published_protocol(source_files([shared_data]))
    assert published.details["rows_used"] == 32172  # as the data's README states
    assert len(published.labels) == 129
    assert published.details["is_the_published_setup"]
    assert len(published.test) == 2394
    share = published.test["duplicate_in_train"].mean()
    assert 0.12 < share < 0.16  # about 14% of the published test rows have their abstract in train
    clean = clean_protocol(source_files([shared_data]), published.labels)
    assert clean.test["publication_number"].is_unique and not clean.test["duplicate_in_train"].any()
