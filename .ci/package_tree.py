"""Lays the package out as it is installed, in symlinks, for tools that cannot read setuptools'
package-dir mapping (mypy): `patentcl/loaders` -> `loaders/`, and so on.

Usage: python .ci/package_tree.py OUT. OUT/patentcl then mirrors the installed package, each entry
a link to the file or folder in the source tree, so errors still point at the real files.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parent.parent


def main(out: Path) -> None:
    mapping: dict[str, str] = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-dir"]
    shutil.rmtree(out, ignore_errors=True)
    package = out / "patentcl"
    package.mkdir(parents=True)
    for entry in (ROOT / mapping["patentcl"]).iterdir():
        if entry.name != "__pycache__":
            (package / entry.name).symlink_to(entry)
    for name, folder in mapping.items():
        if name != "patentcl":
            (package / name.removeprefix("patentcl.")).symlink_to(ROOT / folder, target_is_directory=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve())
