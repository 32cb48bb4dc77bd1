"""Names a Python scope reads and binds, with nested scopes reduced to their free names."""

from __future__ import annotations

import ast
from typing import Iterable, List, Sequence, Tuple

Names = List[Tuple[str, int]]
Deferred = Tuple[Tuple[str, int], ...]

# calls that read or write the namespace dynamically
DYNAMIC_CALLS = frozenset({"exec", "eval", "globals", "vars", "locals", "__import__"})
COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def base_name(node: ast.expr) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


# scopes ---------------------------------------------------------------------


def expr_names(node: ast.expr) -> tuple[Names, Names, Names, bool]:
    """Reads, walrus bindings, mutated bases and dynamic-namespace use of an expression."""
    scope = _Scope()
    scope.visit(node)
    return scope.loads, scope.walrus, scope.mutates, scope.dynamic


def function_free(node: ast.AST | None) -> tuple[Deferred, set[str]]:
    """Free names of a function or lambda body (needed when it is called), and the
    names it binds through ``global``."""
    if not isinstance(node, (*FUNCTIONS, ast.Lambda)):
        return (), set()
    free, global_stores = scope_of(node)
    return tuple(free), global_stores


def scope_of(node: ast.AST) -> tuple[Names, set[str]]:
    """Free names and ``global``-declared stores of a function, lambda or comprehension."""
    scope = _Scope()
    local: set[str] = set()
    if isinstance(node, (*FUNCTIONS, ast.Lambda)):
        args = node.args
        for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
            if arg is not None:
                local.add(arg.arg)
        body: list[ast.AST] = list(node.body) if isinstance(node.body, list) else [node.body]
    else:  # comprehension: targets are local, the first iterable was evaluated outside
        gens: list[ast.comprehension] = node.generators  # type: ignore[attr-defined]
        for gen in gens:
            local.update(n for n, _ in target_names(gen.target))
        body = [*(g.target for g in gens[1:]), *(g.iter for g in gens[1:])]
        body += [c for g in gens for c in g.ifs]
        if isinstance(node, ast.DictComp):
            body += [node.key, node.value]
        else:
            body.append(node.elt)  # type: ignore[attr-defined]
    for child in body:
        scope.visit(child)
    declared_global = scope.globals_
    local |= {n for n, _ in scope.stores} - declared_global - scope.nonlocals
    local |= {n for n, _ in scope.walrus} if not isinstance(node, COMPREHENSIONS) else set()
    free: Names = []
    seen: set[str] = set()
    for name, line in scope.loads:
        if name not in local and name not in seen:
            seen.add(name)
            free.append((name, line))
    global_stores = {n for n, _ in scope.stores if n in declared_global} | scope.nested_globals
    return free, global_stores


def class_names(node: ast.ClassDef) -> tuple[Names, Deferred]:
    """Reads the class body makes now, and its methods' free names (deferred)."""
    immediate: Names = []
    deferred: Names = []
    class_locals: set[str] = set()
    for stmt in node.body:
        if isinstance(stmt, FUNCTIONS):
            for expr in [*stmt.decorator_list, *stmt.args.defaults, *stmt.args.kw_defaults]:
                if expr is not None:
                    immediate += [(n, ln) for n, ln in expr_names(expr)[0] if n not in class_locals]
            deferred += scope_of(stmt)[0]  # the class scope is not visible from methods
            class_locals.add(stmt.name)
            continue
        scope = _Scope()
        scope.visit(stmt)
        immediate += [(n, ln) for n, ln in scope.loads if n not in class_locals]
        class_locals |= {n for n, _ in scope.stores} | {n for n, _ in scope.walrus}
    return immediate, tuple(deferred)


class _Scope(ast.NodeVisitor):
    """Collects names of one scope; nested scopes contribute only their free names."""

    def __init__(self) -> None:
        self.loads: Names = []
        self.stores: Names = []
        self.walrus: Names = []
        self.mutates: Names = []
        self.globals_: set[str] = set()
        self.nested_globals: set[str] = set()  # bound through ``global`` in nested functions
        self.nonlocals: set[str] = set()
        self.dynamic = False

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self.loads.append((node.id, node.lineno))
        else:
            self.stores.append((node.id, node.lineno))

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        self.walrus.append((node.target.id, node.lineno))  # type: ignore[attr-defined]

    def visit_Global(self, node: ast.Global) -> None:
        self.globals_.update(node.names)

    def visit_Nonlocal(self, node: ast.Nonlocal) -> None:
        self.nonlocals.update(node.names)

    def visit_Import(self, node: ast.Import) -> None:
        self.stores += [(a.asname or a.name.split(".")[0], node.lineno) for a in node.names]

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if any(a.name == "*" for a in node.names):
            self.dynamic = True
        self.stores += [(a.asname or a.name, node.lineno) for a in node.names if a.name != "*"]

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.name:
            self.stores.append((node.name, node.lineno))
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        if isinstance(node.func, ast.Name) and node.func.id in DYNAMIC_CALLS:
            self.dynamic = True
        if isinstance(node.func, ast.Attribute):
            base = base_name(node.func.value)
            if base is not None:
                self.mutates.append((base, node.lineno))
        self.generic_visit(node)

    def _nested(self, node: ast.AST, outer: Iterable[ast.AST]) -> None:
        for expr in outer:
            if expr is not None:
                self.visit(expr)
        free, global_stores = scope_of(node)
        self.loads += free
        self.nested_globals |= global_stores

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self.stores.append((node.name, node.lineno))
        self._nested(node, [*node.decorator_list, *node.args.defaults, *node.args.kw_defaults])  # type: ignore[list-item]

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._nested(node, [*node.args.defaults, *node.args.kw_defaults])  # type: ignore[list-item]

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.stores.append((node.name, node.lineno))
        for expr in [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]:
            self.visit(expr)
        immediate, deferred = class_names(node)
        self.loads += immediate + list(deferred)

    def _comprehension(self, node: ast.AST) -> None:
        gens: list[ast.comprehension] = node.generators  # type: ignore[attr-defined]
        self.visit(gens[0].iter)
        self.loads += scope_of(node)[0]
        for child in ast.walk(node):
            if isinstance(child, ast.NamedExpr) and isinstance(child.target, ast.Name):
                # walrus inside a comprehension binds in the enclosing scope
                self.walrus.append((child.target.id, child.lineno))
            elif isinstance(child, ast.Call):
                if isinstance(child.func, ast.Name) and child.func.id in DYNAMIC_CALLS:
                    self.dynamic = True
                elif isinstance(child.func, ast.Attribute):
                    base = base_name(child.func.value)
                    if base is not None:
                        self.mutates.append((base, child.lineno))

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _comprehension  # type: ignore[assignment]


def target_names(node: ast.AST) -> Names:
    return [(n.id, n.lineno) for n in ast.walk(node) if isinstance(n, ast.Name)]


def bound_names(body: Sequence[ast.AST]) -> Names:
    """Names a block binds at its own level (not inside nested scopes)."""
    bindings = _Bindings()
    for node in reversed(body):
        bindings.visit(node)
    return bindings.found


class _Bindings(ast.NodeVisitor):
    """Collects the names a block binds; nested functions, classes, lambdas and
    comprehensions bind only in their own scopes, so they are not entered.

    Children are visited last first: the order loop bodies have always hoisted their
    bindings in (a walrus name comes twice: once for the walrus, once for its target).
    """

    def __init__(self) -> None:
        self.found: Names = []

    def generic_visit(self, node: ast.AST) -> None:
        for child in reversed(list(ast.iter_child_nodes(node))):
            self.visit(child)

    def visit_Name(self, node: ast.Name) -> None:
        if not isinstance(node.ctx, ast.Load):
            self.found.append((node.id, node.lineno))

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        if isinstance(node.target, ast.Name):
            self.found.append((node.target.id, node.lineno))
        self.generic_visit(node)

    def visit_FunctionDef(
        self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
    ) -> None:
        self.found.append((node.name, node.lineno))

    visit_AsyncFunctionDef = visit_ClassDef = visit_FunctionDef

    def visit_Import(self, node: ast.Import | ast.ImportFrom) -> None:
        self.found += [
            ((a.asname or a.name).split(".")[0], node.lineno) for a in node.names if a.name != "*"
        ]

    visit_ImportFrom = visit_Import

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.name:
            self.found.append((node.name, node.lineno))
        self.generic_visit(node)

    def visit_MatchAs(self, node: ast.AST) -> None:  # also MatchStar (3.10+)
        name = getattr(node, "name", None)
        if name:
            self.found.append((name, getattr(node, "lineno", 0)))
        self.generic_visit(node)

    visit_MatchStar = visit_MatchAs

    def visit_MatchMapping(self, node: ast.AST) -> None:
        rest = getattr(node, "rest", None)
        if rest:
            self.found.append((rest, getattr(node, "lineno", 0)))
        self.generic_visit(node)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        """A scope of its own."""

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = visit_Lambda  # type: ignore[assignment]
