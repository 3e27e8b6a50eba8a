"""The core commands as a user runs them: graph start/stop/status, info, queries, cypher."""

from __future__ import annotations

import json
import os
import re
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
    _invoke(settings, "cypher", "UNWIND $ids AS id MERGE (:Patent {id: id})", "-p", 'ids:=["US1","US2"]')
    rows = [
        json.loads(line)
        for line in _invoke(
            settings, "cypher", "MATCH (p:Patent) WHERE p.id = $id RETURN p.id AS id", "-p", "id=US2", "--json"
        ).output.splitlines()
    ]
    assert rows == [{"id": "US2"}]
    counts = [
        json.loads(line)
        for line in _invoke(settings, "cypher", "--query", "label_counts", "--json").output.splitlines()
    ]
    assert {"label": "Patent", "count": 2} in counts


def test_cypher_param_is_a_string_unless_given_as_json(settings: Settings) -> None:
    """PatentsView ids are digits: `-p id=9100001` must find the patent whose id is the string."""
    _invoke(settings, "cypher", "MERGE (:Patent {id: $id})", "-p", "id=9100001")
    found = _invoke(settings, "cypher", "MATCH (p:Patent {id: $id}) RETURN p.id AS id", "-p", "id=9100001", "--json")
    assert [json.loads(line) for line in found.output.splitlines()] == [{"id": "9100001"}]
    typed = _invoke(
        settings,
        "cypher",
        "RETURN $s AS s, $n AS n, $f AS f, $b AS b, $z AS z, $l AS l, $m AS m",
        "-p",
        "s=5",
        "-p",
        "n:=5",
        "-p",
        "f:=2.5",
        "-p",
        "b:=true",
        "-p",
        "z:=null",
        "-p",
        'l:=[1,"a"]',
        "-p",
        'm:={"k": 1}',
        "--json",
    )
    assert json.loads(typed.output) == {"s": "5", "n": 5, "f": 2.5, "b": True, "z": None, "l": [1, "a"], "m": {"k": 1}}
    none = _invoke(settings, "cypher", "MATCH (p:Patent {id: $id}) RETURN p.id AS id", "-p", "id:=9100001", "--json")
    assert none.exit_code == 0 and none.output == ""  # the number 9100001 is no id


def test_cypher_params_repeated_missing_or_bad_json_are_usage_errors_naming_them(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")  # no graph is reached: each is refused first
    repeated = _invoke(settings, "cypher", "RETURN $id", "-p", "id=US1", "-p", "id=US2")
    assert repeated.exit_code == 2 and "id is given more than once" in repeated.output
    missing = _invoke(settings, "cypher", "RETURN $a, $b, $c // $d\n, '$e'", "-p", "a=1")
    assert missing.exit_code == 2 and "missing parameter(s) $b, $c:" in missing.output
    bad = _invoke(settings, "cypher", "RETURN $n", "-p", "n:=[1,")
    assert bad.exit_code == 2 and "n:= takes JSON, and '[1,' is not" in bad.output
    unnamed = _invoke(settings, "cypher", "RETURN 1", "-p", "=1")
    assert unnamed.exit_code == 2 and "'=1' is not KEY=VALUE or KEY:=JSON" in unnamed.output
    assert not (tmp_path / "home").exists()


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
    missing = subprocess.run(
        [executable, "cypher", "--query", "record_migration"], env=env, capture_output=True, text=True
    )
    assert missing.returncode == 2 and "missing parameter(s) $applied_at" in missing.stderr
