"""Triplet folders for the trainer tests, built from the real sample patents, and the checks of
reading them (`patentcl.triplets`).

`build_triplets` is a test helper, not a miner: per anchor, a positive sharing a CPC subgroup and
a negative from the anchor's subclass sharing no subgroup and no main group (the shape of the
cpc-hierarchy strategy). The test split's patents are never seen in training.
"""

from __future__ import annotations

import ast
import hashlib
import json
import random
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from helpers import SAMPLE_CSV
from patentcl.config import Settings
from patentcl.encoding import TextSpec
from patentcl.graph import GraphStore
from patentcl.trainer.cpc import PatentCodes
from patentcl.triplets import REQUIRED_COLUMNS, TripletDataError, read_triplets


@dataclass(frozen=True)
class Patent:
    id: str
    title: str
    abstract: str
    codes: frozenset[str]

    @property
    def main_groups(self) -> frozenset[str]:
        return frozenset(c.split("/")[0] + "/00" for c in self.codes)


def sample_patents(limit: int | None = None) -> list[Patent]:
    frame = pd.read_csv(SAMPLE_CSV, nrows=limit)
    return [
        Patent(r.publication_number, r.title, r.abstract, frozenset(ast.literal_eval(r.cpc_codes)))
        for r in frame.itertuples()
    ]


def codes_of(patents: list[Patent]) -> dict[str, PatentCodes]:
    """The mapping the graph's patent_cpc_codes query gives, computed from the CSV."""
    return {p.id: PatentCodes(p.codes, p.main_groups) for p in patents}


def load_into_graph(store: GraphStore, settings: Settings, patents: list[Patent], folder: Path) -> None:
    """Loads the patents with the CSV loader (`patentcl load csv`), from a CSV of just these rows."""
    from patentcl.loaders.csv_export import CsvSource
    from patentcl.loaders.filters import LoadFilter
    from patentcl.loaders.load import run_load

    path = folder / "patents.csv"
    pd.DataFrame(
        {
            "publication_number": [p.id for p in patents],
            "title": [p.title for p in patents],
            "abstract": [p.abstract for p in patents],
            "cpc_codes": [repr(sorted(p.codes)) for p in patents],
        }
    ).to_csv(path, index=False)
    run_load(store, settings, CsvSource([path], LoadFilter(types=None)), rejects_path=folder / "rejects.tsv")


def build_triplets(
    out: Path, patents: list[Patent], *, sizes: dict[str, int], seed: int = 0, held_out: tuple[str, ...] = ("test",)
) -> Path:
    """Writes {split}.parquet and manifest.json to `out`. The `held_out` splits draw from patents
    of their own, never seen by the other splits; the others share one pool of patents (their
    triplets differ, their patents overlap)."""
    rng = random.Random(seed)
    pool = sorted(patents, key=lambda p: hashlib.sha256(p.id.encode()).hexdigest())
    groups = [[s] for s in sizes if s in held_out] + [[s for s in sizes if s not in held_out]]
    total = sum(sizes.values())
    start = 0
    out.mkdir(parents=True, exist_ok=True)
    for group in (g for g in groups if g):
        share = len(pool) * sum(sizes[s] for s in group) // total
        members = pool[start : start + share]
        start += share
        for split in group:
            rows = _triplets(members, sizes[split], rng, split)
            pq.write_table(pa.Table.from_pylist(rows), out / f"{split}.parquet")
    manifest = {
        "query": {
            "query": "test_cpc_hierarchy",
            "version": 1,
            "dialect": "python",
            "sha256": hashlib.sha256(Path(__file__).read_bytes()).hexdigest(),
        },
        "strategy": "cpc-hierarchy",
        "parameters": {"sizes": sizes},
        "seed": seed,
    }
    (out / "manifest.json").write_text(json.dumps(manifest))
    return out


def _triplets(patents: list[Patent], size: int, rng: random.Random, split: str) -> list[dict]:
    by_code: dict[str, list[Patent]] = {}
    by_subclass: dict[str, list[Patent]] = {}
    for p in patents:
        for code in p.codes:
            by_code.setdefault(code, []).append(p)
        for subclass in {c[:4] for c in p.codes}:
            by_subclass.setdefault(subclass, []).append(p)
    rows: list[dict] = []
    anchors = patents[:]
    rng.shuffle(anchors)
    for anchor in anchors:
        if len(rows) == size:
            break
        shared = sorted(
            {q.id: q for c in anchor.codes for q in by_code[c] if q.id != anchor.id}.values(), key=lambda q: q.id
        )
        subclass = min(anchor.codes)[:4]
        unrelated = [
            q
            for q in by_subclass[subclass]
            if not (q.codes & anchor.codes) and not (q.main_groups & anchor.main_groups)
        ]
        if not shared or not unrelated:
            continue
        positive, negative = rng.choice(shared), rng.choice(unrelated)
        code = sorted(anchor.codes & positive.codes)[0]
        rows.append(
            {
                **{
                    f"{role}_{field}": getattr(patent, field)
                    for role, patent in (("anchor", anchor), ("positive", positive), ("negative", negative))
                    for field in ("id", "title", "abstract")
                },
                "strategy": "cpc-hierarchy",
                "query": "test_cpc_hierarchy",
                "query_version": 1,
                "shared_level": "subgroup",
                "shared_code": code,
                "split": split,
            }
        )
    return rows


# -- reading triplet folders ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def patents() -> list[Patent]:
    return sample_patents(600)


def test_reads_splits_and_manifest(tmp_path: Path, patents: list[Patent]) -> None:
    build_triplets(tmp_path / "t", patents, sizes={"train": 40, "validation": 10, "test": 10})
    triplets = read_triplets([tmp_path / "t"])
    assert [len(triplets[s]) for s in ("train", "validation", "test")] == [40, 10, 10]
    assert triplets.manifests[0]["query"]["query"] == "test_cpc_hierarchy"
    assert triplets.manifests[0]["rows"] == {"train": 40, "validation": 10, "test": 10}
    ids = set(triplets.patent_ids())
    assert set(triplets["train"]["anchor_id"]) <= ids and len(ids) <= 180
    # the helper keeps the splits' patents apart, so held-out evaluation is honest
    train = set(triplets["train"][["anchor_id", "positive_id", "negative_id"]].to_numpy().ravel())
    test = set(triplets["test"][["anchor_id", "positive_id", "negative_id"]].to_numpy().ravel())
    assert not train & test


def test_two_folders_concatenate(tmp_path: Path, patents: list[Patent]) -> None:
    build_triplets(tmp_path / "a", patents, sizes={"train": 20}, seed=1)
    build_triplets(tmp_path / "b", patents, sizes={"train": 15, "validation": 5}, seed=2)
    triplets = read_triplets([tmp_path / "a", tmp_path / "b"])
    assert len(triplets["train"]) == 35 and len(triplets["validation"]) == 5
    assert len(triplets.manifests) == 2


def test_text_formats() -> None:
    assert TextSpec().text("A title", "An abstract.") == "A title [SEP] An abstract."
    assert TextSpec("abstract").text("A title", "An abstract.") == "An abstract."
    assert TextSpec(separator=". ").text(" A title ", None) == "A title"
    assert TextSpec("abstract").text("Only a title", float("nan")) == "Only a title"


def test_missing_manifest_is_an_error(tmp_path: Path, patents: list[Patent]) -> None:
    folder = build_triplets(tmp_path / "t", patents, sizes={"train": 5})
    (folder / "manifest.json").unlink()
    with pytest.raises(TripletDataError, match="manifest.json not found"):
        read_triplets([folder])


def test_missing_column_names_file_and_column(tmp_path: Path, patents: list[Patent]) -> None:
    folder = build_triplets(tmp_path / "t", patents, sizes={"train": 5})
    table = pq.read_table(folder / "train.parquet").drop(["negative_abstract"])
    pq.write_table(table, folder / "train.parquet")
    with pytest.raises(TripletDataError, match=r"train\.parquet: missing column\(s\) negative_abstract"):
        read_triplets([folder])


def test_empty_text_names_row_and_field(tmp_path: Path, patents: list[Patent]) -> None:
    folder = build_triplets(tmp_path / "t", patents, sizes={"train": 5})
    frame = pq.read_table(folder / "train.parquet").to_pandas()
    frame.loc[3, ["positive_title", "positive_abstract"]] = [None, "  "]
    frame.to_parquet(folder / "train.parquet")
    with pytest.raises(TripletDataError, match=r"train\.parquet row 3: positive .* has neither"):
        read_triplets([folder])


def test_no_training_rows_is_an_error(tmp_path: Path, patents: list[Patent]) -> None:
    folder = build_triplets(tmp_path / "t", patents, sizes={"validation": 5})
    with pytest.raises(TripletDataError, match="no training triplets"):
        read_triplets([folder])
    assert set(REQUIRED_COLUMNS) <= set(pq.read_schema(folder / "validation.parquet").names)
