"""Static hidden-state analysis: execution counts and def-use order, no kernel."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import make_cell, make_nb, shared_path, write_nb

from nbtools.findings import Severity, rule_for
from nbtools.hidden_state.defuse import DEF, GIVE_UP, USE, cell_events
from nbtools.hidden_state.magics import to_python
from nbtools.hidden_state.names import UNDEFINED_NAME, USE_BEFORE_DEF
from nbtools.hidden_state.static import (
    COUNT_GAP,
    OUT_OF_ORDER,
    OUTPUT_WITHOUT_COUNT,
    UNEXECUTED,
    analyze_notebook,
)
from nbtools.notebook import read_notebook


def code(*sources: str) -> dict[str, Any]:
    return make_nb([make_cell(source=s) for s in sources])


def problems(*sources: str) -> list[tuple[int, str, str]]:
    """(cell index, name, rule) for every name problem of a notebook of code cells."""
    analysis = analyze_notebook(code(*sources), "nb.ipynb")
    return [
        (f.cell_index or 0, f.extra["name"], f.rule)
        for f in analysis.findings
        if f.rule in (USE_BEFORE_DEF, UNDEFINED_NAME)
    ]


UBD, UND = USE_BEFORE_DEF, UNDEFINED_NAME

NAME_CASES: list[tuple[str, list[str], list[tuple[int, str, str]]]] = [
    ("linear", ["x = 1", "print(x)"], []),
    ("later definition", ["print(x)", "x = 1"], [(0, "x", UBD)]),
    ("no definition", ["print(missing)"], [(0, "missing", UND)]),
    ("same cell, use then def", ["print(n)\nn = 1"], [(0, "n", UBD)]),
    ("builtins and IPython names", ["print(len([]))\ndisplay(1)\nIn, Out, get_ipython()"], []),
    ("import below use", ["math.pi", "import math"], [(0, "math", UBD)]),
    ("dotted import binds the package", ["import os.path", "os.getcwd()"], []),
    ("import as", ["import numpy as np", "np.zeros(3)"], []),
    ("from import", ["from math import pi as PI", "PI * 2"], []),
    ("star import gives up", ["from math import *", "pi + unknown"], []),
    ("star import gives up only after it", ["a", "from math import *", "b"], [(0, "a", UND)]),
    ("deleted", ["x = 1", "del x", "x"], [(2, "x", UND)]),
    ("deleted then defined again", ["x = 1", "del x", "x", "x = 2"], [(2, "x", UBD)]),
    ("function body needs name at call time", ["def f():\n    return K", "K = 1", "f()"], []),
    (
        "function called before its free name",
        ["def f():\n    return K", "f()", "K = 1"],
        [(1, "K", UBD)],
    ),
    ("function never called", ["def f():\n    return nowhere"], []),
    ("function free name nowhere", ["def f():\n    return nowhere", "f()"], [(1, "nowhere", UND)]),
    (
        "function passed as callback",
        ["def f(v):\n    return v * K", "list(map(f, [1]))"],
        [(1, "K", UND)],
    ),
    (
        "transitive call",
        ["def g():\n    return K", "def f():\n    return g()", "f()"],
        [(2, "K", UND)],
    ),
    ("recursion", ["def f(n):\n    return f(n - 1) if n else 0", "f(3)"], []),
    (
        "parameters and locals",
        ["def f(a, *args, b=1, **kw):\n    c = a + b\n    return c, args, kw", "f(1)"],
        [],
    ),
    ("default evaluated at def time", ["def f(a=LIMIT):\n    return a"], [(0, "LIMIT", UND)]),
    ("decorator evaluated at def time", ["@register\ndef f():\n    pass"], [(0, "register", UND)]),
    (
        "global assignment in function defines",
        ["def setup():\n    global CFG\n    CFG = 1", "setup()", "CFG"],
        [],
    ),
    (
        "comprehension variables are local",
        ["[i * 2 for i in range(3)]", "{k: v for k, v in {}.items()}"],
        [],
    ),
    (
        "comprehension free name",
        ["[i * scale for i in range(3)]", "scale = 2"],
        [(0, "scale", UBD)],
    ),
    (
        "walrus binds outside comprehension",
        ["[y := 5, y]", "[(z := i) for i in range(3)]", "z"],
        [],
    ),
    ("for target", ["for i in range(3):\n    pass", "i"], []),
    (
        "loop body sees its own bindings",
        ["for i in range(3):\n    if i:\n        print(prev)\n    prev = i"],
        [],
    ),
    ("with as", ["with open(__file__) as fh:\n    pass", "fh"], []),
    (
        "except as is unbound after the handler",
        ["try:\n    1 / 0\nexcept ZeroDivisionError as err:\n    pass", "err"],
        [(1, "err", UND)],
    ),
    ("guarded by except NameError", ["try:\n    counter\nexcept NameError:\n    counter = 0"], []),
    ("guarded by bare except", ["try:\n    cfg\nexcept:\n    cfg = {}"], []),
    ("augmented assignment needs the name", ["total += 1"], [(0, "total", UND)]),
    ("augmented assignment after def", ["total = 0", "total += 1"], []),
    (
        "class body runs now, methods later",
        ["class A:\n    k = BASE\n    def m(self):\n        return LATER", "BASE = 1"],
        [(0, "BASE", UBD)],
    ),
    (
        "class methods need names when the class is used",
        ["class A:\n    def m(self):\n        return LATER", "A().m()"],
        [(1, "LATER", UND)],
    ),
    ("lambda assigned is deferred", ["f = lambda v: v * K", "K = 2", "f(1)"], []),
    ("lambda argument runs now", ["sorted([1], key=lambda v: v * K)", "K = 2"], [(0, "K", UBD)]),
    ("line magic is transformed", ["%matplotlib inline\nx = 1", "x"], []),
    ("time magic statement defines", ["%time y = 2", "y"], []),
    (
        "time cell magic body is analysed",
        ["%%time\nz = 2\nprint(z)", "z", "print(w)"],
        [(2, "w", UND)],
    ),
    (
        "blank lines before a cell magic (IPython drops them)",
        ["\n  \n%%time\nz = 2", "z", "print(w)"],
        [(2, "w", UND)],
    ),
    ("blank line before a bash cell magic", ["\n%%bash\nx=1", "x"], [(1, "x", UND)]),
    ("capture cell magic defines its variable", ["%%capture out\nprint(1)", "out.stdout"], []),
    ("bash cell magic is opaque", ["%%bash\necho $HOME"], []),
    ("shell escape assignment", ["files = !ls", "len(files)"], []),
    ("run magic gives up", ["%run setup.py", "from_setup"], []),
    ("exec gives up", ["exec('q = 1')", "q"], []),
    ("pylab gives up", ["%pylab inline", "plot(arange(3))"], []),
    ("IPython history names", ["print(_5, _i5, _ii)"], []),
    ("attribute assignment needs the base", ["cfg.x = 1"], [(0, "cfg", UND)]),
    ("one finding per name and cell", ["print(a, a)\nprint(a)"], [(0, "a", UND)]),
    ("syntax error cell makes undefined names uncertain", ["def broken(:", "anything"], []),
    ("annotations are not needed", ["def f(x: SomeType) -> Other:\n    return x", "f(1)"], []),
    (
        "nonlocal is not global",
        [
            "def outer():\n    v = 1\n    def inner():\n        nonlocal v\n        v += 1\n    inner()\n    return v",
            "outer()",
        ],
        [],
    ),
    ("async def is deferred", ["async def fetch():\n    return URL", "URL = 'x'", "fetch"], []),
    (
        "method defaults run at class time",
        ["class A:\n    def m(self, k=K):\n        return k", "K = 1"],
        [(0, "K", UBD)],
    ),
    ("class attribute used by a later class statement", ["class A:\n    k = 1\n    j = k + 1"], []),
    (
        "nested function reads the outer local",
        [
            "def outer():\n    v = 1\n    def inner():\n        return v + W\n    return inner()",
            "outer()",
        ],
        [(1, "W", UND)],
    ),
    (
        "global in a nested function",
        [
            "def outer():\n    def inner():\n        global G\n        G = 1\n    inner()",
            "outer()",
            "G",
        ],
        [],
    ),
    ("lambda defaults run now", ["f = lambda v=D: v"], [(0, "D", UND)]),
    (
        "dict comprehension over a later name",
        ["{k: v for k, v in pairs}", "pairs = []"],
        [(0, "pairs", UBD)],
    ),
    ("starred and tuple targets", ["a, *rest = [1, 2, 3]\n[x, y] = 1, 2", "a, rest, x, y"], []),
    ("annotated assignment", ["limit: int = 3", "bare: int", "limit"], []),
    ("while test runs before the body", ["while not done:\n    done = True"], [(0, "done", UBD)]),
    (
        "try finally and raise from",
        ["try:\n    pass\nfinally:\n    cleanup = 1", "cleanup", "raise ValueError() from cause"],
        [(2, "cause", UND)],
    ),
    ("assert reads its names", ["assert ready, message"], [(0, "ready", UND), (0, "message", UND)]),
    ("walrus in a function is local", ["def f():\n    if (n := 3):\n        return n", "f()"], []),
    (
        "match captures",
        ["match [1, 2]:\n    case [first, *rest]:\n        pass", "first, rest"],
        [],
    ),
]


@pytest.mark.parametrize(
    ("title", "sources", "expected"), NAME_CASES, ids=[case[0] for case in NAME_CASES]
)
def test_name_problems(
    title: str, sources: list[str], expected: list[tuple[int, str, str]]
) -> None:
    assert problems(*sources) == expected


COUNT_CASES: list[tuple[str, list[int | None], bool, list[int], list[int]]] = [
    # (title, counts, out of order, gap cells, unexecuted cells)
    ("linear", [1, 2, 3], False, [], []),
    ("gaps only", [3, 4, 6], False, [2], []),
    ("out of order", [1, 3, 2], True, [1], []),
    ("rerun at the top", [5, 1, 2], True, [], []),
    ("stripped", [None, None], False, [], []),
    ("partly unexecuted", [1, None, 2], False, [], [1]),
]


@pytest.mark.parametrize(
    ("title", "counts", "out_of_order", "gaps", "unexecuted"),
    COUNT_CASES,
    ids=[case[0] for case in COUNT_CASES],
)
def test_execution_counts(
    title: str, counts: list[int | None], out_of_order: bool, gaps: list[int], unexecuted: list[int]
) -> None:
    nb = make_nb([make_cell(source=f"v{i} = {i}", execution_count=c) for i, c in enumerate(counts)])
    analysis = analyze_notebook(nb, "nb.ipynb")
    assert analysis.out_of_order is out_of_order
    assert analysis.gaps == gaps
    assert analysis.unexecuted == unexecuted
    assert ("out_of_order" in analysis.warnings) is out_of_order
    assert ("unexecuted_cells" in analysis.warnings) is bool(unexecuted)
    severities = {f.rule: f.severity for f in analysis.findings}
    if gaps:
        assert severities[COUNT_GAP] is Severity.NOTE  # a gap alone is normal
    if out_of_order:
        assert severities[OUT_OF_ORDER] is Severity.WARNING


def test_output_without_count_and_markdown_indexes() -> None:
    nb = make_nb(
        [
            make_cell("markdown", "# title"),
            make_cell(
                source="print(1)",
                outputs=[{"output_type": "stream", "name": "stdout", "text": "1\n"}],
            ),
            make_cell(source="y", execution_count=1),
        ]
    )
    analysis = analyze_notebook(nb, "nb.ipynb")
    rules = {(f.rule, f.cell_index) for f in analysis.findings}
    assert (OUTPUT_WITHOUT_COUNT, 1) in rules
    assert (UNDEFINED_NAME, 2) in rules  # indexes count the markdown cell
    assert (UNEXECUTED, 1) not in rules  # it has outputs: reported as such instead
    finding = next(f for f in analysis.findings if f.rule == UNDEFINED_NAME)
    assert finding.location == "nb.ipynb:cell 3:1"
    assert finding.cell_id == "cell-2"


def test_findings_carry_disk_lines(tmp_path: Path) -> None:
    nb = make_nb([make_cell(source="a = 1\nprint(b)\n"), make_cell(source="b = 2")])
    path = write_nb(tmp_path / "nb.ipynb", nb)
    nbfile = read_notebook(path)
    analysis = analyze_notebook(nbfile.nb, str(path), nbfile.text)
    (finding,) = [f for f in analysis.findings if f.rule == USE_BEFORE_DEF]
    assert finding.line == 2
    disk_lines = nbfile.text.splitlines()
    assert "print(b)" in disk_lines[(finding.json_line or 0) - 1]
    assert "cell 2 below" in finding.message


def test_every_static_rule_is_reported_with_its_registered_severity() -> None:
    """One notebook with each problem: each rule is found, and each finding's severity is the
    one its registered rule declares (what SARIF's defaultConfiguration and the GitHub title
    come from)."""
    stored = {"output_type": "stream", "name": "stdout", "text": "1\n"}
    nb = make_nb(
        [
            make_cell(source="print(late)", execution_count=3),
            make_cell(source="late = 1", execution_count=1),
            make_cell(source="x = 2"),
            make_cell(source="y = 3", outputs=[stored]),
            make_cell(source="print(nowhere)", execution_count=7),
        ]
    )
    findings = analyze_notebook(nb, "nb.ipynb").findings
    assert [(f.rule, f.cell_index) for f in findings] == [
        (USE_BEFORE_DEF, 0),
        (OUT_OF_ORDER, 1),
        (UNEXECUTED, 2),
        (OUTPUT_WITHOUT_COUNT, 3),
        (COUNT_GAP, 4),
        (UNDEFINED_NAME, 4),
    ]
    assert [f.severity for f in findings] == [rule_for(f.rule).severity for f in findings]
    assert all(rule_for(f.rule).summary != f.rule for f in findings)  # registered, not stand-ins


def test_events_and_fallback_transform() -> None:
    events = cell_events("x = y + 1")
    assert events is not None
    assert [(e.kind, e.name) for e in events] == [(USE, "y"), (DEF, "x")]
    assert cell_events("def (:") is None
    star = cell_events("from os import *")
    assert star is not None and star[0].kind == GIVE_UP
    assert "get_ipython()" in to_python("!ls\n")


def test_nbformat3_notebook() -> None:
    nb = {
        "nbformat": 3,
        "nbformat_minor": 0,
        "worksheets": [
            {
                "cells": [
                    {"cell_type": "code", "input": "print(z)", "prompt_number": 2, "outputs": []},
                    {"cell_type": "code", "input": "z = 1", "prompt_number": 1, "outputs": []},
                ]
            }
        ],
        "metadata": {},
    }
    analysis = analyze_notebook(nb, "old.ipynb", json.dumps(nb))
    assert analysis.out_of_order
    assert [(f.rule, f.cell_index) for f in analysis.findings if f.rule == USE_BEFORE_DEF] == [
        (USE_BEFORE_DEF, 0)
    ]


@pytest.mark.shared
def test_corpus_static_labels() -> None:
    """The stored-count warnings of every labelled notebook, and name problems where
    the static analysis alone can see them."""
    root = shared_path("corpus", "hidden-state")
    labels = json.loads((root / "labels.json").read_text(encoding="utf-8"))["notebooks"]
    for name, label in labels.items():
        nbfile = read_notebook(root / name)
        analysis = analyze_notebook(nbfile.nb, name, nbfile.text)
        assert sorted(analysis.warnings) == sorted(label["warnings"]), name
        name_errors = [f for f in analysis.findings if f.rule in (USE_BEFORE_DEF, UNDEFINED_NAME)]
        failure = label["failure"] or {}
        if failure.get("ename") == "NameError":
            assert name_errors and name_errors[0].cell_index == label["first_divergent_cell"], name
        else:
            assert not name_errors, (name, [f.message for f in name_errors])


def test_static_import_is_cheap() -> None:
    import subprocess
    import sys

    code_ = (
        "import sys, nbtools.hidden_state.static, nbtools.hidden_state.verdict;"
        "print(sorted(m for m in ('nbclient', 'nbformat', 'jupyter_client', 'IPython') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code_], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("source", "rereads"),
    [
        ("balance += 100", {"balance"}),
        ("for _ in range(2):\n    n += 1", {"n"}),
        ("words = sorted(words) + ['c']", {"words"}),
        ("sample = [random.randint(1, 6) for _ in range(5)]", {"random"}),
        ("import statistics\nstatistics.mean(times)", set()),
        ("x = 1\nx += 1", set()),
        ("print(items)", set()),
    ],
)
def test_cells_that_update_what_they_read(source: str, rereads: set[str]) -> None:
    """Such a cell gives another result when run twice (with a count gap, a likely cause)."""
    analysis = analyze_notebook(code(source), "nb.ipynb")
    assert analysis.rereads.get(0, set()) == rereads


def test_only_python_notebooks_get_the_def_use_analysis() -> None:
    r_nb = make_nb(
        [make_cell(source="x <- 5", execution_count=2), make_cell(source="x", execution_count=1)],
        metadata={"kernelspec": {"name": "ir", "language": "R", "display_name": "R"}},
    )
    analysis = analyze_notebook(r_nb, "r.ipynb")
    assert analysis.out_of_order  # the counts mean the same in any language
    assert not [f for f in analysis.findings if f.rule in (USE_BEFORE_DEF, UNDEFINED_NAME)]
    py_nb = make_nb([make_cell(source="x")], metadata={"language_info": {"name": "python"}})
    assert analyze_notebook(py_nb, "p.ipynb").problems


def test_known_names_from_the_kernel() -> None:
    nb = code("spark.range(3).count()", "dbutils.fs.ls('/')")
    assert len(analyze_notebook(nb, "nb.ipynb").problems) == 2
    assert not analyze_notebook(nb, "nb.ipynb", known_names=["spark", "dbutils"]).problems


def test_absurd_nesting_is_unreadable_not_a_crash() -> None:
    deep = "x = " + "[" * 5000 + "]" * 5000
    assert cell_events(deep) is None
    analysis = analyze_notebook(code(deep, "undefined_after"), "nb.ipynb")
    assert analysis.unparsable == [0]
    assert not analysis.problems  # an unreadable cell may define anything


def test_summary_to_dict_and_problem_lookup() -> None:
    nb = make_nb(
        [
            make_cell(source="print(late)", execution_count=2),
            make_cell(source="late = 1", execution_count=1),
            make_cell(source="extra = 2"),
        ]
    )
    analysis = analyze_notebook(nb, "nb.ipynb")
    assert analysis.to_dict() == {
        "out_of_order": True,
        "execution_counts": "2, 1",
        "gaps": [],
        "unexecuted_cells": [2],
        "warnings": ["out_of_order", "unexecuted_cells"],
    }
    problem = analysis.problem_for(0, "late")
    assert problem is not None and problem.defined_in == 1
    assert analysis.problem_for(5, "late") is problem  # found by name from another cell
    assert analysis.problem_for(0, "other") is None
