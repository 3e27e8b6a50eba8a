"""`patentcl suggest-cpc`: CPC codes for a text or a patent, voted by its nearest patents.

The k nearest patents through the vector index vote for their codes, each with its cosine
similarity (`patentcl.evaluators.votes`), at subgroup, main-group or subclass level; codes whose share
of the vote reaches the threshold are suggested. k and the threshold are chosen per level on
validation patents (`calibrate`, `patentcl calibrate-cpc`) and stored with the model: on the
graph's EmbeddingModel node (what `suggest` reads) and in the model folder (`suggest_cpc.json`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from patentcl.cpc import at_level
from patentcl.encoding import graph_models
from patentcl.errors import PatentclError
from patentcl.evaluators.votes import VOTE_LEVELS, predict, vote
from patentcl.graph import GraphStore
from patentcl.progress import progress_bar
from patentcl.search.query_model import query_model
from patentcl.search.similar import Lookup, similar

CALIBRATION_FILE = "suggest_cpc.json"
# Used until `patentcl calibrate-cpc` has run: a middle-of-the-road choice, reported as such.
DEFAULT_K = 10
DEFAULT_THRESHOLD = 0.3


@dataclass
class Suggestion:
    code: str
    score: float  # similarity-weighted share of the neighbours' votes, 0..1
    votes: int  # neighbours classified under the code
    title: str | None


@dataclass
class SuggestResult:
    suggestions: list[Suggestion]
    level: str
    k: int
    threshold: float
    calibrated: bool
    neighbours: list[tuple[str, float]]
    graph_weight: float = 0.0
    # Hybrid votes (graph_weight > 0) only: each neighbour's (text cosine, graph cosine).
    cosines: list[tuple[float, float]] | None = None

    def as_dict(self) -> dict[str, Any]:
        found = {**asdict(self), "neighbours": [{"id": i, "similarity": s} for i, s in self.neighbours]}
        del found["cosines"]
        if self.cosines is None:  # a text-only suggestion answers as it always did
            del found["graph_weight"]
        else:
            for neighbour, (text, graph) in zip(found["neighbours"], self.cosines):
                neighbour.update(text_similarity=text, graph_similarity=graph)
        return found


def _single_model(store: GraphStore) -> str:
    models = graph_models(store)
    if len(models) != 1:
        raise PatentclError(
            "the graph holds no patent vectors: run `patentcl embed --model DIR` first"
            if not models
            else f"the graph holds vectors of several models ({', '.join(models)}): re-embed with one"
        )
    return next(iter(models))


def stored_calibration(store: GraphStore) -> dict[str, Any] | None:
    """The calibration recorded for the model of the graph's vectors, if any."""
    rows = list(store.run("suggest_calibration", {"model": _single_model(store)}))
    return json.loads(rows[0]["calibration"]) if rows and rows[0]["calibration"] else None


def suggest_cpc(
    store: GraphStore,
    *,
    patent: str | None = None,
    vector: np.ndarray | None = None,
    level: str = "subgroup",
    k: int | None = None,
    threshold: float | None = None,
    graph_weight: float = 0.0,
) -> SuggestResult:
    """Suggested codes for `patent` (id or number; its own codes are not looked at) or `vector`;
    `graph_weight` W > 0 takes the neighbours by hybrid similarity (`similar`), and they vote with
    their hybrid scores (the calibrated k and threshold were chosen on text similarity)."""
    if level not in VOTE_LEVELS:
        raise PatentclError(f"--cpc-level must be one of {', '.join(VOTE_LEVELS)}, not {level!r}")
    point = ((stored_calibration(store) or {}).get("levels") or {}).get(level)
    calibrated = point is not None and k is None and threshold is None
    k = k if k is not None else int(point["k"]) if point else DEFAULT_K
    threshold = threshold if threshold is not None else float(point["threshold"]) if point else DEFAULT_THRESHOLD
    if not 0 <= threshold <= 1:
        raise PatentclError(f"--threshold must be between 0 and 1, not {threshold}")
    hits = similar(store, patent=patent, vector=vector, k=k, graph_weight=graph_weight).hits
    scores = vote(((h.similarity, h.codes) for h in hits), level)
    chosen = predict(scores, threshold)
    titles = {r["code"]: r["title"] for r in store.run("cpc_titles", {"codes": chosen})}
    votes = {code: sum(code in {at_level(c, level) for c in h.codes} for h in hits) for code in chosen}
    cosines = [
        (h.text_similarity, h.graph_similarity)
        for h in hits
        if h.text_similarity is not None and h.graph_similarity is not None
    ]
    return SuggestResult(
        [Suggestion(c, scores[c], votes[c], titles.get(c)) for c in chosen],
        level,
        k,
        threshold,
        calibrated,
        [(h.id, h.similarity) for h in hits],
        graph_weight,
        cosines if graph_weight > 0 else None,
    )


@dataclass
class Neighbourhoods:
    """Patents' own codes and their nearest patents, as the kNN CPC functions
    (`patentcl.evaluators.cpc_knn`) take them."""

    patents: list[str]
    truth: list[list[str]]  # each patent's own codes (subgroups)
    sims: np.ndarray  # (patents, depth): the neighbours' scores, best first
    idx: np.ndarray  # (patents, depth): rows of `codes`
    codes: list[list[str]]  # each neighbour's codes (subgroups)

    def at_level(self, level: str, more_codes: Sequence[Sequence[str]] = ()) -> tuple[list[list[str]], list[str]]:
        """The patents' codes at `level` and the labels counted there: theirs and their
        neighbours' (and those of `more_codes`, so that several runs count the same labels)."""
        truth = [sorted({at_level(c, level) for c in codes}) for codes in self.truth]
        labels = sorted(
            {c for codes in truth for c in codes}
            | {at_level(c, level) for codes in (*self.codes, *more_codes) for c in codes}
        )
        return truth, labels


def neighbourhoods(patents: Sequence[str], lookup: Callable[[str], Lookup], depth: int, label: str) -> Neighbourhoods:
    """The `depth` neighbours `lookup` finds for each patent; patents without CPC codes or with
    fewer neighbours are left out (they can be neither scored nor voted for)."""
    kept: list[str] = []
    truth: list[list[str]] = []
    codes: list[list[str]] = []
    sims: list[list[float]] = []
    with progress_bar(label, len(patents)) as advance:
        for patent in patents:
            found = lookup(patent)
            if len(found.hits) == depth and found.anchor and found.anchor["codes"]:
                kept.append(found.anchor["id"])
                truth.append(found.anchor["codes"])
                sims.append([h.similarity for h in found.hits])
                codes.extend(h.codes for h in found.hits)
            advance(1)
    return Neighbourhoods(
        kept,
        truth,
        np.array(sims, dtype=np.float64).reshape(len(kept), depth),
        np.arange(len(codes)).reshape(len(kept), depth),
        codes,
    )


def calibrate(
    store: GraphStore, patents: Sequence[str], *, model_dir: Path | None = None, levels: Sequence[str] = VOTE_LEVELS
) -> dict[str, Any]:
    """Chooses k and the threshold per level by micro-F1 over `patents` (validation patents, never
    test ones): each is suggested codes from its graph neighbours and compared with its own codes.
    Records the choice on the graph's EmbeddingModel node and, given `model_dir`, in that folder."""
    from patentcl.evaluators.cpc_knn import KS, choose_operating_point

    model = _single_model(store)
    if model_dir is not None:
        query_model(store, str(model_dir))  # refuses a folder whose model did not make the graph's vectors
    if not patents:
        raise PatentclError("no validation patents to calibrate on")
    depth = max(KS)
    found = neighbourhoods(
        patents, lambda patent: similar(store, patent=patent, k=depth), depth, "calibrating CPC suggestions"
    )
    if not found.patents:
        raise PatentclError(f"none of the {len(patents)} validation patents has CPC codes and {depth} neighbours")
    chosen: dict[str, Any] = {}
    for level in levels:
        truth, labels = found.at_level(level)
        point = choose_operating_point(found.sims, found.idx, found.codes, truth, labels, level=level)
        chosen[level] = point.as_dict()
    calibration = {
        "model": model,
        "levels": chosen,
        "validation_patents": len(found.patents),
        "calibrated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    text = json.dumps(calibration)
    store.run("record_suggest_calibration", {"model": model, "calibration": text})
    if model_dir is not None:
        (Path(model_dir) / CALIBRATION_FILE).write_text(json.dumps(calibration, indent=2), encoding="utf-8")
    return calibration
