"""The two CPC-prediction protocols of the evaluation report, built from the google-patents-ai CSVs.

published: the protocol of the classifier whose figures (micro-F1 0.281, macro-F1 0.136 for a
  fine-tuned roberta-base) come with the data (../shared/data/google-patents-ai/README.md): all
  files concatenated in file-name order, duplicate rows dropped, rows with an empty field dropped;
  labels are the subgroup codes found in at least 1% of those rows (129 codes); rows left with no
  label dropped; a random 90/10 split with seed 42, drawn as fastai's RandomSplitter draws it
  (torch.manual_seed(42); torch.randperm(n); the first int(0.1 n) rows are the test rows), which
  the published notebook used. Input: the abstract only.
clean: the same labels, but one row per publication number, and each patent family
  (`patentcl.families`: identical normalised abstracts, the same invention filed in several
  countries; mining keeps the same families on one side of its splits) kept on one side of the split.
The published split puts members of many test rows' families in its train rows (about 14% of its
test rows), which flatters any nearest-neighbour method; each protocol marks those test rows
(`duplicate_in_train`: a row of the same family is in train) and counts them in its summary
(`test_rows_with_duplicate_in_train`), and the report gives every figure of the published protocol
on the test rows without such a twin as well: the published protocol with the leak filtered out.
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from patentcl.errors import PatentclError
from patentcl.families import Families, abstract_key

COLUMNS = ("publication_number", "title", "abstract", "cpc_codes")
PUBLISHED_ROWS = 32172  # rows after dropping duplicates and empty fields, as the data's README states
PUBLISHED_LABELS = 129


class ProtocolDataError(PatentclError):
    """A protocol's source file is missing or unreadable; names the file, row and field."""


@dataclass
class CpcProtocol:
    """Train and test rows of one protocol: publication_number, abstract, codes (labels only)."""

    name: str
    labels: list[str]
    train: pd.DataFrame
    test: pd.DataFrame
    grouped: bool  # each family kept on one side of every split
    details: dict[str, object] = field(default_factory=dict)

    def validation_split(self, fraction: float = 0.1, seed: int = 42) -> tuple[np.ndarray, np.ndarray]:
        """(fit rows, validation rows) of `train`, drawn as the protocol draws its test rows, for
        choosing a method's settings without looking at the test rows."""
        if self.grouped:
            is_validation = _grouped_sample(self.train["family"], fraction, seed)
        else:
            is_validation = np.zeros(len(self.train), dtype=bool)
            order = np.random.default_rng(seed).permutation(len(self.train))
            is_validation[order[: int(fraction * len(self.train))]] = True
        return np.flatnonzero(~is_validation), np.flatnonzero(is_validation)

    def summary(self) -> dict[str, object]:
        return {
            "protocol": self.name,
            "labels": len(self.labels),
            "train_rows": len(self.train),
            "test_rows": len(self.test),
            "test_rows_with_duplicate_in_train": int(self.test["duplicate_in_train"].sum()),
            **self.details,
        }


def source_files(paths: Sequence[Path]) -> list[Path]:
    """CSV files named directly or found in folders, in file-name order (the published order)."""
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found = sorted(path.glob("*.csv"), key=lambda p: p.name)
            if not found:
                raise ProtocolDataError(f"{path}: no .csv files in this folder")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise ProtocolDataError(f"{path}: no such file or folder")
    return sorted(files, key=lambda p: p.name)


def read_rows(files: Iterable[Path]) -> pd.DataFrame:
    """All rows of the files, concatenated in the given order, as strings (empty fields as "")."""
    frames = []
    for path in files:
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        except (OSError, ValueError, pd.errors.ParserError) as exc:
            raise ProtocolDataError(f"{path}: not a readable CSV file ({exc})") from None
        missing = [c for c in COLUMNS if c not in frame.columns]
        if missing:
            raise ProtocolDataError(f"{path}: missing column(s) {', '.join(missing)} (expected {', '.join(COLUMNS)})")
        frame = frame[list(COLUMNS)].copy()
        frame["source"] = f"{path.name}"
        frame["line"] = np.arange(len(frame)) + 2  # header is line 1
        frames.append(frame)
    if not frames:
        raise ProtocolDataError("no CSV files given")
    return pd.concat(frames, ignore_index=True)


def parse_codes(rows: pd.DataFrame) -> pd.Series:
    def parse(text: str, source: str, line: int) -> list[str]:
        if not text.strip():
            return []
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            raise ProtocolDataError(
                f"{source} line {line}: field cpc_codes is not a list literal: {text[:60]!r}"
            ) from None
        if not isinstance(value, (list, tuple)):
            raise ProtocolDataError(f"{source} line {line}: field cpc_codes is not a list: {text[:60]!r}")
        return [str(code) for code in value]

    return pd.Series(
        [parse(t, s, n) for t, s, n in zip(rows["cpc_codes"], rows["source"], rows["line"])],
        index=rows.index,
        dtype=object,
    )


def frequent_codes(code_lists: Iterable[list[str]], rows: int, min_share: float) -> list[str]:
    counts = Counter(code for codes in code_lists for code in set(codes))
    return sorted(code for code, n in counts.items() if n >= min_share * rows)


def _labelled(rows: pd.DataFrame, labels: list[str]) -> pd.DataFrame:
    """The rows with a label, their labels, and their family keys (a publication number's rows are
    one family; so are rows whose abstracts are twins)."""
    keep = set(labels)
    rows = rows.assign(codes=[[c for c in codes if c in keep] for codes in rows["all_codes"]])
    rows = rows[rows["codes"].map(len) > 0]
    families = Families()
    for number, abstract in zip(rows["publication_number"], rows["abstract"]):
        families.add(number, (abstract_key(abstract),))
    rows = rows.assign(family=[families.key_of(number) for number in rows["publication_number"]])
    return rows[["publication_number", "abstract", "codes", "family"]]


def _grouped_sample(keys: pd.Series, fraction: float, seed: int) -> np.ndarray:
    """A mask over rows: whole groups of equal keys, in seeded random order, until `fraction` of the rows."""
    keys = keys.reset_index(drop=True)
    groups = keys.groupby(keys, sort=True).indices  # sorted, so the draw never depends on hash order
    names = list(groups)
    chosen = np.zeros(len(keys), dtype=bool)
    target = fraction * len(keys)
    taken = 0
    for g in np.random.default_rng(seed).permutation(len(names)):
        if taken >= target:
            break
        chosen[groups[names[g]]] = True
        taken += len(groups[names[g]])
    return chosen


def _mark_duplicates(train: pd.DataFrame, test: pd.DataFrame) -> pd.DataFrame:
    seen = set(train["family"])
    return test.assign(duplicate_in_train=test["family"].isin(seen))


def _nonempty(rows: pd.DataFrame) -> pd.DataFrame:
    return rows[(rows[list(COLUMNS)].apply(lambda col: col.str.strip() != "")).all(axis=1)]


def published_protocol(
    files: Sequence[Path],
    *,
    min_share: float = 0.01,
    test_fraction: float = 0.1,
    seed: int = 42,
    max_rows: int | None = None,
) -> CpcProtocol:
    """The published protocol (see the module docstring); `max_rows` keeps the first rows only (quick runs)."""
    raw = read_rows(files)
    rows = _nonempty(raw.drop_duplicates(subset=list(COLUMNS)))
    if max_rows is not None:
        rows = rows.iloc[:max_rows]
    rows = rows.assign(all_codes=parse_codes(rows))
    labels = frequent_codes(rows["all_codes"], len(rows), min_share)
    if not labels:
        raise ProtocolDataError(f"no CPC code occurs in {min_share:.0%} of the {len(rows)} rows")
    data = _labelled(rows, labels).reset_index(drop=True)
    import torch  # the published split is torch's permutation; imported late, torch is slow to load

    torch.manual_seed(seed)
    order = torch.randperm(len(data)).numpy()
    cut = int(test_fraction * len(data))
    train, test = data.iloc[order[cut:]], data.iloc[order[:cut]]
    return CpcProtocol(
        "published",
        labels,
        train.reset_index(drop=True),
        _mark_duplicates(train, test).reset_index(drop=True),
        False,
        {
            "rows_read": len(raw),
            "rows_used": len(rows),
            "max_rows": max_rows,
            "rows_labelled": len(data),
            "split": f"torch.randperm, seed {seed}, first {test_fraction:.0%} test",
            # The published figures are comparable only on the published rows and labels.
            "is_the_published_setup": max_rows is None
            and len(rows) == PUBLISHED_ROWS
            and len(labels) == PUBLISHED_LABELS
            and min_share == 0.01
            and seed == 42,
        },
    )


def clean_protocol(
    files: Sequence[Path], labels: list[str], *, test_fraction: float = 0.1, seed: int = 42, max_rows: int | None = None
) -> CpcProtocol:
    """One row per publication number; a family never straddles the split."""
    raw = read_rows(files)
    rows = _nonempty(raw).drop_duplicates(subset=["publication_number"], keep="first")
    if max_rows is not None:
        rows = rows.iloc[:max_rows]
    data = _labelled(rows.assign(all_codes=parse_codes(rows)), labels).reset_index(drop=True)
    is_test = _grouped_sample(data["family"], test_fraction, seed)
    train, test = data[~is_test], data[is_test]
    return CpcProtocol(
        "clean",
        labels,
        train.reset_index(drop=True),
        _mark_duplicates(train, test).reset_index(drop=True),
        True,
        {
            "rows_read": len(raw),
            "publications": len(rows),
            "max_rows": max_rows,
            "rows_labelled": len(data),
            "families": int(data["family"].nunique()),
            "split": f"whole patent families (patentcl.families), seed {seed}, {test_fraction:.0%} test",
        },
    )
