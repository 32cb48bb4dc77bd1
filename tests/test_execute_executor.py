"""The executor on real ipykernel kernels (forked and launched): every way a run ends."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest
from conftest import make_cell, make_nb

from nbtools.execute import reaper
from nbtools.execute.executor import ExecOptions, execute_notebook
from nbtools.execute.kernels import LocalKernelFactory
from nbtools.execute.process import KernelRequest, kernel_environment
from nbtools.execute.reaper import pid_alive
from nbtools.runs import CellStatus, FailureKind

pytestmark = pytest.mark.kernel


def descendants(root: int) -> set[int]:
    """Live (non-zombie) processes below ``root`` (the reaper's own /proc walk)."""
    return set(reaper.descendants(root))


@pytest.fixture(params=["fork", "launch"], scope="module")
def factory(request: Any) -> Iterator[LocalKernelFactory]:
    with LocalKernelFactory(use_forkserver=request.param == "fork") as made:
        yield made


def run(factory: LocalKernelFactory, cells: list[dict[str, Any]], cwd: str = "/", **options: Any):  # type: ignore[no-untyped-def]
    env = kernel_environment({"NBTOOLS_TEST": "yes"})
    kernel = factory(KernelRequest("python3", cwd, env))
    result = execute_notebook(make_nb(cells), kernel, ExecOptions(**options))
    assert not kernel.is_alive()
    return result


def statuses(result: Any) -> list[str]:
    return [result.cells[i].status.value for i in sorted(result.cells)]


CASES = [
    # (cells, options, expected statuses, failure substring or None)
    ([make_cell(source="x = 1"), make_cell(source="print(x)")], {}, ["ok", "ok"], None),
    (
        [make_cell(source="1/0"), make_cell(source="y = 2")],
        {},
        ["error", "not_run"],
        None,
    ),
    (
        [make_cell(source="1/0"), make_cell(source="undefined")],
        {"keep_going": True},
        ["error", "error"],
        None,
    ),
    (
        [make_cell(source="1/0", metadata={"tags": ["raises-exception"]}), make_cell(source="2")],
        {},
        ["expected_error", "ok"],
        None,
    ),
    (
        [make_cell(source="1/0", metadata={"tags": ["skip-execution"]}), make_cell(source="")],
        {},
        ["skipped", "skipped"],
        None,
    ),
    (
        [make_cell(source="import time; time.sleep(1e6)"), make_cell(source="2")],
        {"cell_timeout": 1},
        ["timeout", "not_run"],
        "cell 1 timed out",
    ),
    (
        [make_cell(source="x = 1"), make_cell(source="import time; time.sleep(1e6)")],
        {"notebook_timeout": 1.5, "cell_timeout": None},
        ["ok", "timeout"],
        "notebook timed out",
    ),
    (
        [make_cell(source="import ctypes; ctypes.string_at(0)"), make_cell(source="2")],
        {},
        ["kernel_died", "not_run"],
        "kernel died while running cell 1",
    ),
    ([make_cell(source="import os; os._exit(1)")], {}, ["kernel_died"], "kernel died"),
    (
        # what the out-of-memory killer does to a kernel
        [make_cell(source="import os, signal; os.kill(os.getpid(), signal.SIGKILL)")],
        {},
        ["kernel_died"],
        "kernel died",
    ),
    (
        [make_cell(source="while True: print('x' * 10000)")],
        {"max_output_bytes": 200_000},
        ["output_limit"],
        "passed --max-output-bytes (200.0 KB, a cap for all outputs of the notebook together) in cell 1",
    ),
    (
        # one big print in the last cell: its reply comes before nbtools stops the kernel
        [make_cell(source="x = 1"), make_cell(source="print('x' * 3_000_000)")],
        {"max_output_bytes": 1_000_000},
        ["ok", "output_limit"],
        "in cell 2, which printed 3.0 MB",
    ),
    (
        # in a middle cell: that cell is blamed, not the next one, and nothing after it runs
        [
            make_cell(source="print('a' * 600_000)"),
            make_cell(source="print('x' * 3_000_000)"),
            make_cell(source="print('after')"),
        ],
        {"max_output_bytes": 1_000_000},
        ["ok", "output_limit", "not_run"],
        "in cell 2, which printed 3.0 MB after cell 1 (600.0 KB)",
    ),
]


@pytest.mark.parametrize(("cells", "options", "expected", "failure"), CASES)
def test_every_way_a_run_ends(
    factory: LocalKernelFactory,
    cells: list[dict[str, Any]],
    options: dict[str, Any],
    expected: list[str],
    failure: str | None,
) -> None:
    before = descendants(os.getpid())
    result = run(factory, cells, **options)
    assert statuses(result) == expected
    if failure is None:
        assert result.failure is None and result.failure_kind is None
    else:
        assert result.failure is not None and failure in result.failure
        # the kind travels as data: the status of the cell that stopped the run
        stopped = next(s for s in expected if s in ("timeout", "kernel_died", "output_limit"))
        assert result.failure_kind is FailureKind(stopped.replace("_", "-"))
    # the kernel is gone, and so is anything it started; the fork servers may remain
    assert descendants(os.getpid()) <= before | _servers(factory)


def _servers(factory: LocalKernelFactory) -> set[int]:
    return {server.proc.pid for server in factory._servers.values()}


def test_dropped_output_leaves_a_placeholder_and_no_death(factory: LocalKernelFactory) -> None:
    cells = [make_cell(source="print('a' * 500)"), make_cell(source="print('x' * 3_000_000)")]
    result = run(factory, cells, max_output_bytes=100_000)
    assert result.failure is not None and "died" not in result.failure
    assert "nbtools stopped the kernel" in result.failure
    [placeholder] = result.cells[1].outputs
    assert placeholder["name"] == "stderr" and "output dropped here" in placeholder["text"]
    assert "a cap for all outputs of the notebook together" in placeholder["text"]
    assert result.first_error is result.cells[1]


def test_errors_carry_name_value_and_traceback(factory: LocalKernelFactory) -> None:
    result = run(factory, [make_cell(source="a = 1\nraise ValueError('bad value')")])
    cell = result.cells[0]
    assert (cell.status, cell.ename, cell.evalue) == (CellStatus.ERROR, "ValueError", "bad value")
    assert any("bad value" in line for line in cell.traceback)
    assert result.first_error is cell


def test_outputs_cwd_and_explicit_environment(factory: LocalKernelFactory, tmp_path: Path) -> None:
    (tmp_path / "helper_mod_for_test.py").write_text("VALUE = 42\n")
    result = run(
        factory,
        [
            make_cell(source="import os; print(os.getcwd())"),
            make_cell(source="print(os.environ.get('NBTOOLS_TEST'), os.environ.get('SECRET_X'))"),
            make_cell(source="import helper_mod_for_test; helper_mod_for_test.VALUE"),
        ],
        cwd=str(tmp_path),
    )
    assert result.cells[0].outputs[0]["text"] == f"{tmp_path}\n"
    # only the minimal environment and what was passed explicitly reach the kernel
    assert result.cells[1].outputs[0]["text"] == "yes None\n"
    assert result.cells[2].outputs[0]["data"]["text/plain"] == "42"
    assert result.executed_nb is not None
    assert result.executed_nb["cells"][2]["outputs"][0]["data"]["text/plain"] == "42"


def test_children_of_the_kernel_are_killed_with_it(
    factory: LocalKernelFactory, tmp_path: Path
) -> None:
    pidfile = tmp_path / "child.pid"
    run(
        factory,
        [
            make_cell(
                source="import subprocess\n"
                "p = subprocess.Popen(['sleep', '1000'])\n"
                f"open({str(pidfile)!r}, 'w').write(str(p.pid))"
            )
        ],
    )
    child = int(pidfile.read_text())
    assert not pid_alive(child)


def test_environment_is_minimal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-for-kernels")
    monkeypatch.setenv("LC_TIME", "C")
    env = kernel_environment({"EXTRA": "1"})
    assert "AWS_SECRET_ACCESS_KEY" not in env
    assert env["LC_TIME"] == "C" and env["EXTRA"] == "1" and env["MPLBACKEND"] == "agg"
    assert env["PATH"] == os.environ["PATH"]


def test_a_python3_kernel_runs_on_this_interpreter(factory: LocalKernelFactory) -> None:
    """Forked or launched, the default kernel is this venv's Python (not another on PATH)."""
    result = run(factory, [make_cell(source="import sys; print(sys.executable, sys.prefix)")])
    assert result.cells[0].outputs[0]["text"] == f"{sys.executable} {sys.prefix}\n"


def test_a_kernel_log_tail_leaves_out_ipykernels_start_banner() -> None:
    from nbtools.execute.process import tail

    banner = (
        "NOTE: When using the `ipython kernel` entry point, Ctrl-C will not work.\n\n"
        "To exit, you will have to explicitly quit this process, by either sending\n"
        '"quit" from a client, or using Ctrl-\\ in UNIX-like environments.\n\n'
        "To read more about this, see https://github.com/ipython/ipython/issues/2049\n\n\n"
        "To connect another client to this kernel, use:\n    --existing kernel-1.json\n"
    )
    assert tail(banner) == ""
    assert tail(banner + "Fatal Python error: Segmentation fault\n") == (
        "Fatal Python error: Segmentation fault"
    )
    assert tail("one\ntwo\n", lines=1) == "two"
