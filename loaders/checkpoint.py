"""Checkpoints: how far a load got, so `--resume` continues where Ctrl-C or `kill -9` stopped it.

One JSON file per load, named by a hash of what defines the load (input files with their sizes
and modification times, filters, options, target graph), under `<home>/checkpoints/`. For every
step (one input file) it records how many records are durably handled: their writes have
returned from the graph. It is rewritten atomically (temporary file, fsync, rename) after every
batch, so a crash leaves either the previous or the new state, never a torn file. Writes MERGE
or replace what a row gives, so replaying the batch that was in flight when the process died
ends as writing it once; its counters were not saved, so they count once too.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class StepState:
    position: int = 0  # records consumed (read, rejected or skipped) whose writes are durable
    done: bool = False
    counts: dict[str, int] = field(default_factory=dict)


def input_fingerprint(paths: list[Path]) -> list[dict[str, Any]]:
    """Identifies input files by path, size and mtime: a changed file is a different load."""
    out = []
    for path in paths:
        stat = path.stat()
        out.append({"path": str(path.resolve()), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns})
    return out


def load_key(definition: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(definition, sort_keys=True).encode()).hexdigest()[:20]


class Checkpoint:
    """The state of one load, saved atomically."""

    def __init__(self, path: Path, definition: dict[str, Any]):
        self.path = path
        self.definition = definition
        self.steps: dict[str, StepState] = {}
        self.rejects_bytes = 0

    @classmethod
    def for_load(cls, home: Path, definition: dict[str, Any]) -> Checkpoint:
        return cls(home / "checkpoints" / f"load-{load_key(definition)}.json", definition)

    def exists(self) -> bool:
        return self.path.is_file()

    def restore(self) -> bool:
        """Reads the saved state; False when there is none (or it belongs to another load)."""
        try:
            data = json.loads(self.path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return False
        if data.get("definition") != self.definition:
            return False
        self.steps = {name: StepState(**state) for name, state in data["steps"].items()}
        self.rejects_bytes = int(data.get("rejects_bytes", 0))
        return True

    def step(self, name: str) -> StepState:
        return self.steps.setdefault(name, StepState())

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "definition": self.definition,
            "steps": {name: asdict(state) for name, state in self.steps.items()},
            "rejects_bytes": self.rejects_bytes,
        }
        tmp = self.path.with_suffix(".tmp")
        with open(tmp, "w") as f:
            json.dump(data, f, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)

    def delete(self) -> None:
        self.path.unlink(missing_ok=True)
