"""``pytest --nbtools``: each notebook is a test item whose outcome is its ``nbtools run`` verdict."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, make_cell, make_nb, write_nb

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.kernel

PLUGIN = ("-p", "nbtools.pytest_plugin", "-p", "no:cacheprovider")


def _nb(root: Path, name: str, *cells: dict[str, Any]) -> Path:
    return write_nb(root / name, make_nb(list(cells)))


def _code(source: str, *tags: str) -> dict[str, Any]:
    return make_cell(source=source, metadata={"tags": list(tags)} if tags else {})


@pytest.fixture
def notebooks(pytester: pytest.Pytester) -> Path:
    root = pytester.path / "nbs"
    _nb(root, "good.ipynb", _code("x = 2"), _code("print(x * 21)"))
    _nb(root, "bad.ipynb", _code("import math"), _code("def f():\n    return 1 / 0\n\nf()"))
    _nb(
        root,
        "tagged.ipynb",
        _code("raise ValueError('documented failure')", "raises-exception"),
        _code("import module_that_is_not_installed", "skip-execution"),
        _code("print('ok')"),
    )
    # a hidden-state bug: cell 1 uses a name that only cell 2 defines
    _nb(root, "order.ipynb", _code("print(total)"), _code("total = 3"))
    return root


def test_each_notebook_is_a_test_and_failures_show_the_cell_and_traceback(
    pytester: pytest.Pytester, notebooks: Path
) -> None:
    result = pytester.runpytest(*PLUGIN, "--nbtools", "nbs")
    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines(
        [
            "*nbs/bad.ipynb::bad.ipynb - fail_error: cell 2 raised ZeroDivisionError*",
            "*nbs/order.ipynb::order.ipynb - fail_error: cell 1 raised NameError*",
        ]
    )
    out = result.stdout.str()
    assert "        return 1 / 0" in out  # the failing cell's source
    assert "ZeroDivisionError: division by zero" in out  # and its traceback
    assert "`total` is only defined by cell 2 below" in out  # nbtools' hidden-state reason
    assert "PASSED" not in out and "tagged.ipynb" not in out.split("short test summary")[1]


def test_k_x_and_junitxml(pytester: pytest.Pytester, notebooks: Path) -> None:
    result = pytester.runpytest(*PLUGIN, "--nbtools", "nbs", "-k", "good or tagged")
    result.assert_outcomes(passed=2, deselected=2)
    result = pytester.runpytest(*PLUGIN, "--nbtools", "nbs", "-x")
    result.assert_outcomes(failed=1)  # bad.ipynb comes first, and stops the session
    junit = pytester.path / "junit.xml"
    pytester.runpytest(*PLUGIN, "--nbtools", "nbs", f"--junitxml={junit}")
    cases = {c.get("name"): c for c in ET.parse(junit).getroot().iter("testcase")}
    assert set(cases) == {"bad.ipynb", "good.ipynb", "order.ipynb", "tagged.ipynb"}
    failure = cases["bad.ipynb"].find("failure")
    assert failure is not None and "ZeroDivisionError" in str(failure.text)
    assert cases["good.ipynb"].find("failure") is None
    verdicts = {
        name: case.find("properties/property[@name='verdict']").get("value")  # type: ignore[union-attr]
        for name, case in cases.items()
    }
    assert verdicts["order.ipynb"] == "fail_error" and verdicts["tagged.ipynb"] == "pass"


def test_works_with_pytest_xdist(pytester: pytest.Pytester, notebooks: Path) -> None:
    result = pytester.runpytest_subprocess(*PLUGIN, "--nbtools", "-n", "2", "nbs")
    result.assert_outcomes(passed=2, failed=2)
    assert "ZeroDivisionError: division by zero" in result.stdout.str()


def test_run_options_and_configuration_are_those_of_nbtools_run(
    pytester: pytest.Pytester,
) -> None:
    _nb(pytester.path, "slow.ipynb", _code("import time\ntime.sleep(30)"))
    result = pytester.runpytest(*PLUGIN, "--nbtools", "--nbtools-run-args=--timeout 1")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*slow.ipynb - fail_error*"])
    assert "run/timeout" in result.stdout.str() or "timed out" in result.stdout.str()
    # [tool.nbtools.run] in pyproject.toml applies as it does to `nbtools run`
    pytester.makepyprojecttoml("[tool.nbtools.run]\ntimeout = 1\n")
    pytester.runpytest(*PLUGIN, "--nbtools").assert_outcomes(failed=1)
    bad = pytester.runpytest(*PLUGIN, "--nbtools", "--nbtools-run-args=--no-such-option")
    assert bad.ret == pytest.ExitCode.USAGE_ERROR
    assert "--nbtools-run-args" in bad.stderr.str()
    # and a pyproject.toml in the tree may narrow, never widen: as for `nbtools run`
    pytester.makepyprojecttoml(f'[tool.nbtools.run]\nkernel = "{sys.executable}"\n')
    widened = pytester.runpytest(*PLUGIN, "--nbtools")
    assert widened.ret == pytest.ExitCode.USAGE_ERROR
    assert "tool.nbtools.run.kernel" in widened.stderr.str() and "refused" in widened.stderr.str()


def test_a_lone_paired_script_is_a_test_and_plain_python_files_are_not(
    pytester: pytest.Pytester,
) -> None:
    pytester.makefile(
        ".py",
        analysis="# ---\n# jupyter:\n#   jupytext:\n#     formats: ipynb,py:percent\n# ---\n\n"
        "# %%\nvalues = [1, 2]\n\n# %%\nprint(values[5])\n",
        helper="import os\n",
    )
    result = pytester.runpytest(*PLUGIN, "--nbtools")  # as found in a folder
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*analysis.py::analysis.py - fail_error*IndexError*"])


def test_without_the_option_nothing_changes(pytester: pytest.Pytester, notebooks: Path) -> None:
    pytester.makepyfile(test_plain="def test_one():\n    assert True\n")
    result = pytester.runpytest(*PLUGIN)
    result.assert_outcomes(passed=1)


def test_the_plugin_imports_nothing_heavy_and_is_registered_for_pytest() -> None:
    code = (
        "import sys, nbtools.pytest_plugin\n"
        "heavy = [m for m in ('nbclient', 'jupyter_client', 'jupytext', 'nbformat') "
        "if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)
    if sys.version_info >= (3, 11):
        import tomllib

        project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
        entry = project["entry-points"]["pytest11"]
        assert entry == {"nbtools.pytest_plugin": "nbtools.pytest_plugin"}


class _Kernel:
    def __init__(self, name: str) -> None:
        self.name, self.killed = name, False

    def is_alive(self) -> bool:
        return not self.killed

    def kill(self) -> None:
        self.killed = True


def test_a_kernel_started_ahead_serves_its_notebook_and_no_other() -> None:
    from nbtools.execute.process import KernelRequest
    from nbtools.pytest_plugin import AheadFactory

    started: list[_Kernel] = []

    def factory(request: KernelRequest) -> Any:
        started.append(_Kernel(request.cwd))
        return started[-1]

    ahead = AheadFactory(factory)
    a, b, c = (KernelRequest("python3", f"/{n}", {}) for n in "abc")
    ahead.prestart(a, wait=True)
    assert ahead.has(KernelRequest("python3", "/a", {})) and not ahead.has(b)
    ahead.prestart(b, wait=True)
    assert ahead(KernelRequest("python3", "/a", {})) is started[0]  # the one started ahead
    other = ahead(c)  # nothing started for it: a new kernel; b's still waits for b
    assert other is started[2] and not started[1].killed
    assert ahead(b) is started[1]
    ahead.prestart(a, wait=True)
    ahead.prestart(b, wait=True)
    ahead.prestart(c, wait=True)  # at most two wait: the oldest (a) is stopped
    assert started[3].killed and not started[4].killed
    ahead.close()  # e.g. -x stopped the session: no kernel started ahead is left running
    assert all(k.killed for k in started[3:]) and len(started) == 6
