"""The import graph of wlint/ has no cycle and nothing imports the CLI.

Every `import` / `from ... import` statement counts, at module level and inside
functions alike (a function-level import is still an arrow between layers),
relative forms included. Two kinds are left out because they never run as an
import of one module by another: imports under `if TYPE_CHECKING:` and the
implicit execution of a package's `__init__` when one of its submodules is
imported (`from wlint.compat import remap` is an arrow to wlint.compat.remap).
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Set

import pytest

WLINT = Path(__file__).resolve().parent.parent / "wlint"
ENTRY_POINTS = {"wlint.__main__"}  # `python -m wlint` runs the CLI; it is no library module

Graph = Dict[str, Set[str]]


def module_names(root: Path, package: str) -> Dict[str, Path]:
    """Dotted name -> file of every module of the package under `root`."""
    names: Dict[str, Path] = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names[".".join([package, *parts])] = path
    return names


def _runtime_nodes(tree: ast.Module) -> Iterator[ast.AST]:
    """Every node except the bodies of `if TYPE_CHECKING:` blocks."""
    stack: List[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))


def _known(name: str, modules: Dict[str, Path]) -> Optional[str]:
    """`name` or its longest prefix that is a module of the package."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def imports_of(name: str, path: Path, modules: Dict[str, Path]) -> Set[str]:
    """The package's modules that module `name` imports (anywhere in its code)."""
    is_package = path.name == "__init__.py"
    found: Set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".")
                anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                base = ".".join(anchor + ([base] if base else []))
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                       for alias in node.names]
        else:
            continue
        for target in targets:
            hit = _known(target, modules)
            if hit is not None and hit != name:
                found.add(hit)
    return found


def import_graph(root: Path, package: str) -> Graph:
    modules = module_names(root, package)
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def cycles(graph: Graph) -> List[List[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    on_stack: Set[str] = set()
    out: List[List[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(graph.get(node, ())):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return out


def summary(graph: Graph) -> str:
    """Modules, arrows and every cycle with the arrows inside it."""
    lines = [f"{len(graph)} modules, {sum(map(len, graph.values()))} import arrows"]
    for component in cycles(graph):
        members = set(component)
        lines.append(f"cycle of {len(component)}: " + ", ".join(component))
        lines.extend(f"  {a} -> {b}" for a in component for b in sorted(graph[a] & members))
    return "\n".join(lines)


def test_wlint_has_no_import_cycle() -> None:
    graph = import_graph(WLINT, "wlint")
    assert len(graph) > 40 and "wlint.commands.check" in graph
    print(summary(graph))
    assert cycles(graph) == [], summary(graph)


def test_nothing_imports_the_cli() -> None:
    graph = import_graph(WLINT, "wlint")
    importers = sorted(m for m, targets in graph.items()
                       if "wlint.cli" in targets and m not in ENTRY_POINTS)
    assert importers == [], summary(graph)


def test_commands_are_the_only_importers_of_the_command_layer() -> None:
    graph = import_graph(WLINT, "wlint")
    outside = sorted(m for m, targets in graph.items()
                     if not m.startswith("wlint.commands") and m != "wlint.cli"
                     and any(t.startswith("wlint.commands") for t in targets))
    assert outside == [], summary(graph)


def test_codes_registry_is_a_leaf() -> None:
    assert import_graph(WLINT, "wlint")["wlint.codes"] == set()


def _package(root: Path, files: Dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / "pkg" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root / "pkg"


@pytest.mark.parametrize("files, expected", [
    ({"__init__.py": "", "a.py": "def f():\n    from pkg import b\n",
      "b.py": "from . import a\n"}, [["pkg.a", "pkg.b"]]),
    ({"__init__.py": "", "sub/__init__.py": "from .x import y\n",
      "sub/x.py": "import pkg.top\ny = 1\n", "top.py": "from .sub import x\n"},
     [["pkg.sub.x", "pkg.top"]]),
    ({"__init__.py": "", "sub/__init__.py": "", "sub/x.py": "from .. import top\n",
      "top.py": "def g():\n    import pkg.sub.x\n"}, [["pkg.sub.x", "pkg.top"]]),
    ({"__init__.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import a\n",
      "a.py": "import pkg\n"}, []),
    ({"__init__.py": "", "a.py": "from pkg import b\n", "b.py": "import os\n"}, []),
])
def test_cycle_detection_on_a_synthetic_package(tmp_path: Path, files: Dict[str, str],
                                                 expected: List[List[str]]) -> None:
    graph = import_graph(_package(tmp_path, files), "pkg")
    assert cycles(graph) == expected, summary(graph)


def test_a_cycle_through_the_real_tree_would_be_caught() -> None:
    graph = import_graph(WLINT, "wlint")
    graph["wlint.codes"] = graph["wlint.codes"] | {"wlint.findings"}
    assert ["wlint.codes", "wlint.findings"] in cycles(graph)
