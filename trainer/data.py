"""Mined triplets as training data: reading `patentcl mine` output and turning patents into text.

A triplet folder holds `train.parquet` (required), `validation.parquet` and `test.parquet`
(optional) and `manifest.json`, the provenance of the query that mined them. Each row names an
anchor, a positive and a negative patent by id, title and abstract.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import pyarrow.parquet as pq

from patentcl.errors import PatentclError
from patentcl.trainer.choices import DEFAULT_SEPARATOR, TEXT_FORMATS

ROLES = ("anchor", "positive", "negative")
REQUIRED_COLUMNS = tuple(f"{role}_{field}" for role in ROLES for field in ("id", "title", "abstract"))
SPLITS = ("train", "validation", "test")
MANIFEST = "manifest.json"

TextFormat = Literal["title-abstract", "abstract"]


class TripletDataError(PatentclError):
    """A triplet folder or file is missing, or a row cannot be used; names the file, row and field."""


@dataclass(frozen=True)
class TextSpec:
    """How a patent becomes the text the model reads, the same for training and `patentcl embed`."""

    format: TextFormat = "title-abstract"
    separator: str = DEFAULT_SEPARATOR

    def __post_init__(self) -> None:
        if self.format not in TEXT_FORMATS:
            raise PatentclError(f"text format must be one of {', '.join(TEXT_FORMATS)}, not {self.format!r}")

    def text(self, title: Any, abstract: Any) -> str:
        """Title, separator, abstract; whichever part is missing is left out (with its separator)."""
        title = _clean(title)
        abstract = _clean(abstract)
        if self.format == "abstract":
            return abstract or title
        if title and abstract:
            return f"{title}{self.separator}{abstract}"
        return title or abstract

    def as_dict(self) -> dict[str, str]:
        return {"format": self.format, "separator": self.separator}


def _clean(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()


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
            role: [spec.text(t, a) for t, a in zip(frame[f"{role}_title"], frame[f"{role}_abstract"])]
            for role in ROLES
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
        empty = frame[f"{role}_title"].map(_clean).eq("") & frame[f"{role}_abstract"].map(_clean).eq("")
        if empty.any():
            row = int(empty.idxmax())
            raise TripletDataError(
                f"{path} row {row}: {role} {frame[f'{role}_id'][row]} has neither {role}_title nor {role}_abstract"
            )
    return frame
