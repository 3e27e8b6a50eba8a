"""The false-negative guards: the CPC table, the CPC-aware batch sampler and the CPC-masked loss."""

from __future__ import annotations

import click
import numpy as np
import pytest
import torch
from datasets import Dataset
from sentence_transformers import SentenceTransformer
from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
from test_train_data import Patent, codes_of, sample_patents

from patentcl.trainer.cpc import CodeTable, PatentCodes
from patentcl.trainer.losses import CachedCPCMaskedMNRLoss, CPCMaskedMNRLoss
from patentcl.trainer.samplers import KEY_COLUMN, CPCAwareBatchSampler

CODES = {
    "a0": PatentCodes(frozenset({"G06N3/08", "G06F16/00"}), frozenset({"G06N3/00", "G06F16/00"})),
    "p0": PatentCodes(frozenset({"G06N3/08"}), frozenset({"G06N3/00"})),
    "n0": PatentCodes(frozenset({"G06N20/00"}), frozenset({"G06N20/00"})),
    "a1": PatentCodes(frozenset({"H04L9/32"}), frozenset({"H04L9/00"})),
    "p1": PatentCodes(frozenset({"H04L9/32", "G06F16/00"}), frozenset({"H04L9/00", "G06F16/00"})),
    "n1": PatentCodes(frozenset({"G06N3/045"}), frozenset({"G06N3/00"})),
}


def test_false_negatives_mask_shared_codes_only() -> None:
    table = CodeTable([("a0", "p0", "n0"), ("a1", "p1", "n1")], CODES, "subgroup")
    mask = table.false_negatives(np.array([0, 1]))
    # columns: p0, p1, n0, n1. a0 shares G06F16/00 with p1; a1 shares nothing with p0, n0.
    assert mask.tolist() == [[False, True, False, False], [False, False, False, False]]
    # own positive and own negative stay even when they share codes with the anchor
    assert not mask[0, 0] and not mask[1, 1]
    # at main-group level n1 (G06N3/045 -> G06N3/00) is a neighbour of a0 (G06N3/08 -> G06N3/00)
    coarse = CodeTable([("a0", "p0", "n0"), ("a1", "p1", "n1")], CODES, "main_group").false_negatives(np.array([0, 1]))
    assert coarse[0].tolist() == [False, True, False, True]


def test_same_patent_counts_as_shared_even_without_codes() -> None:
    table = CodeTable([("x", "y", "z"), ("q", "x", "w")], {}, "subgroup")
    assert table.without_codes == 6
    assert table.false_negatives(np.array([0, 1])).tolist() == [
        [False, True, False, False],
        [False, False, False, False],
    ]
    assert table.conflicts(0, 1)


@pytest.fixture(scope="module")
def real_table() -> tuple[CodeTable, list[Patent]]:
    patents = sample_patents(800)
    by_id = {p.id: p for p in patents}
    rng = np.random.default_rng(0)
    rows = []
    for anchor in patents[:300]:
        partners = [q for q in patents if q.id != anchor.id and q.codes & anchor.codes]
        strangers = [q for q in patents if not q.codes & anchor.codes]
        if not partners:
            continue
        rows.append((anchor.id, partners[rng.integers(len(partners))].id, strangers[rng.integers(len(strangers))].id))
    return CodeTable(rows, codes_of(list(by_id.values())), "subgroup"), patents


def test_cpc_aware_batches_never_hold_a_false_negative(real_table) -> None:
    table, _ = real_table
    dataset = Dataset.from_dict({KEY_COLUMN: list(range(len(table)))})
    sampler = CPCAwareBatchSampler(dataset, batch_size=16, drop_last=False, seed=3, table=table)
    batches = list(sampler)
    assert len(batches) == len(sampler)
    assert sorted(i for b in batches for i in b) == list(range(len(table)))  # every triplet exactly once
    for batch in batches:
        assert len(batch) <= 16
        assert not table.false_negatives(np.array(batch)).any()
    stats = sampler.stats()
    assert stats.rows == len(table) and stats.batches == len(batches)
    # AI patents share popular codes: packing cannot fill every batch, and says so
    assert stats.mean_batch_size < 16
    # deterministic per seed and epoch, reshuffled between epochs
    again = CPCAwareBatchSampler(dataset, batch_size=16, drop_last=False, seed=3, table=table)
    assert list(again) == batches
    again.set_epoch(1)
    assert list(again) != batches


def test_drop_last_keeps_only_full_batches(real_table) -> None:
    table, _ = real_table
    dataset = Dataset.from_dict({KEY_COLUMN: list(range(len(table)))})
    batches = list(CPCAwareBatchSampler(dataset, batch_size=4, drop_last=True, seed=0, table=table))
    assert batches and all(len(b) == 4 for b in batches)


@pytest.fixture(scope="module")
def minilm(minilm_path: str) -> SentenceTransformer:
    model = SentenceTransformer(minilm_path, device="cpu")
    model.max_seq_length = 16
    return model


def test_masked_loss_is_mnrl_when_nothing_is_shared(minilm: SentenceTransformer) -> None:
    table = CodeTable([("a0", "p0", "n0"), ("a1", "x", "y")], CODES, "subgroup")
    assert not table.false_negatives(np.array([0, 1])).any()
    embeddings = [torch.randn(2, 8, generator=torch.Generator().manual_seed(i)) for i in range(3)]
    masked = CPCMaskedMNRLoss(minilm, table).loss_from_embeddings(embeddings, torch.tensor([0, 1]))
    plain = MultipleNegativesRankingLoss(minilm).compute_loss_from_embeddings(embeddings, None)
    assert torch.allclose(masked, plain, atol=1e-6)


def test_masked_loss_drops_the_shared_candidate(minilm: SentenceTransformer) -> None:
    table = CodeTable([("a0", "p0", "n0"), ("a1", "p1", "n1")], CODES, "subgroup")
    generator = torch.Generator().manual_seed(0)
    anchors, positives, negatives = (torch.randn(2, 8, generator=generator) for _ in range(3))
    positives[1] = anchors[0]  # p1 (shares G06F16/00 with a0) looks exactly like a0: the trap
    loss = CPCMaskedMNRLoss(minilm, table).loss_from_embeddings([anchors, positives, negatives], torch.tensor([0, 1]))
    plain = MultipleNegativesRankingLoss(minilm).compute_loss_from_embeddings([anchors, positives, negatives], None)
    unit = torch.nn.functional.normalize
    scores = 20.0 * unit(anchors, dim=1) @ unit(torch.cat([positives, negatives]), dim=1).T
    by_hand = torch.stack([-torch.log_softmax(scores[0, [0, 2, 3]], 0)[0], -torch.log_softmax(scores[1], 0)[1]]).mean()
    assert torch.allclose(loss, by_hand, atol=1e-6)
    assert loss < plain  # unmasked, MNRL punishes a0 for being close to its true neighbour p1


def test_cached_loss_from_cached_embeddings(minilm: SentenceTransformer) -> None:
    """GradCache's step 2: the loss over mini-batch embeddings, and the gradients it caches."""
    table = CodeTable([("a0", "p0", "n0"), ("a1", "p1", "n1"), ("a0", "n1", "p1")], CODES, "subgroup")
    generator = torch.Generator().manual_seed(1)
    columns = [torch.randn(3, 8, generator=generator) for _ in range(3)]
    plain_inputs = [c.clone().requires_grad_() for c in columns]
    expected = CPCMaskedMNRLoss(minilm, table).loss_from_embeddings(plain_inputs, torch.arange(3))
    expected.backward()
    reps = [[c[:2].clone().requires_grad_(), c[2:].clone().requires_grad_()] for c in columns]
    cached = CachedCPCMaskedMNRLoss(minilm, table, mini_batch_size=2)
    value = cached.calculate_loss(reps, torch.arange(3), with_backward=True)
    assert not value.requires_grad and torch.allclose(value, expected.detach(), atol=1e-6)
    for plain, parts in zip(plain_inputs, reps):
        assert torch.allclose(torch.cat([p.grad for p in parts]), plain.grad, atol=1e-6)


@pytest.mark.slow
def test_cached_masked_loss_matches_uncached(minilm: SentenceTransformer) -> None:
    texts = [p.title for p in sample_patents(9)]
    table = CodeTable([("a0", "p0", "n0"), ("a1", "p1", "n1"), ("a0", "n1", "p1")], CODES, "subgroup")
    assert table.false_negatives(np.arange(3)).any()  # the mask is at work in both
    features = [minilm.preprocess(texts[column::3]) for column in range(3)]
    results = []
    for loss in (CPCMaskedMNRLoss(minilm, table), CachedCPCMaskedMNRLoss(minilm, table, mini_batch_size=2)):
        minilm.zero_grad()
        value = loss([dict(f) for f in features], torch.arange(3))
        value.backward()
        grad = next(p for p in minilm.parameters() if p.grad is not None).grad.clone()
        results.append((value.detach(), grad))
    assert torch.allclose(results[0][0], results[1][0], atol=1e-5)
    assert torch.allclose(results[0][1], results[1][1], atol=1e-4)


@pytest.mark.parametrize("given", ["main_group", "main-group"])
def test_cpc_level_speaks_the_core_vocabulary_and_accepts_the_old_spelling(given: str) -> None:
    from patentcl.trainer.cli import train_command

    option = next(p for p in train_command.params if p.name == "cpc_level")
    assert option.type.convert(given, option, None) == "main_group"
    assert list(option.type.choices) == ["subgroup", "main_group"]  # the old spelling is not offered
    with pytest.raises(click.BadParameter):
        option.type.convert("subclass", option, None)
