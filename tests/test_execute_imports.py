"""nbtools' modules import each other without a circle, counting the imports inside
functions too: none of them exists to break a cycle (#12)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "nbtools"
#: the packages whose modules must form an import graph without cycles
LAYERS = ("execute", "container")


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(("nbtools", *(parts[:-1] if parts[-1] == "__init__" else parts)))


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, known: set[str]) -> set[str]:
    """Every module of ``known`` imported anywhere (functions included), except under
    ``if TYPE_CHECKING:`` (never executed)."""
    found: set[str] = set()
    todo: list[ast.AST] = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.If) and _type_checking(node):
            todo.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in known)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module in known:
                found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
        todo.extend(ast.iter_child_nodes(node))
    return found & known


def import_graph(whole: bool = False) -> dict[str, set[str]]:
    """Who imports whom among the run's layers (``whole``: among all of nbtools)."""
    if whole:
        paths = sorted(PACKAGE.rglob("*.py"))
    else:
        paths = [p for layer in LAYERS for p in sorted((PACKAGE / layer).glob("*.py"))]
    known = {_module(p) for p in paths}
    return {_module(p): _imports(ast.parse(p.read_text()), known) - {_module(p)} for p in paths}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph`` (as a path that comes back to its start), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state:
                found = visit(target)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_no_import_cycle_among_the_run_modules() -> None:
    graph = import_graph()
    assert "nbtools.execute.process" in graph and graph["nbtools.execute.kernels"]
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


def test_no_import_cycle_anywhere_in_nbtools() -> None:
    graph = import_graph(whole=True)
    assert len(graph) > 100 and "nbtools.commands" in graph["nbtools.cli"]
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


def test_the_kernel_contract_builds_on_nothing_else_of_the_run() -> None:
    graph = import_graph()
    assert graph["nbtools.execute.process"] <= {"nbtools.execute.reaper"}
    for module in ("direct", "forkserver", "managed", "specs"):
        assert "nbtools.execute.kernels" not in graph[f"nbtools.execute.{module}"]


@pytest.mark.parametrize(
    ("graph", "cycle"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, None),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, ["a", "b", "c", "a"]),
        ({"a": {"b", "c"}, "b": set(), "c": {"c2"}, "c2": {"c"}}, ["c", "c2", "c"]),
    ],
)
def test_find_cycle(graph: dict[str, set[str]], cycle: list[str] | None) -> None:
    assert find_cycle(graph) == cycle
