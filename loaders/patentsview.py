"""PatentsView bulk-download tables (https://patentsview.org/download/data-download-tables).

Tab-separated UTF-8 files written with `csv.QUOTE_NONNUMERIC` (as the official read-in script
reads them), plain `name.tsv`, zipped `name.tsv.zip` or gzipped `name.tsv.gz`; columns are found by name:

    g_patent              patent_id, patent_type, patent_date, patent_title, wipo_kind, num_claims
                          (older releases also patent_abstract)
    g_patent_abstract     patent_id, patent_abstract
    g_cpc_current         patent_id, cpc_sequence, cpc_group, cpc_type
    g_us_patent_citation  patent_id, citation_sequence, citation_patent_id, citation_date, citation_category
    g_cpc_title           cpc_subclass, cpc_subclass_title, cpc_group, cpc_group_title, cpc_class, cpc_class_title

Steps run in that order: patents first (building the set of patents kept), then abstracts,
classifications and citations of kept patents, then titles for the CPC codes written.

What a repeated key means differs per table (README.md, Loading patents): a later g_patent or
g_patent_abstract row of a patent replaces what the earlier gave; the first g_cpc_current rows of
a patent in a load replace its CLASSIFIED_AS edges, and a code repeated within a patent's rows
is a duplicate, as is a repeated cited patent in g_us_patent_citation or a titled code in
g_cpc_title.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from patentcl.cpc import CpcError, parse_cpc
from patentcl.loaders.filters import BadValue, LoadFilter, Sampler, parse_date
from patentcl.loaders.ids import check_id
from patentcl.loaders.idset import IdSet
from patentcl.loaders.runner import (
    PATENT_PROPERTIES,
    BatchWrite,
    Rejected,
    Row,
    Step,
    run_uncounted,
    run_write_of,
    run_writes,
)
from patentcl.loaders.tables import DEFAULT_ENCODING, InputError, Table, open_table
from patentcl.progress import progress_bar

PATENT, ABSTRACT, CPC, CITATION, TITLE = (
    "g_patent",
    "g_patent_abstract",
    "g_cpc_current",
    "g_us_patent_citation",
    "g_cpc_title",
)
TABLES = (PATENT, ABSTRACT, CPC, CITATION, TITLE)
SUFFIXES = (".tsv", ".tsv.zip", ".zip", ".tsv.gz")
SOURCE = "patentsview"
_MISSING = {"", "NULL", "\\N"}  # how SQL dumps write a missing value
_SKIP_OPTION = {
    ABSTRACT: "--no-abstracts",
    CPC: "--no-classifications",
    CITATION: "--no-citations",
    TITLE: "--no-titles",
}


def locate(directory: Path, tables: tuple[str, ...]) -> dict[str, Path]:
    """The file of each table in `directory` (`name.tsv` preferred over `name.tsv.zip`, then `name.tsv.gz`)."""
    if not directory.is_dir():
        raise InputError(f"{directory} is not a folder of PatentsView files")
    found: dict[str, Path] = {}
    missing = []
    for table in tables:
        for suffix in SUFFIXES:
            candidate = directory / f"{table}{suffix}"
            if candidate.is_file():
                found[table] = candidate
                break
        else:
            missing.append(table)
    if missing:
        present = sorted(p.name for p in directory.iterdir() if p.is_file())
        optional = [_SKIP_OPTION[t] for t in missing if t in _SKIP_OPTION]
        raise InputError(
            f"{directory}: no {', '.join(f'{t}.tsv or {t}.tsv.zip (or .tsv.gz)' for t in missing)}; "
            f"files there: {', '.join(present) or 'none'}"
            + (f" (to load without them: {' '.join(optional)})" if optional else "")
        )
    return found


def _integer(text: str, field: str) -> int | None:
    """PatentsView numbers are written bare (`12`) or by pandas as floats (`12.0`)."""
    try:
        return int(text)
    except ValueError:
        pass
    text = text.strip()
    if text in _MISSING:
        return None
    try:
        value = float(text)
    except ValueError:
        raise Rejected(field, f"{field} {text!r} is not a number") from None
    if not value.is_integer():
        raise Rejected(field, f"{field} {text!r} is not a whole number")
    return int(value)


def _date(text: str, field: str) -> str | None:
    try:
        return parse_date(text)  # cached: a load sees a few thousand distinct dates
    except BadValue:
        pass
    text = text.strip()
    if text in _MISSING:
        return None
    try:
        return parse_date(text)
    except BadValue as exc:
        raise Rejected(field, f"{field} {exc}") from None


def _text(text: str) -> str | None:
    text = text.strip()
    if text in _MISSING:
        return None
    return text


def _patent_id(fields: list[str], at: int, field: str = "patent_id") -> str:
    patent_id = fields[at].strip()
    if patent_id in _MISSING:
        raise Rejected(field, f"{field} is empty")
    return check_id(patent_id, field)


def columns_by_patent(rows: list[Row], columns: dict[str, str], first: tuple[str, ...] = ()) -> list[Row]:
    """Consecutive rows of one patent as one map {id, <list>: [...], ...} of parallel lists, so a
    write query looks each patent up once; `columns` maps list names to row keys, and the keys in
    `first` are taken from a group's first row."""
    grouped: list[Row] = []
    current: str | None = None
    lists: list[tuple[list, str]] = []
    for row in rows:
        if row["id"] != current:
            current = row["id"]
            group: Row = {"id": current, **{name: [] for name in columns}, **{key: row[key] for key in first}}
            grouped.append(group)
            lists = [(group[name], key) for name, key in columns.items()]
        for values, key in lists:
            values.append(row.get(key))
    return grouped


_CODE_COLUMNS = {"codes": "code", "sequences": "sequence", "types": "type"}
_CITE_COLUMNS = {"cited": "cited", "sequences": "sequence", "dates": "date", "categories": "category"}


@dataclass
class Options:
    keep_external_citations: bool = False
    abstracts: bool = True
    classifications: bool = True
    citations: bool = True
    titles: bool = True


class PatentsViewSource:
    """The steps of a PatentsView load, and the patents-kept state they share."""

    def __init__(self, directory: Path, load_filter: LoadFilter, options: Options, encoding: str = DEFAULT_ENCODING):
        self.directory = directory
        self.filter = load_filter
        self.options = options
        self.encoding = encoding
        wanted = [PATENT]
        if options.classifications or load_filter.cpc_prefixes:
            wanted.append(CPC)
        if options.citations:
            wanted.append(CITATION)
        if options.titles:
            wanted.append(TITLE)
        self.files = locate(directory, tuple(wanted))
        with open_table(self.files[PATENT], "\t", encoding) as patent_table:
            self.legacy_abstract = "patent_abstract" in patent_table.columns
        if options.abstracts and not self.legacy_abstract:
            self.files.update(locate(directory, (ABSTRACT,)))
        self.kept = IdSet()
        self.selection: IdSet | None = None
        self.keep_external_citations = options.keep_external_citations

    def definition(self) -> dict[str, Any]:
        return {
            "source": SOURCE,
            "options": self.options.__dict__,
            "filter": self.filter.describe(),
            "encoding": self.encoding,
        }

    def steps(self) -> list[Step]:
        steps: list[Step] = [PatentStep(self)]
        if ABSTRACT in self.files:
            steps.append(AbstractStep(self))
        if self.options.classifications:
            steps.append(ClassificationStep(self))
        if self.options.citations:
            steps.append(CitationStep(self))
        if self.options.titles:
            steps.append(TitleStep(self.files[TITLE], encoding=self.encoding))
        return steps

    def prepare(self) -> None:
        """Selection passes (read-only) for filters that need more than the patent row."""
        chosen: IdSet | None = None
        if self.filter.cpc_prefixes:
            chosen = self._patents_with_prefix()
        if self.filter.sample:
            chosen = self._sample(chosen)
        self.selection = chosen

    def _patents_with_prefix(self) -> IdSet:
        prefixes = self.filter.cpc_prefixes
        ids = IdSet()
        with (
            open_table(self.files[CPC], "\t", self.encoding) as table,
            progress_bar(f"{self.files[CPC].name} (CPC filter)") as advance,
        ):
            table.require(("patent_id", "cpc_group"), purpose="for --cpc")
            at_id, at_code = table.columns["patent_id"], table.columns["cpc_group"]
            for n, record in enumerate(table.records(), 1):
                if n % 65536 == 0:
                    advance(65536)
                fields = record.fields
                if fields is None or len(fields) != len(table.header):
                    continue
                try:
                    code = parse_cpc(fields[at_code]).code
                except CpcError:
                    continue
                if code.startswith(prefixes) and fields[at_id].strip():
                    ids.add(fields[at_id].strip())
        return ids

    def _sample(self, within: IdSet | None) -> IdSet:
        sampler = Sampler(self.filter.sample or 0, self.filter.seed)
        with (
            open_table(self.files[PATENT], "\t", self.encoding) as table,
            progress_bar(f"{self.files[PATENT].name} (sample)") as advance,
        ):
            at = table.columns
            for n, record in enumerate(table.records(), 1):
                if n % 65536 == 0:
                    advance(65536)
                fields = record.fields
                if fields is None or len(fields) != len(table.header):
                    continue
                patent_id = fields[at["patent_id"]].strip()
                try:
                    day = _date(fields[at["patent_date"]], "patent_date")
                except Rejected:
                    continue
                if not patent_id or (within is not None and patent_id not in within):
                    continue
                if self.filter.keeps(fields[at["patent_type"]].strip().lower() or None, day):
                    sampler.offer(patent_id)
        return sampler.chosen()


class _Step(Step):
    delimiter = "\t"

    def __init__(self, source: PatentsViewSource, table: str, columns: tuple[str, ...]):
        self.source = source
        self.name = table
        self.path = source.files[table]
        self.encoding = source.encoding
        self.columns = columns
        self.kept = source.kept


class PatentStep(_Step):
    stateful = True  # the patents kept decide what the later steps load

    def __init__(self, source: PatentsViewSource):
        columns = ("patent_id", "patent_type", "patent_date", "patent_title", "wipo_kind", "num_claims")
        super().__init__(source, PATENT, columns + (("patent_abstract",) if source.legacy_abstract else ()))
        self.filter = source.filter
        self.properties = tuple(p for p in PATENT_PROPERTIES if p != "abstract" or source.legacy_abstract)

    def handle(self, fields: list[str], counts: Counter) -> Row | str:
        at = self.at
        patent_id = _patent_id(fields, at["patent_id"])
        day = _date(fields[at["patent_date"]], "patent_date")
        claims = _integer(fields[at["num_claims"]], "num_claims")
        patent_type = fields[at["patent_type"]].strip().lower() or None
        if not self.filter.keeps(patent_type, day):
            return "skipped"
        selection = self.source.selection
        if selection is not None and patent_id not in selection:
            return "skipped"
        counts["loaded" if self.kept.add(patent_id) else "replaced"] += 1
        row = {
            "id": patent_id,
            "number": patent_id,
            "title": _text(fields[at["patent_title"]]),
            "date": day,
            "type": patent_type,
            "kind": _text(fields[at["wipo_kind"]]),
            "num_claims": claims,
            "country": "US",
            "source": SOURCE,
        }
        if self.source.legacy_abstract:
            row["abstract"] = _text(fields[at["patent_abstract"]])
        # None removes a property: a later row replaces what g_patent gave (not g_patent_abstract's abstract)
        return {key: row.get(key) for key in self.properties}

    def prepare(self, sink: Any, rows: list[Row]) -> BatchWrite:
        return run_uncounted(sink.patents(rows))


class AbstractStep(_Step):
    keyed = True  # loaded or replaced: whether the patent had an abstract row before

    def __init__(self, source: PatentsViewSource):
        super().__init__(source, ABSTRACT, ("patent_id", "patent_abstract"))
        self._given = IdSet()

    def handle(self, fields: list[str], counts: Counter) -> Row | str:
        patent_id = _patent_id(fields, self.at["patent_id"])
        if patent_id not in self.kept:
            return "skipped"
        abstract = _text(fields[self.at["patent_abstract"]])
        if abstract is None:
            return "empty"
        counts["loaded" if self._given.add(patent_id) else "replaced"] += 1
        return {"id": patent_id, "abstract": abstract}

    def prepare(self, sink: Any, rows: list[Row]) -> BatchWrite:
        return run_uncounted(sink.abstracts(rows))


class _PatentRuns:
    """PatentsView lists a patent's rows together: whether the patent was kept, and which keys
    (codes, cited ids) it has had, are decided per run of its rows."""

    def __init__(self, kept: IdSet):
        self.kept = kept
        self._patent: str | None = None
        self._seen: set[str] = set()
        self._kept = False

    def verdict(self, patent_id: str, key: str) -> str | None:
        """ "skipped" (patent not kept), "duplicate" (key seen in this run) or None (load the row)."""
        if patent_id != self._patent:
            self._patent, self._seen, self._kept = patent_id, set(), patent_id in self.kept
        if not self._kept:
            return "skipped"
        if key in self._seen:
            return "duplicate"
        self._seen.add(key)
        return None


class ClassificationStep(_Step):
    keyed = True  # the patents classified so far, and the codes of the current patent's rows

    def __init__(self, source: PatentsViewSource):
        super().__init__(source, CPC, ("patent_id", "cpc_sequence", "cpc_group", "cpc_type"))
        self._runs = _PatentRuns(self.kept)
        self._classified = IdSet()  # patents whose edges this load has replaced

    def bind(self, table: Table) -> None:
        super().bind(table)
        self.i_id, self.i_sequence, self.i_code, self.i_type = (self.at[c] for c in self.columns)

    def handle(self, fields: list[str], counts: Counter) -> Row | str:
        patent_id = _patent_id(fields, self.i_id)
        sequence = _integer(fields[self.i_sequence], "cpc_sequence")
        try:
            code = parse_cpc(fields[self.i_code]).code
        except CpcError as exc:
            raise Rejected("cpc_group", str(exc)) from None
        verdict = self._runs.verdict(patent_id, code)
        if verdict:
            return verdict
        # the patent's first row in this load: its edges (from an earlier load) are replaced
        return {
            "id": patent_id,
            "code": code,
            "sequence": sequence,
            "type": _text(fields[self.i_type]),
            "replace": self._classified.add(patent_id),
        }

    def prepare(self, sink: Any, rows: list[Row]) -> BatchWrite:
        return run_writes(loaded=sink.classifications(columns_by_patent(rows, _CODE_COLUMNS, ("replace",))))


class CitationStep(_Step):
    keyed = True  # the cited patents of the current patent's rows

    def __init__(self, source: PatentsViewSource):
        super().__init__(
            source,
            CITATION,
            ("patent_id", "citation_sequence", "citation_patent_id", "citation_date", "citation_category"),
        )
        self.keep_external = source.options.keep_external_citations
        self._runs = _PatentRuns(self.kept)

    def bind(self, table: Table) -> None:
        super().bind(table)
        self.i_id, self.i_sequence, self.i_cited, self.i_date, self.i_category = (self.at[c] for c in self.columns)

    def handle(self, fields: list[str], counts: Counter) -> Row | str:
        patent_id = _patent_id(fields, self.i_id)
        cited = _patent_id(fields, self.i_cited, "citation_patent_id")
        sequence = _integer(fields[self.i_sequence], "citation_sequence")
        day = _date(fields[self.i_date], "citation_date")
        verdict = self._runs.verdict(patent_id, cited)
        if verdict:
            return verdict
        row: Row = {
            "id": patent_id,
            "cited": cited,
            "sequence": sequence,
            "date": day,
            "category": _text(fields[self.i_category]),
        }
        if self.keep_external and cited not in self.kept:
            # an id-only node is created for it unless an earlier load put the patent in the graph
            row["stub"] = {"number": cited, "country": "US", "source": f"{SOURCE}:citation"}
            counts["external"] += 1
        return row

    def prepare(self, sink: Any, rows: list[Row]) -> BatchWrite:
        columns = {**_CITE_COLUMNS, "stubs": "stub"} if self.keep_external else _CITE_COLUMNS
        return run_write_of(sink.citations(columns_by_patent(rows, columns)), len(rows))


class TitleStep(Step):
    """CPC titles (g_cpc_title): one row per group, repeating its subclass and class titles;
    each code is titled once. Also usable with CSV loads (`--cpc-titles`)."""

    delimiter = "\t"
    keyed = True  # the codes titled so far
    columns = ("cpc_subclass", "cpc_subclass_title", "cpc_group", "cpc_group_title", "cpc_class", "cpc_class_title")
    _LEVELS = (
        ("cpc_class", "cpc_class_title"),
        ("cpc_subclass", "cpc_subclass_title"),
        ("cpc_group", "cpc_group_title"),
    )

    def __init__(self, path: Path, name: str = TITLE, encoding: str = DEFAULT_ENCODING):
        self.path = path
        self.name = name
        self.encoding = encoding
        self._seen: set[str] = set()

    def handle(self, fields: list[str], counts: Counter) -> list[Row] | str:
        at = self.at
        rows = []
        for code_field, title_field in self._LEVELS:
            text = fields[at[code_field]].strip()
            if not text and code_field != "cpc_group":
                continue
            try:
                code = parse_cpc(text).code
            except CpcError as exc:
                raise Rejected(code_field, str(exc)) from None
            title = _text(fields[at[title_field]])
            if title is not None and code not in self._seen:
                self._seen.add(code)
                rows.append({"code": code, "title": title})
        return rows or "duplicate"

    def prepare(self, sink: Any, rows: list[Row]) -> BatchWrite:
        return run_write_of(sink.cpc_titles(rows), len(rows))
