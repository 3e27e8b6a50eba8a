"""Training losses: the library's, plus MultipleNegativesRankingLoss with CPC-guided masking.

`CPCMaskedMNRLoss` is MNRL over (anchor, positive, negative) triplets in which every in-batch
candidate that shares a CPC code with the anchor is removed from the anchor's softmax (its score
set to -inf), the way GISTEmbedLoss removes candidates its guide model finds too similar. Here
the guide is the CPC classification itself: no guide model to run, and no threshold to tune.
The anchor's own positive and mined hard negative always stay.

`CachedCPCMaskedMNRLoss` is the same loss under GradCache (the library's CachedLossMixin), for
large effective batches on a GPU.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

import torch
import torch.nn.functional as F
from sentence_transformers import SentenceTransformer
from sentence_transformers.base.losses.gradcache import CachedLossMixin
from sentence_transformers.base.losses.merged_forward import embed_columns
from sentence_transformers.sentence_transformer.losses import (
    CachedMultipleNegativesRankingLoss,
    MultipleNegativesRankingLoss,
    TripletLoss,
)
from sentence_transformers.util import cos_sim
from torch import Tensor, nn

from patentcl.errors import PatentclError
from patentcl.trainer.choices import LOSSES
from patentcl.trainer.cpc import CodeTable

LossName = Literal["mnrl", "cached-mnrl", "triplet"]
MNRL_SCALE = 20.0  # the library's default (temperature 0.05)


class CPCMaskedMNRLoss(nn.Module):
    """MultipleNegativesRankingLoss over (anchor, positive, negative) triplets, with every in-batch
    candidate that shares a CPC code with the anchor taken out of the anchor's softmax.

    For each anchor, the candidates are all positives and negatives of the batch; the loss is the
    cross-entropy of the scaled cosine similarities with the anchor's own positive as the target.
    A candidate that shares a code with the anchor (at the table's level), other than the anchor's
    own positive and mined negative, is a true neighbour rather than a negative: its score is set
    to -inf. The same patent twice in a batch counts as sharing a code.

    Args:
        model: the SentenceTransformer model.
        table: the CodeTable of the training triplets (`patentcl.trainer.cpc`), keyed by the
            dataset's `label` column.
        scale: the similarities' multiplier (inverse temperature); 20 as in the library's MNRL.

    Inputs:
        +------------------------------------------------+-----------------------------------+
        | Texts                                          | Labels                            |
        +================================================+===================================+
        | (anchor, positive, negative) triplets          | the row's key in the CodeTable    |
        +------------------------------------------------+-----------------------------------+
        | (anchor, positive) pairs                       | the row's key in the CodeTable    |
        +------------------------------------------------+-----------------------------------+

    Requirements:
        1. The dataset's `label` column holds each row's CodeTable key (`patentcl train` adds it).
        2. The patents' CPC codes, from the graph the triplets were mined from.

    Relations:
        - :class:`~sentence_transformers.sentence_transformer.losses.MultipleNegativesRankingLoss`
          is this loss without the mask.
        - :class:`~sentence_transformers.sentence_transformer.losses.GISTEmbedLoss` masks the
          candidates a guide model finds too similar; here the guide is the CPC classification.
        - :class:`CachedCPCMaskedMNRLoss` is this loss under GradCache, for large batches.

    References:
        - Henderson et al., Efficient Natural Language Response Suggestion for Smart Reply (2017),
          https://arxiv.org/abs/1705.00652
        - Solatorio, GISTEmbed (2024), https://arxiv.org/abs/2402.16829
    """

    def __init__(self, model: SentenceTransformer, table: CodeTable, scale: float = MNRL_SCALE):
        super().__init__()
        self.model = model
        self.table = table
        self.scale = scale

    def forward(self, sentence_features: Iterable[dict[str, Tensor]], labels: Tensor | None) -> Tensor:
        return self.loss_from_embeddings(embed_columns(self.model, list(sentence_features)), labels)

    def loss_from_embeddings(self, embeddings: list[Tensor], keys: Tensor | None) -> Tensor:
        if keys is None:
            raise ValueError("the CPC-masked loss needs each triplet's key in the dataset's 'label' column")
        anchors, candidates = embeddings[0], torch.cat(embeddings[1:])
        scores = cos_sim(anchors, candidates) * self.scale
        mask = self.table.false_negatives(keys.cpu().numpy(), n_candidates=len(embeddings) - 1)
        scores = scores.masked_fill(torch.from_numpy(mask).to(scores.device), float("-inf"))
        return F.cross_entropy(scores, torch.arange(len(anchors), device=scores.device))

    def get_config_dict(self) -> dict[str, Any]:
        return {"scale": self.scale, "cpc_level": self.table.level}


class CachedCPCMaskedMNRLoss(CachedLossMixin, CPCMaskedMNRLoss):
    """CPCMaskedMNRLoss under GradCache: embeddings are computed in mini-batches without gradients,
    the loss on the whole batch, and gradients flow back mini-batch by mini-batch, so the batch
    (and its in-batch negatives) can be far larger than fits in memory at once.

    Args:
        model: the SentenceTransformer model.
        table: the CodeTable of the training triplets, keyed by the dataset's `label` column.
        scale: the similarities' multiplier (inverse temperature).
        mini_batch_size: texts per forward pass; memory only, the result is the same.

    Inputs:
        +------------------------------------------------+-----------------------------------+
        | Texts                                          | Labels                            |
        +================================================+===================================+
        | (anchor, positive, negative) triplets          | the row's key in the CodeTable    |
        +------------------------------------------------+-----------------------------------+

    Requirements:
        1. As CPCMaskedMNRLoss; best with large batches (a GPU).

    Relations:
        - :class:`CPCMaskedMNRLoss`: the same loss in one pass.
        - :class:`~sentence_transformers.sentence_transformer.losses.CachedMultipleNegativesRankingLoss`
          is this loss without the mask.

    References:
        - Gao et al., Scaling Deep Contrastive Learning Batch Size under Memory Limited Setup (2021),
          https://arxiv.org/abs/2101.06983
    """

    def __init__(
        self, model: SentenceTransformer, table: CodeTable, scale: float = MNRL_SCALE, mini_batch_size: int = 32
    ):
        super().__init__(model, table, scale)
        self.mini_batch_size = mini_batch_size

    def forward(self, sentence_features: Iterable[dict[str, Tensor]], labels: Tensor | None) -> Tensor:
        return self.forward_cached(sentence_features, labels)

    def calculate_loss(
        self, reps: list[list[Tensor]], labels: Tensor | None = None, *, with_backward: bool = False
    ) -> Tensor:
        loss = self.loss_from_embeddings([torch.cat(column) for column in reps], labels)
        if with_backward:
            loss.backward()
            loss = loss.detach()
        return loss

    def get_config_dict(self) -> dict[str, Any]:
        return {**super().get_config_dict(), "mini_batch_size": self.mini_batch_size}


def build_loss(
    name: LossName, model: SentenceTransformer, *, table: CodeTable | None, mini_batch_size: int = 32
) -> nn.Module:
    """The loss for `patentcl train --loss NAME`; masked by CPC codes when a table is given."""
    if name == "triplet":
        # PatentCL's loss and settings (euclidean distance, margin 5); it has no in-batch negatives to mask.
        return TripletLoss(model)
    if name == "mnrl":
        return CPCMaskedMNRLoss(model, table) if table is not None else MultipleNegativesRankingLoss(model)
    if name == "cached-mnrl":
        if table is not None:
            return CachedCPCMaskedMNRLoss(model, table, mini_batch_size=mini_batch_size)
        return CachedMultipleNegativesRankingLoss(model, mini_batch_size=mini_batch_size)
    raise PatentclError(f"unknown loss {name!r}; choose one of {', '.join(LOSSES)}")
