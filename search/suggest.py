"""`patentcl suggest-cpc`: CPC codes for a text or a patent, voted by its nearest patents.

The k nearest patents through the vector index vote for their codes, each with its cosine
similarity (`patentcl.search.votes`), at subgroup, main-group or subclass level; codes whose share
of the vote reaches the threshold are suggested. k and the threshold are chosen per level on
validation patents (`calibrate`, `patentcl calibrate-cpc`) and stored with the model: on the
graph's EmbeddingModel node (what `suggest` reads) and in the model folder (`suggest_cpc.json`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from patentcl.errors import PatentclError
from patentcl.graph import GraphStore
from patentcl.progress import progress_bar
from patentcl.search.query_model import graph_models, query_model
from patentcl.search.similar import similar
from patentcl.search.votes import LEVELS, at_level, predict, vote

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

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "neighbours": [{"id": i, "similarity": s} for i, s in self.neighbours]}


def _single_model(store: GraphStore) -> str:
    models = graph_models(store)
    if len(models) != 1:
        raise PatentclError("the graph holds no patent vectors: run `patentcl embed --model DIR` first" if not models
                            else f"the graph holds vectors of several models ({', '.join(models)}): re-embed with one")
    return next(iter(models))


def stored_calibration(store: GraphStore) -> dict[str, Any] | None:
    """The calibration recorded for the model of the graph's vectors, if any."""
    rows = list(store.run("suggest_calibration", {"model": _single_model(store)}))
    return json.loads(rows[0]["calibration"]) if rows and rows[0]["calibration"] else None


def suggest_cpc(store: GraphStore, *, patent: str | None = None, vector: np.ndarray | None = None,
                level: str = "subgroup", k: int | None = None, threshold: float | None = None) -> SuggestResult:
    """Suggested codes for `patent` (id or number; its own codes are not looked at) or `vector`."""
    if level not in LEVELS:
        raise PatentclError(f"--level must be one of {', '.join(LEVELS)}, not {level!r}")
    point = ((stored_calibration(store) or {}).get("levels") or {}).get(level)
    calibrated = point is not None and k is None and threshold is None
    k = k if k is not None else int(point["k"]) if point else DEFAULT_K
    threshold = threshold if threshold is not None else float(point["threshold"]) if point else DEFAULT_THRESHOLD
    if not 0 <= threshold <= 1:
        raise PatentclError(f"--threshold must be between 0 and 1, not {threshold}")
    hits = similar(store, patent=patent, vector=vector, k=k).hits
    scores = vote(((h.similarity, h.codes) for h in hits), level)
    chosen = predict(scores, threshold)
    titles = {r["code"]: r["title"] for r in store.run("cpc_titles", {"codes": chosen})}
    votes = {code: sum(code in {at_level(c, level) for c in h.codes} for h in hits) for code in chosen}
    return SuggestResult([Suggestion(c, scores[c], votes[c], titles.get(c)) for c in chosen], level, k, threshold,
                         calibrated, [(h.id, h.similarity) for h in hits])


def calibrate(store: GraphStore, patents: Sequence[str], *, model_dir: Path | None = None,
              levels: Sequence[str] = LEVELS) -> dict[str, Any]:
    """Chooses k and the threshold per level by micro-F1 over `patents` (validation patents, never
    test ones): each is suggested codes from its graph neighbours and compared with its own codes.
    Records the choice on the graph's EmbeddingModel node and, given `model_dir`, in that folder."""
    from patentcl.evaluation.cpc_knn import KS, choose_operating_point

    model = _single_model(store)
    if model_dir is not None:
        query_model(store, str(model_dir))  # refuses a folder whose model did not make the graph's vectors
    if not patents:
        raise PatentclError("no validation patents to calibrate on")
    depth = max(KS)
    truth: list[list[str]] = []
    neighbour_codes: list[list[str]] = []
    sims, idx = [], []
    with progress_bar("calibrating CPC suggestions", len(patents)) as advance:
        for patent in patents:
            lookup = similar(store, patent=patent, k=depth)
            if len(lookup.hits) == depth and lookup.anchor and lookup.anchor["codes"]:
                truth.append(lookup.anchor["codes"])
                idx.append(list(range(len(neighbour_codes), len(neighbour_codes) + depth)))
                sims.append([h.similarity for h in lookup.hits])
                neighbour_codes.extend(h.codes for h in lookup.hits)
            advance(1)
    if not truth:
        raise PatentclError(f"none of the {len(patents)} validation patents has CPC codes and {depth} neighbours")
    chosen: dict[str, Any] = {}
    for level in levels:
        level_truth = [sorted({at_level(c, level) for c in codes}) for codes in truth]
        labels = sorted({c for codes in level_truth for c in codes}
                        | {at_level(c, level) for codes in neighbour_codes for c in codes})
        point = choose_operating_point(np.array(sims), np.array(idx), neighbour_codes, level_truth, labels, level=level)
        chosen[level] = point.as_dict()
    calibration = {"model": model, "levels": chosen, "validation_patents": len(truth),
                   "calibrated_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    text = json.dumps(calibration)
    store.run("record_suggest_calibration", {"model": model, "calibration": text})
    if model_dir is not None:
        (Path(model_dir) / CALIBRATION_FILE).write_text(json.dumps(calibration, indent=2), encoding="utf-8")
    return calibration
