"""`patentcl graph start --engine neo4j`: a real Neo4j 5.26 with APOC and GDS from Maven Central,
started, checked, and stopped as a user would, in a project folder of its own."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import urllib.request
from pathlib import Path

import pytest

from helpers import patentcl_executable
from patentcl.config import Settings
from patentcl.errors import GraphUnavailableError
from patentcl.graph import open_store
from patentcl.graph.neo4j_server import Neo4jServer

pytestmark = pytest.mark.skipif(
    bool(Neo4jServer.missing_tools()) and not os.environ.get("CI"), reason=f"{Neo4jServer.missing_tools()}"
)


def _patentcl(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATENTCL_HOME": str(home), "NEO4J_HEAP_MAX": "512M", "NEO4J_PAGECACHE": "128M"}
    env.pop("PATENTCL_GRAPH", None)
    return subprocess.run([patentcl_executable(), *args], env=env, capture_output=True, text=True, timeout=600)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_start_writes_private_settings_answers_with_plugins_and_stops(tmp_path: Path) -> None:
    home = tmp_path / "project"
    try:
        started = _patentcl(home, "graph", "start", "--engine", "neo4j")
        assert started.returncode == 0, started.stderr
        assert "Neo4j 5.26.19 community (APOC 5.26.19, GDS 2.13.9)" in started.stdout
        env_file = home / "neo4j" / "env"
        values = dict(line.split("=", 1) for line in env_file.read_text().splitlines())
        assert set(values) == {"PATENTCL_GRAPH", "NEO4J_USERNAME", "NEO4J_PASSWORD"}
        assert values["PATENTCL_GRAPH"].startswith("bolt://127.0.0.1:") and len(values["NEO4J_PASSWORD"]) >= 24
        assert values["NEO4J_PASSWORD"] not in started.stdout + started.stderr
        assert _mode(env_file) == 0o600 and _mode(home / "neo4j" / "password") == 0o600
        assert all(_mode(home / "neo4j" / d) == 0o700 for d in ("data", "logs", "conf"))

        settings = Settings(graph=values["PATENTCL_GRAPH"], neo4j_password=values["NEO4J_PASSWORD"], home=home)
        with open_store(settings) as store:
            assert next(store.run("server_plugins"))["gds"] == "2.13.9"
            assert store.describe().migrations  # patentcl's schema applies on it
        status = json.loads(_patentcl(home, "graph", "status", "--engine", "neo4j", "--json").stdout)
        assert status["running"] and status["bolt"] == values["PATENTCL_GRAPH"]
        assert status["browser"].startswith("http://127.0.0.1:")
        with urllib.request.urlopen(status["browser"], timeout=30) as page:  # Neo4j Browser, on loopback
            assert page.status == 200 and b"<title>Neo4j Browser</title>" in page.read()

        again = _patentcl(home, "graph", "start", "--engine", "neo4j")  # already running: same server
        assert again.returncode == 0 and values["PATENTCL_GRAPH"] in again.stdout
    finally:
        stopped = _patentcl(home, "graph", "stop", "--engine", "neo4j")
    assert stopped.stdout.strip() == "stopped", stopped.stderr
    assert "not running" in _patentcl(home, "graph", "status", "--engine", "neo4j").stdout
    admin = _patentcl(home, "graph", "admin", "--version")  # neo4j-admin from the same jars
    assert admin.returncode == 0 and "5.26.19" in admin.stdout, admin.stderr
    assert _patentcl(home, "graph", "admin", "no-such-command").returncode != 0
    with pytest.raises(GraphUnavailableError, match="cannot reach Neo4j"):
        with open_store(settings):
            pass


def test_a_wrong_password_file_is_a_clear_error_naming_it(tmp_path: Path) -> None:
    server = Neo4jServer(tmp_path / "neo4j", {**os.environ, "NEO4J_HEAP_MAX": "512M", "NEO4J_PAGECACHE": "128M"})
    server.start()
    try:
        server.stop()
        (tmp_path / "neo4j" / "password").write_text("not-the-password\n")
        failed = _patentcl(tmp_path, "graph", "start", "--engine", "neo4j")
        assert failed.returncode == 2 and "refused the password in" in failed.stderr
        assert "Traceback" not in failed.stderr and "not-the-password" not in failed.stderr
    finally:
        server.stop()
