"""`patentcl bench hybrid-cpc`: kNN CPC prediction with hybrid similarity at several graph weights.

Each held-out patent's nearest patents by (1 - W) * text cosine + W * graph cosine
(`hybrid_similar`) vote for their codes, as `patentcl suggest-cpc` does; per weight and CPC level
the vote's k and threshold are chosen on validation patents by micro-F1 and applied to test
patents (`patentcl.evaluators.cpc_knn`). Every weight, 0 included, ranks among the same patents
(those holding both vectors), so the weights differ only in the score. The margins against the
first weight come with paired-bootstrap intervals over the test patents.

Leakage: FastRP propagates along CLASSIFIED_AS, so a held-out patent's graph vector computed with
its own classification edges encodes the answer. The measured patents' edges must be left out of
the projection (`EmbedOptions.leave_out`; `embed=True` re-embeds so before measuring); otherwise
the report says `leak_free: false` and the figures for W > 0 are optimistic.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from patentcl.config import Settings
from patentcl.errors import PatentclError
from patentcl.evaluators.cpc_knn import (
    KS,
    choose_operating_point,
    classification_scores,
    label_matrix,
    paired_bootstrap,
    predicted_matrix,
)
from patentcl.evaluators.votes import VOTE_LEVELS
from patentcl.graph import GraphStore
from patentcl.graph.gds import EmbedOptions, embed_graph, require_gds
from patentcl.search.similar import Lookup, hybrid_similar
from patentcl.search.suggest import Neighbourhoods, neighbourhoods


def left_out_sha256(patents: Sequence[str]) -> str:
    """The fingerprint `patentcl graph-embed` records for the patents it left out."""
    return str(EmbedOptions(leave_out=tuple(patents)).parameters([], "")["left_out_sha256"])


def measure(
    settings: Settings,
    store: GraphStore,
    validation: Sequence[str],
    test: Sequence[str],
    weights: Sequence[float],
    *,
    levels: Sequence[str] = VOTE_LEVELS,
    embed: bool = False,
    resamples: int = 1000,
    seed: int = 42,
) -> dict[str, Any]:
    """Micro- and macro-F1 of kNN CPC prediction on `test` patents at each graph weight, the
    operating point chosen on `validation` patents; `embed` first re-embeds the graph leaving the
    classification edges of both sets out (see the module's docstring)."""
    require_gds(store.engine, "the hybrid CPC measurement")
    if not weights or any(not 0 <= w <= 1 for w in weights):
        raise PatentclError("--graph-weights are between 0 and 1, e.g. 0,0.25,0.5")
    if not validation or not test:
        raise PatentclError("the measurement needs validation and test patents")
    held_out = sorted(set(validation) | set(test))
    if embed:
        embed_graph(settings, store, EmbedOptions(seed=seed, leave_out=tuple(held_out)))
    depth = max(KS)
    runs: list[tuple[float, Neighbourhoods, Neighbourhoods]] = []
    recorded: dict[str, Any] = {}
    for weight in weights:

        def lookup(patent: str, weight: float = weight) -> Lookup:
            found = hybrid_similar(store, patent=patent, k=depth, graph_weight=weight)
            recorded.update(found.graph_embedding or {})
            return found

        runs.append(
            (
                weight,
                neighbourhoods(validation, lookup, depth, f"validation, graph weight {weight:g}"),
                neighbourhoods(test, lookup, depth, f"test, graph weight {weight:g}"),
            )
        )
    if not runs[0][2].patents or not runs[0][1].patents:
        raise PatentclError(f"no validation or no test patent has CPC codes and {depth} neighbours")
    every_code = [codes for _, _, found in runs for codes in found.codes]
    rows: list[dict[str, Any]] = []
    for level in levels:
        truth, labels = runs[0][2].at_level(level, every_code)
        y_true = label_matrix(truth, labels)
        base: tuple[np.ndarray, float] | None = None  # the first weight's predictions and micro-F1
        for weight, validation_found, test_found in runs:
            validation_truth, validation_labels = validation_found.at_level(level)
            point = choose_operating_point(
                validation_found.sims,
                validation_found.idx,
                validation_found.codes,
                validation_truth,
                validation_labels,
                level=level,
            )
            predicted = predicted_matrix(test_found.sims, test_found.idx, test_found.codes, labels, point, level)
            scores = classification_scores(y_true, predicted)
            row: dict[str, Any] = {
                "graph_weight": weight,
                "level": level,
                "k": point.k,
                "threshold": point.threshold,
                "micro_f1": scores["micro_f1"],
                "macro_f1": scores["macro_f1"],
            }
            if base is None:
                base = predicted, scores["micro_f1"]
            else:
                interval = paired_bootstrap(y_true, base[0], predicted, resamples=resamples, seed=seed)
                row["micro_f1_margin"] = scores["micro_f1"] - base[1]
                row["micro_f1_margin_95"] = list(interval["micro_f1"])
                row["macro_f1_margin_95"] = list(interval["macro_f1"])
            rows.append(row)
    leak_free = recorded.get("left_out_sha256") == left_out_sha256(held_out)
    return {
        "title": f"kNN CPC prediction with hybrid similarity, {len(runs[0][2].patents)} test patents "
        f"(operating point on {len(runs[0][1].patents)} validation patents)",
        "rows": rows,
        "test_patents": len(runs[0][2].patents),
        "validation_patents": len(runs[0][1].patents),
        "leak_free": leak_free,
        "graph_embedding": recorded,
        "note": None
        if leak_free
        else "the graph vectors were computed with the measured patents' own CLASSIFIED_AS edges, which encode "
        "the answer: the figures for graph weights above 0 are optimistic (rerun with --embed)",
    }
