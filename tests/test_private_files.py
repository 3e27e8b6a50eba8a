"""Data at rest is the user's alone: the embedded graph's folder, its data files and logs, the
Neo4j server's folder and the loader's rejects files are 0700 folders and 0600 files."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from helpers import Graphs
from patentcl.config import Settings
from patentcl.graph import open_store
from patentcl.graph.embedded import EmbeddedServer
from patentcl.graph.neo4j_server import Neo4jServer
from patentcl.loaders.csv_export import CsvSource
from patentcl.loaders.filters import LoadFilter
from patentcl.loaders.load import run_load


def _readable_by_others(folder: Path, skip: tuple[str, ...] = ()) -> list[str]:
    """Folders not 0700 and files not 0600 under `folder` (sockets aside)."""
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if Path(root, d) not in [folder / s for s in skip]]
        for name in dirs + files:
            path = Path(root, name)
            mode = path.lstat().st_mode
            if stat.S_ISSOCK(mode):
                continue
            want = 0o700 if stat.S_ISDIR(mode) else 0o600
            if stat.S_IMODE(mode) != want:
                found.append(f"{path.relative_to(folder)} {oct(stat.S_IMODE(mode))}")
    return found


def test_the_embedded_graph_folder_is_private(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    folder = settings.graph_dir
    folder.mkdir(parents=True)
    (folder / "server.log").write_text("an older version's log\n")
    os.chmod(folder, 0o755)
    os.chmod(folder / "server.log", 0o644)
    with open_store(settings) as store:
        store.run_text("UNWIND range(1, 100) AS i MERGE (:Patent {id: toString(i)})")
        assert _readable_by_others(folder) == []  # while it runs: socket, lease, log, append-only file
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    # after the stop's compaction: the append-only file is one RDB base, and no snapshot besides it
    assert list((folder / "appendonlydir").glob("*.base.rdb")) and not (folder / "dump.rdb").exists()
    assert _readable_by_others(folder) == []
    assert not EmbeddedServer(folder).status().running


def test_the_neo4j_server_folder_is_private(neo4j_server: Neo4jServer) -> None:
    assert neo4j_server.status().running
    assert stat.S_IMODE(neo4j_server.home.stat().st_mode) == 0o700
    # lib/ and plugins/ hold the public jars from Maven, not data
    assert _readable_by_others(neo4j_server.home, skip=("lib", "plugins", "import")) == []


def test_rejects_files_are_private(graphs: Graphs, tmp_path: Path) -> None:
    data = tmp_path / "patents.csv"
    data.write_text('publication_number,title,abstract,cpc_codes\nUS1B2,t,a,"[""G06N3/08""]"\nUS2B2,t,a,"[unclosed\n')
    settings = graphs.new()
    with open_store(settings) as store:
        report = run_load(store, settings, CsvSource([data], LoadFilter(types=None)))
    assert f"{data}\t3\t" in report.rejects_path.read_text()  # the broken row, line 3
    assert stat.S_IMODE(report.rejects_path.stat().st_mode) == 0o600
