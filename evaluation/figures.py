"""The report's PNG figures: a 2-D projection of each model's embeddings coloured by CPC subclass,
and a bar chart of the metrics side by side. matplotlib draws off-screen (Agg)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

_TOP_SUBCLASSES = 8
_OTHER = "other"


def pca_2d(vectors: np.ndarray) -> np.ndarray:
    """The first two principal components (SVD of the centred vectors)."""
    centred = vectors - vectors.mean(axis=0, keepdims=True)
    _, _, components = np.linalg.svd(centred, full_matrices=False)
    return centred @ components[:2].T


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def projection_figure(panels: Sequence[tuple[str, np.ndarray]], subclasses: Sequence[str], path: Path) -> Path:
    """One scatter panel per model (same patents in each); the most common subclasses get colours."""
    plt = _pyplot()
    common = [s for s, _ in Counter(subclasses).most_common(_TOP_SUBCLASSES)]
    colour_of = {s: plt.get_cmap("tab10")(i) for i, s in enumerate(common)}
    groups = [*common, _OTHER]
    labels = np.array([s if s in colour_of else _OTHER for s in subclasses])
    fig, axes = plt.subplots(1, len(panels), figsize=(max(9.0, 6.0 * len(panels)), 6.0), squeeze=False)
    for ax, (name, vectors) in zip(axes[0], panels):
        points = pca_2d(vectors)
        for group in reversed(groups):  # "other" first, underneath
            mask = labels == group
            if mask.any():
                ax.scatter(
                    points[mask, 0],
                    points[mask, 1],
                    s=6,
                    alpha=0.6,
                    linewidths=0,
                    color=colour_of.get(group, (0.75, 0.75, 0.75, 1.0)),
                    label=f"{group} ({mask.sum()})",
                )
        ax.set_title(f"{name}: PCA of {len(vectors):,} held-out abstracts")
        ax.set_xticks([])
        ax.set_yticks([])
    handles, names = axes[0][0].get_legend_handles_labels()
    fig.legend(
        handles[::-1],
        names[::-1],
        loc="lower center",
        ncol=min(len(groups), 5),
        markerscale=3,
        frameon=False,
        title="CPC subclass (first code)",
    )
    fig.tight_layout(rect=(0, 0.14, 1, 1))
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def metrics_figure(
    metrics: Sequence[str],
    values: Mapping[str, Sequence[float | None]],
    path: Path,
    references: dict[str, float] | None = None,
) -> Path:
    """Grouped bars: one group per metric, one bar per model (`values[model][i]` for `metrics[i]`);
    `references` draws published figures as marks on their metrics."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(min(16.0, max(7.0, 0.8 * len(metrics) * max(1, len(values)))), 5.0))
    width = 0.8 / max(1, len(values))
    x = np.arange(len(metrics))
    for i, (model, row) in enumerate(values.items()):
        heights = [np.nan if v is None else v for v in row]
        bars = ax.bar(x + (i - (len(values) - 1) / 2) * width, heights, width, label=model)
        ax.bar_label(bars, labels=["" if v is None else f"{v:.3f}" for v in row], fontsize=7, padding=2)
    for metric, value in (references or {}).items():
        if metric in metrics:
            j = metrics.index(metric)
            ax.hlines(value, j - 0.45, j + 0.45, colors="black", linestyles="dashed", linewidth=1)
            ax.annotate(
                f"published {value:.3f}", (j, value), textcoords="offset points", xytext=(0, 3), ha="center", fontsize=7
            )
    ax.set_xticks(x, metrics, rotation=20, ha="right", fontsize=8)
    ax.set_ylim(0, 1)
    ax.legend(fontsize=8)
    ax.set_title("held-out evaluation")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
