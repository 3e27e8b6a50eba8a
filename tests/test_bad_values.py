"""Bad settings and option values: every `patentcl` command answers them with one line and exit
code 2, before it starts a server or writes anything.

The commands are discovered from the click group, so a new command is covered without a change
here; the few whose valid use needs more than their required parameters say so in EXTRA_ARGS.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from helpers import SAMPLE_CSV
from patentcl.cli import main, run

# Placeholders, filled in per test: {tmp} a fresh folder, {folder} an empty folder in it,
# {file} a file in it, {unwritable} a folder nobody may create files in.
UNWRITABLE = Path("/sys")
# What a command needs beyond its required parameters to be a valid call.
EXTRA_ARGS: dict[tuple[str, ...], list[str]] = {
    ("cypher",): ["RETURN 1"],
    ("export", "admin-import"): ["--csv", str(SAMPLE_CSV)],
    ("similar",): ["US1"],
    ("suggest-cpc",): ["US1"],
    ("bench", "load"): ["--generate", "10"],
}
BAD_GLOBAL_VALUES: list[tuple[list[str], dict[str, str]]] = [
    (["--graph", "http://x"], {}),
    (["--graph", "foo"], {}),
    ([], {"PATENTCL_GRAPH": "http://x"}),
    ([], {"PATENTCL_GRAPH": "foo"}),
    ([], {"PATENTCL_BATCH_SIZE": "abc"}),
    ([], {"PATENTCL_BATCH_SIZE": "0"}),
    ([], {"PATENTCL_BATCH_SIZE": "-5"}),
    (["--home", "{file}"], {}),
    (["--home", "{file}/home"], {}),
    (["--home", "{unwritable}"], {}),
    (["--home", "{unwritable}/home"], {}),
    ([], {"PATENTCL_HOME": "{file}"}),
    ([], {"PATENTCL_HOME": "{unwritable}/home"}),
]
BAD_REJECTS = ["{folder}", "{file}/rejects.tsv", "{unwritable}/rejects.tsv"]


def _commands(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    found = []
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            found += _commands(command, (*path, name))
        else:
            found.append(((*path, name), command))
    return found


def _placeholder(param: click.Parameter) -> str:
    """A value a required parameter accepts: an existing folder or file where it takes a path."""
    kind = param.type
    if isinstance(kind, click.Path):
        return "{folder}" if kind.dir_okay else str(SAMPLE_CSV)
    return "1" if isinstance(kind, (click.types.IntParamType, click.types.FloatParamType)) else "x"


def _valid_args(path: tuple[str, ...], command: click.Command) -> list[str]:
    args = [*path]
    for param in command.params:
        if param.required:
            value = _placeholder(param)
            args += [param.opts[0], value] if isinstance(param, click.Option) else [value]
    return args + EXTRA_ARGS.get(path, [])


COMMANDS = _commands(main)
# (command line, variables, the option or variable the message must name)
ROWS = [
    pytest.param(
        options + _valid_args(path, command),
        env,
        options[0] if options else next(iter(env)),
        id=f"{' '.join(path)}|{' '.join(options)}|{env}",
    )
    for path, command in COMMANDS
    for options, env in BAD_GLOBAL_VALUES
] + [
    pytest.param(
        [*_valid_args(path, command), "--rejects", bad], {}, "--rejects", id=f"{' '.join(path)}|--rejects {bad}"
    )
    for path, command in COMMANDS
    if any("--rejects" in param.opts for param in command.params)
    for bad in BAD_REJECTS
]


def _fill(text: str, tmp: Path) -> str:
    return text.format(tmp=tmp, folder=tmp / "folder", file=tmp / "file", unwritable=UNWRITABLE)


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.mark.skipif(not UNWRITABLE.is_dir(), reason=f"needs {UNWRITABLE} (a folder no user may write in: Linux)")
@pytest.mark.parametrize(("args", "env", "name"), ROWS)
def test_a_bad_value_is_one_line_and_exit_2_before_anything_is_written(
    args: list[str], env: dict[str, str], name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "folder").mkdir()
    (tmp_path / "file").write_text("not a folder\n")
    monkeypatch.chdir(tmp_path)  # no .env of the working folder applies
    before = _files(tmp_path)
    variables = {name: None for name in os.environ if name.startswith(("PATENTCL_", "NEO4J_", "FALKORDB_"))}
    variables |= {"PATENTCL_HOME": str(tmp_path / "home"), "COLUMNS": "200"}
    variables |= {name: _fill(value, tmp_path) for name, value in env.items()}

    with CliRunner().isolation(env=variables) as (stdout, stderr, _):
        with pytest.raises(SystemExit) as exit_:
            run([_fill(arg, tmp_path) for arg in args])
    output = _text(stdout) + _text(stderr)

    assert exit_.value.code == 2, output
    assert "Traceback" not in output
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert lines[0].startswith(f"error: {name}"), lines[0]
    assert _files(tmp_path) == before  # no home, no graph server, no rejects or output file


def _text(stream: io.BytesIO) -> str:
    return stream.getvalue().decode("utf-8", "replace")


def test_the_table_reaches_the_nested_commands() -> None:
    commands = {" ".join(path) for path, _ in COMMANDS}
    assert {"cypher", "mine", "graph status", "bench mine", "export admin-import"} <= commands
    assert {str(row.id).split("|")[0] for row in ROWS if "--rejects" in str(row.id)} >= {"load csv", "load patentsview"}
