"""Verdicts from real fresh runs: the labelled hidden-state corpus end to end, and
small notebooks built here. Runs use real ipykernel kernels through nbclient, one
fresh kernel per run (each its own process, so hash randomization differs)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import make_cell, make_nb, shared_path

from nbtools.findings import Severity, all_rules
from nbtools.hidden_state.static import analyze_notebook
from nbtools.hidden_state.verdict import (
    NotebookVerdict,
    Verdict,
    decide,
    needs_second_run,
)
from nbtools.notebook import read_notebook, tags_of
from nbtools.runs import CellRun, CellStatus, NotebookRun


def fresh_run(nb: dict[str, Any], cwd: Path) -> NotebookRun:
    """Execute ``nb`` top to bottom on a new kernel and convert it to a NotebookRun."""
    import nbformat
    from nbclient import NotebookClient

    for attempt in range(2):
        node = nbformat.reads(json.dumps(nb), as_version=4)  # joins list sources
        client = NotebookClient(
            node,
            kernel_name="python3",
            timeout=120,
            startup_timeout=240,  # the 2 shared cores can be very busy
            allow_errors=True,
            resources={"metadata": {"path": str(cwd)}},
        )
        try:
            client.execute()
            break
        except (RuntimeError, asyncio.CancelledError, TimeoutError):
            if attempt:  # a kernel that did not start twice is a real failure
                raise
    executed = json.loads(nbformat.writes(node))
    run = NotebookRun(executed_nb=executed)
    stopped = False
    for index, cell in enumerate(executed["cells"]):
        if cell["cell_type"] != "code":
            continue
        if stopped:  # an executor stops at the first unexpected error
            run.cells[index] = CellRun(index, CellStatus.NOT_RUN)
            continue
        errors = [o for o in cell["outputs"] if o["output_type"] == "error"]
        status = CellStatus.OK
        if errors:
            expected = "raises-exception" in tags_of(cell)
            status = CellStatus.EXPECTED_ERROR if expected else CellStatus.ERROR
            stopped = status is CellStatus.ERROR
        run.cells[index] = CellRun(
            index,
            status,
            outputs=cell["outputs"],
            ename=errors[0]["ename"] if errors else None,
            evalue=errors[0]["evalue"] if errors else None,
            traceback=errors[0]["traceback"] if errors else [],
        )
    return run


def judge(path: Path, repeat: int = 2) -> tuple[NotebookVerdict, list[NotebookRun]]:
    nbfile = read_notebook(path)
    static = analyze_notebook(nbfile.nb, str(path), nbfile.text)
    runs = [fresh_run(nbfile.nb, path.parent) for _ in range(repeat)]
    return decide(nbfile.nb, str(path), static, runs), runs


# -- the labelled corpus ------------------------------------------------------


def _corpus() -> tuple[Path, dict[str, Any]]:
    root = shared_path("corpus", "hidden-state")
    return root, json.loads((root / "labels.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def corpus_verdicts() -> dict[str, tuple[NotebookVerdict, list[NotebookRun], Any]]:
    """Each corpus notebook judged once with two fresh runs (reused by every test)."""
    root, labels = _corpus()
    results = {}
    for name in sorted(labels["notebooks"]):
        nbfile = read_notebook(root / name)
        verdict, runs = judge(root / name)
        results[name] = (verdict, runs, nbfile)
    return results


def _names() -> list[str]:
    try:
        return sorted(_corpus()[1]["notebooks"])
    except pytest.skip.Exception:
        return ["corpus-absent"]


@pytest.mark.shared
@pytest.mark.slow
@pytest.mark.kernel
@pytest.mark.parametrize("name", _names())
def test_corpus_verdict(name: str, corpus_verdicts: dict[str, Any]) -> None:
    _, labels = _corpus()
    label = labels["notebooks"][name]
    verdict, _, _ = corpus_verdicts[name]
    assert verdict.verdict == label["expected_verdict"], verdict.reason
    assert verdict.first_divergent_cell == label["first_divergent_cell"], verdict.reason
    assert verdict.first_divergent_cell_id == label["first_divergent_cell_id"]
    assert verdict.first_hidden_state_cell == label["first_hidden_state_cell"]
    assert sorted(verdict.warnings) == sorted(label["warnings"])
    nondeterministic = [c.index for c in verdict.cells if c.nondeterministic and c.divergent]
    assert nondeterministic == label["nondeterministic_cells"]
    if label["failure"] and label["failure"]["kind"] == "error":
        failing = next(c for c in verdict.cells if c.index == label["first_divergent_cell"])
        assert failing.ename == label["failure"]["ename"]
    data = verdict.to_dict()
    assert json.loads(json.dumps(data)) == data  # JSON-ready
    assert type(data["verdict"]) is str and Verdict(data["verdict"]) is verdict.verdict
    assert data["reason"].endswith((")", ".", "`")) or data["reason"][-1].isalnum()
    if verdict.verdict not in (Verdict.PASS,):
        assert verdict.reason and "cell" in verdict.reason


@pytest.mark.shared
@pytest.mark.slow
@pytest.mark.kernel
@pytest.mark.parametrize("name", _names())
def test_corpus_second_run_advice(name: str, corpus_verdicts: dict[str, Any]) -> None:
    """A second run is asked for exactly when one run leaves a mismatch unexplained."""
    _, labels = _corpus()
    label = labels["notebooks"][name]
    _, runs, nbfile = corpus_verdicts[name]
    static = analyze_notebook(nbfile.nb, name)
    one = decide(nbfile.nb, name, static, runs[:1])
    needed = needs_second_run(nbfile.nb, static, runs[0])
    if label["expected_verdict"] in (Verdict.PASS, Verdict.PASS_WITH_WARNINGS, Verdict.FAIL_ERROR):
        assert not needed
        assert one.verdict == label["expected_verdict"]
    elif label["expected_verdict"] == Verdict.FAIL_MISMATCH:
        assert needed
        assert one.verdict == Verdict.FAIL_MISMATCH
    if not needed:
        assert one.verdict == label["expected_verdict"]


REASON_WORDS = {
    "b01_helper_defined_below.ipynb": ["cell 3", "NameError", "`tidy`", "cell 4", "1, 3, 2"],
    "b02_threshold_changed_below.ipynb": ["cell 4", "cell 5", "`threshold`", "5 values above 5"],
    "b04_nonidempotent_cell_run_twice.ipynb": ["cell 3", "`balance`", "from 1 to 3"],
    "b05_inplace_sort_below.ipynb": ["cell 2", "cell 3", "`readings`"],
    "c01_deleted_constant.ipynb": ["cell 3", "`SCALE`", "no cell defines"],
    "c03_edited_not_rerun.ipynb": ["cell 2", "`rate`", "cell 1", "edited"],
    "c04_deleted_filter_cell.ipynb": ["cell 3", "from 1 to 3"],
    "c05_deleted_import_used_in_function.ipynb": ["`json`", "`to_payload`", "cell 1"],
    "d03_memory_address_repr.ipynb": ["addresses", "not hidden state"],
    "d05_set_of_strings_order.ipynb": ["two fresh runs"],
}


@pytest.mark.shared
@pytest.mark.slow
@pytest.mark.kernel
@pytest.mark.parametrize("name", sorted(REASON_WORDS))
def test_corpus_reasons_name_cell_and_name(name: str, corpus_verdicts: dict[str, Any]) -> None:
    verdict, _, _ = corpus_verdicts[name]
    for word in REASON_WORDS[name]:
        assert word in verdict.reason


# -- small notebooks built here -------------------------------------------------


def _out(text: str) -> dict[str, Any]:
    return {"output_type": "stream", "name": "stdout", "text": text}


def _result(text: str, count: int) -> dict[str, Any]:
    return {
        "output_type": "execute_result",
        "execution_count": count,
        "data": {"text/plain": text},
        "metadata": {},
    }


CASES = [
    (
        "linear, reproduced",
        [
            make_cell(source="x = 2", execution_count=1),
            make_cell(source="print(x * 2)", execution_count=2, outputs=[_out("4\n")]),
        ],
        Verdict.PASS,
        None,
    ),
    (
        "timings reproduce but vary",
        [
            make_cell(
                source="%time y = sum(range(10))\nprint(y)",
                execution_count=1,
                outputs=[
                    _out("CPU times: user 3 µs, sys: 1 µs, total: 4 µs\nWall time: 5.2 µs\n45\n")
                ],
            )
        ],
        Verdict.NONDETERMINISTIC,
        0,
    ),
    (
        "stale result",
        [
            make_cell(source="x = 2", execution_count=1),
            make_cell(source="x + 1", execution_count=2, outputs=[_result("4", 2)]),
        ],
        Verdict.FAIL_MISMATCH,
        1,
    ),
    (
        "ordinary error",
        [make_cell(source="import os\nos.listdir('/no/such/dir')", execution_count=1)],
        Verdict.FAIL_ERROR,
        0,
    ),
    (
        "uuid is nondeterministic",
        [
            make_cell(
                source="import uuid\nprint(uuid.uuid4())",
                execution_count=1,
                outputs=[_out("0b5e7f3c-3d6e-4c1a-9d38-5a1f9c2e7b10\n")],
            )
        ],
        Verdict.NONDETERMINISTIC,
        0,
    ),
    (
        "same-cell use before def",
        [make_cell(source="print(n)\nn = 1", execution_count=2, outputs=[_out("1\n")])],
        Verdict.FAIL_ERROR,
        0,
    ),
]


@pytest.mark.kernel
@pytest.mark.parametrize(("title", "cells", "expected", "first"), CASES, ids=[c[0] for c in CASES])
def test_small_notebooks(
    tmp_path: Path, title: str, cells: list[dict[str, Any]], expected: str, first: int | None
) -> None:
    nb = make_nb(cells)
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    verdict, _ = judge(path)
    assert verdict.verdict == expected, verdict.reason
    assert verdict.first_divergent_cell == first


@pytest.mark.kernel
def test_same_cell_reason_says_it_ran_twice(tmp_path: Path) -> None:
    nb = make_nb([make_cell(source="print(n)\nn = 1", execution_count=2, outputs=[_out("1\n")])])
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    verdict, _ = judge(path, repeat=1)
    assert "same cell" in verdict.reason
    assert "`n`" in verdict.reason


def test_decide_needs_a_run() -> None:
    nb = make_nb([make_cell(source="1")])
    with pytest.raises(ValueError, match="at least one"):
        decide(nb, "nb.ipynb", analyze_notebook(nb, "nb.ipynb"), [])


# -- hand-built runs (the NotebookRun contract, as the executor fills it) ---------


def _nb_two_cells() -> dict[str, Any]:
    return make_nb(
        [
            make_cell("markdown", "# t"),
            make_cell(source="x = 1\nx", execution_count=1, outputs=[_result("1", 1)]),
            make_cell(source="print(x)", execution_count=2, outputs=[_out("1\n")]),
        ]
    )


def _run(*cells: CellRun, failure: str | None = None) -> NotebookRun:
    return NotebookRun(cells={c.index: c for c in cells}, failure=failure)


OK1 = CellRun(1, CellStatus.OK, [_result("1", 1)])
OK2 = CellRun(2, CellStatus.OK, [_out("1\n")])


@pytest.mark.parametrize(
    ("title", "runs", "verdict", "first", "words"),
    [
        ("reproduced", [_run(OK1, OK2)], Verdict.PASS, None, ["reproduced"]),
        (
            "kernel died",
            [_run(OK1, CellRun(2, CellStatus.KERNEL_DIED), failure="kernel died (exit -9)")],
            Verdict.FAIL_ERROR,
            2,
            ["kernel died", "cell 3", "exit -9"],
        ),
        (
            "timeout",
            [_run(OK1, CellRun(2, CellStatus.TIMEOUT))],
            Verdict.FAIL_ERROR,
            2,
            ["cell 3 timed out"],
        ),
        (
            "start failure",
            [_run(failure="no such kernel: py99")],
            Verdict.FAIL_ERROR,
            None,
            ["py99"],
        ),
        (
            "flaky error in the second run",
            [
                _run(OK1, OK2),
                _run(OK1, CellRun(2, CellStatus.ERROR, ename="OSError", evalue="busy")),
            ],
            Verdict.FAIL_ERROR,
            2,
            ["run 2 only", "OSError (busy)"],
        ),
        (
            "mismatch before the error",
            [
                _run(
                    CellRun(1, CellStatus.OK, [_result("2", 1)]),
                    CellRun(2, CellStatus.ERROR, ename="KeyError", evalue="'k'"),
                )
            ],
            Verdict.FAIL_ERROR,
            1,
            ["cell 3 raised KeyError", "cell 2 already differed", "stored outputs show no error"],
        ),
        (
            "one run, unexplained mismatch",
            [_run(CellRun(1, CellStatus.OK, [_result("2", 1)]), OK2)],
            Verdict.FAIL_MISMATCH,
            1,
            ["stored `1`, fresh `2`", "run twice"],
        ),
        (
            "two runs disagree",
            [
                _run(CellRun(1, CellStatus.OK, [_result("2", 1)]), OK2),
                _run(CellRun(1, CellStatus.OK, [_result("3", 1)]), OK2),
            ],
            Verdict.NONDETERMINISTIC,
            1,
            ["two fresh runs"],
        ),
        (
            "skipped cells are not compared",
            [_run(OK1, CellRun(2, CellStatus.SKIPPED))],
            Verdict.PASS,
            None,
            [],
        ),
    ],
)
def test_decide_from_built_runs(
    title: str, runs: list[NotebookRun], verdict: str, first: int | None, words: list[str]
) -> None:
    nb = _nb_two_cells()
    result = decide(nb, "nb.ipynb", analyze_notebook(nb, "nb.ipynb"), runs)
    assert result.verdict == verdict, result.reason
    assert result.first_divergent_cell == first
    for word in words:
        assert word in result.reason
    reported = result.verdict.finding  # the finding `nbtools run` adds for the verdict
    if result.verdict in (Verdict.PASS, Verdict.PASS_WITH_WARNINGS, Verdict.FAIL_ERROR):
        assert reported is None  # a pass adds none; a failing cell reports itself (run/error)
    else:
        assert reported is not None
        rule, severity = reported
        assert severity is all_rules()[rule].severity  # a rule nbtools defines, as defined
        nondeterministic = result.verdict is Verdict.NONDETERMINISTIC
        assert severity is (Severity.WARNING if nondeterministic else Severity.ERROR)


def test_needs_second_run_only_for_unconfirmed_mismatches() -> None:
    nb = _nb_two_cells()
    static = analyze_notebook(nb, "nb.ipynb")
    differs = _run(CellRun(1, CellStatus.OK, [_result("2", 1)]), OK2)
    assert needs_second_run(nb, static, differs)
    assert not needs_second_run(nb, static, _run(OK1, OK2))
    failed = _run(OK1, CellRun(2, CellStatus.ERROR, ename="E", evalue="v"))
    assert not needs_second_run(nb, static, failed)
    volatile_nb = make_nb(
        [make_cell(source="o", execution_count=1, outputs=[_result("<O at 0x7f0000000001>", 1)])]
    )
    volatile_run = _run(CellRun(0, CellStatus.OK, [_result("<O at 0x7f0000000abc>", 1)]))
    assert not needs_second_run(volatile_nb, analyze_notebook(volatile_nb, "v"), volatile_run)


def test_stored_same_error_suggests_the_tag() -> None:
    err = {"output_type": "error", "ename": "ValueError", "evalue": "bad", "traceback": []}
    nb = make_nb([make_cell(source="raise ValueError('bad')", execution_count=1, outputs=[err])])
    run = _run(CellRun(0, CellStatus.ERROR, [err], ename="ValueError", evalue="bad"))
    result = decide(nb, "nb.ipynb", analyze_notebook(nb, "nb.ipynb"), [run])
    assert result.verdict == Verdict.FAIL_ERROR
    assert "raises-exception" in result.reason
    tagged = make_nb(
        [
            make_cell(
                source="raise ValueError('bad')",
                execution_count=1,
                outputs=[err],
                metadata={"tags": ["raises-exception"]},
            )
        ]
    )
    expected = _run(CellRun(0, CellStatus.EXPECTED_ERROR, [err], ename="ValueError", evalue="bad"))
    assert decide(tagged, "t", analyze_notebook(tagged, "t"), [expected]).verdict == Verdict.PASS


def test_a_verdict_is_its_word_in_json_and_text() -> None:
    """Reports, the pytest plugin and the run cache hold verdicts as plain words."""
    for verdict in Verdict:
        assert verdict == verdict.value and json.dumps(verdict) == f'"{verdict.value}"'
        assert str(verdict) == f"{verdict}" == verdict.value
    assert Verdict("fail_mismatch") is Verdict.FAIL_MISMATCH
