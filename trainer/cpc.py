"""CPC codes of the triplets' patents, for the false-negative guards of training.

In-batch negatives are a trap on patent data: two triplets of one batch often hold patents that
share CPC codes, and a contrastive loss would push those true neighbours apart. The codes come
from the graph (`patent_cpc_codes`), keyed by the patent ids the triplets carry, so the triplet
files stay as mining wrote them.

`CodeTable` holds, for every triplet (a row key), the codes of its anchor and of its candidates
(positive and negative) as sparse multi-hot rows. Each patent also gets a code of its own (its id),
so the same patent appearing twice in a batch counts as an overlap even when it has no CPC codes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Literal

import numpy as np
import scipy.sparse as sp

from patentcl.cpc import SUBGROUP
from patentcl.errors import PatentclError
from patentcl.graph import GraphStore
from patentcl.trainer.choices import CODE_LEVELS

CodeLevel = Literal["subgroup", "main_group"]  # trainer.choices.CODE_LEVELS
_LOOKUP_BATCH = 2000


@dataclass(frozen=True)
class PatentCodes:
    codes: frozenset[str]
    main_groups: frozenset[str]

    def at(self, level: CodeLevel) -> frozenset[str]:
        return self.codes if level == SUBGROUP else self.main_groups


def codes_from_graph(store: GraphStore, ids: Iterable[str]) -> dict[str, PatentCodes]:
    """CPC codes of the given patents; ids the graph does not know are left out."""
    query = store.query("patent_cpc_codes")
    found: dict[str, PatentCodes] = {}
    ids = iter(ids)
    while batch := list(islice(ids, _LOOKUP_BATCH)):
        for row in store.run(query, {"ids": batch}):
            found[row["id"]] = PatentCodes(frozenset(row["codes"] or ()), frozenset(row["main_groups"] or ()))
    return found


class CodeTable:
    """Per triplet key: anchor codes and candidate (positive, negative) codes, as sparse rows."""

    def __init__(self, triplets: Sequence[tuple[str, str, str]], codes: Mapping[str, PatentCodes], level: CodeLevel):
        if level not in CODE_LEVELS:
            raise PatentclError(f"CPC level must be one of {', '.join(CODE_LEVELS)}, not {level!r}")
        self.level = level
        vocabulary: dict[str, int] = {}

        def encode(patent: str) -> list[int]:
            known = codes.get(patent)
            tokens = [f"id:{patent}", *(sorted(known.at(level)) if known else ())]
            return [vocabulary.setdefault(token, len(vocabulary)) for token in tokens]

        encoded = [tuple(encode(patent) for patent in triplet) for triplet in triplets]
        self.anchor_sets = [frozenset(a) for a, _, _ in encoded]
        self.candidate_sets = [frozenset(p) | frozenset(n) for _, p, n in encoded]
        width = len(vocabulary)
        self._anchor = _multi_hot([a for a, _, _ in encoded], width)
        self._positive = _multi_hot([p for _, p, _ in encoded], width)
        self._negative = _multi_hot([n for _, _, n in encoded], width)
        self.without_codes = sum(1 for t in triplets for patent in t if patent not in codes)

    def __len__(self) -> int:
        return len(self.anchor_sets)

    def conflicts(self, i: int, j: int) -> bool:
        """Would triplets i and j in one batch give an anchor a candidate sharing one of its codes?"""
        return not (
            self.anchor_sets[i].isdisjoint(self.candidate_sets[j])
            and self.anchor_sets[j].isdisjoint(self.candidate_sets[i])
        )

    def false_negatives(self, keys: np.ndarray, n_candidates: int = 2) -> np.ndarray:
        """Boolean [B, n_candidates * B] mask over a batch's anchor x (positives, negatives) scores:
        True where the candidate shares a code with the anchor but is not the anchor's own
        positive or hard negative, i.e. an in-batch "negative" that is really a neighbour."""
        keys = np.asarray(keys, dtype=np.int64)
        blocks = [self._positive[keys], self._negative[keys]][:n_candidates]
        shared = (self._anchor[keys] @ sp.vstack(blocks, format="csr").T).toarray() > 0
        own = np.arange(len(keys))
        for block in range(n_candidates):
            shared[own, block * len(keys) + own] = False
        return shared


def _multi_hot(rows: list[list[int]], width: int) -> sp.csr_matrix:
    indptr = np.cumsum([0, *(len(r) for r in rows)])
    indices = np.fromiter((c for r in rows for c in r), dtype=np.int64, count=int(indptr[-1]))
    return sp.csr_matrix((np.ones(len(indices), dtype=np.float32), indices, indptr), shape=(len(rows), width))
