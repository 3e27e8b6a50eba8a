"""`patentcl evaluate`: models side by side on held-out data; writes report.json, report.md and PNGs.

For each model (the first is the baseline the others are compared with):
  - CPC prediction by kNN under the published protocol and the clean protocol (`protocols.py`):
    micro- and macro-F1 on all test rows, on the held-out test rows (no training triplet of any
    evaluated model holds them or their abstract) and, for the published split, on test rows with
    and without a copy of their abstract among the train rows;
  - triplet accuracy on held-out test triplets;
  - retrieval MAP@10 / nDCG@10 of held-out patents against the graph (relevant = shares a CPC
    code; = cited, where the graph has citations);
  - a PCA projection of held-out abstracts' embeddings coloured by CPC subclass, and a bar chart.

Vectors come from the embedding cache (`embeddings.py`), or from the graph when its vectors were
made by the model itself, so a rerun encodes nothing.
"""

from __future__ import annotations

import json
import platform
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypedDict

import numpy as np

from patentcl import __version__
from patentcl.cpc import SUBGROUP
from patentcl.encoding import EmbeddingModel, open_model
from patentcl.errors import PatentclError
from patentcl.evaluation import figures
from patentcl.evaluation.embeddings import encode
from patentcl.evaluation.protocols import CpcProtocol, clean_protocol, published_protocol, source_files
from patentcl.evaluation.retrieval import GraphPatents, choose_queries, read_graph_patents, retrieval_report
from patentcl.evaluation.triplets import (
    Touched,
    heldout_triplets,
    touched_by_training,
    training_folders,
    triplet_accuracy,
)
from patentcl.evaluators.cpc_knn import CpcKnnEvaluator, f1_scores, label_matrix, paired_bootstrap
from patentcl.graph import GraphStore
from patentcl.triplets import ROLES

REPORT_JSON = "report.json"
REPORT_MD = "report.md"
PROJECTION_PNG = "projection.png"
METRICS_PNG = "metrics.png"


# The published figures for the published protocol (google-patents-ai README): fine-tuned roberta-base.
class _Published(TypedDict):
    micro_f1: float
    macro_f1: float
    model: str


PUBLISHED: _Published = {"micro_f1": 0.281, "macro_f1": 0.136, "model": "roberta-base, fine-tuned (published)"}
_PROJECTION_POINTS = 3000
_VECTOR_PAGE = 2000


@dataclass
class EvaluationPlan:
    """What to evaluate and how big. `models` maps a display name to a model folder or hub id;
    the first model is the baseline."""

    models: dict[str, str]
    data: Sequence[Path]  # CSV files or folders in the google-patents-ai format, for the CPC protocols
    out: Path
    triplets: Sequence[Path] = ()  # triplet folders besides those named in the models' provenance
    cache: Path | None = None  # embedding cache root (None: keep nothing)
    max_rows: int | None = None  # protocol rows (quick runs); None = all
    retrieval_queries: int | None = 1000  # held-out query patents; None = all
    retrieval_corpus: int | None = None  # corpus patents (queries included); None = the whole graph
    triplet_limit: int | None = 5000
    batch_size: int = 64
    seed: int = 42
    device: str | None = None
    max_seq_length: int | None = None  # tokens read per text by every model; None = each model's own

    def check(self) -> None:
        if not self.models:
            raise PatentclError("give at least one model to evaluate")


@dataclass
class EvaluationResult:
    report: dict[str, Any]
    json_path: Path
    markdown_path: Path
    figure_paths: list[Path] = field(default_factory=list)


def quick_plan(
    models: dict[str, str], out: Path, sample_csv: Path, *, cache: Path | None, triplets: Sequence[Path] = ()
) -> EvaluationPlan:
    """The quickstart's evaluation: the bundled sample, a few hundred held-out patents, ~1-2 minutes
    per model on 2 CPU cores (most of it encoding; a rerun is instant)."""
    return EvaluationPlan(
        models,
        [sample_csv],
        out,
        triplets,
        cache,
        max_rows=600,
        retrieval_queries=100,
        retrieval_corpus=600,
        triplet_limit=200,
    )


def evaluate(plan: EvaluationPlan, store: GraphStore | None = None) -> EvaluationResult:
    """Runs the plan (retrieval needs `store`) and writes the report files into `plan.out`."""
    plan.check()
    started = time.perf_counter()
    plan.out.mkdir(parents=True, exist_ok=True)
    # Resolved, so a folder named twice (relative on the command line, absolute in a model's card) is read once.
    folders = list(
        dict.fromkeys(
            Path(f).resolve() for f in [*plan.triplets, *(f for m in plan.models.values() for f in training_folders(m))]
        )
    )
    touched = touched_by_training(folders)
    files = source_files(plan.data)
    published = published_protocol(files, max_rows=plan.max_rows, seed=plan.seed)
    clean = clean_protocol(files, published.labels, max_rows=plan.max_rows, seed=plan.seed)
    triplets = heldout_triplets(folders, touched, limit=plan.triplet_limit, seed=plan.seed)
    graph = _graph_sample(store, touched, plan) if store is not None else None

    protocols = {p.name: p for p in (published, clean)}
    subsets = {p.name: _test_subsets(p, touched) for p in protocols.values()}
    models: dict[str, Any] = {}
    predicted: dict[str, dict[str, np.ndarray]] = {}  # model -> protocol -> multi-hot test predictions
    panels: list[tuple[str, np.ndarray]] = []
    projected = _projection_rows(published, touched, plan.seed)
    for name, path in plan.models.items():
        model = open_model(path, device=plan.device, max_seq_length=plan.max_seq_length)
        model_started = time.perf_counter()
        result: dict[str, Any] = {
            "path": str(path),
            "id": model.id,
            "text": model.text.as_dict(),
            "max_seq_length": model.model.max_seq_length,
            "trained_on": [str(f) for f in training_folders(path)],
        }
        result["cpc"], predicted[name] = {}, {}
        for protocol in protocols.values():
            vectors = _abstract_vectors(model, protocol, plan, f"{name}: {protocol.name} abstracts")
            result["cpc"][protocol.name], predicted[name][protocol.name] = _cpc_metrics(
                protocol, vectors, subsets[protocol.name], plan.seed
            )
            if protocol is published:
                panels.append((name, vectors["test"][projected]))
        result["triplets"] = _triplet_metrics(model, triplets, plan, name)
        if graph is not None and store is not None:
            patents, queries = graph
            result["retrieval"] = retrieval_report(patents, _graph_vectors(model, patents, store, plan, name), queries)
        result["seconds"] = round(time.perf_counter() - model_started, 1)
        models[name] = result

    report: dict[str, Any] = {
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "patentcl": __version__,
        "machine": f"{platform.node()} ({platform.machine()})",
        "baseline": next(iter(plan.models)),
        "data": {"files": [str(f) for f in files], "max_rows": plan.max_rows},
        "heldout": {
            "triplet_folders": [str(f) for f in folders],
            "touched_patents": len(touched),
            "touched_abstracts": len(touched.abstracts),
            "note": "held out = no training triplet of any evaluated model holds the patent or its abstract"
            if folders
            else "no triplet folder known: every patent counts as held out",
        },
        "protocols": {p.name: p.summary() for p in (published, clean)},
        "published_reference": PUBLISHED,
        "models": models,
        "seconds": None,
    }
    report["margins"] = _margins(report)
    report["margin_intervals"] = _margin_intervals(protocols, subsets, predicted, report["baseline"], plan.seed)
    report["seconds"] = round(time.perf_counter() - started, 1)
    figure_paths = [
        figures.projection_figure(
            panels, [_subclass(published.test["codes"][i]) for i in projected], plan.out / PROJECTION_PNG
        ),
        _metrics_chart(report, plan.out / METRICS_PNG),
    ]
    report["figures"] = [p.name for p in figure_paths]
    json_path = plan.out / REPORT_JSON
    json_path.write_text(json.dumps(report, indent=2, default=_json_default), encoding="utf-8")
    markdown_path = plan.out / REPORT_MD
    markdown_path.write_text(render_markdown(report), encoding="utf-8")
    return EvaluationResult(report, json_path, markdown_path, figure_paths)


def _json_default(value: Any) -> Any:
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    return str(value)


def _subclass(codes: Sequence[str]) -> str:
    return codes[0][:4] if len(codes) else "none"


def _projection_rows(protocol: CpcProtocol, touched: Touched, seed: int) -> list[int]:
    held = ~touched.mask(protocol.test["publication_number"], protocol.test["abstract"])
    rows = [int(i) for i in np.flatnonzero(held)]
    rows = rows or list(range(len(protocol.test)))
    return sorted(random.Random(seed).sample(rows, min(len(rows), _PROJECTION_POINTS)))


def _abstract_vectors(
    model: EmbeddingModel, protocol: CpcProtocol, plan: EvaluationPlan, description: str
) -> dict[str, np.ndarray]:
    texts = [*protocol.train["abstract"], *protocol.test["abstract"]]
    vectors = encode(model, texts, cache_root=plan.cache, batch_size=plan.batch_size, description=description)
    return {"train": vectors[: len(protocol.train)], "test": vectors[len(protocol.train) :]}


def _test_subsets(protocol: CpcProtocol, touched: Touched) -> dict[str, np.ndarray]:
    """The test rows each figure is reported on: all, held out, with and without a copy in train."""
    test = protocol.test
    subsets = {"all": np.ones(len(test), dtype=bool)}
    if touched:
        subsets["heldout"] = ~touched.mask(test["publication_number"], test["abstract"])
    if test["duplicate_in_train"].any():
        subsets["with_duplicate_in_train"] = test["duplicate_in_train"].to_numpy()
        subsets["without_duplicate_in_train"] = ~test["duplicate_in_train"].to_numpy()
    return subsets


def _cpc_metrics(
    protocol: CpcProtocol, vectors: dict[str, np.ndarray], subsets: dict[str, np.ndarray], seed: int
) -> tuple[dict[str, Any], np.ndarray]:
    """The operating point and F1 per subset of test rows, and the test rows' predictions."""
    abstracts, train_codes = list(protocol.train["abstract"]), list(protocol.train["codes"])
    fit, validation = protocol.validation_split(seed=seed)
    chooser = CpcKnnEvaluator(
        [abstracts[i] for i in fit],
        [train_codes[i] for i in fit],
        [abstracts[i] for i in validation],
        [train_codes[i] for i in validation],
        labels=protocol.labels,
        levels=(SUBGROUP,),
    )
    point, _, _ = chooser.predictions(vectors["train"][validation], vectors["train"][fit])[SUBGROUP]
    scorer = CpcKnnEvaluator(
        abstracts,
        train_codes,
        list(protocol.test["abstract"]),
        list(protocol.test["codes"]),
        labels=protocol.labels,
        levels=(SUBGROUP,),
        point=point,
    )
    _, truth, predicted = scorer.predictions(vectors["test"], vectors["train"])[SUBGROUP]
    metrics: dict[str, Any] = {
        "operating_point": {
            "k": point.k,
            "threshold": point.threshold,
            "validation_micro_f1": point.micro_f1,
            "validation_rows": len(validation),
        }
    }
    for name, mask in subsets.items():
        if mask.any():
            micro, macro = f1_scores(truth[mask], predicted[mask])
            metrics[name] = {"rows": int(mask.sum()), "micro_f1": micro, "macro_f1": macro}
    return metrics, predicted


def _margin_intervals(
    protocols: dict[str, CpcProtocol],
    subsets: dict[str, dict[str, np.ndarray]],
    predicted: dict[str, dict[str, np.ndarray]],
    base: str,
    seed: int,
) -> dict[str, dict[str, list[float]]]:
    """model -> CPC headline metric -> 95% interval of its margin over the baseline, by a paired
    bootstrap over the test rows of the metric's subset."""
    intervals: dict[str, dict[str, list[float]]] = {}
    for label, path in HEADLINE:
        if path[0] != "cpc":
            continue
        _, protocol, subset, metric = path
        mask = subsets[protocol].get(subset)
        if mask is None or not mask.any():
            continue
        truth = label_matrix(list(protocols[protocol].test["codes"][mask]), protocols[protocol].labels)
        for name, by_protocol in predicted.items():
            if name != base:
                interval = paired_bootstrap(
                    truth, predicted[base][protocol][mask], by_protocol[protocol][mask], seed=seed
                )[metric]
                intervals.setdefault(name, {})[label] = list(interval)
    return intervals


def _triplet_metrics(model: EmbeddingModel, triplets, plan: EvaluationPlan, name: str) -> dict[str, Any]:
    if triplets.empty:
        return {"triplets": 0, "note": "no held-out test triplets (no triplet folder, or no test split)"}
    texts = {
        role: [model.text.text(t, a) for t, a in zip(triplets[f"{role}_title"], triplets[f"{role}_abstract"])]
        for role in ROLES
    }
    flat = encode(
        model,
        [t for role in ROLES for t in texts[role]],
        cache_root=plan.cache,
        batch_size=plan.batch_size,
        description=f"{name}: triplets",
    )
    a, p, n = np.split(flat, 3)
    by_strategy = {}
    if "strategy" in triplets:
        for strategy, rows in triplets.groupby("strategy").indices.items():
            by_strategy[str(strategy)] = {
                "triplets": len(rows),
                "accuracy": triplet_accuracy(a[rows], p[rows], n[rows]),
            }
    return {"triplets": len(triplets), "accuracy": triplet_accuracy(a, p, n), "by_strategy": by_strategy}


def _graph_sample(store: GraphStore, touched: Touched, plan: EvaluationPlan) -> tuple[GraphPatents, list[int]] | None:
    """The retrieval corpus (the graph, or a seeded sample holding every query) and the query rows."""
    patents = read_graph_patents(store)
    if not len(patents):
        return None
    heldout = [
        i
        for i, (pid, abstract) in enumerate(zip(patents.ids, patents.abstracts))
        if patents.codes[i] and not touched.has(pid, abstract)
    ]
    queries = choose_queries(heldout, plan.retrieval_queries, plan.seed)
    if plan.retrieval_corpus is not None and len(patents) > plan.retrieval_corpus:
        chosen = set(queries)
        others = [i for i in range(len(patents)) if i not in chosen]
        extra = random.Random(plan.seed).sample(others, max(0, plan.retrieval_corpus - len(queries)))
        rows = sorted({*queries, *extra})
        position = {row: j for j, row in enumerate(rows)}
        patents, queries = patents.subset(rows), [position[q] for q in queries]
    return patents, queries


def _graph_vectors(
    model: EmbeddingModel, patents: GraphPatents, store: GraphStore, plan: EvaluationPlan, name: str
) -> np.ndarray:
    """The patents' vectors: read from the graph where this model made them from the same text,
    encoded otherwise."""
    from patentcl.encoding import graph_models
    from patentcl.graph.vector_index import stored_vectors

    stored: dict[str, np.ndarray] = {}
    recorded = {r["id"]: r for r in store.run("embedding_models")}.get(model.id, {})
    same_text = (recorded.get("text_format"), recorded.get("separator"), recorded.get("max_seq_length")) == (
        model.text.format,
        model.text.separator,
        model.model.max_seq_length,
    )
    if model.id in graph_models(store) and same_text:
        for start in range(0, len(patents), _VECTOR_PAGE):
            page = stored_vectors(store, patents.ids[start : start + _VECTOR_PAGE])
            stored.update({pid: vector for pid, (vector, made_by) in page.items() if made_by == model.id})
    missing = [i for i, pid in enumerate(patents.ids) if pid not in stored]
    texts = [model.text.text(patents.titles[i], patents.abstracts[i]) for i in missing]
    encoded = encode(
        model, texts, cache_root=plan.cache, batch_size=plan.batch_size, description=f"{name}: graph patents"
    )
    vectors = np.zeros((len(patents), model.dimension), dtype=np.float32)
    for i, pid in enumerate(patents.ids):
        if pid in stored:
            vectors[i] = stored[pid]
    vectors[missing] = encoded
    return vectors


# -- summary --------------------------------------------------------------------------------------
HEADLINE = [
    ("published micro-F1", ("cpc", "published", "all", "micro_f1")),
    ("published macro-F1", ("cpc", "published", "all", "macro_f1")),
    ("published held-out micro-F1", ("cpc", "published", "heldout", "micro_f1")),
    ("published held-out macro-F1", ("cpc", "published", "heldout", "macro_f1")),
    ("clean micro-F1", ("cpc", "clean", "all", "micro_f1")),
    ("clean macro-F1", ("cpc", "clean", "all", "macro_f1")),
    ("clean held-out micro-F1", ("cpc", "clean", "heldout", "micro_f1")),
    ("clean held-out macro-F1", ("cpc", "clean", "heldout", "macro_f1")),
    ("triplet accuracy", ("triplets", "accuracy")),
    ("MAP@10 (shares CPC)", ("retrieval", "shares_cpc_code", "map@10")),
    ("nDCG@10 (shares CPC)", ("retrieval", "shares_cpc_code", "ndcg@10")),
    ("MAP@10 (cited)", ("retrieval", "cited", "map@10")),
    ("nDCG@10 (cited)", ("retrieval", "cited", "ndcg@10")),
]


def _get(tree: dict[str, Any], path: Sequence[str]) -> float | None:
    for key in path:
        if not isinstance(tree, dict) or key not in tree:
            return None
        tree = tree[key]
    return float(tree) if isinstance(tree, (int, float)) and tree == tree else None


def headline(report: dict[str, Any]) -> dict[str, dict[str, float | None]]:
    """metric -> model -> value, for the metrics any model has."""
    table = {label: {name: _get(m, path) for name, m in report["models"].items()} for label, path in HEADLINE}
    return {label: row for label, row in table.items() if any(v is not None for v in row.values())}


def _margins(report: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Each model's difference from the baseline, per headline metric (positive = better)."""
    base = report["baseline"]
    margins: dict[str, dict[str, float]] = {}
    for label, row in headline(report).items():
        baseline = row.get(base)
        for name, value in row.items():
            if name != base and value is not None and baseline is not None:
                margins.setdefault(name, {})[label] = value - baseline
    return margins


def _metrics_chart(report: dict[str, Any], path: Path) -> Path:
    table = headline(report)
    labels = list(table)
    values = {name: [table[label][name] for label in labels] for name in report["models"]}
    references = (
        {"published micro-F1": PUBLISHED["micro_f1"], "published macro-F1": PUBLISHED["macro_f1"]}
        if report["protocols"]["published"]["is_the_published_setup"]
        else None
    )
    return figures.metrics_figure(labels, values, path, references)


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def _margin(value: float | None, interval: Sequence[float] | None) -> str:
    if value is None:
        return ""
    return f"{value:+.3f}" + (f" [{interval[0]:+.3f}, {interval[1]:+.3f}]" if interval else "")


def render_markdown(report: dict[str, Any]) -> str:
    names = list(report["models"])
    base = report["baseline"]
    lines = [
        "# patentcl evaluation report",
        "",
        f"Created {report['created_at']} on {report['machine']} in {report['seconds']} s; baseline: **{base}**.",
        "",
    ]
    lines += ["| model | id | text | tokens per text | path |", "|---|---|---|---|---|"]
    lines += [
        f"| {n} | `{m['id']}` | {m['text'].get('format')} | {m.get('max_seq_length')} | `{m['path']}` |"
        for n, m in report["models"].items()
    ]
    lines += [
        "",
        "## Headline",
        "",
        "| metric | " + " | ".join(names) + "".join(f" | {n} − {base}" for n in names if n != base) + " |",
        "|---|" + "---|" * (len(names) + len(names) - 1),
    ]
    intervals = report.get("margin_intervals", {})
    for label, row in headline(report).items():
        margins = [
            _margin(report["margins"].get(n, {}).get(label), intervals.get(n, {}).get(label))
            for n in names
            if n != base
        ]
        lines.append(
            f"| {label} | " + " | ".join(_fmt(row[n]) for n in names) + "".join(f" | {m}" for m in margins) + " |"
        )
    if intervals:
        lines += [
            "",
            "Brackets: 95% interval of a CPC margin, from a paired bootstrap over the metric's test rows "
            "(1,000 resamples, both models scored on the same rows). An interval that contains 0 means "
            "these test rows cannot tell the two models apart.",
        ]
    pub = report["published_reference"]
    comparable = report["protocols"]["published"]["is_the_published_setup"]
    lines += [
        "",
        f"Published reference on the published protocol: {pub['model']}: micro-F1 {pub['micro_f1']}, "
        f"macro-F1 {pub['macro_f1']}"
        + ("." if comparable else " (not comparable here: these rows are not the published rows)."),
        "",
        "## CPC prediction (kNN vote)",
        "",
    ]
    for protocol, summary in report["protocols"].items():
        lines += [
            f"### {protocol} protocol",
            "",
            "`" + json.dumps(summary) + "`",
            "",
            "| model | k | threshold | subset | rows | micro-F1 | macro-F1 |",
            "|---|---|---|---|---|---|---|",
        ]
        for name, m in report["models"].items():
            cpc = m["cpc"][protocol]
            point = cpc["operating_point"]
            for subset, values in cpc.items():
                if subset != "operating_point":
                    lines.append(
                        f"| {name} | {point['k']} | {point['threshold']:.2f} | {subset} | {values['rows']} | "
                        f"{values['micro_f1']:.3f} | {values['macro_f1']:.3f} |"
                    )
        lines.append("")
    lines += [
        "k and threshold are chosen per model on a validation part of the train rows (by micro-F1); "
        "macro-F1 averages over the labels present in the evaluated rows.",
        "",
        "## Held-out data",
        "",
        "`" + json.dumps(report["heldout"]) + "`",
        "",
    ]
    for name, m in report["models"].items():
        lines.append(f"- **{name}** triplets: `{json.dumps(m['triplets'])}`")
        if "retrieval" in m:
            lines.append(f"- **{name}** retrieval: `{json.dumps(m['retrieval'])}`")
    lines += ["", "## Figures", ""] + [f"![{f}]({f})" for f in report.get("figures", [])]
    return "\n".join(lines) + "\n"
