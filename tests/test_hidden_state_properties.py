"""Properties of the def-use analysis over generated cells (a small Python grammar with
IPython's magics): it never raises, and only what the code says counts, never its layout.

A program is drawn once as lines of (depth, text in a spacing) and rendered twice: plainly,
and with another indent width, other spacing around operators, blank and comment lines
between statements and comments after them. Both renderings must give the same events,
their lines moved exactly as the layout moved them.
"""

from __future__ import annotations

import ast
import sys
from typing import Callable, List, NamedTuple, Tuple

from conftest import make_cell, make_nb
from hypothesis import given, settings
from hypothesis import strategies as st

from nbtools.hidden_state.defuse import Event, cell_events
from nbtools.hidden_state.static import analyze_notebook

Text = Callable[[str], str]  # spacing around operators -> source text


class Line(NamedTuple):
    depth: int
    text: Text
    commentable: bool = True  # a trailing comment is layout (not on a ``x?`` help line)


Block = List[Line]

NAMES = st.sampled_from(["a", "b", "df", "np", "total", "f", "C", "e", "x"])


def _fixed(text: str) -> Text:
    return lambda sp: text


def _binary(parts: tuple[Text, str, Text]) -> Text:
    left, op, right = parts
    return lambda sp: f"({left(sp)}{sp}{op}{sp}{right(sp)})"


def _grow(inner: st.SearchStrategy[Text]) -> st.SearchStrategy[Text]:
    two = st.tuples(inner, inner)
    return st.one_of(
        st.tuples(inner, st.sampled_from(["+", "*", "==", "<"]), inner).map(_binary),
        two.map(lambda p: lambda sp: f"({p[0](sp)} and {p[1](sp)})"),
        st.tuples(NAMES, st.lists(inner, max_size=2)).map(
            lambda p: lambda sp: f"{p[0]}({f',{sp}'.join(a(sp) for a in p[1])})"
        ),
        st.tuples(NAMES, inner).map(lambda p: lambda sp: f"{p[0]}.append({p[1](sp)})"),
        st.tuples(inner, inner).map(lambda p: lambda sp: f"{p[0](sp)}[{p[1](sp)}]"),
        st.tuples(NAMES, inner).map(lambda p: lambda sp: f"(lambda {p[0]}:{sp}{p[1](sp)})"),
        st.tuples(inner, NAMES, inner, inner).map(
            lambda p: lambda sp: f"[{p[0](sp)} for {p[1]} in {p[2](sp)} if {p[3](sp)}]"
        ),
        st.tuples(NAMES, inner).map(lambda p: lambda sp: f"({p[0]}{sp}:={sp}{p[1](sp)})"),
        two.map(lambda p: lambda sp: f"({p[0](sp)},{sp}{p[1](sp)})"),
        st.tuples(NAMES, inner).map(lambda p: lambda sp: f"{{{p[0]}: v for v in {p[1](sp)}}}"),
    )


ATOMS = st.one_of(
    NAMES.map(_fixed),
    st.integers(0, 9).map(lambda i: _fixed(str(i))),
    st.sampled_from(["'text'", "globals()", "eval('a')", "a.attr", "None"]).map(_fixed),
)
EXPRS = st.recursive(ATOMS, _grow, max_leaves=6)


def _simple(name: str, other: str, expr: Text, kind: int) -> Line:
    forms: list[tuple[Text, bool]] = [
        (lambda sp: f"{name}{sp}={sp}{expr(sp)}", True),
        (lambda sp: f"{name},{sp}*{other}{sp}={sp}{expr(sp)}", True),
        (lambda sp: f"{name}{sp}+={sp}{expr(sp)}", True),
        (lambda sp: f"{name}.attr{sp}={sp}{expr(sp)}", True),
        (lambda sp: f"{name}[{expr(sp)}]{sp}={sp}{other}", True),
        (lambda sp: f"{name}:{sp}int{sp}={sp}{expr(sp)}", True),
        (_fixed(f"{name}: int"), True),
        (_fixed(f"del {name}"), True),
        (_fixed(f"import {name}"), True),
        (_fixed(f"import os.path as {name}"), True),
        (_fixed(f"from mod import {name}"), True),
        (_fixed("from mod import *"), True),
        (expr, True),
        (lambda sp: f"print({expr(sp)})", True),
        (_fixed(f"global {name}"), True),
        (_fixed("pass"), True),
        (lambda sp: f"assert {expr(sp)}", True),
        (lambda sp: f"%time {name}{sp}={sp}{expr(sp)}", True),
        (_fixed("!ls -l"), True),
        (_fixed(f"{name} = !ls"), True),
        (_fixed("%matplotlib inline"), True),
        (_fixed(f"%run {name}.py"), True),
        (_fixed(f"{name}?"), False),
    ]
    text, commentable = forms[kind % len(forms)]
    return Line(0, text, commentable)


SIMPLE = st.builds(_simple, NAMES, NAMES, EXPRS, st.integers(0, 99))


def _indent(block: Block) -> Block:
    return [Line(line.depth + 1, line.text, line.commentable) for line in block]


def _compound(head: tuple[str, Text, str], body: Block, orelse: Block, kind: int) -> Block:
    name, expr, other = head
    forms: list[Block] = [
        [Line(0, lambda sp: f"for {name} in {expr(sp)}:"), *_indent(body)],
        [Line(0, lambda sp: f"while {expr(sp)}:"), *_indent(body), Line(1, _fixed("break"))],
        [
            Line(0, lambda sp: f"if {expr(sp)}:"),
            *_indent(body),
            Line(0, _fixed("else:")),
            *_indent(orelse),
        ],
        [Line(0, lambda sp: f"with {expr(sp)} as {name}:"), *_indent(body)],
        [
            Line(0, _fixed("try:")),
            *_indent(body),
            Line(0, _fixed("except NameError:")),
            *_indent(orelse),
        ],
        [
            Line(0, _fixed("try:")),
            *_indent(body),
            Line(0, _fixed(f"except Exception as {other}:")),
            *_indent(orelse),
            Line(0, _fixed("finally:")),
            Line(1, _fixed("pass")),
        ],
        [
            Line(0, lambda sp: f"def {name}({other}{sp}={sp}{expr(sp)}):"),
            *_indent(body),
            Line(1, lambda sp: f"return {expr(sp)}"),
        ],
        [Line(0, _fixed(f"async def {name}():")), *_indent(body)],
        [Line(0, lambda sp: f"class {name}({other}):"), *_indent(body)],
    ]
    if sys.version_info >= (3, 10):
        forms.append(
            [
                Line(0, lambda sp: f"match {expr(sp)}:"),
                Line(1, _fixed(f"case [{other}, *rest] if {other}:")),
                *_indent(_indent(body)),
                Line(1, _fixed(f"case {{'k': {name}, **more}}:")),
                *_indent(_indent(orelse)),
            ]
        )
    return forms[kind % len(forms)]


def _statements(inner: st.SearchStrategy[Block]) -> st.SearchStrategy[Block]:
    heads = st.tuples(NAMES, EXPRS, NAMES)
    compound = st.builds(_compound, heads, inner, inner, st.integers(0, 99))
    return st.lists(st.one_of(compound, inner), min_size=1, max_size=3).map(
        lambda blocks: [line for block in blocks for line in block]
    )


BLOCKS = st.recursive(SIMPLE.map(lambda line: [line]), _statements, max_leaves=8)
CELL_MAGICS = st.sampled_from([None, "%%time", "%%capture captured"])


class Layout(NamedTuple):
    indent: int
    spacing: str
    before: list[int]  # per line: how many blank or comment lines go above it
    trailing: list[bool]  # per line: a comment after it


def render(magic: str | None, block: Block, layout: Layout | None) -> tuple[str, list[int]]:
    """The cell's source, and where each line of the plain rendering went (1-based)."""
    out: list[str] = [magic] if magic else []
    moved = [1] if magic else []
    for number, line in enumerate(block):
        indent = " " * (layout.indent if layout else 4) * line.depth
        if layout is not None:
            out += ["" if k % 2 else f"{indent}# a note" for k in range(layout.before[number])]
        text = indent + line.text(layout.spacing if layout else " ")
        if layout is not None and layout.trailing[number] and line.commentable:
            text += "  # why"
        out.append(text)
        moved.append(len(out))
    return "\n".join(out) + "\n", moved


@st.composite
def programs(draw: st.DrawFn) -> tuple[str | None, Block, Layout]:
    block = draw(BLOCKS)
    layout = Layout(
        indent=draw(st.sampled_from([1, 2, 3, 8])),
        spacing=draw(st.sampled_from(["", "  "])),
        before=draw(st.lists(st.integers(0, 2), min_size=len(block), max_size=len(block))),
        trailing=draw(st.lists(st.booleans(), min_size=len(block), max_size=len(block))),
    )
    return draw(CELL_MAGICS), block, layout


Shape = Tuple[str, str, int, object, bool, bool]


def shape(events: list[Event], moved: list[int] | None = None) -> list[Shape]:
    def at(line: int) -> int:
        return moved[line - 1] if moved is not None else line

    return [
        (
            e.kind,
            e.name,
            at(e.line),
            None if e.deferred is None else tuple(n for n, _ in e.deferred),  # lines unused
            e.guarded,
            e.hoisted,
        )
        for e in events
    ]


@settings(max_examples=150, deadline=None)
@given(program=programs())
def test_def_use_never_raises_and_reads_every_parseable_cell(
    program: tuple[str | None, Block, Layout],
) -> None:
    magic, block, layout = program
    for source, _ in (render(magic, block, None), render(magic, block, layout)):
        events = cell_events(source)
        if magic is None and "%" not in source and "!" not in source and "?" not in source:
            ast.parse(source)  # the grammar makes Python: a None would be the analysis's
        assert events is not None, source
        lines = source.count("\n")
        assert all(1 <= e.line <= lines for e in events), (source, events)


@settings(max_examples=150, deadline=None)
@given(program=programs())
def test_def_use_ignores_whitespace_and_comments(
    program: tuple[str | None, Block, Layout],
) -> None:
    magic, block, layout = program
    plain, _ = render(magic, block, None)
    styled, moved = render(magic, block, layout)
    before, after = cell_events(plain), cell_events(styled)
    assert before is not None and after is not None
    assert shape(after) == shape(before, moved), (plain, styled)


@settings(max_examples=40, deadline=None)
@given(cells=st.lists(programs(), min_size=1, max_size=4), counts=st.permutations([1, 2, 3, 4]))
def test_static_analysis_of_generated_notebooks_never_raises(
    cells: list[tuple[str | None, Block, Layout]], counts: list[int]
) -> None:
    nb = make_nb(
        [
            make_cell(source=render(magic, block, layout)[0], execution_count=count)
            for (magic, block, layout), count in zip(cells, counts)
        ]
    )
    analysis = analyze_notebook(nb, "generated.ipynb")
    assert not analysis.unparsable
    for problem in analysis.problems:
        assert 0 <= problem.cell < len(cells)
        assert problem.defined_in is None or problem.defined_in >= problem.cell
    assert all(f.cell_index is not None and f.cell_index < len(cells) for f in analysis.findings)
