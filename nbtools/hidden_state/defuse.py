"""What one code cell reads, binds, deletes and mutates at the notebook's top level.

A cell becomes a list of :class:`Event` in execution order. Function and class
bodies do not run when they are defined, so their free names are attached to the
bound name (``deferred``) and only count as used where that name is referenced.
The rules lean towards missing a problem rather than inventing one: definitions
in any branch count, loop bodies see their own bindings, uses guarded by
``except NameError`` are ignored, and ``import *``, ``exec`` or ``%run`` make the
analysis give up on names it cannot see.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Iterable, List, Sequence, Tuple

Names = List[Tuple[str, int]]
Deferred = Tuple[Tuple[str, int], ...]

# event kinds
USE = "use"
DEF = "def"
DEL = "del"
MUTATE = "mutate"
GIVE_UP = "give_up"

# cell magics whose body is Python run in the user namespace
_PY_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "memit", "debug", "pypy"})
# line magics whose argument is a Python statement run in the user namespace
_PY_LINE_MAGICS = frozenset({"time", "timeit", "prun", "memit", "debug"})
# magics that bind names nobody can see statically
_OPAQUE_MAGICS = frozenset({"run", "store", "load", "reset", "macro", "env", "sx"})
# calls that read or write the namespace dynamically
_DYNAMIC_CALLS = frozenset({"exec", "eval", "globals", "vars", "locals", "__import__"})
_GUARD_EXCEPTIONS = frozenset({"NameError", "Exception", "BaseException", "UnboundLocalError"})
_MAGIC_LINE_RE = re.compile(r"^\s*(%|!)")

_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_TRY_NODES: tuple[type, ...] = tuple(
    t for t in (getattr(ast, "Try", None), getattr(ast, "TryStar", None)) if t is not None
)


@dataclass(frozen=True)
class Event:
    """One thing a cell does to the top-level namespace, at a line of the cell."""

    kind: str
    name: str
    line: int
    deferred: Deferred | None = None  # DEF of a function/class
    guarded: bool = False  # USE inside ``try: ... except NameError``


def to_python(source: str) -> str:
    """Cell source as plain Python: IPython syntax (magics, ``!``, ``?``) transformed."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:  # pragma: no cover - IPython is there wherever ipykernel is
        return _blank_magics(source)
    try:
        return str(TransformerManager().transform_cell(source))  # type: ignore[no-untyped-call]
    except Exception:  # noqa: BLE001 - a transformer bug must not stop the analysis
        return _blank_magics(source)


def _blank_magics(source: str) -> str:
    """The fallback: blank ``%``/``!`` lines (a ``%%`` cell magic blanks the cell)."""
    if source.lstrip().startswith("%%"):
        return ""
    return "".join("\n" if _MAGIC_LINE_RE.match(ln) else ln for ln in source.splitlines(True))


def cell_events(source: str) -> list[Event] | None:
    """The cell's top-level events in order, or None if it is not valid Python."""
    try:
        tree = ast.parse(to_python(source))
    except (SyntaxError, ValueError):
        return None
    walker = _Walker()
    walker.block(tree.body)
    return walker.events


class _Walker:
    """Turns module-level statements into events."""

    def __init__(self, line_offset: int = 0) -> None:
        self.events: list[Event] = []
        self.guard_depth = 0
        self.offset = line_offset

    def emit(self, kind: str, name: str, line: int, **kw: object) -> None:
        guarded = self.guard_depth > 0 and kind == USE
        self.events.append(Event(kind, name, line + self.offset, guarded=guarded, **kw))  # type: ignore[arg-type]

    # statements -----------------------------------------------------------

    def block(self, body: Sequence[ast.stmt]) -> None:
        for stmt in body:
            self.stmt(stmt)

    def loop_body(self, body: Sequence[ast.stmt]) -> None:
        # a loop's second pass sees its first pass's bindings
        for name, line in _bound_names(body):
            self.emit(DEF, name, line)
        self.block(body)

    def stmt(self, node: ast.stmt) -> None:
        if isinstance(node, _FUNCTIONS):
            for expr in [*node.decorator_list, *node.args.defaults, *node.args.kw_defaults]:
                if expr is not None:
                    self.expr(expr)
            free, global_stores = _function_free(node)
            for name in global_stores:
                self.emit(DEF, name, node.lineno)
            self.emit(DEF, node.name, node.lineno, deferred=free)
        elif isinstance(node, ast.ClassDef):
            for expr in [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]:
                self.expr(expr)
            immediate, deferred = _class_names(node)
            for name, line in immediate:
                self.emit(USE, name, line)
            self.emit(DEF, node.name, node.lineno, deferred=deferred)
        elif isinstance(node, ast.Assign):
            if isinstance(node.value, ast.Lambda):  # its body runs when called
                for expr in [*node.value.args.defaults, *node.value.args.kw_defaults]:
                    if expr is not None:
                        self.expr(expr)
            else:
                self.expr(node.value)
            for target in node.targets:
                self.target(target, node.value)
        elif isinstance(node, ast.AnnAssign):
            if node.value is not None:
                self.expr(node.value)
                self.target(node.target, node.value)
        elif isinstance(node, ast.AugAssign):
            self.expr(node.value)
            if isinstance(node.target, ast.Name):
                self.emit(USE, node.target.id, node.lineno)
                self.emit(DEF, node.target.id, node.lineno)
                self.emit(MUTATE, node.target.id, node.lineno)
            else:
                self.target(node.target, None)
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            self.expr(node.iter)
            self.target(node.target, None)
            self.loop_body(node.body)
            self.block(node.orelse)
        elif isinstance(node, ast.While):
            self.expr(node.test)
            self.loop_body(node.body)
            self.block(node.orelse)
        elif isinstance(node, ast.If):
            self.expr(node.test)
            self.block(node.body)
            self.block(node.orelse)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                self.expr(item.context_expr)
                if item.optional_vars is not None:
                    self.target(item.optional_vars, None)
            self.block(node.body)
        elif _TRY_NODES and isinstance(node, _TRY_NODES):
            self.try_stmt(node)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                self.emit(DEF, alias.asname or alias.name.split(".")[0], node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.module == "__future__":
                return
            for alias in node.names:
                if alias.name == "*":
                    self.emit(GIVE_UP, "*", node.lineno)
                else:
                    self.emit(DEF, alias.asname or alias.name, node.lineno)
        elif isinstance(node, ast.Delete):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    self.emit(DEL, target.id, node.lineno)
                else:
                    self.target(target, None)
        elif isinstance(node, ast.Expr):
            if not self.magic_call(node.value):
                self.expr(node.value)
        elif isinstance(node, (ast.Global, ast.Nonlocal, ast.Pass, ast.Break, ast.Continue)):
            return
        else:  # return, raise, assert, match, ...: reads first, then whatever it binds
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.expr):
                    self.expr(child)
            for name, line in _bound_names([node]):
                self.emit(DEF, name, line)
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.stmt):
                    self.stmt(child)
                elif not isinstance(child, ast.expr):
                    for grandchild in ast.iter_child_nodes(child):  # match_case bodies
                        if isinstance(grandchild, ast.stmt):
                            self.stmt(grandchild)
                        elif isinstance(grandchild, ast.expr):
                            self.expr(grandchild)

    def try_stmt(self, node: ast.stmt) -> None:
        handlers: list[ast.ExceptHandler] = getattr(node, "handlers", [])
        guarded = any(_catches_name_error(h.type) for h in handlers)
        self.guard_depth += guarded
        self.block(getattr(node, "body", []))
        self.guard_depth -= guarded
        for handler in handlers:
            if handler.type is not None:
                self.expr(handler.type)
            if handler.name:
                self.emit(DEF, handler.name, handler.lineno)
            self.block(handler.body)
            if handler.name:  # Python unbinds ``except ... as name`` after the handler
                self.emit(DEL, handler.name, handler.lineno)
        self.block(getattr(node, "orelse", []))
        self.block(getattr(node, "finalbody", []))

    def target(self, node: ast.expr, value: ast.expr | None) -> None:
        if isinstance(node, ast.Name):
            deferred = _function_free(value)[0] if isinstance(value, ast.Lambda) else None
            self.emit(DEF, node.id, node.lineno, deferred=deferred)
        elif isinstance(node, (ast.Tuple, ast.List)):
            for elt in node.elts:
                self.target(elt, None)
        elif isinstance(node, ast.Starred):
            self.target(node.value, None)
        else:  # x.attr = ..., x[i] = ...: reads x and changes it
            self.expr(node)
            base = _base_name(node)
            if base is not None:
                self.emit(MUTATE, base, node.lineno)

    # expressions ----------------------------------------------------------

    def expr(self, node: ast.expr) -> None:
        loads, binds, mutates, dynamic = _expr_names(node)
        if dynamic:
            self.emit(GIVE_UP, "*", node.lineno)
        for name, line in binds:  # walrus: bound in this scope (kept before reads)
            self.emit(DEF, name, line)
        for name, line in loads:
            self.emit(USE, name, line)
        for name, line in mutates:
            self.emit(MUTATE, name, line)

    def magic_call(self, node: ast.expr) -> bool:
        """Handle ``get_ipython().run_*_magic(...)``; True if it was one."""
        call = _magic_call(node)
        if call is None:
            return False
        kind, magic, args = call
        if magic in _OPAQUE_MAGICS:
            self.emit(GIVE_UP, "*", node.lineno)
        elif kind == "run_line_magic" and magic in _PY_LINE_MAGICS and args:
            self.nested(args[0], node.lineno - 1)
        elif kind == "run_cell_magic" and magic in _PY_CELL_MAGICS and len(args) >= 2:
            if magic == "capture":
                words = [w for w in args[0].split() if not w.startswith("-")]
                if words and words[0].isidentifier():
                    self.emit(DEF, words[0], node.lineno)
            self.nested(args[1], node.lineno)  # the body starts on the magic's next line
        return True

    def nested(self, code: str, offset: int) -> None:
        try:
            tree = ast.parse(to_python(code))
        except (SyntaxError, ValueError):
            return
        inner = _Walker(self.offset + offset)
        inner.guard_depth = self.guard_depth
        inner.block(tree.body)
        self.events.extend(inner.events)


def _magic_call(node: ast.expr) -> tuple[str, str, list[str]] | None:
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return None
    owner = node.func.value
    if not (
        isinstance(owner, ast.Call)
        and isinstance(owner.func, ast.Name)
        and owner.func.id == "get_ipython"
    ):
        return None
    strings = [
        a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)
    ]
    if node.func.attr not in ("run_line_magic", "run_cell_magic") or not strings:
        return (node.func.attr, "", [])
    return (node.func.attr, strings[0], strings[1:])


def _catches_name_error(node: ast.expr | None) -> bool:
    if node is None:
        return True
    names = node.elts if isinstance(node, ast.Tuple) else [node]
    return any(
        (isinstance(n, ast.Name) and n.id in _GUARD_EXCEPTIONS)
        or (isinstance(n, ast.Attribute) and n.attr in _GUARD_EXCEPTIONS)
        for n in names
    )


def _base_name(node: ast.expr) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


# scopes ---------------------------------------------------------------------


def _expr_names(node: ast.expr) -> tuple[Names, Names, Names, bool]:
    """Reads, walrus bindings, mutated bases and dynamic-namespace use of an expression."""
    scope = _Scope()
    scope.visit(node)
    return scope.loads, scope.walrus, scope.mutates, scope.dynamic


def _function_free(node: ast.AST | None) -> tuple[Deferred, set[str]]:
    """Free names of a function or lambda body (needed when it is called), and the
    names it binds through ``global``."""
    if not isinstance(node, (*_FUNCTIONS, ast.Lambda)):
        return (), set()
    free, global_stores = _scope_of(node)
    return tuple(free), global_stores


def _scope_of(node: ast.AST) -> tuple[Names, set[str]]:
    """Free names and ``global``-declared stores of a function, lambda or comprehension."""
    scope = _Scope()
    local: set[str] = set()
    if isinstance(node, (*_FUNCTIONS, ast.Lambda)):
        args = node.args
        for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
            if arg is not None:
                local.add(arg.arg)
        body: list[ast.AST] = list(node.body) if isinstance(node.body, list) else [node.body]
    else:  # comprehension: targets are local, the first iterable was evaluated outside
        gens: list[ast.comprehension] = node.generators  # type: ignore[attr-defined]
        for gen in gens:
            local.update(n for n, _ in _target_names(gen.target))
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
    local |= {n for n, _ in scope.walrus} if not isinstance(node, _COMPREHENSIONS) else set()
    free: Names = []
    seen: set[str] = set()
    for name, line in scope.loads:
        if name not in local and name not in seen:
            seen.add(name)
            free.append((name, line))
    global_stores = {n for n, _ in scope.stores if n in declared_global}
    return free, global_stores


def _class_names(node: ast.ClassDef) -> tuple[Names, Deferred]:
    """Reads the class body makes now, and its methods' free names (deferred)."""
    immediate: Names = []
    deferred: Names = []
    class_locals: set[str] = set()
    for stmt in node.body:
        if isinstance(stmt, _FUNCTIONS):
            for expr in [*stmt.decorator_list, *stmt.args.defaults, *stmt.args.kw_defaults]:
                if expr is not None:
                    immediate += [
                        (n, ln) for n, ln in _expr_names(expr)[0] if n not in class_locals
                    ]
            deferred += _scope_of(stmt)[0]  # the class scope is not visible from methods
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
        if isinstance(node.func, ast.Name) and node.func.id in _DYNAMIC_CALLS:
            self.dynamic = True
        if isinstance(node.func, ast.Attribute):
            base = _base_name(node.func.value)
            if base is not None:
                self.mutates.append((base, node.lineno))
        self.generic_visit(node)

    def _nested(self, node: ast.AST, outer: Iterable[ast.AST]) -> None:
        for expr in outer:
            if expr is not None:
                self.visit(expr)
        free, global_stores = _scope_of(node)
        self.loads += free
        self.stores += [(n, getattr(node, "lineno", 0)) for n in global_stores]

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
        immediate, deferred = _class_names(node)
        self.loads += immediate + list(deferred)

    def _comprehension(self, node: ast.AST) -> None:
        gens: list[ast.comprehension] = node.generators  # type: ignore[attr-defined]
        self.visit(gens[0].iter)
        self.loads += _scope_of(node)[0]
        inner = _Scope()  # walrus inside a comprehension binds in the enclosing scope
        for child in ast.walk(node):
            if isinstance(child, ast.NamedExpr) and isinstance(child.target, ast.Name):
                inner.walrus.append((child.target.id, child.lineno))
            elif isinstance(child, ast.Call):
                inner.visit_Call(child)
        self.walrus += inner.walrus
        self.dynamic = self.dynamic or inner.dynamic

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _comprehension  # type: ignore[assignment]


def _target_names(node: ast.AST) -> Names:
    return [(n.id, n.lineno) for n in ast.walk(node) if isinstance(n, ast.Name)]


def _bound_names(body: Sequence[ast.AST]) -> Names:
    """Names a block binds at its own level (not inside nested scopes)."""
    found: Names = []
    stack = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            found.append((node.id, node.lineno))
        elif isinstance(node, ast.NamedExpr) and isinstance(node.target, ast.Name):
            found.append((node.target.id, node.lineno))
        elif isinstance(node, (*_FUNCTIONS, ast.ClassDef)):
            found.append((node.name, node.lineno))
            continue
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            found += [
                ((a.asname or a.name).split(".")[0], node.lineno)
                for a in node.names
                if a.name != "*"
            ]
        elif isinstance(node, ast.ExceptHandler) and node.name:
            found.append((node.name, node.lineno))
        elif type(node).__name__ in ("MatchAs", "MatchStar") and getattr(node, "name", None):
            found.append((node.name, getattr(node, "lineno", 0)))  # type: ignore[attr-defined]
        elif type(node).__name__ == "MatchMapping" and getattr(node, "rest", None):
            found.append((node.rest, getattr(node, "lineno", 0)))  # type: ignore[attr-defined]
        if isinstance(node, (ast.Lambda, *_COMPREHENSIONS)):
            continue
        stack.extend(ast.iter_child_nodes(node))
    return found
