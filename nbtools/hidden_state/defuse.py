"""What one code cell reads, binds, deletes and mutates at the notebook's top level.

A cell becomes a list of :class:`Event` in execution order. Function and class
bodies do not run when they are defined, so their free names are attached to the
bound name (``deferred``) and only count as used where that name is referenced.
The rules lean towards missing a problem rather than inventing one: definitions
in any branch count, loop bodies see their own bindings, uses guarded by
``except NameError`` are ignored, and ``import *``, ``exec`` or ``%run`` make the
analysis give up on names it cannot see.

Every walk in this package that treats node kinds differently is an
:class:`ast.NodeVisitor` (here, statements; in :mod:`~nbtools.hidden_state.scopes`,
the names inside expressions and nested scopes): the rule for a kind of node is the
one ``visit_<Kind>`` method, found by name instead of by its place in an
``isinstance`` chain, and ``generic_visit`` is the one place for everything else.
(``match`` statements would read as well but do not exist on Python 3.8.)
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Sequence

from nbtools.hidden_state.magics import parse, to_python
from nbtools.hidden_state.scopes import (
    Deferred,
    base_name,
    bound_names,
    class_names,
    expr_names,
    function_free,
)

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
_OPAQUE_MAGICS = frozenset(
    {"run", "store", "load", "reset", "macro", "env", "sx", "pylab", "sql", "R", "Rpull"}
)
_GUARD_EXCEPTIONS = frozenset({"NameError", "Exception", "BaseException", "UnboundLocalError"})


@dataclass(frozen=True)
class Event:
    """One thing a cell does to the top-level namespace, at a line of the cell."""

    kind: str
    name: str
    line: int
    deferred: Deferred | None = None  # DEF of a function/class
    guarded: bool = False  # USE inside ``try: ... except NameError``
    hoisted: bool = False  # DEF a loop body makes, seen from its next pass


def cell_events(source: str) -> list[Event] | None:
    """The cell's top-level events in order, or None if it is not valid Python."""
    tree = parse(to_python(source))
    if tree is None:
        return None
    walker = _Walker()
    try:
        walker.block(tree.body)
    except RecursionError:  # absurdly nested code: treat the cell as unreadable
        return None
    return walker.events


class _Walker(ast.NodeVisitor):
    """Turns module-level statements into events: one ``visit_*`` per kind of statement.

    Only statements are visited; an expression goes whole to :meth:`expr`, which asks
    :mod:`~nbtools.hidden_state.scopes` for its names.
    """

    def __init__(self, line_offset: int = 0) -> None:
        self.events: list[Event] = []
        self.guard_depth = 0
        self.offset = line_offset

    def emit(self, kind: str, name: str, line: int, **kw: object) -> None:
        guarded = self.guard_depth > 0 and kind == USE
        self.events.append(Event(kind, name, line + self.offset, guarded=guarded, **kw))  # type: ignore[arg-type]

    def block(self, body: Sequence[ast.stmt]) -> None:
        for stmt in body:
            self.visit(stmt)

    def loop_body(self, body: Sequence[ast.stmt]) -> None:
        # a loop's second pass sees its first pass's bindings
        for name, line in bound_names(body):
            self.emit(DEF, name, line, hoisted=True)
        self.block(body)

    # definitions ------------------------------------------------------------

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for expr in [*node.decorator_list, *node.args.defaults, *node.args.kw_defaults]:
            if expr is not None:
                self.expr(expr)
        free, global_stores = function_free(node)
        for name in sorted(global_stores):  # set order varies with PYTHONHASHSEED
            self.emit(DEF, name, node.lineno)
        self.emit(DEF, node.name, node.lineno, deferred=free)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for expr in [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]:
            self.expr(expr)
        immediate, deferred = class_names(node)
        for name, line in immediate:
            self.emit(USE, name, line)
        self.emit(DEF, node.name, node.lineno, deferred=deferred)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.emit(DEF, alias.asname or alias.name.split(".")[0], node.lineno)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module == "__future__":
            return
        for alias in node.names:
            if alias.name == "*":
                self.emit(GIVE_UP, "*", node.lineno)
            else:
                self.emit(DEF, alias.asname or alias.name, node.lineno)

    # assignments ------------------------------------------------------------

    def visit_Assign(self, node: ast.Assign) -> None:
        if isinstance(node.value, ast.Lambda):  # its body runs when called
            for expr in [*node.value.args.defaults, *node.value.args.kw_defaults]:
                if expr is not None:
                    self.expr(expr)
        else:
            self.expr(node.value)
        for target in node.targets:
            self.target(target, node.value)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:  # a bare annotation binds nothing
            self.expr(node.value)
            self.target(node.target, node.value)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.expr(node.value)
        if isinstance(node.target, ast.Name):
            self.emit(USE, node.target.id, node.lineno)
            self.emit(DEF, node.target.id, node.lineno)
            self.emit(MUTATE, node.target.id, node.lineno)
        else:
            self.target(node.target, None)

    def visit_Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            if isinstance(target, ast.Name):
                self.emit(DEL, target.id, node.lineno)
            else:
                self.target(target, None)

    def target(self, node: ast.expr, value: ast.expr | None) -> None:
        if isinstance(node, ast.Name):
            deferred = function_free(value)[0] if isinstance(value, ast.Lambda) else None
            self.emit(DEF, node.id, node.lineno, deferred=deferred)
        elif isinstance(node, (ast.Tuple, ast.List)):
            for elt in node.elts:
                self.target(elt, None)
        elif isinstance(node, ast.Starred):
            self.target(node.value, None)
        else:  # x.attr = ..., x[i] = ...: reads x and changes it
            self.expr(node)
            base = base_name(node)
            if base is not None:
                self.emit(MUTATE, base, node.lineno)

    # control flow -----------------------------------------------------------

    def visit_For(self, node: ast.For | ast.AsyncFor) -> None:
        self.expr(node.iter)
        self.target(node.target, None)
        self.loop_body(node.body)
        self.block(node.orelse)

    visit_AsyncFor = visit_For

    def visit_While(self, node: ast.While) -> None:
        self.expr(node.test)
        self.loop_body(node.body)
        self.block(node.orelse)

    def visit_If(self, node: ast.If) -> None:
        self.expr(node.test)
        self.block(node.body)
        self.block(node.orelse)

    def visit_With(self, node: ast.With | ast.AsyncWith) -> None:
        for item in node.items:
            self.expr(item.context_expr)
            if item.optional_vars is not None:
                self.target(item.optional_vars, None)
        self.block(node.body)

    visit_AsyncWith = visit_With

    def visit_Try(self, node: ast.Try) -> None:  # also ``try/except*`` (3.11's TryStar)
        guarded = any(_catches_name_error(h.type) for h in node.handlers)
        self.guard_depth += guarded
        self.block(node.body)
        self.guard_depth -= guarded
        for handler in node.handlers:
            if handler.type is not None:
                self.expr(handler.type)
            if handler.name:
                self.emit(DEF, handler.name, handler.lineno)
            self.block(handler.body)
            if handler.name:  # Python unbinds ``except ... as name`` after the handler
                self.emit(DEL, handler.name, handler.lineno)
        self.block(node.orelse)
        self.block(node.finalbody)

    visit_TryStar = visit_Try

    def visit_Global(self, node: ast.stmt) -> None:
        """Statements that neither read nor bind at the top level."""

    visit_Nonlocal = visit_Pass = visit_Break = visit_Continue = visit_Global

    def visit_Expr(self, node: ast.Expr) -> None:
        if not self.magic_call(node.value):
            self.expr(node.value)

    def generic_visit(self, node: ast.AST) -> None:
        """Any other statement (return, raise, assert, match, ...): its reads first, then
        whatever it binds, then the statements (and ``case`` guards) inside it."""
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                self.expr(child)
        for name, line in bound_names([node]):
            self.emit(DEF, name, line)
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.stmt):
                self.visit(child)
            elif not isinstance(child, ast.expr):
                for grandchild in ast.iter_child_nodes(child):  # match_case bodies
                    if isinstance(grandchild, ast.stmt):
                        self.visit(grandchild)
                    elif isinstance(grandchild, ast.expr):
                        self.expr(grandchild)

    # expressions ------------------------------------------------------------

    def expr(self, node: ast.expr) -> None:
        loads, binds, mutates, dynamic = expr_names(node)
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
        tree = parse(to_python(code))
        if tree is None:
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
