"""The triplet files: what `patentcl mine` writes and training, search and evaluation read.

A triplet folder holds, when a mining run is complete:

    train.parquet, validation.parquet, test.parquet   one row per triplet (schema below)
    manifest.json                                     provenance, parameters, counts, timings

Columns (all strings except query_version, int64; titles and abstracts may be null, never both):

    anchor_id, anchor_title, anchor_abstract,
    positive_id, positive_title, positive_abstract,
    negative_id, negative_title, negative_abstract,
    strategy (command-line name, e.g. cpc-hierarchy), query (catalogue name, e.g. cpc_hierarchy),
    query_version, shared_level (subgroup | main_group), shared_code (the code anchor and positive
    share, e.g. G06N3/084), split (train | validation | test)

Readers need only the nine patent columns (REQUIRED_COLUMNS) and a manifest: a folder assembled by
hand from other triplets is read as long as it has those. Every split file is optional except
train, in at least one of the folders read together.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from patentcl.encoding import TextSpec
from patentcl.errors import PatentclError

ROLES = ("anchor", "positive", "negative")
SPLITS = ("train", "validation", "test")
MANIFEST = "manifest.json"
FORMAT = "patentcl-triplets/1"  # the manifest's "format"
REQUIRED_COLUMNS = tuple(f"{role}_{field}" for role in ROLES for field in ("id", "title", "abstract"))
SCHEMA = pa.schema(
    [pa.field(name, pa.string(), nullable=not name.endswith("_id")) for name in REQUIRED_COLUMNS]
    + [
        pa.field("strategy", pa.string(), nullable=False),
        pa.field("query", pa.string(), nullable=False),
        pa.field("query_version", pa.int64(), nullable=False),
        pa.field("shared_level", pa.string(), nullable=False),
        pa.field("shared_code", pa.string(), nullable=False),
        pa.field("split", pa.string(), nullable=False),
    ]
)
COLUMNS = tuple(SCHEMA.names)
_COMPRESSION = "zstd"


class TripletDataError(PatentclError):
    """A triplet folder or file is missing, or a row cannot be used; names the file, row and field."""


# -- writing ----------------------------------------------------------------------------------------
def table_of(rows: Iterable[Mapping[str, Any]]) -> pa.Table:
    """Triplet rows (dicts with every COLUMNS key) as a table of the file schema."""
    rows = list(rows)
    return pa.table({name: [row[name] for row in rows] for name in COLUMNS}, schema=SCHEMA)


def write_parquet(table: pa.Table, path: Path) -> None:
    """Writes atomically: a crash leaves the old file or the new one, never half of one."""
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table, tmp, compression=_COMPRESSION)
    os.replace(tmp, path)


def write_json(data: Mapping[str, Any], path: Path) -> None:
    """Writes a manifest (or any JSON record) atomically, like `write_parquet`."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


# -- reading ----------------------------------------------------------------------------------------
@dataclass
class TripletSet:
    """The splits of one or more triplet folders, concatenated, with each folder's manifest."""

    splits: dict[str, pd.DataFrame]
    manifests: list[dict[str, Any]]

    def __getitem__(self, split: str) -> pd.DataFrame:
        return self.splits[split]

    def has(self, split: str) -> bool:
        return split in self.splits and len(self.splits[split]) > 0

    def patent_ids(self) -> list[str]:
        """Every patent id named in any split, each once."""
        ids: dict[str, None] = {}
        for frame in self.splits.values():
            for role in ROLES:
                ids.update(dict.fromkeys(frame[f"{role}_id"]))
        return list(ids)

    def texts(self, split: str, spec: TextSpec) -> dict[str, list[str]]:
        """anchor / positive / negative text columns of a split, in the order the losses expect."""
        frame = self.splits[split]
        return {
            role: [spec.text(t, a) for t, a in zip(frame[f"{role}_title"], frame[f"{role}_abstract"])] for role in ROLES
        }


def read_triplets(folders: list[Path] | Path) -> TripletSet:
    """Reads and checks triplet folders; every split is optional except train (in at least one)."""
    folders = [folders] if isinstance(folders, Path) else list(folders)
    if not folders:
        raise TripletDataError("no triplet folder given")
    parts: dict[str, list[pd.DataFrame]] = {split: [] for split in SPLITS}
    manifests = []
    for folder in folders:
        folder = Path(folder)
        if not folder.is_dir():
            raise TripletDataError(f"{folder}: triplet folder not found (make one with `patentcl mine --out DIR`)")
        manifest = _read_manifest(folder)
        manifest["rows"] = {}
        for split in SPLITS:
            path = folder / f"{split}.parquet"
            if path.exists():
                parts[split].append(_read_split(path))
                manifest["rows"][split] = len(parts[split][-1])
        manifests.append(manifest)
    splits = {split: pd.concat(frames, ignore_index=True) for split, frames in parts.items() if frames}
    if "train" not in splits or splits["train"].empty:
        raise TripletDataError(
            f"no training triplets: none of {', '.join(str(f) for f in folders)} has a non-empty train.parquet"
        )
    return TripletSet(splits, manifests)


def _read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    if not path.exists():
        raise TripletDataError(
            f"{path} not found: the model card records the query that mined the triplets; "
            "use a folder written by `patentcl mine`"
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise TripletDataError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    if not isinstance(manifest, dict):
        raise TripletDataError(f"{path}: expected a JSON object")
    return {"folder": str(folder.resolve()), **manifest}


def _read_split(path: Path) -> pd.DataFrame:
    try:
        schema = pq.read_schema(path)
    except Exception as exc:  # pyarrow raises several types for a damaged or foreign file
        raise TripletDataError(f"{path}: not a readable Parquet file ({exc})") from None
    missing = [c for c in REQUIRED_COLUMNS if c not in schema.names]
    if missing:
        raise TripletDataError(f"{path}: missing column(s) {', '.join(missing)}")
    frame = pq.read_table(path).to_pandas()
    for role in ROLES:
        ids = frame[f"{role}_id"]
        bad = ids.isna() | (ids.astype(str).str.strip() == "")
        if bad.any():
            raise TripletDataError(f"{path} row {int(bad.idxmax())}: field {role}_id is empty")
        frame[f"{role}_id"] = ids.astype(str)
        empty = frame[f"{role}_title"].map(_blank) & frame[f"{role}_abstract"].map(_blank)
        if empty.any():
            row = int(empty.idxmax())
            raise TripletDataError(
                f"{path} row {row}: {role} {frame[f'{role}_id'][row]} has neither {role}_title nor {role}_abstract"
            )
    return frame


def _blank(value: Any) -> bool:
    """No text: missing (None, NaN) or only white space."""
    return value is None or (isinstance(value, float) and value != value) or not str(value).strip()
