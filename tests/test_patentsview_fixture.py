"""The generated PatentsView tables: the realistic scheme has the real CPC's shape, and its codes
and citations are spread like the real tables' (heavy tails, a vocabulary that grows with the
patents), so that scale runs mine, index and look up data like PatentsView's."""

from __future__ import annotations

import csv
import hashlib
import statistics
from collections import Counter
from pathlib import Path

import pytest

from patentcl.cpc import MAIN_GROUP, SUBGROUP, parse_cpc
from patentcl.loaders import patentsview_fixture
from patentcl.loaders.patentsview_fixture import realistic_scheme


def _column(folder: Path, table: str, column: str) -> list[str]:
    with (folder / f"{table}.tsv").open(encoding="utf-8", newline="") as handle:
        return [row[column] for row in csv.DictReader(handle, delimiter="\t")]


@pytest.fixture(scope="module")
def realistic_20k(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("realistic_20k")
    patentsview_fixture.generate(folder, patents=20_000, seed=3, realistic=True)
    return folder


def test_the_realistic_scheme_has_the_size_and_levels_of_the_real_cpc() -> None:
    scheme = realistic_scheme()
    assert 600 <= len(scheme.subclasses) <= 750  # CPC 2024: 9 sections, 136 classes, about 670 subclasses
    symbols = [code.symbol for code in scheme.codes]
    assert len(set(symbols)) == len(symbols) and 200_000 <= len(symbols) <= 300_000
    mains = [i for i, code in enumerate(scheme.codes) if code.main == i]
    assert 8_000 <= len(mains) <= 14_000
    for index in range(0, len(symbols), 997):
        code = scheme.codes[index]
        parsed = parse_cpc(code.symbol)
        assert parsed.code == code.symbol
        assert parsed.level == (MAIN_GROUP if code.main == index else SUBGROUP)
        assert scheme.family_of_code[index][0] == code.main and index in scheme.family_of_code[index]
        assert code.symbol.startswith(scheme.subclasses[code.subclass].symbol)
        assert index in scheme.by_subclass[code.subclass]
    assert len(scheme.weights) == len(symbols) and min(scheme.weights) > 0


def test_codes_in_use_grow_with_the_patents_and_most_hold_few(realistic_20k: Path, tmp_path: Path) -> None:
    patentsview_fixture.generate(tmp_path, patents=2_000, seed=3, realistic=True)
    small = Counter(_column(tmp_path, "g_cpc_current", "cpc_group"))
    large = Counter(_column(realistic_20k, "g_cpc_current", "cpc_group"))
    assert len(large) > 4 * len(small)  # the small scheme has 108 codes at any size
    sizes = sorted(large.values(), reverse=True)
    assert sum(1 for n in sizes if n <= 25) > 0.9 * len(sizes)  # what cpc-hierarchy negatives need
    assert sizes[0] > 200 and statistics.median(sizes) <= 2  # and a few codes hold hundreds
    per_patent = Counter(_column(realistic_20k, "g_cpc_current", "patent_id")).values()
    assert 3.5 < statistics.mean(per_patent) < 6 and max(per_patent) >= 25


def test_citations_are_heavy_tailed_both_ways(realistic_20k: Path) -> None:
    citing = Counter(_column(realistic_20k, "g_us_patent_citation", "patent_id"))
    cited = Counter(_column(realistic_20k, "g_us_patent_citation", "citation_patent_id"))
    assert 7 <= statistics.median(citing.values()) <= 11 and max(citing.values()) >= 100
    assert statistics.median(cited.values()) <= 2 and max(cited.values()) >= 200


def test_the_same_options_write_the_same_bytes(tmp_path: Path) -> None:
    def digest(folder: Path) -> dict[str, str]:
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}

    first, second, other = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for folder, seed in ((first, 5), (second, 5), (other, 6)):
        patentsview_fixture.generate(folder, patents=500, seed=seed, realistic=True)
    assert digest(first) == digest(second) != digest(other)
