"""The triplet files `patentcl mine` writes, and how they are written safely.

An output folder holds, when a run is complete:

    train.parquet, validation.parquet, test.parquet   one row per triplet (schema below)
    manifest.json                                     provenance, parameters, counts, timings

Columns (all strings except query_version, int64; titles and abstracts may be null, never both):

    anchor_id, anchor_title, anchor_abstract,
    positive_id, positive_title, positive_abstract,
    negative_id, negative_title, negative_abstract,
    strategy (command-line name, e.g. cpc-hierarchy), query (catalogue name, e.g. cpc_hierarchy),
    query_version, shared_level (subgroup | main_group), shared_code (the code anchor and positive
    share, e.g. G06N3/084), split (train | validation | test)

While a run is under way its batches go to `<out>/.mining/` as one Parquet part per batch, each
written to a temporary name and renamed, with a checkpoint listing the finished batches; the
split files are assembled from the parts at the end. A resumed run therefore produces exactly
the bytes of an uninterrupted one.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any, Iterable, Mapping

import pyarrow as pa
import pyarrow.parquet as pq

from patentcl.mining.splits import SPLITS

ROLES = ("anchor", "positive", "negative")
SCHEMA = pa.schema(
    [pa.field(f"{role}_{field}", pa.string(), nullable=field != "id")
     for role in ROLES for field in ("id", "title", "abstract")]
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
MANIFEST = "manifest.json"
STATE_DIR = ".mining"
CHECKPOINT = "checkpoint.json"
_COMPRESSION = "zstd"


def table_of(rows: Iterable[Mapping[str, Any]]) -> pa.Table:
    rows = list(rows)
    return pa.table({name: [row[name] for row in rows] for name in COLUMNS}, schema=SCHEMA)


def write_parquet(table: pa.Table, path: Path) -> None:
    """Writes atomically: a crash leaves the old file or the new one, never half of one."""
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table, tmp, compression=_COMPRESSION)
    os.replace(tmp, path)


def write_json(data: Mapping[str, Any], path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


class RunState:
    """The `.mining/` folder of an output folder: parts and the checkpoint of one run."""

    def __init__(self, out: Path):
        self.out = out
        self.dir = out / STATE_DIR

    @property
    def exists(self) -> bool:
        return (self.dir / CHECKPOINT).is_file()

    def start(self, key: str, definition: Mapping[str, Any]) -> dict[str, Any]:
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True)
        checkpoint = {"key": key, "definition": definition, "batches": {}}
        write_json(checkpoint, self.dir / CHECKPOINT)
        return checkpoint

    def load(self) -> dict[str, Any]:
        return json.loads((self.dir / CHECKPOINT).read_text(encoding="utf-8"))

    def part(self, batch: str) -> Path:
        return self.dir / f"{batch}.parquet"

    def record(self, checkpoint: dict[str, Any], batch: str, table: pa.Table, counts: Mapping[str, Any]) -> None:
        """Writes a batch's part, then marks the batch done (in that order, so a batch marked done
        always has its part)."""
        write_parquet(table, self.part(batch))
        checkpoint["batches"][batch] = dict(counts)
        write_json(checkpoint, self.dir / CHECKPOINT)

    def done(self, checkpoint: Mapping[str, Any], batch: str) -> bool:
        return batch in checkpoint["batches"] and self.part(batch).is_file()

    def assemble(self, batches: Mapping[str, list[str]]) -> dict[str, dict[str, Any]]:
        """Concatenates each split's parts in batch order into `<split>.parquet`."""
        files = {}
        for split in SPLITS:
            parts = [pq.read_table(self.part(b)) for b in batches.get(split, [])]
            table = pa.concat_tables(parts) if parts else SCHEMA.empty_table()
            path = self.out / f"{split}.parquet"
            write_parquet(table, path)
            files[split] = {"path": path.name, "rows": table.num_rows}
        return files

    def clear(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)
