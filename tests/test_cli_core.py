"""The core commands as a user runs them: graph start/stop/status, info, queries, cypher."""

from __future__ import annotations

import json
import re
import os
import subprocess
from pathlib import Path

from click.testing import CliRunner
from helpers import cli_env, patentcl_executable

from patentcl.cli import main
from patentcl.config import Settings


def _invoke(settings: Settings, *args: str):
    env = cli_env(settings)
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_graph_start_status_stop(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    assert "not running" in _invoke(settings, "graph", "status").output
    started = _invoke(settings, "graph", "start")
    assert "embedded graph running" in started.output and "FalkorDB 4." in started.output
    status = json.loads(_invoke(settings, "graph", "status", "--json").output)
    assert status["running"] and status["pinned"]
    assert _invoke(settings, "graph", "stop").output.strip() == "stopped"
    assert "not running" in _invoke(settings, "graph", "status").output


def test_info_applies_the_schema(settings: Settings) -> None:
    result = _invoke(settings, "info", "--json")
    info = json.loads(result.output)
    assert info["engine"] == settings.engine and info["migrations"][0] == "001_keys"
    assert info["labels"] == {"SchemaMigration": len(info["migrations"])}


def test_cypher_text_and_catalogue_query(settings: Settings) -> None:
    _invoke(settings, "cypher", "UNWIND $ids AS id MERGE (:Patent {id: id})", "-p", 'ids=["US1","US2"]')
    rows = [json.loads(line) for line in _invoke(
        settings, "cypher", "MATCH (p:Patent) WHERE p.id = $id RETURN p.id AS id", "-p", "id=US2", "--json"
    ).output.splitlines()]
    assert rows == [{"id": "US2"}]
    counts = [json.loads(line) for line in _invoke(settings, "cypher", "--query", "label_counts", "--json").output.splitlines()]
    assert {"label": "Patent", "count": 2} in counts


def test_queries_show_prints_the_file(settings: Settings) -> None:
    result = _invoke(settings, "queries", "show", "engine_version", "--dialect", "neo4j")
    assert "CALL dbms.components()" in result.output
    listing = _invoke(settings, "queries", "list", "--json").output.splitlines()
    assert any(json.loads(line)["name"] == "record_migration" for line in listing)


def test_console_script_reports_errors_in_one_line(settings: Settings) -> None:
    executable = patentcl_executable()
    env = {**os.environ, **cli_env(settings)}
    result = subprocess.run([executable, "cypher", "MATCH (n RETURN n"], env=env, capture_output=True, text=True)
    assert result.returncode == 2
    engine = {"falkordb": "FalkorDB", "neo4j": "Neo4j"}[settings.engine]
    assert result.stderr.startswith(f"error: {engine}: ") and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and re.search(r"line:? 1, column:? (?:9|10)\b", result.stderr)
    missing = subprocess.run([executable, "cypher", "--query", "record_migration"], env=env,
                             capture_output=True, text=True)
    assert missing.returncode == 2 and "missing parameter(s) $applied_at" in missing.stderr
