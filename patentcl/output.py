"""How commands print: tables for people, JSON for programs, and lines that read the same when
stdout is a pipe or a file (no colour, no wrapping, every message labelled)."""

from __future__ import annotations

import json
from typing import Any

import click
from rich.console import Console, ConsoleDimensions
from rich.table import Table

from patentcl.config import Settings

# Wide enough for any table a command prints: piped output is read by programs and by people
# scrolling sideways, and a table cut to 80 columns there folds its headers mid-word.
PIPED_WIDTH = 10_000


class PipeAwareConsole(Console):
    """A rich console as wide as the terminal, and as wide as its content when not a terminal."""

    @property
    def size(self) -> ConsoleDimensions:
        size = super().size
        return size if self.is_terminal else ConsoleDimensions(PIPED_WIDTH, size.height)

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        Console.size.fset(self, new_size)  # type: ignore[attr-defined]


console = PipeAwareConsole()
errors = PipeAwareConsole(stderr=True)


def settings_of(ctx: click.Context) -> Settings:
    """The settings of the root command (`--graph`, `--home`, the environment)."""
    settings: Settings = ctx.find_root().obj
    return settings


def log(label: str, message: str, style: str | None = None) -> None:
    """A line for people on stderr; the label ("note", "warning", "interrupted", ...) says what
    it is where colour is lost."""
    errors.print(f"{label}: {message}", style=style, markup=False, highlight=False)


def print_rows(rows: list[dict[str, Any]], as_json: bool, title: str | None = None) -> None:
    """Rows as a table for people or JSON lines for programs."""
    if as_json:
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False, default=str))
        return
    table = Table(title=title, show_lines=False)
    columns = list(rows[0]) if rows else []
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(_cell(row[c]) for c in columns))
    console.print(table)
    console.print(f"{len(rows)} row{'s' if len(rows) != 1 else ''}", style="dim")


def _cell(value: Any) -> str:
    if isinstance(value, (dict, list)):
        text = json.dumps(value, ensure_ascii=False, default=str)
        return text if len(text) <= 200 else text[:197] + "..."
    return "" if value is None else str(value)
