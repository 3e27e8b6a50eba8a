"""How `patentcl mine` writes its triplet files safely (the files: `patentcl.triplets`).

While a run is under way its batches go to `<out>/.mining/` as one Parquet part per batch, each
written to a temporary name and renamed, with a checkpoint listing the finished batches; the
split files are assembled from the parts at the end. A resumed run therefore produces exactly
the bytes of an uninterrupted one.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from patentcl.triplets import SCHEMA, SPLITS, write_json, write_parquet

STATE_DIR = ".mining"
CHECKPOINT = "checkpoint.json"


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
