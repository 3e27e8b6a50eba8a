"""Patent CSV exports: `publication_number,title,abstract,cpc_codes` (Google Patents style).

`cpc_codes` is a list literal (`"['G06N3/084', 'G06F16/2255']"`, JSON strings, or JSON objects
with a `code` key as BigQuery exports them) or a separated string (`G06N3/084; G06F16/2255`).
Other columns are ignored, except an optional date column (`publication_date`, `grant_date`
or `date`; ISO or YYYYMMDD) that date filters use.

Ids stay as written (`US11532378B2`); the country, the number (`11532378`, shared with the
PatentsView id) and the kind code come from the publication number. The same patent in several
rows or files is one node: each row replaces it whole (properties and CPC codes), so the last
row of an id, in file order, is what the graph holds; a row equal to the one before it but for
its file is a duplicate and writes nothing (README.md, Loading patents).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from patentcl.cpc import CpcError, parse_code_list
from patentcl.loaders.filters import BadValue, LoadFilter, Sampler, parse_date
from patentcl.loaders.ids import check_id
from patentcl.loaders.idset import IdSet
from patentcl.loaders.runner import PATENT_PROPERTIES, BatchWrite, Rejected, Row, Step, run_uncounted
from patentcl.loaders.tables import DEFAULT_ENCODING, InputError, open_table
from patentcl.progress import progress_bar

COLUMNS = ("publication_number", "title", "abstract", "cpc_codes")
DATE_COLUMNS = ("publication_date", "grant_date", "date")
_PUBLICATION = re.compile(r"^([A-Z]{2})(.*?\d.*?)([A-Z]\d?)?$")
# US kind codes (WIPO ST.16) that tell the document type.
_US_TYPES = {
    "A": "utility",
    "B1": "utility",
    "B2": "utility",
    "A1": "application",
    "A2": "application",
    "A9": "application",
    "S": "design",
    "S1": "design",
    "E": "reissue",
    "E1": "reissue",
    "P2": "plant",
    "P3": "plant",
    "H": "statutory invention registration",
}


def split_publication_number(publication: str) -> tuple[str | None, str, str | None]:
    """`US11532378B2` -> ("US", "11532378", "B2"); an id of another shape is its own number."""
    match = _PUBLICATION.match(publication)
    if match is None:
        return None, publication, None
    return match[1], match[2], match[3]


def _csv_date(text: str) -> str | None:
    text = text.strip()
    if not text:
        return None
    if len(text) == 8 and text.isdigit():  # BigQuery's publication_date is an integer 20200107
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    return parse_date(text)


class CsvSource:
    """The steps of a CSV load: one per file, sharing which codes each patent already has."""

    keep_external_citations = False  # CSV exports have no citations

    def __init__(self, files: list[Path], load_filter: LoadFilter, encoding: str = DEFAULT_ENCODING):
        if not files:
            raise InputError("no CSV files given")
        self.files = files
        self.filter = load_filter
        self.encoding = encoding
        self.date_columns: dict[Path, str | None] = {}
        for path in files:
            with open_table(path, ",", encoding) as table:
                table.require(COLUMNS)
                self.date_columns[path] = next((c for c in DATE_COLUMNS if c in table.columns), None)
        undated = [p.name for p, column in self.date_columns.items() if column is None]
        if load_filter.has_dates and undated:
            raise InputError(
                f"--from/--to need dates, and {', '.join(undated)} has no date column "
                f"({', '.join(DATE_COLUMNS)}); Google Patents CSV exports have none: drop the date filter"
            )
        self.kept = IdSet()  # patents this load has had a row of: a later row replaces them
        self.content: dict[str, int] = {}  # patent id -> hash of its last row written, less `source`
        self.selection: IdSet | None = None

    def definition(self) -> dict[str, Any]:
        return {"source": "csv", "filter": self.filter.describe(), "encoding": self.encoding}

    def steps(self) -> list[Step]:
        return list(self._steps())

    def _steps(self) -> Iterator[CsvStep]:
        return (CsvStep(self, path, i) for i, path in enumerate(self.files))

    def prepare(self) -> None:
        if not self.filter.sample:
            return
        sampler = Sampler(self.filter.sample, self.filter.seed)
        for step in self._steps():
            with step.open() as table, progress_bar(f"{step.path.name} (sample)") as advance:
                for n, record in enumerate(table.records(), 1):
                    if n % 65536 == 0:
                        advance(65536)
                    if record.fields is None or len(record.fields) != step.width:
                        continue
                    try:
                        patent_id, row = step.parse(record.fields)
                    except Rejected:
                        continue
                    if step.keeps(row):
                        sampler.offer(patent_id)
        self.selection = sampler.chosen()


class CsvStep(Step):
    delimiter = ","
    columns = COLUMNS
    stateful = True  # whether a row replaces a patent of this load depends on the rows before it

    def __init__(self, source: CsvSource, path: Path, index: int):
        self.source = source
        self.path = path
        self.encoding = source.encoding
        self.name = f"{index}:{path.name}"
        self.origin = f"csv:{path.name}"
        self.date_column = source.date_columns[path]

    def parse(self, fields: list[str]) -> tuple[str, Row]:
        """The patent's id and properties, with its codes under `cpc`; raises Rejected."""
        at = self.at
        patent_id = check_id(fields[at["publication_number"]].strip(), "publication_number")
        try:
            codes = parse_code_list(fields[at["cpc_codes"]])
        except CpcError as exc:
            raise Rejected("cpc_codes", str(exc)) from None
        day = None
        if self.date_column:
            try:
                day = _csv_date(fields[at[self.date_column]])
            except BadValue as exc:
                raise Rejected(self.date_column, f"{self.date_column} {exc}") from None
        country, number, kind = split_publication_number(patent_id)
        row = {
            "id": patent_id,
            "number": number,
            "title": fields[at["title"]].strip() or None,
            "abstract": fields[at["abstract"]].strip() or None,
            "date": day,
            "type": _US_TYPES.get(kind or "") if country == "US" else None,
            "kind": kind,
            "country": country,
            "source": self.origin,
            "cpc": codes,
        }
        return patent_id, row

    def keeps(self, row: Row) -> bool:
        flt = self.source.filter
        if not flt.keeps(row["type"], row["date"]):
            return False
        return not flt.cpc_prefixes or any(code.startswith(flt.cpc_prefixes) for code in row["cpc"])

    def handle(self, fields: list[str], counts: Counter) -> Row | str:
        patent_id, row = self.parse(fields)
        if not self.keeps(row):
            return "skipped"
        selection = self.source.selection
        if selection is not None and patent_id not in selection:
            return "skipped"
        codes = row.pop("cpc")
        patent = {key: row.get(key) for key in PATENT_PROPERTIES}  # None: the property is removed
        # Exports repeat most patents unchanged across files (8,141 of the 39,681 rows of the 20
        # google-patents-ai files, all but 1,725 of them identical): rewriting those would only
        # move `source` and redo the same edges.
        content = hash((tuple(v for k, v in patent.items() if k != "source"), tuple(codes)))
        first = self.source.kept.add(patent_id)
        if not first and self.source.content.get(patent_id) == content:
            return "duplicate"
        self.source.content[patent_id] = content
        counts["loaded" if first else "replaced"] += 1
        # every property and every code: the row replaces the patent whole
        return {
            "patent": patent,
            "again": not first,
            "cpc": {"id": patent_id, "codes": codes, "sequences": list(range(len(codes))), "replace": True},
        }

    def prepare(self, sink: Any, rows: list[Row]) -> BatchWrite:
        # a patent whose first row came in an earlier batch is in the graph: MERGE it directly
        first_here = {r["patent"]["id"] for r in rows if not r["again"]}
        again = [r["patent"] for r in rows if r["again"] and r["patent"]["id"] not in first_here]
        new = [r["patent"] for r in rows if not r["again"] or r["patent"]["id"] in first_here]
        return run_uncounted(
            sink.patents(new), sink.patents(again, existing=True), sink.classifications([r["cpc"] for r in rows])
        )
