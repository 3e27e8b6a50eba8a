"""The rejects file: every input row the loader refused, with file, line, field and reason.

A tab-separated file with a header row. It is flushed and fsynced before each checkpoint, and
the checkpoint records its size, so a resumed run truncates it to that size and appends: rows
rejected after the last checkpoint are not listed twice.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import click

from patentcl.config import ConfigError, check_folder
from patentcl.errors import PatentclError

HEADER = "file\tline\tfield\treason\n"


def _clean(text: str) -> str:
    """One line, no tabs: control characters are shown escaped (csv errors quote a tab)."""
    return " ".join(str(text).replace("\t", "\\t").replace("\n", "\\n").split())


def check_rejects_path(path: Path, source: str = "--rejects") -> None:
    """A ConfigError naming `source` unless the rejects file can be written at `path`; nothing is
    created, so a bad path stops a load before it starts a server or writes anything."""
    if path.is_dir():
        raise ConfigError(f"{source}: {path} is a folder; give the path of a file")
    check_folder(path.parent, source)
    if path.exists():
        try:
            open(path, "r+b").close()
        except OSError as exc:
            raise ConfigError(f"{source}: {path} is not writable ({exc.strerror or exc})") from None


def rejects_option(_ctx: click.Context, _param: click.Parameter, path: Path | None) -> Path | None:
    """Callback of the `--rejects` option: checks the path as the command line is read."""
    if path is not None:
        check_rejects_path(path)
    return path


class RejectLog:
    """Appends rejected rows to a TSV file; counts them."""

    def __init__(self, path: Path, *, resume_at: int | None = None):
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if resume_at is not None and path.exists() and path.stat().st_size >= resume_at > 0:
                self._file: io.BufferedIOBase = open(path, "r+b")
                self._file.truncate(resume_at)
                self._file.seek(resume_at)
            else:
                self._file = open(path, "wb")
                self._file.write(HEADER.encode())
            os.fchmod(self._file.fileno(), 0o600)  # rejected rows quote the input: private like the graph
        except OSError as exc:
            raise PatentclError(f"cannot write the rejects file {path}: {exc.strerror or exc}") from None
        self.count = 0

    def add(self, file: str, line: int, field: str, reason: str) -> None:
        self._file.write(f"{_clean(file)}\t{line}\t{_clean(field)}\t{_clean(reason)}\n".encode())
        self.count += 1

    def mark(self) -> int:
        """Hands what was added to the OS; returns the file size to record in a checkpoint."""
        self._file.flush()
        return self._file.tell()

    def sync(self) -> None:
        """Makes what was handed to the OS durable (called by the writer before a checkpoint)."""
        os.fsync(self._file.fileno())

    def close(self) -> None:
        self._file.close()
