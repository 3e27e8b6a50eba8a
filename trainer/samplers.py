"""The CPC-aware batch sampler: no anchor meets a candidate sharing one of its CPC codes in a batch.

With in-batch negatives, anchor i is scored against the positive and negative of every other
triplet j of its batch. If one of those shares a subgroup (or main group) with anchor i, the loss
pushes two neighbours apart. This sampler packs batches so that never happens: triplet j joins a
batch only if its anchor shares no code with the batch's candidates and its candidates share no
code with the batch's anchors (each patent also counts as sharing a code with itself, so it also
keeps out duplicate patents, like the library's NO_DUPLICATES sampler).

Packing is first-fit over a window of open batches, in a random order drawn from the seed and the
epoch. On data where a few codes are held by a large share of the patents (the AI sample: one
patent in four has G06N3/045) full batches cannot always be found; the batches left when the
window closes are used as they are, smaller. `stats` says how far batches fell short.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

import torch
from sentence_transformers.base.sampler import DefaultBatchSampler

from patentcl.trainer.cpc import CodeTable

logger = logging.getLogger(__name__)

KEY_COLUMN = "label"  # the triplet's row key in the CodeTable (the collator passes it to the loss)
_OPEN_BATCHES = 64


@dataclass(frozen=True)
class PackingStats:
    batches: int
    rows: int
    full_batches: int

    @property
    def mean_batch_size(self) -> float:
        return self.rows / self.batches if self.batches else 0.0


class _OpenBatch:
    __slots__ = ("rows", "anchors", "candidates")

    def __init__(self) -> None:
        self.rows: list[int] = []
        self.anchors: set[int] = set()
        self.candidates: set[int] = set()


class CPCAwareBatchSampler(DefaultBatchSampler):
    """Batches of dataset row indices in which no two triplets share a code across anchor and candidates."""

    def __init__(
        self,
        dataset,
        batch_size: int,
        drop_last: bool,
        valid_label_columns: list[str] | None = None,
        generator: torch.Generator | None = None,
        seed: int = 0,
        *,
        table: CodeTable,
    ):
        super().__init__(
            dataset,
            batch_size=batch_size,
            drop_last=drop_last,
            valid_label_columns=valid_label_columns,
            generator=generator,
            seed=seed,
        )
        if KEY_COLUMN not in dataset.column_names:
            raise ValueError(f"the CPC-aware sampler needs the triplet key column {KEY_COLUMN!r}")
        self.table = table
        self.keys = list(dataset[KEY_COLUMN])
        self._plans: dict[int, list[list[int]]] = {}

    def plan(self, epoch: int) -> list[list[int]]:
        """The batches of one epoch (deterministic in seed and epoch, so __len__ matches __iter__)."""
        if epoch not in self._plans:
            generator = torch.Generator().manual_seed(self.seed + epoch)
            order = torch.randperm(len(self.keys), generator=generator).tolist()
            self._plans = {epoch: self._pack(order, generator)}
            stats = self.stats(epoch)
            logger.info(
                "CPC-aware batches, epoch %d: %d batches, mean size %.1f of %d, %d full",
                epoch,
                stats.batches,
                stats.mean_batch_size,
                self.batch_size,
                stats.full_batches,
            )
        return self._plans[epoch]

    def stats(self, epoch: int = 0) -> PackingStats:
        batches = self.plan(epoch)
        return PackingStats(
            len(batches), sum(len(b) for b in batches), sum(1 for b in batches if len(b) == self.batch_size)
        )

    def _pack(self, order: list[int], generator: torch.Generator) -> list[list[int]]:
        anchor_sets, candidate_sets = self.table.anchor_sets, self.table.candidate_sets
        batches: list[list[int]] = []
        open_batches: list[_OpenBatch] = []
        for row in order:
            key = self.keys[row]
            anchors, candidates = anchor_sets[key], candidate_sets[key]
            target = next(
                (b for b in open_batches if anchors.isdisjoint(b.candidates) and candidates.isdisjoint(b.anchors)), None
            )
            if target is None:
                if len(open_batches) == _OPEN_BATCHES:
                    # The oldest open batch has had the most chances to fill: close it as it is.
                    batches.append(open_batches.pop(0).rows)
                target = _OpenBatch()
                open_batches.append(target)
            target.rows.append(row)
            target.anchors |= anchors
            target.candidates |= candidates
            if len(target.rows) == self.batch_size:
                batches.append(target.rows)
                open_batches.remove(target)
        batches.extend(b.rows for b in open_batches)
        if self.drop_last:
            batches = [b for b in batches if len(b) == self.batch_size]
        # Interleave the short batches with the full ones rather than ending the epoch on them.
        return [batches[i] for i in torch.randperm(len(batches), generator=generator).tolist()]

    def __iter__(self) -> Iterator[list[int]]:
        yield from self.plan(self.epoch)

    def __len__(self) -> int:
        return len(self.plan(self.epoch))
