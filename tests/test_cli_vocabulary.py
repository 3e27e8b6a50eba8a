"""One command-line vocabulary: every command that prints a result takes --json, one option name
has one meaning in every command, renamed options keep their old spelling as a hidden alias, and
tables stay whole when stdout is a pipe.

The commands are discovered from the click group, so a new command is checked without a change here.
"""

from __future__ import annotations

import os
import subprocess
from collections import defaultdict

import click
import pytest
from click.testing import CliRunner

from helpers import patentcl_executable
from patentcl.cli import main
from patentcl.options import AliasedOption, option
from patentcl.output import log


def _commands(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    found = []
    for name, command in sorted(group.commands.items()):
        if command.hidden:
            continue
        if isinstance(command, click.Group):
            found += _commands(command, (*path, name))
        else:
            found.append(((*path, name), command))
    return found


COMMANDS = _commands(main)
# Commands that print no result of their own, so no --json.
NO_RESULT: dict[tuple[str, ...], str] = {
    ("graph", "start"): "starts a server; `graph status --json` describes it",
    ("graph", "stop"): "stops a server",
    ("graph", "admin"): "passes neo4j-admin's own output through",
    ("queries", "show"): "prints a Cypher file, to paste into Neo4j Browser",
    ("serve",): "runs a web server",
    ("quickstart",): "runs the other commands, each of which takes --json",
}
# Names whose commands differ in type or parameter name, and why that is one meaning still.
SAME_MEANING: dict[str, str] = {
    "--model": "a model everywhere: a hub id or folder; a local folder (a path) where the command writes into "
    "or exports from it; evaluate takes repeatable NAME=PATH to compare several",
    "--m": "bench index sweeps a grid: comma-separated values of embed's HNSW setting",
    "--ef-construction": "bench index sweeps a grid: comma-separated values of embed's HNSW setting",
    "--ef-runtime": "bench index sweeps a grid: comma-separated values of embed's HNSW setting",
    "--csv": "a patent CSV file everywhere; repeatable in export admin-import",
}


def _kind(param: click.Parameter) -> str:
    """The type as a user meets it (an IntRange is an integer, a Choice subclass a choice)."""
    for kind, name in (
        (click.Choice, "choice"),
        (click.Path, "path"),
        (click.types.IntParamType, "int"),
        (click.types.FloatParamType, "float"),
        (click.types.BoolParamType, "bool"),
    ):
        if isinstance(param.type, kind):
            return name
    return "text"


def _visible(param: click.Option) -> list[str]:
    return [opt for opt in param.opts if opt not in getattr(param, "hidden_aliases", ())]


def _option_meanings() -> dict[str, dict[tuple[str, str | None, bool], list[str]]]:
    meanings: dict[str, dict[tuple[str, str | None, bool], list[str]]] = defaultdict(lambda: defaultdict(list))
    for path, command in COMMANDS:
        for param in command.params:
            if isinstance(param, click.Option):
                for name in _visible(param):
                    meanings[name][(_kind(param), param.name, param.is_flag)].append(" ".join(path))
    return meanings


@pytest.mark.parametrize(("path", "command"), [pytest.param(p, c, id=" ".join(p)) for p, c in COMMANDS])
def test_every_command_that_prints_a_result_takes_json(path: tuple[str, ...], command: click.Command) -> None:
    json_options = [p for p in command.params if isinstance(p, click.Option) and "--json" in p.opts]
    if path in NO_RESULT:
        assert not json_options, f"{' '.join(path)} has --json now: take it off NO_RESULT"
        return
    assert json_options, f"patentcl {' '.join(path)} prints a result but takes no --json"
    (json_option,) = json_options
    assert json_option.is_flag and json_option.name == "as_json"


def test_an_option_name_has_one_meaning_in_every_command() -> None:
    meanings = _option_meanings()
    clashes = {
        name: {f"{kind} {dest}{' flag' if flag else ''}": commands for (kind, dest, flag), commands in found.items()}
        for name, found in meanings.items()
        if len(found) > 1 and name not in SAME_MEANING
    }
    assert not clashes
    # the allow-list holds only names that still differ
    assert all(len(meanings[name]) > 1 for name in SAME_MEANING), [n for n in SAME_MEANING if len(meanings[n]) < 2]


def test_the_shared_vocabulary_is_where_the_issue_asks() -> None:
    meanings = _option_meanings()
    commands_with = {name: {c for commands in found.values() for c in commands} for name, found in meanings.items()}
    assert {"load csv", "load patentsview", "export admin-import", "similar"} <= commands_with["--date-from"]
    assert {"cypher", "mine", "bench mine", "queries show"} <= commands_with["--query-version"]
    assert {"load csv", "export admin-import", "bench load", "embed", "bench write-back"} <= commands_with[
        "--rows-per-write"
    ]
    assert {"embed", "bench embed"} <= commands_with["--texts-per-batch"]
    assert {"mine", "bench mine"} <= commands_with["--anchors-per-query"]
    assert {"train", "suggest-cpc"} <= commands_with["--cpc-level"]
    for gone in ("--from", "--to", "--version", "--batch-size", "--encode-batch-size", "--mini-batch-size", "--level"):
        assert gone not in meanings, f"{gone} is shown by {commands_with.get(gone)}"
    # one default seed
    seeds = {p.default for _, command in COMMANDS for p in command.params if p.name == "seed"}
    assert len(seeds) == 1, seeds
    # --triplets and --texts name files, never a count (--triplet-count, --text-count)
    for name in ("--triplets", "--texts"):
        assert {kind for kind, _, _ in meanings[name]} == {"path"}, dict(meanings[name])
    assert {kind for kind, _, _ in meanings["--triplet-count"]} == {"int"}


def test_cpc_levels_are_spelled_as_the_core_spells_them() -> None:
    from patentcl.cpc import LEVELS

    for path, command in COMMANDS:
        for param in command.params:
            if isinstance(param.type, click.Choice) and "level" in (param.name or ""):
                assert set(param.type.choices) <= set(LEVELS), (" ".join(path), param.type.choices)


def _aliased() -> list[tuple[tuple[str, ...], click.Command, AliasedOption]]:
    return [
        (path, command, param)
        for path, command in COMMANDS
        for param in command.params
        if isinstance(param, AliasedOption)
    ]


@pytest.mark.parametrize(
    ("path", "command", "param"), [pytest.param(*row, id=f"{' '.join(row[0])} {row[2].opts[0]}") for row in _aliased()]
)
def test_an_old_spelling_is_hidden_from_help_and_still_read(
    path: tuple[str, ...], command: click.Command, param: AliasedOption
) -> None:
    shown = CliRunner().invoke(main, [*path, "--help"], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    words = set(shown.output.replace(",", " ").split())
    assert _visible(param)[0] in words
    for alias in param.hidden_aliases:
        assert alias not in words
        value = (
            "x"
            if isinstance(param.type, click.types.StringParamType)
            else (param.type.choices[0] if isinstance(param.type, click.Choice) else "7")
        )
        parsed, _, _ = command.make_parser(click.Context(command)).parse_args([alias, str(value)])
        assert parsed[param.name] == str(value)


def test_aliases_exist_for_the_renamed_options() -> None:
    aliases = {(" ".join(path), alias) for path, _, param in _aliased() for alias in param.hidden_aliases}
    assert {
        ("load csv", "--from"),
        ("load csv", "--to"),
        ("queries show", "--version"),
        ("load csv", "--batch-size"),
        ("embed", "--encode-batch-size"),
        ("mine", "--batch-size"),
        ("bench mine", "--triplets"),
        ("bench onnx", "--texts"),
        ("suggest-cpc", "--level"),
        ("train", "--mini-batch-size"),
        ("train", "--text"),
    } <= aliases


def test_the_old_spelling_gives_the_same_answer() -> None:
    runner = CliRunner()
    new = runner.invoke(main, ["queries", "show", "label_counts", "--query-version", "1"])
    old = runner.invoke(main, ["queries", "show", "label_counts", "--version", "1"])
    assert new.exit_code == 0 and new.output == old.output
    missing = runner.invoke(main, ["queries", "show", "label_counts", "--version", "99"])
    assert missing.exit_code != 0


def test_an_old_command_name_is_hidden_and_still_works() -> None:
    listing = CliRunner().invoke(main, ["--help"]).output
    assert "export-onnx" not in listing and "export " in listing
    assert "onnx " in CliRunner().invoke(main, ["export", "--help"]).output
    old = CliRunner().invoke(main, ["export-onnx", "--help"])
    new = CliRunner().invoke(main, ["export", "onnx", "--help"])
    assert old.exit_code == new.exit_code == 0
    assert old.output.split("\n", 1)[1] == new.output.split("\n", 1)[1]  # all but the usage line


def test_aliased_option_on_its_own() -> None:
    @click.command()
    @option("--rows", "rows", aliases=("--batch",), type=click.IntRange(1), default=3, show_default=True, help="Rows.")
    def command(rows: int) -> None:
        click.echo(f"rows={rows}")

    runner = CliRunner()
    assert runner.invoke(command, ["--batch", "5"]).output == "rows=5\n"
    assert runner.invoke(command, ["--rows", "6"]).output == "rows=6\n"
    assert "--batch" not in runner.invoke(command, ["--help"]).output
    bad = runner.invoke(command, ["--batch", "0"])
    assert bad.exit_code == 2 and "'--rows'" in bad.output and "--batch" not in bad.output.split("Error:")[1]


def test_a_piped_table_keeps_its_headers_and_cells_whole(tmp_path) -> None:
    env = {**os.environ, "COLUMNS": "60", "PATENTCL_HOME": str(tmp_path)}
    done = subprocess.run(
        [patentcl_executable(), "queries", "list"], env=env, capture_output=True, text=True, timeout=120, check=True
    )
    lines = done.stdout.splitlines()
    header = next(line for line in lines if "group" in line)
    assert header.split() == [
        "┃",
        "group",
        "┃",
        "name",
        "┃",
        "version",
        "┃",
        "dialect",
        "┃",
        "mode",
        "┃",
        "params",
        "┃",
        "sha256",
        "┃",
    ]
    # one line per query: a row that wrapped would leave a line without its query name
    rows = [line for line in lines if line.startswith("│")]
    assert rows and all(len(line.split("│")[2].strip()) > 0 for line in rows)
    assert any("$anchors, $lo" in line and "$max_groups" in line for line in rows)  # a long params cell, unbroken
    assert "\x1b[" not in done.stdout  # no colour codes in a pipe


def test_a_log_line_is_labelled_and_printed_as_given(capsys: pytest.CaptureFixture[str]) -> None:
    log("warning", "only [bold]3[/bold] patents pass the filters")
    assert capsys.readouterr().err == "warning: only [bold]3[/bold] patents pass the filters\n"
