"""The quickstart sample, shipped as package data (see README.md here for its source and licence)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def sample_csv() -> Path:
    """`google-patents-ai-us.csv`: 3,000 US patents, the quickstart's default input.

    pip installs packages as plain files, so the resource is a path that the CLI's
    `click.Path(exists=True)` options accept as a default."""
    return Path(str(files(__name__) / "google-patents-ai-us.csv"))
