"""The provenance a trained model carries: `patentcl_model.json` and a section of its README.md.

The library writes the model card (README.md) when the model is saved; this adds what it cannot
know: the triplet manifests (which Cypher query, version and hash mined the data), the patentcl
options, the text format the model expects, metrics before and after, time and device.
`patentcl embed` reads `patentcl_model.json` (`patentcl.provenance`) to encode patents exactly as in training.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import sentence_transformers
import torch
import transformers

from patentcl import __version__
from patentcl.provenance import PROVENANCE_FILE
from patentcl.triplets import SPLITS, TripletSet

_SECTION = "## PatentCL provenance"


def write_provenance(
    out: Path,
    *,
    config: dict[str, Any],
    triplets: TripletSet,
    metrics: dict[str, float],
    started: datetime,
    finished: datetime,
    device: dict[str, Any],
    dimension: int,
    selection: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Writes the provenance file and card section; `selection` names the checkpoint the model is
    (metric, value, step) when the best one was kept rather than the last."""
    provenance = {
        "name": out.resolve().name,
        "base_model": config["base_model"],
        "dimension": dimension,
        "max_seq_length": config["max_seq_length"],
        "text": config["text"],
        "training": config,
        "triplets": triplets.manifests,
        "rows": {s: len(triplets[s]) for s in SPLITS if triplets.has(s)},
        "metrics": metrics,
        "selected_checkpoint": selection,
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": finished.isoformat(timespec="seconds"),
        "seconds": round((finished - started).total_seconds(), 1),
        "device": device,
        "versions": {
            "patentcl": __version__,
            "sentence_transformers": sentence_transformers.__version__,
            "transformers": transformers.__version__,
            "torch": torch.__version__,
        },
    }
    (out / PROVENANCE_FILE).write_text(json.dumps(provenance, indent=2, default=str), encoding="utf-8")
    readme = out / "README.md"
    card = readme.read_text(encoding="utf-8") if readme.exists() else f"# {provenance['name']}\n"
    readme.write_text(card.split(_SECTION)[0].rstrip() + "\n\n" + _markdown(provenance), encoding="utf-8")
    return provenance


def _markdown(p: dict[str, Any]) -> str:
    t = p["training"]
    lines = [
        _SECTION,
        "",
        f"Fine-tuned from `{p['base_model']}` by `patentcl train` (patentcl {p['versions']['patentcl']}) "
        f"on {p['device'].get('name')} ({p['device'].get('type')}, {p['device'].get('precision')}), "
        f"{p['started_at']} to {p['finished_at']} ({p['seconds']:.0f} s).",
        "",
        f"Input text: `{p['text']['format']}`"
        + (f", separator `{p['text']['separator']!r}`" if p["text"]["format"] == "title-abstract" else "")
        + f"; max sequence length {p['max_seq_length']}; {p['dimension']}-dimensional embeddings.",
        "",
        "### Triplets",
        "",
        "| folder | query | version | dialect | sha256 | seed | rows |",
        "|---|---|---|---|---|---|---|",
    ]
    for m in p["triplets"]:
        q = m.get("query") if isinstance(m.get("query"), dict) else m
        lines.append(
            f"| {Path(m['folder']).name} | {q.get('name') or q.get('query')} | {q.get('version')} | "
            f"{q.get('dialect')} | {str(q.get('sha256'))[:12]} | {m.get('seed')} | "
            f"{sum((m.get('rows') or {}).values()) or ''} |"
        )
    lines += [
        "",
        f"Rows: {', '.join(f'{k} {v:,}' for k, v in p['rows'].items())}.",
        "",
        "### Options",
        "",
        "| option | value |",
        "|---|---|",
    ]
    lines += [f"| {k} | `{v}` |" for k, v in t.items() if k not in ("text", "base_model")]
    lines += ["", "### Metrics", "", "| metric | value |", "|---|---|"]
    lines += [f"| {k} | {v:.4f} |" for k, v in sorted(p["metrics"].items())]
    chosen = p.get("selected_checkpoint")
    if chosen:
        lines += [
            "",
            f"The model is the checkpoint of step {chosen['step']}, the best by `{chosen['metric']}` "
            f"({chosen['value']:.4f}), not the last one.",
        ]
    return "\n".join(lines) + "\n"
