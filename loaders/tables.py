"""Delimited input tables, plain, zipped or gzipped, read as streams of records with line numbers.

PatentsView ships tab-separated UTF-8 files written with `csv.QUOTE_NONNUMERIC` (text quoted,
numbers bare), often as `name.tsv.zip`; patent CSV exports are comma-separated with minimal
quoting. Both are read with the standard `csv` module in strict mode, so a broken quote is an
error for that record and reading goes on with the next one. Fields stay strings here (the
callers validate and convert), which also accepts bare empty fields that `QUOTE_NONNUMERIC`
reading would turn into a float error for the whole file.

Bytes are decoded strictly in the encoding asked for: a record holding a byte that is not valid
in it, or a NUL byte, is an error for that record (with the byte offset, counted in the
uncompressed table), never text changed silently. A file whose first bytes are not text (an
image, an archive under a table's name) is one error for the whole file.
"""

from __future__ import annotations

import csv
import gzip
import re
import sys
import zipfile
import zlib
from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from io import StringIO
from pathlib import Path
from typing import NamedTuple, Protocol

from patentcl.errors import PatentclError

# Patent abstracts and claims can exceed csv's default 128 KiB field limit.
csv.field_size_limit(min(sys.maxsize, 1 << 30))

# None of these encodings uses the bytes of \n and \r inside another character, so a table can be
# cut into lines before it is decoded. utf-8-sig is utf-8: a byte-order mark is dropped in both.
ENCODINGS = ("utf-8", "utf-8-sig", "latin-1", "cp1252")
DEFAULT_ENCODING = "utf-8"
_BOM = b"\xef\xbb\xbf"
_FIRST = 1 << 16  # the first read: enough to tell a table from other files, and its header
_BLOCK = 1 << 20
_LINE = re.compile(rb"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")  # as text mode with newline="" splits lines
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# What a file that is not a table usually is, by its first bytes.
_SIGNATURES = (
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"PK\x03\x04", "a zip archive"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"\xff\xfe", "UTF-16 text"),
    (b"\xfe\xff", "UTF-16 text"),
)
_RENAME = {"gzip-compressed data": "name it .csv.gz or .tsv.gz", "a zip archive": "name it .zip"}


class InputError(PatentclError):
    """An input file or column is missing or misnamed: reported before anything is written."""


class Record(NamedTuple):
    """One record: `line` is the 1-based physical line it starts on (the header is line 1)."""

    line: int
    fields: list[str] | None  # None when the record could not be parsed
    error: str | None = None


class _Bytes(Protocol):
    """What a table is read from: a plain file, a zip archive's member or a gzip stream."""

    def read(self, size: int = -1, /) -> bytes: ...


class _Problem(NamedTuple):
    line: int
    offset: int  # of the byte, in the (uncompressed) table
    what: str
    hint: str = ""


class _Lines:
    """The decoded lines of a byte stream, for `csv.reader`, noting bad bytes as it goes.

    Whole blocks are decoded at once; only a block holding a bad byte or a NUL is decoded again
    line by line, to say where."""

    def __init__(self, raw: _Bytes, encoding: str, display: str):
        self.raw = raw
        self.encoding = encoding
        self.codec = "utf-8" if encoding.startswith("utf-8") else encoding
        self.display = display
        self.problems: deque[_Problem] = deque()

    def __iter__(self) -> Iterator[str]:
        codec, read = self.codec, self.raw.read
        chunk = read(_FIRST)
        self._check_start(chunk)
        offset = len(_BOM) if chunk.startswith(_BOM) else 0  # of the block about to be decoded
        chunk = chunk[offset:] or read(_BLOCK)
        pending: list[bytes] = []  # bytes read after the last line end
        line = 0
        while True:
            # cut after the last line end, unless it is a \r that a \n may follow in the next read
            cut = max(chunk.rfind(b"\n"), chunk.rfind(b"\r", 0, len(chunk) - 1)) + 1
            if chunk and not cut:
                pending.append(chunk)  # a line longer than a block
                chunk = read(_BLOCK)
                continue
            block = b"".join(pending) + chunk[:cut]
            pending = [chunk[cut:]]
            try:
                text: str | None = block.decode(codec)
            except UnicodeDecodeError:
                text = None
            if text is not None and "\x00" not in text:
                lines = StringIO(text, newline="").readlines()
                line += len(lines)
                yield from lines
            else:
                for match in _LINE.finditer(block):
                    line += 1
                    yield self._decode_line(match.group(), line, offset + match.start())
            if not chunk:
                return
            offset += len(block)
            chunk = read(_BLOCK)

    def _check_start(self, chunk: bytes) -> None:
        for signature, what in _SIGNATURES:
            if chunk.startswith(signature):
                hint = f" ({_RENAME[what]})" if what in _RENAME else ""
                raise InputError(f"{self.display} is not a text table: it holds {what}{hint}")
        if len(chunk) == _FIRST and b"\n" not in chunk and b"\r" not in chunk:
            raise InputError(f"{self.display} is not a text table: its first {_FIRST:,} bytes hold no line end")
        if chunk.startswith(_BOM) and self.codec != "utf-8":
            raise InputError(
                f"{self.display} starts with a UTF-8 byte-order mark: it is UTF-8, "
                f"not {self.encoding} (leave out --encoding)"
            )

    def _decode_line(self, raw: bytes, line: int, offset: int) -> str:
        try:
            text = raw.decode(self.codec)
        except UnicodeDecodeError as exc:
            hint = " (for a latin-1 or cp1252 file, say so with --encoding)" if self.codec == "utf-8" else ""
            what = f"byte 0x{raw[exc.start]:02X} is not valid {self.encoding}"
            self.problems.append(_Problem(line, offset + exc.start, what, hint))
            return raw.decode(self.codec, "replace")
        if "\x00" in text:
            self.problems.append(_Problem(line, offset + raw.index(b"\x00"), "NUL byte"))
        return text


class Table:
    """An open table: its header, column positions by name, and a record stream."""

    def __init__(self, raw: _Bytes, delimiter: str, display: str, encoding: str, stack: ExitStack):
        self.display = display
        self._stack = stack
        self._lines = _Lines(raw, encoding, display)
        self._reader = csv.reader(self._lines, delimiter=delimiter, strict=True)
        try:
            header = next(self._reader)
        except StopIteration:
            raise InputError(f"{display} is empty: expected a header row") from None
        except csv.Error as exc:
            raise InputError(f"{display} line 1: cannot read the header: {exc}") from None
        if self._lines.problems:
            problem = self._lines.problems[0]
            raise InputError(
                f"{display} is not a text table in {encoding}: its header, at byte offset "
                f"{problem.offset}: {problem.what}{problem.hint}"
            )
        if any(_CONTROL.search(name) for name in header):
            raise InputError(f"{display} is not a text table: its header holds control characters")
        self.header = [name.strip() for name in header]
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
        problems = self._lines.problems
        previous_line = reader.line_num
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                return
            except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as exc:
                raise InputError(
                    f"{self.display} is damaged after line {previous_line} ({exc}); what was read before "
                    "is loaded and checkpointed: replace the file and run again with --resume"
                ) from None
            except csv.Error as exc:
                start = previous_line + 1
                previous_line = reader.line_num
                where = f"lines {start}-{previous_line}" if previous_line > start else ""
                error = f"broken quoting ({exc}){' spanning ' + where if where else ''}"
                yield Record(start, None, self._bad_bytes(start, previous_line, None) if problems else error)
                continue
            start = previous_line + 1
            previous_line = reader.line_num
            if problems:
                yield Record(start, None, self._bad_bytes(start, previous_line, fields))
                continue
            if not fields:
                continue
            yield Record(start, fields)

    def _bad_bytes(self, start: int, end: int, fields: list[str] | None) -> str:
        """The first bad byte of the record on lines start..end (its problems are taken off the queue)."""
        problems = self._lines.problems
        problem = problems[0]
        while problems and problems[0].line <= end:
            problems.popleft()
        where = f"byte offset {problem.offset}" + (f" (line {problem.line})" if problem.line != start else "")
        column = next((i for i, field in enumerate(fields or ()) if "\x00" in field), None)
        if problem.what == "NUL byte" and column is not None:
            name = self.header[column] if column < len(self.header) else f"field {column + 1}"
            return f"NUL byte in {name} at {where}"
        return f"{problem.what} at {where}{problem.hint}"

    def close(self) -> None:
        self._stack.close()

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _zip_member(archive: zipfile.ZipFile, path: Path) -> str:
    """The single table inside a zip archive."""
    members = [m for m in archive.namelist() if not m.endswith("/")]
    tables = [m for m in members if m.lower().endswith((".tsv", ".csv", ".txt"))] or members
    if len(tables) != 1:
        raise InputError(f"{path}: expected one table inside the zip archive, found {members}")
    return tables[0]


def member_name(path: Path) -> str:
    """How rejects and summaries name a file: the path, plus the member for a zip archive."""
    if path.suffix.lower() == ".zip":
        with zipfile.ZipFile(path) as archive:
            names = [m for m in archive.namelist() if not m.endswith("/")]
        return f"{path}/{names[0]}" if len(names) == 1 else str(path)
    return str(path)


def _open_bytes(path: Path, stack: ExitStack) -> _Bytes:
    """The table's bytes: a plain file, the table inside a zip archive, or a gzipped file."""
    suffix = path.suffix.lower()
    if suffix == ".zip":
        archive = stack.enter_context(zipfile.ZipFile(path))
        return stack.enter_context(archive.open(_zip_member(archive, path)))
    if suffix == ".gz":
        return stack.enter_context(gzip.open(path, "rb"))
    return stack.enter_context(open(path, "rb"))


def open_table(path: Path, delimiter: str, encoding: str = DEFAULT_ENCODING) -> Table:
    """Opens a table and reads its header; InputError if the file is missing or unreadable."""
    if not path.is_file():
        raise InputError(f"{path} does not exist or is not a file")
    stack = ExitStack()
    try:
        return Table(_open_bytes(path, stack), delimiter, member_name(path), encoding, stack)
    except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as exc:
        stack.close()
        raise InputError(f"{path}: cannot be read: {exc}") from None
    except BaseException:
        stack.close()
        raise
