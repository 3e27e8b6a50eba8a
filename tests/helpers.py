"""Helpers shared by the tests (fixtures live in conftest.py; tests import from here, never from
conftest or from one another)."""

from __future__ import annotations

import csv
import itertools
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Protocol

from patentcl.catalogue import parse_file
from patentcl.config import Settings
from patentcl.families import abstract_families
from patentcl.graph import GraphStore, Row, open_store
from patentcl.graph.neo4j_server import Neo4jConnection
from patentcl.loaders import patentsview_fixture
from patentcl.mining.splits import Splits
from patentcl.samples import sample_csv

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data" / "google-patents-ai"
SAMPLE_CSV = sample_csv()
TEST_CYPHER = Path(__file__).resolve().parent / "cypher"
_graph_numbers = itertools.count()


class Graphs(Protocol):
    def new(self, name: str = "test") -> Settings:
        """Settings for an empty graph of this session's engine."""


class FalkorDBGraphs:
    def __init__(self, home: Path):
        self.home = home

    def new(self, name: str = "test") -> Settings:
        return Settings(home=self.home, graph_name=f"{name}{os.getpid()}_{next(_graph_numbers)}")


class Neo4jGraphs:
    def __init__(self, connection: Neo4jConnection, home: Path):
        self.connection = connection
        self.home = home

    def new(self, name: str = "test") -> Settings:
        graph_name = f"{name}{next(_graph_numbers)}"
        # A folder per graph: checkpoints and rejects are keyed by the graph, and on Neo4j every
        # test graph is the same database.
        home = self.home / graph_name
        home.mkdir(parents=True, exist_ok=True)
        settings = Settings(
            graph=self.connection.uri, home=home, neo4j_password=self.connection.password, graph_name=graph_name
        )
        with open_store(settings, migrate=False) as store:
            store.run_text((TEST_CYPHER / "clear_graph.neo4j.cypher").read_text())
            store.run("drop_vector_index")  # the one index a test makes beside the migrations
        return settings


def cli_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment that points a `patentcl` command at the graph of `settings`."""
    env = {
        "PATENTCL_HOME": str(settings.home),
        "PATENTCL_GRAPH": settings.graph,
        "PATENTCL_GRAPH_NAME": settings.graph_name,
        "COLUMNS": "200",
        **extra,
    }
    if settings.engine == "neo4j":
        env |= {
            "NEO4J_USERNAME": settings.neo4j_user,
            "NEO4J_PASSWORD": settings.neo4j_password or "",
            "NEO4J_DATABASE": settings.neo4j_database,
        }
    return env


def start_patentcl(settings: Settings, *args: str, **env: str) -> subprocess.Popen:
    """A real `patentcl ARGS` process on the graph of `settings` (output captured as text)."""
    return subprocess.Popen(
        [patentcl_executable(), *args],
        env={**os.environ, **cli_env(settings, **env)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def output_of(process: subprocess.Popen, timeout: float = 600.0) -> str:
    """The standard output of a run that must succeed (the process is killed if the test fails)."""
    try:
        out, err = process.communicate(timeout=timeout)
    finally:
        process.kill()  # nothing left running when the test fails
    assert process.returncode == 0, err
    return out


def kill_when(process: subprocess.Popen, ready: Callable[[], bool], timeout: float = 300.0) -> None:
    """SIGKILLs `process` as soon as `ready()` (a condition on its progress: a checkpoint, the
    graph), never by the clock; fails if the process ends first or `timeout` passes."""
    deadline = time.monotonic() + timeout
    try:
        while not ready():
            assert process.poll() is None, f"the run ended before it could be killed: {process.communicate()}"
            assert time.monotonic() < deadline, f"not ready to be killed after {timeout} s"
            time.sleep(0.002)
    finally:
        process.kill()
        process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL


def patentcl_executable() -> str:
    """The installed `patentcl` console script: beside this interpreter (a venv that is not
    activated, as `make test` runs it), else on PATH."""
    beside = Path(sys.executable).parent / "patentcl"
    found = str(beside) if beside.exists() else shutil.which("patentcl")
    assert found, "the patentcl console script is installed with the package"
    return found


def read_rejects(path: Path) -> list[dict[str, str]]:
    """A load's rejects file (tab-separated, a header line) as dicts."""
    with open(path, encoding="utf-8", newline="") as f:
        header = f.readline().rstrip("\n").split("\t")
        return [dict(zip(header, line.rstrip("\n").split("\t"))) for line in f if line.strip()]


def split_of(patent_id: str, families: Mapping[str, str] | None = None) -> str:
    """The split `patentcl mine` puts a patent in with the default fractions: its family's
    (`families`: family key by patent id, as `csv_families` gives; a patent not in it is alone)."""
    return Splits().of((families or {}).get(patent_id, patent_id))


def csv_families(*paths: Path) -> dict[str, str]:
    """The family key of every patent of google-patents-ai CSV files (its last row's abstract,
    as the loader keeps it), read from the files rather than the graph."""
    abstracts: dict[str, str] = {}
    for path in paths:
        with path.open(encoding="utf-8", newline="") as handle:
            abstracts |= {row["publication_number"]: row["abstract"] for row in csv.DictReader(handle)}
    return abstract_families(abstracts.items())


def broken_rows(folder: Path) -> set[tuple[str, int]]:
    """(file, line) of the malformed rows a generated PatentsView fixture lists in BROKEN.txt."""
    path = folder / "BROKEN.txt"
    if not path.exists():
        return set()
    return {(row["file"], int(row["line"])) for row in csv.DictReader(path.open(), delimiter="\t")}


def dump(store: GraphStore, name: str) -> list[Row]:
    """The rows of a test query (a catalogue-style file in tests/cypher, e.g. `dump_patents`)."""
    return list(store.run(parse_file(TEST_CYPHER / f"{name}.v1.cypher", TEST_CYPHER)))


def dump_graph(store: GraphStore) -> dict[str, list[Row]]:
    """Every patent, CPC node and relationship with its properties (tests/cypher/dump_*)."""
    return {name: dump(store, name) for name in ("dump_patents", "dump_cpc", "dump_relationships")}


def load_sample_with_vectors(
    settings: Settings, model_path: str, tables: Path, *, patents: int = 100, seed: int = 11
) -> None:
    """A real sample graph for the search tests: a PatentsView-format fixture of `patents` patents
    (written to `tables`) loaded by the loader and embedded by `patentcl embed`'s code."""
    from patentcl.encoding import open_model
    from patentcl.loaders.filters import LoadFilter
    from patentcl.loaders.load import run_load
    from patentcl.loaders.patentsview import Options, PatentsViewSource
    from patentcl.trainer.embed import embed_patents

    patentsview_fixture.generate(tables, patents=patents, seed=seed)
    with open_store(settings) as store:
        run_load(store, settings, PatentsViewSource(tables, LoadFilter(types=None), Options()))
        embed_patents(store, open_model(model_path), progress=False)
