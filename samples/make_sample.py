#!/usr/bin/env python3
"""Build the quickstart sample ``samples/google-patents-ai-us.csv``.

Source: the ``google-patents-ai`` data (20 CSV files scraped from Google Patents on
2025-10-01, public repository faysalalmahmud/patent-cpc-code-classifier, MIT licence),
columns ``publication_number,title,abstract,cpc_codes``; ``cpc_codes`` is a Python-literal
list string such as ``"['G06N3/084', 'G06F16/2255']"``.

Selection (deterministic, standard library only):

1. Read every ``*.csv`` file of ``--source`` in file-name order.
2. Keep rows whose ``publication_number`` starts with ``US`` and whose title, abstract and
   code list are all non-empty.
3. De-duplicate by ``publication_number``. Repeated rows differ only in the code list, and
   then one list is always a subset of the other (the scrape truncated some lists), so the
   row with the longest code list is kept (ties: the first one in file-name order).
4. Keep patents whose *first* listed code belongs to one of the ``--top-subclasses`` most
   common first-code subclasses (default 8; 0 disables the filter). This keeps the sample's
   CPC distribution dense, so many patents share subgroups.
5. Order by ``sha256(publication_number)`` and take the first ``--n``; write them sorted by
   ``publication_number``.

The output has the same format as the source: UTF-8 without BOM, ``\\n`` line ends, a header
row and minimal quoting (``csv.QUOTE_MINIMAL``); field values are copied byte-for-byte.

Usage::

    python samples/make_sample.py --source ../shared/data/google-patents-ai \\
        --out samples/google-patents-ai-us.csv --n 3000
"""

from __future__ import annotations

import argparse
import ast
import csv
import hashlib
import sys
from collections import Counter
from pathlib import Path

COLUMNS = ["publication_number", "title", "abstract", "cpc_codes"]


def parse_codes(value: str) -> list[str]:
    """Parse a ``cpc_codes`` cell (Python-literal list string); empty -> []."""
    value = value.strip()
    if not value:
        return []
    codes = ast.literal_eval(value)
    if not isinstance(codes, list):
        raise ValueError(f"cpc_codes is not a list: {value!r}")
    return [str(c).strip() for c in codes if str(c).strip()]


def read_source(source: Path) -> dict[str, dict[str, str]]:
    """Read all CSV files in ``source`` and return eligible, de-duplicated US rows."""
    files = sorted(source.glob("*.csv"))
    if not files:
        raise SystemExit(f"no *.csv files in {source}")
    rows: dict[str, dict[str, str]] = {}
    ncodes: dict[str, int] = {}
    for path in files:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            if reader.fieldnames != COLUMNS:
                raise SystemExit(f"{path}: unexpected header {reader.fieldnames}")
            for row in reader:
                pn = row["publication_number"].strip()
                if not pn.startswith("US"):
                    continue
                if not row["title"].strip() or not row["abstract"].strip():
                    continue
                n = len(parse_codes(row["cpc_codes"]))
                if n == 0:
                    continue
                if pn not in rows or n > ncodes[pn]:
                    rows[pn] = row
                    ncodes[pn] = n
    return rows


def sha_key(publication_number: str) -> str:
    return hashlib.sha256(publication_number.encode("utf-8")).hexdigest()


def select(rows: dict[str, dict[str, str]], n: int, top_subclasses: int) -> list[dict[str, str]]:
    """Deterministically choose ``n`` rows (see module docstring)."""
    keys = list(rows)
    if top_subclasses > 0:
        first = Counter(parse_codes(rows[k]["cpc_codes"])[0][:4] for k in keys)
        top = {s for s, _ in sorted(first.items(), key=lambda kv: (-kv[1], kv[0]))[:top_subclasses]}
        keys = [k for k in keys if parse_codes(rows[k]["cpc_codes"])[0][:4] in top]
    keys.sort(key=lambda k: (sha_key(k), k))
    chosen = sorted(keys[:n])
    return [rows[k] for k in chosen]


def stats(rows: list[dict[str, str]]) -> dict[str, int]:
    """Rows, distinct subgroups/main groups/subclasses, patents sharing a subgroup."""
    count: Counter[str] = Counter()
    codes_per_row = [set(parse_codes(r["cpc_codes"])) for r in rows]
    for codes in codes_per_row:
        count.update(codes)
    shared = sum(1 for codes in codes_per_row if any(count[c] > 1 for c in codes))
    return {
        "rows": len(rows),
        "distinct_subgroups": len(count),
        "distinct_main_groups": len({c.split("/")[0] + "/00" for c in count}),
        "distinct_subclasses": len({c[:4] for c in count}),
        "patents_sharing_a_subgroup": shared,
        "code_assignments": sum(len(c) for c in codes_per_row),
        "rows_with_newline_in_abstract": sum(1 for r in rows if "\n" in r["abstract"]),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--source", type=Path, required=True, help="folder with the source CSV files")
    ap.add_argument("--out", type=Path, required=True, help="output CSV path")
    ap.add_argument("--n", type=int, default=3000, help="number of patents (default 3000)")
    ap.add_argument(
        "--top-subclasses",
        type=int,
        default=8,
        help="keep patents whose first code is in the K most common subclasses (0: all)",
    )
    args = ap.parse_args(argv)

    rows = read_source(args.source)
    chosen = select(rows, args.n, args.top_subclasses)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in chosen:
            writer.writerow({c: row[c] for c in COLUMNS})
    print(f"eligible US patents: {len(rows)}", file=sys.stderr)
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes)", file=sys.stderr)
    for k, v in stats(chosen).items():
        print(f"{k}: {v}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
