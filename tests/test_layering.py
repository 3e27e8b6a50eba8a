"""The package's layers, checked on its source: the core (`patentcl/`) imports no stage, the stages
(loaders, mining, trainer, search, evaluation) import only the core, only the application layer
(`patentcl.cli`, `patentcl.quickstart`, `patentcl.bench_engines`, `patentcl.__main__`) ties stages
together, no module imports itself through others, and only `patentcl.graph` branches on the
engine's name.

A pure scan of the syntax trees: every import counts, at any depth (inside functions, under
TYPE_CHECKING), because a lazy import is still a dependency. No graph is opened, so these tests
do not run per engine.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "patentcl"
STAGES = ("loaders", "mining", "trainer", "search", "evaluation")
APPLICATION = frozenset({"patentcl.cli", "patentcl.quickstart", "patentcl.bench_engines", "patentcl.__main__"})
ENGINE_NAMES = frozenset({"neo4j", "falkordb"})
ENGINE_CODE = "patentcl.graph"  # the one place that may branch on an engine's name


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    target: str  # the package module it imports
    line: int

    def __str__(self) -> str:
        return f"{self.module} (line {self.line}) imports {self.target}"


def package_sources(root: Path = ROOT) -> dict[str, str]:
    """Module name -> source of every .py file of the package, as pyproject.toml maps folders to it."""
    config = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    folders: Mapping[str, str] = config["tool"]["setuptools"].get("package-dir", {PACKAGE: PACKAGE})
    sources: dict[str, str] = {}
    for package, folder in folders.items():
        for path in sorted((root / folder).rglob("*.py")):
            parts = path.relative_to(root / folder).with_suffix("").parts
            name = ".".join((package, *parts[:-1])) if parts[-1] == "__init__" else ".".join((package, *parts))
            sources.setdefault(name, path.read_text(encoding="utf-8"))
    return sources


def _resolve(name: str, modules: Iterable[str]) -> str | None:
    """The longest package module that `name` (a dotted import path) is or lies in."""
    known = set(modules)
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in known:
            return candidate
    return None


def imports_of(sources: Mapping[str, str]) -> list[Import]:
    """Every import of a package module by a package module, at any depth of the syntax tree."""
    found = []
    for module, source in sources.items():
        is_package = any(m.startswith(module + ".") for m in sources)
        for node in ast.walk(ast.parse(source, filename=module)):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: from the importing module's package
                    anchor = module.split(".")
                    anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                    base = ".".join([*anchor, base] if base else anchor)
                # `from patentcl.trainer import embed` imports the module patentcl.trainer.embed.
                names = [f"{base}.{alias.name}" for alias in node.names] or [base]
            for name in names:
                target = _resolve(name, sources)
                if target is not None and target != module:
                    found.append(Import(module, target, node.lineno))
    return list(dict.fromkeys(found))  # `from m import a, b` is one import of m


def layer_of(module: str) -> str:
    """`application`, `stage:<name>` or `core`."""
    if module in APPLICATION:
        return "application"
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in STAGES:
        return f"stage:{parts[1]}"
    return "core"


def layer_violations(imports: Iterable[Import]) -> list[Import]:
    """Imports that break the layers: the core importing a stage or the application layer, a
    stage importing another stage or the application layer."""
    bad = []
    for imp in imports:
        source, target = layer_of(imp.module), layer_of(imp.target)
        if source == "application" or target == "core" or source == target:
            continue
        bad.append(imp)
    return bad


def cycles(imports: Iterable[Import]) -> list[list[str]]:
    """The import cycles: each strongly connected group of modules (Tarjan), sorted."""
    graph: dict[str, set[str]] = {}
    for imp in imports:
        graph.setdefault(imp.module, set()).add(imp.target)
        graph.setdefault(imp.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        # Iterative depth-first search: the module graph may be deeper than the recursion limit.
        work = [(node, iter(sorted(graph[node])))]
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        while work:
            current, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[current] = min(low[current], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[current])
            if low[current] == index[current]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == current:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(groups)


def _engine_names(node: ast.expr) -> set[str]:
    if isinstance(node, ast.Constant) and node.value in ENGINE_NAMES:
        return {node.value}
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return {name for element in node.elts for name in _engine_names(element)}
    return set()


def engine_branches(sources: Mapping[str, str]) -> list[str]:
    """Comparisons with an engine's name (`== "neo4j"`, `in ("falkordb", ...)`, `case "neo4j":`)
    outside patentcl.graph, as `module (line N): code`."""
    found = []
    for module, source in sources.items():
        if module == ENGINE_CODE or module.startswith(ENGINE_CODE + "."):
            continue
        for node in ast.walk(ast.parse(source, filename=module)):
            if isinstance(node, ast.Compare):
                operands = [node.left, *node.comparators]
            elif isinstance(node, ast.MatchValue):
                operands = [node.value]
            else:
                continue
            if any(_engine_names(operand) for operand in operands):
                found.append(f"{module} (line {node.lineno}): {ast.unparse(node)}")
    return found


def _report(title: str, lines: Iterable[object]) -> str:
    return "\n".join([title, *(f"  {line}" for line in lines)])


# -- the package ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sources() -> dict[str, str]:
    found = package_sources()
    # The scan must see the package, or every check below passes on nothing.
    assert {"patentcl.cli", "patentcl.config", "patentcl.graph", *(f"patentcl.{s}" for s in STAGES)} <= found.keys()
    return found


def test_stages_import_only_the_core(sources: dict[str, str]) -> None:
    bad = [imp for imp in layer_violations(imports_of(sources)) if layer_of(imp.module).startswith("stage:")]
    assert not bad, _report("stages import another stage or the application layer:", bad)


def test_the_core_imports_no_stage_and_no_application_module(sources: dict[str, str]) -> None:
    bad = [imp for imp in layer_violations(imports_of(sources)) if layer_of(imp.module) == "core"]
    assert not bad, _report("core modules import a stage or the application layer:", bad)


def test_no_import_cycle(sources: dict[str, str]) -> None:
    imports = imports_of(sources)
    found = cycles(imports)
    lines = []
    for group in found:
        members = set(group)
        lines.append(" <-> ".join(group))
        lines += [f"  {imp}" for imp in imports if imp.module in members and imp.target in members]
    assert not found, _report("import cycles (each with the imports that close it):", lines)


def test_only_the_graph_package_branches_on_the_engine(sources: dict[str, str]) -> None:
    found = engine_branches(sources)
    assert not found, _report(f"engine-name branches outside {ENGINE_CODE}:", found)


# -- the scanner finds what it looks for ----------------------------------------------------------
PLANTED = {
    "patentcl": "",
    "patentcl.cli": "from patentcl.mining import miner\n",
    "patentcl.config": "def lazy():\n    from patentcl.trainer.train import train\n",  # core -> stage
    "patentcl.graph": "",
    "patentcl.graph.store": "def f(engine):\n    return engine == 'neo4j'\n",  # allowed here
    "patentcl.mining": "",
    "patentcl.mining.miner": (
        "from patentcl.config import Settings\n"
        "from . import strategies\n"  # same stage: fine
        "def run(settings):\n"
        "    from patentcl.trainer import train\n"  # stage -> stage, inside a function
        "    if settings.engine in ('falkordb', 'other'):\n"  # engine branch
        "        pass\n"
    ),
    "patentcl.mining.strategies": "import patentcl.cli\n",  # stage -> application, and a cycle
    "patentcl.trainer": "",
    "patentcl.trainer.train": "",
}


def test_the_scanner_detects_planted_violations() -> None:
    imports = imports_of(PLANTED)
    assert Import("patentcl.mining.miner", "patentcl.mining.strategies", 2) in imports  # relative import
    assert sorted(map(str, layer_violations(imports))) == [
        "patentcl.config (line 2) imports patentcl.trainer.train",
        "patentcl.mining.miner (line 4) imports patentcl.trainer.train",
        "patentcl.mining.strategies (line 1) imports patentcl.cli",
    ]
    assert cycles(imports) == [["patentcl.cli", "patentcl.mining.miner", "patentcl.mining.strategies"]]
    assert engine_branches(PLANTED) == ["patentcl.mining.miner (line 5): settings.engine in ('falkordb', 'other')"]


def test_the_scanner_passes_a_clean_package() -> None:
    clean = {
        "patentcl": "",
        "patentcl.config": "",
        "patentcl.mining": "",
        "patentcl.mining.miner": "from patentcl.config import Settings\nfrom .strategies import x\n",
        "patentcl.mining.strategies": "import json\n",
        "patentcl.cli": "from patentcl.mining import miner\n",
    }
    imports = imports_of(clean)
    assert not layer_violations(imports) and not cycles(imports) and not engine_branches(clean)
