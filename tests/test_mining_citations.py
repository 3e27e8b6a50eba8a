"""Mining on a graph with citations and vectors: PatentsView fixture files (with their citation
table) loaded by the loader; the published recipe (cited-shared-cpc), citation exclusion in
cpc-hierarchy, and embedding-neighbours over vectors written the way `patentcl embed` writes
them. Every check reads the fixture files, not the graph."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest

from helpers import Graphs, split_of
from patentcl.config import Settings
from patentcl.graph import open_store
from patentcl.graph.vector_index import IndexSettings, build_index
from patentcl.loaders import patentsview_fixture
from patentcl.loaders.filters import LoadFilter
from patentcl.loaders.load import run_load
from patentcl.loaders.patentsview import Options, PatentsViewSource
from patentcl.mining.index import ensure_index
from patentcl.mining.miner import MineOptions, _per_split, mine
from patentcl.triplets import SPLITS

DIMENSION = 24


def _table(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / f"{name}.tsv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


class Truth:
    """Codes and citations per patent, read from the fixture files."""

    def __init__(self, folder: Path):
        self.codes: dict[str, set[str]] = defaultdict(set)
        for row in _table(folder, "g_cpc_current"):
            self.codes[row["patent_id"]].add(row["cpc_group"])
        self.cites: dict[str, set[str]] = defaultdict(set)
        for row in _table(folder, "g_us_patent_citation"):
            self.cites[row["patent_id"]].add(row["citation_patent_id"])

    def groups(self, patent: str) -> set[str]:
        return {code.split("/")[0] + "/00" for code in self.codes[patent]}

    def linked(self, a: str, b: str) -> bool:
        return b in self.cites[a] or a in self.cites[b]


@pytest.fixture(scope="module")
def fixture_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pv_mining")
    patentsview_fixture.generate(out, patents=500, seed=11)
    return out


@pytest.fixture(scope="module")
def truth(fixture_files: Path) -> Truth:
    return Truth(fixture_files)


@pytest.fixture(scope="module")
def cited(graphs: Graphs, fixture_files: Path) -> Settings:
    settings = graphs.new("mining_pv")
    with open_store(settings) as store:
        run_load(store, settings, PatentsViewSource(fixture_files, LoadFilter(types=None), Options()))
    return settings


def _rows(out: Path) -> list[dict[str, Any]]:
    return [row for split in SPLITS for row in pq.read_table(out / f"{split}.parquet").to_pylist()]


def _assert_common(row: dict[str, Any], truth: Truth) -> None:
    anchor, positive, negative = row["anchor_id"], row["positive_id"], row["negative_id"]
    assert len({anchor, positive, negative}) == 3
    assert split_of(anchor) == split_of(positive) == split_of(negative) == row["split"]
    assert not truth.linked(anchor, negative)
    assert not truth.codes[anchor] & truth.codes[negative]
    if row["shared_level"] == "subgroup":
        assert row["shared_code"] in truth.codes[anchor] & truth.codes[positive]
    else:
        assert row["shared_code"] in truth.groups(anchor) & truth.groups(positive)


def test_cited_shared_cpc_positives_are_cited_and_share_a_group(cited: Settings, truth: Truth, tmp_path: Path) -> None:
    with open_store(cited) as store:
        info = mine(store, MineOptions(strategy="cited-shared-cpc", negatives=2), tmp_path)
    rows = _rows(tmp_path)
    assert info["counts"]["rejected"] == {} and len(rows) > 200
    assert info["query"]["query"] == "cited_shared_cpc" and info["query"]["version"] == 2
    for row in rows:
        _assert_common(row, truth)
        assert row["positive_id"] in truth.cites[row["anchor_id"]]
        assert not truth.groups(row["anchor_id"]) & truth.groups(row["negative_id"])
    # A cited patent sharing a subgroup wins over one sharing only a main group.
    for row in rows:
        if row["shared_level"] == "main_group":
            anchor = row["anchor_id"]
            same_split = [p for p in truth.cites[anchor] if p in truth.codes and split_of(p) == split_of(anchor)]
            assert not any(c for p in same_split for c in truth.codes[anchor] & truth.codes[p] if not c.endswith("/00"))


def test_cpc_hierarchy_negatives_are_never_linked_by_a_citation(cited: Settings, truth: Truth, tmp_path: Path) -> None:
    with open_store(cited) as store:
        info = mine(store, MineOptions(negatives=3), tmp_path)
    rows = _rows(tmp_path)
    assert info["counts"]["rejected"] == {} and len(rows) > 300
    candidates_linked = 0
    for row in rows:
        _assert_common(row, truth)
        assert not truth.groups(row["anchor_id"]) & truth.groups(row["negative_id"])
        assert row["shared_code"][:4] in {code[:4] for code in truth.codes[row["negative_id"]]}
        # The exclusion has work to do: patents of the anchor's split and subclass that it cites.
        candidates_linked += any(
            split_of(p) == row["split"] and not truth.groups(p) & truth.groups(row["anchor_id"])
            for p in truth.cites[row["anchor_id"]]
            if p in truth.codes
        )
    assert candidates_linked > 0


# -- embedding-neighbours ---------------------------------------------------------------------
def _synthetic_vectors(truth: Truth, ids: list[str]) -> dict[str, np.ndarray]:
    """Patents close when they share main groups (a vector per group plus noise), so neighbours
    sharing no subgroup can still be nearer than the positive: the margin has work to do."""
    rng = np.random.default_rng(5)
    groups = sorted({g for i in ids for g in truth.groups(i)})
    basis = {g: rng.normal(size=DIMENSION) for g in groups}
    vectors = {}
    for i in ids:
        v = sum((basis[g] for g in sorted(truth.groups(i))), np.zeros(DIMENSION))
        v = v + rng.normal(scale=0.8, size=DIMENSION)
        vectors[i] = (v / np.linalg.norm(v)).astype(np.float32)
    return vectors


@pytest.fixture(scope="module")
def with_vectors(cited: Settings, truth: Truth) -> dict[str, np.ndarray]:
    with open_store(cited) as store:
        ensure_index(store)
        ids = [r["id"] for r in store.run("mining_anchors", {"shuffle": 1, "limit": 10_000})]
        vectors = _synthetic_vectors(truth, ids)
        store.write_batches(
            "write_patent_vectors",
            ({"id": i, "vector": vectors[i]} for i in ids),
            batch_size=200,
            params={"model": "synthetic@test"},
        )
        build_index(store, DIMENSION, IndexSettings(ef_runtime=400))
    return vectors


def test_embedding_neighbours_are_near_but_not_too_near(
    cited: Settings, truth: Truth, with_vectors: dict[str, np.ndarray], tmp_path: Path
) -> None:
    margin = 0.95
    with open_store(cited) as store:
        info = mine(store, MineOptions(strategy="embedding-neighbours", negatives=3, margin=margin), tmp_path)
    rows = _rows(tmp_path)
    assert info["counts"]["rejected"] == {} and len(rows) > 300
    cos = {}
    by_anchor: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        _assert_common(row, truth)
        a, p, n = (with_vectors[row[f"{role}_id"]] for role in ("anchor", "positive", "negative"))
        cos[row["anchor_id"], row["positive_id"]] = float(a @ p)
        assert float(a @ n) < margin * float(a @ p) + 1e-5
        by_anchor[row["anchor_id"]].append(row)

    exact = skipped = 0
    fractions = {"train": 0.8, "validation": 0.1, "test": 0.1}
    for anchor, own in by_anchor.items():
        a = with_vectors[anchor]
        threshold = margin * cos[anchor, own[0]["positive_id"]]
        sims = [float(a @ with_vectors[n["negative_id"]]) for n in own]
        assert sims == sorted(sims, reverse=True)  # nearest first
        # Brute force: the k nearest patents the query asks the index for, then its filters.
        nearest = sorted(((float(a @ v), i) for i, v in with_vectors.items()), reverse=True)
        nearest = nearest[: _per_split(50, fractions[split_of(anchor)])]
        valid = [
            (s, i)
            for s, i in nearest
            if i != anchor
            and split_of(i) == split_of(anchor)
            and not truth.linked(anchor, i)
            and not truth.codes[anchor] & truth.codes[i]
        ]
        skipped += any(s >= threshold for s, _ in valid)
        expected = [i for s, i in valid if s < threshold][:3]
        exact += [n["negative_id"] for n in own] == expected
    assert skipped > len(by_anchor) // 4  # the margin filter was exercised
    assert exact >= 0.9 * len(by_anchor)  # the index is approximate; nearly always exact at this size
