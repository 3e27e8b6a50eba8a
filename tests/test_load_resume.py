"""Interrupted loads: a real `patentcl load` process killed with SIGKILL or SIGINT part-way
through, then `--resume`: the graph (every node and relationship with every property), the
summary counts and the rejects file end exactly as after a clean run, on both engines, also for
inputs whose patents repeat (a later row replaces a patent whole)."""

from __future__ import annotations

import csv
import json
import signal
import subprocess
import time
from pathlib import Path

import pytest

from helpers import SAMPLE_CSV, Graphs, broken_rows, dump_graph, read_rejects, start_patentcl
from patentcl.config import Settings
from patentcl.graph import open_store
from patentcl.loaders import patentsview_fixture


@pytest.fixture(scope="module")
def fixture_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pv_resume")
    patentsview_fixture.generate(out, patents=500, seed=9, use_zip=True, broken=True)
    return out


def wait_for_checkpoint(home: Path, process: subprocess.Popen, step: str, timeout: float = 60.0) -> dict:
    """Polls the checkpoint until `step` has written some rows but is not finished."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the load ended before it could be interrupted: {process.communicate()}"
        for path in (home / "checkpoints").glob("load-*.json"):
            try:
                state = json.loads(path.read_text())["steps"].get(step)
            except (json.JSONDecodeError, OSError, KeyError):
                continue
            if state and state["position"] > 0 and not state["done"]:
                return state
        time.sleep(0.01)
    raise AssertionError(f"no checkpoint inside {step} within {timeout} s")


def clean_load(settings: Settings, fixture_dir: Path) -> tuple[dict, dict]:
    done = start_patentcl(settings, "load", "patentsview", str(fixture_dir), "--json")
    out, err = done.communicate(timeout=300)
    assert done.returncode == 0, err
    with open_store(settings) as store:
        return json.loads(out), dump_graph(store)


@pytest.mark.parametrize("sig, step", [(signal.SIGKILL, "g_cpc_current"), (signal.SIGINT, "g_patent")])
def test_interrupted_load_resumes_to_the_clean_graph(graphs: Graphs, fixture_dir: Path, sig: int, step: str) -> None:
    name = f"resume_{sig.name.lower()}"
    clean_summary, clean_graph = clean_load(graphs.new(f"{name}_clean"), fixture_dir)

    settings = graphs.new(name)  # on Neo4j: the same database, emptied
    process = start_patentcl(settings, "load", "patentsview", str(fixture_dir), "--rows-per-write", "4", "--json")
    state = wait_for_checkpoint(settings.home, process, step)
    process.send_signal(sig)
    _, err = process.communicate(timeout=60)
    if sig == signal.SIGINT:
        assert process.returncode == 130 and "--resume" in err
    else:
        assert process.returncode == -signal.SIGKILL
    with open_store(settings) as store:
        assert len(dump_graph(store)["dump_patents"]) <= len(clean_graph["dump_patents"])

    resumed = start_patentcl(
        settings, "load", "patentsview", str(fixture_dir), "--resume", "--rows-per-write", "50", "--json"
    )
    out, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err
    summary = json.loads(out)
    assert summary["resumed"] and state["position"] > 0
    with open_store(settings) as store:
        assert dump_graph(store) == clean_graph
    assert summary["graph"] == clean_summary["graph"]
    # every rejected row is listed once, as in the clean run
    listed = sorted((Path(r["file"]).name, int(r["line"])) for r in read_rejects(Path(summary["rejects"])))
    assert listed == sorted(broken_rows(fixture_dir)) and summary["rejected"] == clean_summary["rejected"] == 10
    counts = {f["step"]: {k: v for k, v in f.items() if not k.endswith("seconds")} for f in summary["files"]}
    assert counts == {
        f["step"]: {k: v for k, v in f.items() if not k.endswith("seconds")} for f in clean_summary["files"]
    }
    assert not list((settings.home / "checkpoints").glob("load-*.json"))  # a finished load leaves no checkpoint


# -- repeated patents, killed at several points ---------------------------------------------------
def wait_for_position(home: Path, process: subprocess.Popen, step: str, position: int, timeout: float = 60.0) -> None:
    """Polls the checkpoint until `step` has durably handled `position` records."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the load ended before record {position} of {step}: {process.communicate()}"
        for path in (home / "checkpoints").glob("load-*.json"):
            try:
                state = json.loads(path.read_text())["steps"].get(step)
            except (json.JSONDecodeError, OSError, KeyError):
                continue
            if state and state["position"] >= position:
                return
        time.sleep(0.005)
    raise AssertionError(f"no checkpoint at record {position} of {step} within {timeout} s")


def step_counts(summary: dict) -> dict[str, dict[str, int]]:
    return {f["step"]: {k: v for k, v in f.items() if not k.endswith("seconds")} for f in summary["files"]}


def killed_and_resumed(settings: Settings, args: list[str], points: list[tuple[str, int]]) -> dict:
    """Runs the load with `--batch-size 3`, SIGKILLs it at each (step, records handled) point
    in turn (each run after the first a `--resume`), then resumes it to the end; its summary."""
    for n, (step, position) in enumerate(points):
        process = start_patentcl(settings, *args, *(["--resume"] if n else []), "--rows-per-write", "3", "--json")
        wait_for_position(settings.home, process, step, position)
        process.kill()
        process.communicate(timeout=60)
        assert process.returncode == -signal.SIGKILL
    resumed = start_patentcl(settings, *args, "--resume", "--rows-per-write", "5", "--json")
    out, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err
    summary = json.loads(out)
    assert summary["resumed"]
    return summary


def clean_summary_and_graph(settings: Settings, args: list[str]) -> tuple[dict, dict]:
    done = start_patentcl(settings, *args, "--json")
    out, err = done.communicate(timeout=300)
    assert done.returncode == 0, err
    with open_store(settings) as store:
        return json.loads(out), dump_graph(store)


@pytest.fixture(scope="module")
def repeating_csv(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Three CSV files of sample rows: rows 1-70, 50-150 and 130-200 (so 41 ids in two files,
    same properties, other file), each with a changed repeat of an earlier row of its own."""
    out = tmp_path_factory.mktemp("csv_repeats")
    with open(SAMPLE_CSV, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header, rows = next(reader), list(reader)
    files = []
    for name, chunk, repeat in (("a.csv", rows[0:70], 4), ("b.csv", rows[49:150], 60), ("c.csv", rows[129:200], 10)):
        again = [chunk[repeat][0], f"{chunk[repeat][1]} (revised)", "", "['H04L9/32', 'G06N3/084']"]
        with open(out / name, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerows([header, *chunk[: repeat + 20], again, *chunk[repeat + 20 :]])
        files.append(out / name)
    return files


def test_csv_load_with_repeated_patents_killed_at_several_points(graphs: Graphs, repeating_csv: list[Path]) -> None:
    args = ["load", "csv", *map(str, repeating_csv)]
    clean_summary, clean_graph = clean_summary_and_graph(graphs.new("csv_repeats_clean"), args)
    settings = graphs.new("csv_repeats")
    summary = killed_and_resumed(settings, args, [("0:a.csv", 30), ("1:b.csv", 45), ("2:c.csv", 20)])
    with open_store(settings) as store:
        assert dump_graph(store) == clean_graph
    assert step_counts(summary) == step_counts(clean_summary) and summary["graph"] == clean_summary["graph"]
    loaded = sum(f.get("loaded", 0) for f in summary["files"])
    replaced = sum(f.get("replaced", 0) for f in summary["files"])
    duplicate = sum(f.get("duplicate", 0) for f in summary["files"])
    # 200 patents; 3 revisions replace theirs; 2 x 21 rows repeated unchanged in a later file write nothing
    assert (loaded, replaced, duplicate) == (200, 3, 21 + 21)
    # the policy itself: the last row of an id wins whole, its source and codes included
    patents = {row["id"]: row["props"] for row in clean_graph["dump_patents"]}
    first = next(csv.reader(repeating_csv[0].open(encoding="utf-8").readlines()[5:6]))
    revised = patents[first[0]]
    assert (
        revised["title"] == f"{first[1]} (revised)" and "abstract" not in revised and revised["source"] == "csv:a.csv"
    )
    edges = {
        (r["source"], r["target"]): r["props"]["sequence"]
        for r in clean_graph["dump_relationships"]
        if r["type"] == "CLASSIFIED_AS" and r["source"] == first[0]
    }
    assert edges == {(first[0], "H04L9/32"): 0, (first[0], "G06N3/084"): 1}
    shared = next(csv.reader(repeating_csv[1].open(encoding="utf-8").readlines()[1:2]))[0]  # in a.csv and b.csv
    assert patents[shared]["source"] == "csv:a.csv"  # repeated unchanged in b.csv: a duplicate
    assert not list((settings.home / "checkpoints").glob("load-*.json"))


def _rewrite_tsv(path: Path, change) -> None:
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f, delimiter="\t"))
    rows = change(rows)
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f, delimiter="\t", quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)


@pytest.fixture(scope="module")
def repeating_patentsview(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """60 patents, with repeats in every table: a g_patent row again later (new title and
    claims), an abstract again, a patent's g_cpc_current rows again after other patents (a code
    it had with another sequence, a new code, a code twice), a citation twice."""
    out = tmp_path_factory.mktemp("pv_repeats")
    patentsview_fixture.generate(out, patents=60, seed=5)

    def patents(rows: list[list[str]]) -> list[list[str]]:
        again = list(rows[3])
        again[3], again[5] = "A revised title", "99"
        return rows[:30] + [again] + rows[30:]

    def abstracts(rows: list[list[str]]) -> list[list[str]]:
        return rows[:40] + [[rows[2][0], "A revised abstract."]] + rows[40:]

    def codes(rows: list[list[str]]) -> list[list[str]]:
        first = rows[1]
        moved = [
            [first[0], "7", *first[2:6], "additional"],
            [first[0], "8", "H", "H04", "H04L", "H04L9/32", "additional"],
            [first[0], "9", "H", "H04", "H04L", "H04L9/32", "additional"],
        ]
        return rows[:60] + moved + rows[60:]

    def citations(rows: list[list[str]]) -> list[list[str]]:
        return rows[:300] + [rows[300]] + rows[300:]

    for table, change in (
        ("g_patent", patents),
        ("g_patent_abstract", abstracts),
        ("g_cpc_current", codes),
        ("g_us_patent_citation", citations),
    ):
        _rewrite_tsv(out / f"{table}.tsv", change)
    return out


def test_patentsview_load_with_repeated_patents_killed_at_several_points(
    graphs: Graphs, repeating_patentsview: Path
) -> None:
    args = ["load", "patentsview", str(repeating_patentsview)]
    clean_summary, clean_graph = clean_summary_and_graph(graphs.new("pv_repeats_clean"), args)
    settings = graphs.new("pv_repeats")
    summary = killed_and_resumed(
        settings, args, [("g_patent", 20), ("g_cpc_current", 50), ("g_cpc_current", 100), ("g_us_patent_citation", 200)]
    )
    with open_store(settings) as store:
        assert dump_graph(store) == clean_graph
    assert step_counts(summary) == step_counts(clean_summary) and summary["graph"] == clean_summary["graph"]
    counts = step_counts(clean_summary)
    assert counts["g_patent"]["replaced"] == 1 and counts["g_patent_abstract"]["replaced"] == 1
    assert counts["g_cpc_current"]["duplicate"] == 1 and counts["g_us_patent_citation"]["duplicate"] == 1
    # the policy per table: the later g_patent / abstract row wins; a patent's codes are all its
    # rows, each code's first row counting
    with open(repeating_patentsview / "g_patent.tsv", newline="", encoding="utf-8") as f:
        repeated = list(csv.reader(f, delimiter="\t"))[3][0]
    patents = {row["id"]: row["props"] for row in clean_graph["dump_patents"]}
    assert patents[repeated]["title"] == "A revised title" and patents[repeated]["num_claims"] == 99
    assert "A revised abstract." in {p.get("abstract") for p in patents.values()}
    with open(repeating_patentsview / "g_cpc_current.tsv", newline="", encoding="utf-8") as f:
        first = list(csv.reader(f, delimiter="\t"))[1]
    edges = {
        r["target"]: r["props"]
        for r in clean_graph["dump_relationships"]
        if r["type"] == "CLASSIFIED_AS" and r["source"] == first[0]
    }
    assert edges[first[5]]["sequence"] == int(first[1]) and edges["H04L9/32"]["sequence"] == 8
    assert not list((settings.home / "checkpoints").glob("load-*.json"))
