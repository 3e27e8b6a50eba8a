"""Interrupted loads: a real `patentcl load` process killed with SIGKILL or SIGINT part-way
through, then `--resume`: the graph and the rejects file end exactly as after a clean run, on
both engines."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from helpers import Graphs, broken_rows, cli_env, dump_graph, patentcl_executable, patentsview_generator

from patentcl.config import Settings
from patentcl.graph import open_store
from patentcl.loaders.rejects import read_rejects


@pytest.fixture(scope="module")
def fixture_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pv_resume")
    patentsview_generator().generate(out, patents=500, seed=9, use_zip=True, broken=True)
    return out


def patentcl(settings: Settings, *args: str) -> subprocess.Popen:
    env = {**os.environ, **cli_env(settings)}
    return subprocess.Popen([patentcl_executable(), *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


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
    done = patentcl(settings, "load", "patentsview", str(fixture_dir), "--json")
    out, err = done.communicate(timeout=300)
    assert done.returncode == 0, err
    with open_store(settings) as store:
        return json.loads(out), dump_graph(store)


@pytest.mark.parametrize("sig, step", [(signal.SIGKILL, "g_cpc_current"), (signal.SIGINT, "g_patent")])
def test_interrupted_load_resumes_to_the_clean_graph(graphs: Graphs, fixture_dir: Path, sig: int, step: str) -> None:
    name = f"resume_{sig.name.lower()}"
    clean_summary, clean_graph = clean_load(graphs.new(f"{name}_clean"), fixture_dir)

    settings = graphs.new(name)  # on Neo4j: the same database, emptied
    process = patentcl(settings, "load", "patentsview", str(fixture_dir), "--batch-size", "4", "--json")
    state = wait_for_checkpoint(settings.home, process, step)
    process.send_signal(sig)
    _, err = process.communicate(timeout=60)
    if sig == signal.SIGINT:
        assert process.returncode == 130 and "--resume" in err
    else:
        assert process.returncode == -signal.SIGKILL
    with open_store(settings) as store:
        assert len(dump_graph(store)["dump_patents"]) <= len(clean_graph["dump_patents"])

    resumed = patentcl(settings, "load", "patentsview", str(fixture_dir), "--resume", "--batch-size", "50", "--json")
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
    assert counts == {f["step"]: {k: v for k, v in f.items() if not k.endswith("seconds")}
                      for f in clean_summary["files"]}
    assert not list((settings.home / "checkpoints").glob("load-*.json"))  # a finished load leaves no checkpoint
