"""Interrupted loads: a real `patentcl load` process killed with SIGKILL or SIGINT part-way
through, then `--resume`: the graph and the rejects file end exactly as after a clean run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Iterator

import pytest
from helpers import patentcl_executable

from patentcl.config import Settings
from patentcl.graph import open_store
from patentcl.graph.embedded import EmbeddedServer
from patentcl.loaders.rejects import read_rejects
from test_load_patentsview import _broken, _generator, dump


@pytest.fixture(scope="module")
def fixture_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pv_resume")
    _generator().generate(out, patents=500, seed=9, use_zip=True, broken=True)
    return out


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A project folder of its own (checkpoints are looked at), with a server kept running."""
    path = tmp_path_factory.mktemp("resume_home")
    server = EmbeddedServer(Settings(home=path).graph_dir)
    server.start(pinned=True)
    yield path
    server.stop()


def patentcl(home: Path, graph: str, *args: str) -> subprocess.Popen:
    executable = patentcl_executable()
    env = {**os.environ, "PATENTCL_HOME": str(home), "PATENTCL_GRAPH_NAME": graph, "COLUMNS": "200"}
    return subprocess.Popen([executable, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


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


def clean_load(home: Path, fixture_dir: Path, graph: str) -> tuple[dict, dict]:
    done = patentcl(home, graph, "load", "patentsview", str(fixture_dir), "--json")
    out, err = done.communicate(timeout=300)
    assert done.returncode == 0, err
    with open_store(Settings(home=home, graph_name=graph)) as store:
        return json.loads(out), dump(store)


@pytest.mark.parametrize("sig, step", [(signal.SIGKILL, "g_cpc_current"), (signal.SIGINT, "g_patent")])
def test_interrupted_load_resumes_to_the_clean_graph(home: Path, fixture_dir: Path, sig: int, step: str) -> None:
    name = f"resume_{sig.name.lower()}"
    clean_summary, clean_graph = clean_load(home, fixture_dir, f"{name}_clean")

    process = patentcl(home, name, "load", "patentsview", str(fixture_dir), "--batch-size", "4", "--json")
    state = wait_for_checkpoint(home, process, step)
    process.send_signal(sig)
    _, err = process.communicate(timeout=60)
    if sig == signal.SIGINT:
        assert process.returncode == 130 and "--resume" in err
    else:
        assert process.returncode == -signal.SIGKILL
    with open_store(Settings(home=home, graph_name=name)) as store:
        assert len(dump(store)["dump_patents"]) <= len(clean_graph["dump_patents"])

    resumed = patentcl(home, name, "load", "patentsview", str(fixture_dir), "--resume", "--batch-size", "50", "--json")
    out, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err
    summary = json.loads(out)
    assert summary["resumed"] and state["position"] > 0
    with open_store(Settings(home=home, graph_name=name)) as store:
        assert dump(store) == clean_graph
    assert summary["graph"] == clean_summary["graph"]
    # every rejected row is listed once, as in the clean run
    listed = sorted((Path(r["file"]).name, int(r["line"])) for r in read_rejects(Path(summary["rejects"])))
    assert listed == sorted(_broken(fixture_dir)) and summary["rejected"] == clean_summary["rejected"] == 10
    counts = {f["step"]: {k: v for k, v in f.items() if not k.endswith("seconds")} for f in summary["files"]}
    assert counts == {f["step"]: {k: v for k, v in f.items() if not k.endswith("seconds")}
                      for f in clean_summary["files"]}
    assert not list((home / "checkpoints").glob("load-*.json"))  # a finished load leaves no checkpoint
