"""`patentcl mine` with the default strategy on real patents (the quickstart sample, loaded by
the loader into a real FalkorDB graph), every triplet checked against the source CSV read
independently: codes from the file, main groups and subclasses from the CPC symbol itself."""

from __future__ import annotations

import ast
import csv
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from helpers import SAMPLE_CSV, Graphs, cli_env, csv_families, split_of
from patentcl.config import Settings
from patentcl.errors import PatentclError
from patentcl.graph import open_store
from patentcl.loaders.csv_export import CsvSource
from patentcl.loaders.filters import LoadFilter
from patentcl.loaders.load import run_load
from patentcl.mining.miner import MineOptions, mine
from patentcl.mining.splits import Splits
from patentcl.mining.triplets import RunState
from patentcl.triplets import COLUMNS, SPLITS

ANCHORS = 240
OPTIONS = MineOptions(anchors=ANCHORS, batch_size=40)


@pytest.fixture(scope="module")
def sample(graphs: Graphs) -> Settings:
    """The 3,000 patents of the quickstart sample in a graph of their own, loaded once."""
    settings = graphs.new("mining_sample")
    with open_store(settings) as store:
        run_load(store, settings, CsvSource([SAMPLE_CSV], LoadFilter(types=None)))
    return settings


@pytest.fixture(scope="module")
def truth() -> dict[str, set[str]]:
    """CPC codes per patent, straight from the CSV."""
    with SAMPLE_CSV.open(encoding="utf-8", newline="") as handle:
        return {row["publication_number"]: set(ast.literal_eval(row["cpc_codes"])) for row in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def families() -> dict[str, str]:
    """Family key per patent (identical normalised abstracts), straight from the CSV."""
    return csv_families(SAMPLE_CSV)


@pytest.fixture(scope="module")
def clean_run(sample: Settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("mined")
    with open_store(sample) as store:
        mine(store, OPTIONS, out)
    return out


def main_group(code: str) -> str:
    return code.split("/")[0] + "/00"


def triplets(out: Path) -> dict[str, list[dict[str, Any]]]:
    return {split: pq.read_table(out / f"{split}.parquet").to_pylist() for split in SPLITS}


def manifest(out: Path) -> dict[str, Any]:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def check_hierarchy_rules(row: dict[str, Any], truth: dict[str, set[str]]) -> None:
    """The shared code is the anchor's and the positive's; the negative lies in its subclass and
    shares no code and no main group with the anchor."""
    anchor, positive, negative = (truth[row[f"{role}_id"]] for role in ("anchor", "positive", "negative"))
    assert len({row["anchor_id"], row["positive_id"], row["negative_id"]}) == 3
    code = row["shared_code"]
    if row["shared_level"] == "subgroup":
        assert code in anchor & positive and not code.endswith("/00")
    else:
        assert row["shared_level"] == "main_group" and code.endswith("/00")
        assert code in {main_group(c) for c in anchor} & {main_group(c) for c in positive}
    assert not anchor & negative
    assert not {main_group(c) for c in anchor} & {main_group(c) for c in negative}
    assert code[:4] in {c[:4] for c in negative}


def test_every_triplet_keeps_the_rules_of_cpc_hierarchy(clean_run: Path, truth: dict[str, set[str]]) -> None:
    rows = [row for split in triplets(clean_run).values() for row in split]
    assert len(rows) > 2 * ANCHORS  # most anchors yield their three negatives
    levels = Counter(row["shared_level"] for row in rows)
    assert levels["subgroup"] > levels["main_group"]
    for row in rows:
        check_hierarchy_rules(row, truth)
        assert (row["strategy"], row["query"], row["query_version"]) == ("cpc-hierarchy", "cpc_hierarchy", 3)


def test_positive_shares_the_anchors_rarest_shareable_subgroup(
    clean_run: Path, truth: dict[str, set[str]], families: dict[str, str]
) -> None:
    sizes = Counter(code for codes in truth.values() for code in codes)
    for row in triplets(clean_run)["train"]:
        if row["shared_level"] != "subgroup":
            continue
        anchor = truth[row["anchor_id"]]
        # No subgroup of the anchor held by fewer patents has another patent in the training split.
        for code in anchor:
            if code.endswith("/00") or sizes[code] >= sizes[row["shared_code"]]:
                continue
            others = [p for p, codes in truth.items() if code in codes and p != row["anchor_id"]]
            assert all(split_of(p, families) != "train" for p in others), (row, code)


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b)


@pytest.fixture(scope="module")
def overlap_run(sample: Settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("overlap")
    with open_store(sample) as store:
        mine(store, MineOptions(strategy="cpc-overlap", anchors=ANCHORS, batch_size=40), out)
    return out


def test_cpc_overlap_positive_overlaps_the_anchor_most(
    overlap_run: Path, clean_run: Path, truth: dict[str, set[str]], families: dict[str, str]
) -> None:
    with SAMPLE_CSV.open(encoding="utf-8", newline="") as handle:
        abstracts = {row["publication_number"]: row["abstract"] for row in csv.DictReader(handle)}
    sizes = Counter(code for codes in truth.values() for code in codes)
    rows = triplets(overlap_run)["train"]
    assert len(rows) > ANCHORS
    for row in rows:
        check_hierarchy_rules(row, truth)
        assert (row["strategy"], row["query"], row["query_version"]) == ("cpc-overlap", "cpc_overlap", 2)
        anchor_id, anchor = row["anchor_id"], truth[row["anchor_id"]]
        assert abstracts[row["positive_id"]] != abstracts[anchor_id]
        # Every patent of the split under the anchor's rarest shareable subgroup was a candidate.
        shareable = [c for c in anchor if not c.endswith("/00") and sizes[c] > 1]
        if shareable:
            rarest = min(shareable, key=lambda c: (sizes[c], c))
            rivals = [
                p
                for p, codes in truth.items()
                if rarest in codes
                and p != anchor_id
                and split_of(p, families) == "train"
                and abstracts[p] != abstracts[anchor_id]
            ]
            best = max((jaccard(anchor, truth[p]) for p in rivals), default=0.0)
            assert jaccard(anchor, truth[row["positive_id"]]) >= best, row
    overlap = [jaccard(truth[r["anchor_id"]], truth[r["positive_id"]]) for r in rows]
    rarest_rule = [jaccard(truth[r["anchor_id"]], truth[r["positive_id"]]) for r in triplets(clean_run)["train"]]
    assert sum(overlap) / len(overlap) > sum(rarest_rule) / len(rarest_rule) + 0.1


def test_no_triplet_mixes_splits_and_the_split_files_share_no_patent(clean_run: Path, families: dict[str, str]) -> None:
    seen: dict[str, set[str]] = {}
    for split, rows in triplets(clean_run).items():
        assert rows, f"no {split} triplets"
        ids = {row[f"{role}_id"] for row in rows for role in ("anchor", "positive", "negative")}
        assert {split_of(i, families) for i in ids} == {split} and {row["split"] for row in rows} == {split}
        seen[split] = ids
    assert not seen["train"] & seen["validation"] and not seen["train"] & seen["test"]
    assert not seen["validation"] & seen["test"]


def test_files_have_the_promised_schema_texts_and_manifest(clean_run: Path) -> None:
    schema = pq.read_schema(clean_run / "train.parquet")
    assert (
        tuple(schema.names)
        == COLUMNS
        == (
            "anchor_id",
            "anchor_title",
            "anchor_abstract",
            "positive_id",
            "positive_title",
            "positive_abstract",
            "negative_id",
            "negative_title",
            "negative_abstract",
            "strategy",
            "query",
            "query_version",
            "shared_level",
            "shared_code",
            "split",
        )
    )
    assert str(schema.field("query_version").type) == "int64"
    rows = triplets(clean_run)["train"]
    assert all(row["anchor_title"] and row["negative_abstract"] for row in rows)
    info = manifest(clean_run)
    assert info["query"]["query"] == "cpc_hierarchy" and info["query"]["version"] == 3
    assert len(info["query"]["sha256"]) == 64
    assert info["query"]["file"] == f"mining/cpc_hierarchy.v3.{info['query']['dialect']}.cypher"
    assert info["seed"] == 0 and info["parameters"]["negatives"] == 3
    assert info["graph"]["counts"]["(:Patent)"] == 3000
    assert {k: v["rows"] for k, v in info["files"].items()} == {s: len(r) for s, r in triplets(clean_run).items()}
    assert set(info["run"]["timings"]) >= {"index_s", "mining_s", "total_s", "triplets_per_s"}
    assert not (clean_run / ".mining").exists()


def test_every_anchor_is_accounted_for(clean_run: Path) -> None:
    counts = manifest(clean_run)["counts"]
    assert counts["anchors"] == ANCHORS and counts["rejected"] == {}
    assert counts["anchors_with_triplets"] + counts["no_positive"] + counts["no_negative"] == ANCHORS
    rows = [row for split in triplets(clean_run).values() for row in split]
    per_anchor = Counter(row["anchor_id"] for row in rows)
    assert len(per_anchor) == counts["anchors_with_triplets"] and counts["triplets"] == len(rows)
    assert sum(1 for n in per_anchor.values() if n < 3) == counts["fewer_negatives"]
    assert all(n <= 3 for n in per_anchor.values())


def test_same_graph_options_and_seed_give_identical_files(sample: Settings, clean_run: Path, tmp_path: Path) -> None:
    with open_store(sample) as store:
        mine(store, OPTIONS, tmp_path)
    for split in SPLITS:
        assert (tmp_path / f"{split}.parquet").read_bytes() == (clean_run / f"{split}.parquet").read_bytes()
    first, second = manifest(clean_run), manifest(tmp_path)
    first.pop("run"), second.pop("run")
    assert first == second


def test_another_seed_mines_other_triplets_over_the_same_splits(
    sample: Settings, clean_run: Path, tmp_path: Path, families: dict[str, str]
) -> None:
    with open_store(sample) as store:
        mine(store, MineOptions(anchors=ANCHORS, batch_size=40, seed=7), tmp_path)
    ours, theirs = triplets(clean_run), triplets(tmp_path)
    key = ("anchor_id", "positive_id", "negative_id")
    assert {tuple(r[k] for k in key) for s in SPLITS for r in ours[s]} != {
        tuple(r[k] for k in key) for s in SPLITS for r in theirs[s]
    }
    for split in SPLITS:  # a patent's split never depends on the seed
        assert {split_of(r["anchor_id"], families) for r in theirs[split]} == {split}


def test_an_interrupted_run_resumes_to_the_same_bytes(
    sample: Settings, clean_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = RunState.record
    calls = Counter()

    def interrupted(self, *args, **kwargs):
        calls["batches"] += 1
        if calls["batches"] == 3:
            raise KeyboardInterrupt
        return record(self, *args, **kwargs)

    monkeypatch.setattr(RunState, "record", interrupted)
    with open_store(sample) as store, pytest.raises(KeyboardInterrupt):
        mine(store, OPTIONS, tmp_path)
    monkeypatch.setattr(RunState, "record", record)
    done = json.loads((tmp_path / ".mining" / "checkpoint.json").read_text())["batches"]
    assert len(done) == 2 and not (tmp_path / "manifest.json").exists()

    with open_store(sample) as store:
        with pytest.raises(PatentclError, match="--resume to continue it or --overwrite"):
            mine(store, OPTIONS, tmp_path)
        with pytest.raises(PatentclError, match="differs in: parameters"):
            mine(store, MineOptions(anchors=ANCHORS, batch_size=40, negatives=2), tmp_path, resume=True)
        resumed = mine(store, OPTIONS, tmp_path, resume=True)
    assert resumed["run"]["resumed"] and resumed["run"]["timings"]["triplets_mined"] < resumed["counts"]["triplets"]
    for split in SPLITS:
        assert (tmp_path / f"{split}.parquet").read_bytes() == (clean_run / f"{split}.parquet").read_bytes()


def test_class_level_negatives_share_the_class_and_no_group(
    sample: Settings, truth: dict[str, set[str]], tmp_path: Path
) -> None:
    with open_store(sample) as store:
        info = mine(store, MineOptions(anchors=80, negative_level="class", negatives=2), tmp_path)
    assert info["counts"]["rejected"] == {} and info["counts"]["triplets"] > 80
    for rows in triplets(tmp_path).values():
        for row in rows:
            anchor, negative = truth[row["anchor_id"]], truth[row["negative_id"]]
            assert row["shared_code"][:3] in {c[:3] for c in negative}
            assert not {main_group(c) for c in anchor} & {main_group(c) for c in negative}


def test_mine_command_writes_files_and_reports_counts(sample: Settings, tmp_path: Path) -> None:
    from patentcl.cli import main

    env = cli_env(sample)
    out = tmp_path / "cli"
    result = CliRunner().invoke(
        main,
        [
            "mine",
            "--strategy",
            "cpc-hierarchy",
            "--anchors",
            "60",
            "--negatives",
            "2",
            "--seed",
            "3",
            "--out",
            str(out),
        ],
        env=env,
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    info = manifest(out)
    assert f"anchors 60: {info['counts']['anchors_with_triplets']:,} with triplets" in result.output
    assert info["seed"] == 3 and info["parameters"]["negatives"] == 2
    again = CliRunner().invoke(main, ["mine", "--anchors", "60", "--out", str(out), "--resume"], env=env)
    assert again.exit_code != 0 and "nothing to resume" in str(again.exception)


def test_unknown_query_version_and_missing_vectors_are_clear_errors(sample: Settings, tmp_path: Path) -> None:
    with open_store(sample) as store:
        with pytest.raises(PatentclError, match=r"query 'cpc_hierarchy' has no version 9 \(versions: \[2, 3\]\)"):
            mine(store, MineOptions(query_version=9), tmp_path)
        with pytest.raises(PatentclError, match="none of the 3,000 patents has one yet.*patentcl embed"):
            mine(store, MineOptions(strategy="embedding-neighbours"), tmp_path)
    assert not any(tmp_path.iterdir())


def test_split_fractions_are_honoured(sample: Settings, tmp_path: Path, families: dict[str, str]) -> None:
    splits = Splits(0.5, 0.25, 0.25)
    with open_store(sample) as store:
        info = mine(store, MineOptions(anchors=120, splits=splits, negatives=1), tmp_path)
    per_split = info["counts"]["splits"]
    assert sum(v["anchors"] for v in per_split.values()) == 120
    assert per_split["test"]["anchors"] > 15 and per_split["validation"]["anchors"] > 15
    for split, rows in triplets(tmp_path).items():
        assert {splits.of(families.get(row["negative_id"], row["negative_id"])) for row in rows} <= {split}


def test_bench_mine_prints_throughput(sample: Settings) -> None:
    from patentcl.cli import main

    env = cli_env(sample)
    result = CliRunner().invoke(
        main, ["bench", "mine", "--triplet-count", "150", "--json"], env=env, catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output.strip().splitlines()[-1])
    assert figures["query"] == f"cpc_hierarchy v3 ({sample.engine})" and figures["triplets"] >= 120
    assert figures["triplets_per_s"] > 0 and figures["mining_s"] > 0


def test_ranks_that_are_not_the_hash_of_the_id_stop_the_run_until_reindexed(
    store, settings: Settings, tmp_path: Path
) -> None:
    rows = list(csv.DictReader(SAMPLE_CSV.open(encoding="utf-8", newline="")))[:200]
    small = tmp_path / "small.csv"
    with small.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    run_load(store, settings, CsvSource([small], LoadFilter(types=None)))
    mine(store, MineOptions(negatives=1), tmp_path / "first")
    victim = rows[0]["publication_number"]
    store.run("set_patent_ranks", {"rows": [{"id": victim, "rank": 5}]})
    with pytest.raises(PatentclError, match=f"1 patents \\(e.g. {victim}\\) carry a rank.*--reindex"):
        mine(store, MineOptions(negatives=1), tmp_path / "second")
    mine(store, MineOptions(negatives=1), tmp_path / "second", rebuild_index=True)
    for split in SPLITS:
        assert (tmp_path / "first" / f"{split}.parquet").read_bytes() == (
            tmp_path / "second" / f"{split}.parquet"
        ).read_bytes()


@pytest.mark.slow
def test_full_shared_data_triplets_keep_the_rules(graphs: Graphs, shared_data: Path, tmp_path: Path) -> None:
    """All 31.5K patents of ../shared/data/google-patents-ai (about a minute: the load dominates)."""
    files = sorted(shared_data.glob("*.csv"))
    codes: dict[str, set[str]] = {}
    for path in files:
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                codes.setdefault(row["publication_number"], set()).update(ast.literal_eval(row["cpc_codes"]))
    settings = graphs.new("mining_full")
    with open_store(settings) as store:
        run_load(store, settings, CsvSource(files, LoadFilter(types=None)))
        info = mine(store, MineOptions(anchors=2000), tmp_path)
    assert info["counts"]["rejected"] == {} and info["graph"]["counts"]["(:Patent)"] == len(codes)
    rows = [row for split in triplets(tmp_path).values() for row in split]
    assert len(rows) > 4000
    families = csv_families(*files)
    for row in rows:
        anchor, positive, negative = (codes[row[f"{role}_id"]] for role in ("anchor", "positive", "negative"))
        assert len({split_of(row[f"{role}_id"], families) for role in ("anchor", "positive", "negative")}) == 1
        if row["shared_level"] == "subgroup":
            assert row["shared_code"] in anchor & positive
        else:
            assert row["shared_code"] in {main_group(c) for c in anchor} & {main_group(c) for c in positive}
        assert not {main_group(c) for c in anchor} & {main_group(c) for c in negative}
        assert row["shared_code"][:4] in {c[:4] for c in negative}
