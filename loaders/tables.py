"""Delimited input tables, plain or zipped, read as streams of records with line numbers.

PatentsView ships tab-separated UTF-8 files written with `csv.QUOTE_NONNUMERIC` (text quoted,
numbers bare), often as `name.tsv.zip`; patent CSV exports are comma-separated with minimal
quoting. Both are read with the standard `csv` module in strict mode, so a broken quote is an
error for that record and reading goes on with the next one. Fields stay strings here (the
callers validate and convert), which also accepts bare empty fields that `QUOTE_NONNUMERIC`
reading would turn into a float error for the whole file.
"""

from __future__ import annotations

import csv
import io
import sys
import zipfile
import zlib
from contextlib import ExitStack
from pathlib import Path
from typing import Iterator, NamedTuple, Sequence

from patentcl.errors import PatentclError

# Patent abstracts and claims can exceed csv's default 128 KiB field limit.
csv.field_size_limit(min(sys.maxsize, 1 << 30))


class InputError(PatentclError):
    """An input file or column is missing or misnamed: reported before anything is written."""


class Record(NamedTuple):
    """One record: `line` is the 1-based physical line it starts on (the header is line 1)."""

    line: int
    fields: list[str] | None  # None when the record could not be parsed
    error: str | None = None


class Table:
    """An open table: its header, column positions by name, and a record stream."""

    def __init__(self, path: Path, delimiter: str, display: str, stack: ExitStack):
        self.path = path
        self.display = display
        self._stack = stack
        self._text = stack.enter_context(_open_text(path))
        self._reader = csv.reader(self._text, delimiter=delimiter, strict=True)
        try:
            header = next(self._reader)
        except StopIteration:
            raise InputError(f"{display} is empty: expected a header row") from None
        except csv.Error as exc:
            raise InputError(f"{display} line 1: cannot read the header: {exc}") from None
        self.header = [name.strip().lstrip("\ufeff") for name in header]
        self.columns = {name: i for i, name in enumerate(self.header)}

    def require(self, names: Sequence[str], *, purpose: str = "") -> None:
        missing = [n for n in names if n not in self.columns]
        if missing:
            raise InputError(
                f"{self.display}: missing column(s) {', '.join(missing)}"
                + (f" needed {purpose}" if purpose else "")
                + f"; its header has: {', '.join(self.header)}"
            )

    def records(self) -> Iterator[Record]:
        """Every record after the header; blank lines are skipped, unreadable ones yielded with an error."""
        reader = self._reader
        previous_line = reader.line_num
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                return
            except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as exc:
                raise InputError(
                    f"{self.display} is damaged after line {previous_line} ({exc}); what was read before "
                    "is loaded and checkpointed: replace the file and run again with --resume") from None
            except csv.Error as exc:
                start = previous_line + 1
                previous_line = reader.line_num
                where = f"lines {start}-{previous_line}" if previous_line > start else ""
                yield Record(start, None, f"broken quoting ({exc}){' spanning ' + where if where else ''}")
                continue
            start = previous_line + 1
            previous_line = reader.line_num
            if not fields:
                continue
            yield Record(start, fields)

    def close(self) -> None:
        self._stack.close()

    def __enter__(self) -> "Table":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _open_text(path: Path):
    """A text stream over a plain file or over the single table inside a zip archive.

    Bytes that are not UTF-8 become U+FFFD instead of stopping a load hours in.
    """
    if path.suffix.lower() == ".zip":
        archive = zipfile.ZipFile(path)
        members = [m for m in archive.namelist() if not m.endswith("/")]
        tables = [m for m in members if m.lower().endswith((".tsv", ".csv", ".txt"))] or members
        if len(tables) != 1:
            archive.close()
            raise InputError(f"{path}: expected one table inside the zip archive, found {members}")
        raw = archive.open(tables[0])
        text = io.TextIOWrapper(io.BufferedReader(raw, 1 << 20), encoding="utf-8-sig", errors="replace", newline="")
        return _Closing(text, archive)
    return open(path, encoding="utf-8-sig", errors="replace", newline="", buffering=1 << 20)


class _Closing:
    """Context manager closing a text stream and the archive it reads from."""

    def __init__(self, text: io.TextIOBase, archive: zipfile.ZipFile):
        self.text, self.archive = text, archive

    def __enter__(self) -> io.TextIOBase:
        return self.text

    def __exit__(self, *exc: object) -> None:
        self.text.close()
        self.archive.close()


def member_name(path: Path) -> str:
    """How rejects and summaries name a file: the path, plus the member for a zip archive."""
    if path.suffix.lower() == ".zip":
        with zipfile.ZipFile(path) as archive:
            names = [m for m in archive.namelist() if not m.endswith("/")]
        return f"{path}/{names[0]}" if len(names) == 1 else str(path)
    return str(path)


def open_table(path: Path, delimiter: str) -> Table:
    """Opens a table and reads its header; InputError if the file is missing or unreadable."""
    if not path.is_file():
        raise InputError(f"{path} does not exist or is not a file")
    stack = ExitStack()
    try:
        return Table(path, delimiter, member_name(path), stack)
    except (zipfile.BadZipFile, OSError) as exc:
        stack.close()
        raise InputError(f"{path}: cannot be read: {exc}") from None
    except BaseException:
        stack.close()
        raise
