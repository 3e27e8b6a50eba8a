"""Patent families (patentcl.families): normalisation, grouping, family keys on the graph, mining
splits that never split a family, and the family leak of the evaluation protocols."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from helpers import SAMPLE_CSV, csv_families, split_of
from patentcl.config import Settings
from patentcl.evaluation.protocols import clean_protocol, published_protocol
from patentcl.families import MIN_WORDS, Families, abstract_families, abstract_key, family_figures, normalise
from patentcl.graph import GraphStore
from patentcl.loaders.csv_export import CsvSource
from patentcl.loaders.filters import LoadFilter
from patentcl.loaders.load import run_load
from patentcl.mining.index import INDEX_ID, ensure_index, fingerprint
from patentcl.mining.miner import MineOptions, mine
from patentcl.mining.splits import rank_of
from patentcl.triplets import SPLITS

HEADER = ["publication_number", "title", "abstract", "cpc_codes"]
LONG = "a method of fine-tuning a neural network on patent texts with contrastive triplets"


def write_csv(path: Path, rows: list[list[str]] | list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows([[r[c] for c in HEADER] if isinstance(r, dict) else r for r in rows])
    return path


# -- normalisation and grouping -------------------------------------------------------------------


def test_normalise_folds_compatibility_forms_case_punctuation_and_spacing() -> None:
    assert normalise("The  ﬁrst\tSTRASSE, Straße;\n(Ａ１) — done!") == "the first strasse strasse a1 done"
    assert normalise("Größe  Ünits") == normalise("GRÖSSE ünits")  # case folding, not ASCII stripping
    assert normalise("深度学习 模型。") == "深度学习 模型"  # letters of any script are kept
    assert normalise(" ,;. ") == ""


def test_abstract_key_ignores_empty_and_placeholder_abstracts() -> None:
    assert abstract_key(None) is None and abstract_key("") is None and abstract_key("   ") is None
    assert abstract_key("FIELD: physics.") is None
    assert abstract_key(" ".join(["word"] * (MIN_WORDS - 1))) is None
    assert abstract_key(" ".join(["word"] * MIN_WORDS)) is not None
    assert abstract_key(LONG) == abstract_key(LONG.upper().replace(" ", "  ") + ".")
    assert abstract_key(LONG) != abstract_key(LONG + " again")


def test_families_link_transitively_and_are_keyed_by_their_smallest_id() -> None:
    families = Families()
    families.add("US3", ("a",))
    families.add("EP2", ("b",))
    families.add("WO9", ("a", "b"))  # links US3's family and EP2's
    families.add("CN1", (None,))  # no key: alone
    families.add("US7", ("c",))
    assert families.keys() == {"US3": "EP2", "EP2": "EP2", "WO9": "EP2", "CN1": "CN1", "US7": "US7"}
    assert family_figures(families.keys()) == {"families": 1, "patents_in_families": 3}


def test_the_family_key_does_not_depend_on_the_order_patents_come_in() -> None:
    patents = [
        ("US5", LONG),
        ("EP1", LONG.title()),
        ("WO3", LONG + "!"),
        ("US2", "FIELD: physics."),
        ("US4", "FIELD: physics."),
        ("JP9", "another abstract about graph databases of patents and codes"),
    ]
    expected = {"US5": "EP1", "EP1": "EP1", "WO3": "EP1", "US2": "US2", "US4": "US4", "JP9": "JP9"}
    assert abstract_families(patents) == expected
    assert abstract_families(reversed(patents)) == expected


# -- families on the graph and in mined splits ----------------------------------------------------


def twin_rows(rows: list[dict[str, str]], count: int) -> list[dict[str, str]]:
    """A twin of each of the first `count` rows: another number whose own hash lies in another
    split than the original's, the same codes, the abstract up to case, spacing and punctuation."""
    twins: list[dict[str, str]] = []
    for row in rows[:count]:
        number = next(
            f"WO{row['publication_number'][2:]}{n}"
            for n in range(100)
            if split_of(f"WO{row['publication_number'][2:]}{n}") != split_of(row["publication_number"])
        )
        abstract = row["abstract"].upper().replace(" ", "  ").replace(",", " ,")
        twins.append({**row, "publication_number": number, "abstract": abstract})
    return twins


Twinned = tuple[Path, list[dict[str, str]], list[dict[str, str]]]


@pytest.fixture
def twinned(tmp_path: Path) -> Twinned:
    """A CSV file of 300 sample patents and 40 twins of the first of them (twins last); the
    originals; the twins."""
    with SAMPLE_CSV.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))[:300]
    twins = twin_rows(rows, 40)
    return write_csv(tmp_path / "twinned.csv", rows + twins), rows, twins


def read_families(store: GraphStore) -> dict[str, str]:
    return {row["id"]: row["family"] for row in store.stream("patent_family_sources")}


def test_mined_triplets_never_split_a_family(
    settings: Settings, store: GraphStore, tmp_path: Path, twinned: Twinned
) -> None:
    path, _, twins = twinned
    run_load(store, settings, CsvSource([path], LoadFilter(types=None)))
    families = csv_families(path)
    info = mine(store, MineOptions(negatives=1, batch_size=50), tmp_path / "mined")
    assert read_families(store) == families
    assert info["counts"]["rejected"] == {}

    placed: dict[str, set[str]] = {}  # family -> splits its members appear in
    for split in SPLITS:
        for row in pq.read_table(tmp_path / "mined" / f"{split}.parquet").to_pylist():
            for role in ("anchor", "positive", "negative"):
                placed.setdefault(families[row[f"{role}_id"]], set()).add(split)
    assert all(len(splits) == 1 for splits in placed.values())
    # The twins were mined, in their family's split, which is not the split of their own id.
    mined_twins = [t["publication_number"] for t in twins if families[t["publication_number"]] in placed]
    assert len(mined_twins) >= 30
    for twin in mined_twins:
        assert placed[families[twin]] == {split_of(families[twin])} != {split_of(twin)}

    moved = sum(split_of(i) != split_of(f) for i, f in families.items())
    figures = info["families"]
    assert {k: figures[k] for k in ("families", "patents_in_families", "moved_by_family")} == {
        **family_figures(families),
        "moved_by_family": moved,
    }
    assert figures["families"] >= 40 and 40 <= figures["anchors_moved_by_family"] <= moved


def test_the_family_key_is_stable_and_only_changed_families_are_rewritten(
    settings: Settings, store: GraphStore, tmp_path: Path, twinned: Twinned
) -> None:
    path, rows, twins = twinned
    run_load(store, settings, CsvSource([path], LoadFilter(types=None)))
    first = ensure_index(store)
    assert first.rebuilt and first.patents_ranked == 340
    assert not ensure_index(store).rebuilt  # nothing changed: nothing to redo

    original = rows[0]["publication_number"]
    family = read_families(store)[original]
    assert family == original == read_families(store)[twins[0]["publication_number"]]
    # A third member with a larger id joins: the key stays, only the newcomer is written.
    late = {**twins[0], "publication_number": "ZZ" + original}
    run_load(store, settings, CsvSource([write_csv(tmp_path / "late.csv", [late])], LoadFilter(types=None)))
    report = ensure_index(store)
    assert report.rebuilt and report.patents_ranked == 1
    assert read_families(store)["ZZ" + original] == family == read_families(store)[original]
    # A member with a smaller id: the family takes its key, and its three older members are rewritten.
    early = {**twins[0], "publication_number": "AA" + original}
    run_load(store, settings, CsvSource([write_csv(tmp_path / "early.csv", [early])], LoadFilter(types=None)))
    assert ensure_index(store).patents_ranked == 4
    assert {read_families(store)[i] for i in (original, "ZZ" + original, "AA" + original)} == {"AA" + original}


def test_an_index_of_the_family_free_layout_is_rebuilt(settings: Settings, store: GraphStore, twinned: Twinned) -> None:
    path = twinned[0]
    run_load(store, settings, CsvSource([path], LoadFilter(types=None)))
    # What version 1 of the index left: every rank the hash of the patent's own id, no families,
    # a record of the graph's current counts.
    ids = list(csv_families(path))
    store.write_batches("set_patent_ranks", [{"id": i, "rank": rank_of(i)} for i in ids])
    store.run(
        store.query("record_mining_index", 1),
        {"id": INDEX_ID, "fingerprint": json.dumps(fingerprint(store), sort_keys=True), "built_at": "2026-01-01"},
    )
    report = ensure_index(store)
    assert report.rebuilt and report.patents_ranked == len(ids) == 340
    assert read_families(store) == csv_families(path)
    assert report.families["families"] >= 40 and not ensure_index(store).rebuilt


# -- the evaluation protocols' family leak --------------------------------------------------------


def test_protocols_count_test_rows_with_a_family_member_in_train(tmp_path: Path) -> None:
    import torch

    originals = [[f"US{i}B2", "t", f"{LONG} number {i}", "['G06N3/08']"] for i in range(90)]
    # Twins: other numbers, the abstract in other compatibility forms and case (ﬁ, full-width digits).
    twins = [
        [
            f"EP{i}A1",
            "t",
            f"{LONG.upper()} NUMBER {str(i).translate(str.maketrans('0123456789', '０１２３４５６７８９'))}.",
            "['G06N3/08']",
        ]
        for i in range(0, 90, 3)
    ]
    twins = [[n, t, a.replace("FI", "ﬁ"), c] for n, t, a, c in twins]
    # Placeholders shared by unrelated patents are no family.
    placeholders = [[f"RU{i}C1", "t", "FIELD: physics.", "['G06N3/08']"] for i in range(20)]
    data = originals + twins + placeholders
    protocol = published_protocol([write_csv(tmp_path / "a.csv", data)], min_share=0.05)

    torch.manual_seed(42)
    test_rows = {data[i][0] for i in torch.randperm(len(data))[: int(0.1 * len(data))].tolist()}
    train_rows = {row[0] for row in data} - test_rows
    twin_of = {f"US{i}B2": f"EP{i}A1" for i in range(0, 90, 3)} | {f"EP{i}A1": f"US{i}B2" for i in range(0, 90, 3)}
    expected = {n for n in test_rows if twin_of.get(n) in train_rows}
    assert expected  # the construction leaks
    assert set(protocol.test["publication_number"]) == test_rows
    leaked = set(protocol.test.loc[protocol.test["duplicate_in_train"], "publication_number"])
    assert leaked == expected
    assert protocol.summary()["test_rows_with_duplicate_in_train"] == len(expected)

    clean = clean_protocol([tmp_path / "a.csv"], protocol.labels, test_fraction=0.2)
    assert clean.summary()["test_rows_with_duplicate_in_train"] == 0
    assert {twin_of[n] for n in clean.test["publication_number"] if n in twin_of} <= set(
        clean.test["publication_number"]
    )
    assert clean.details["families"] == 90 + 20  # 30 twins join their originals; placeholders stay alone
