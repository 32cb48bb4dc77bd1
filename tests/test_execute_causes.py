"""Causes of run verdicts (#16): the classifier on its own, then real kernels through
``main([...])`` for each cause family."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import stat
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import make_cell, make_nb, write_nb

from nbtools.cli import main
from nbtools.execute.causerules import CAUSES, CauseKind
from nbtools.execute.causes import Context, classify
from nbtools.execute.shell import shell_commands, shell_not_found
from nbtools.execute.specs import kernel_note, unavailable_language
from nbtools.hidden_state.static import analyze_notebook
from nbtools.hidden_state.verdict import decide
from nbtools.runs import CellRun, CellStatus, NotebookRun

REAL = Path(__file__).parent / "fixtures" / "real"
ALL_CAUSES = {
    "hidden-state",
    "missing-package",
    "network",
    "missing-file",
    "kernel-unavailable",
    "shell-command",
    "timeout",
    "output-limit",
    "kernel-died",
    "notebook-error",
    "output-mismatch",
    "nondeterministic",
}


# -- the classifier alone -----------------------------------------------------------


def test_one_enum_every_cause_with_what_to_do() -> None:
    assert set(CAUSES) == ALL_CAUSES == {kind.value for kind in CauseKind}
    assert all(line and "\n" not in line for line in CAUSES.values())


def test_shell_commands_and_not_found() -> None:
    assert shell_commands("x = 1\n!git clone url\n  %pip install foo\n") == [
        "!git clone url",
        "%pip install foo",
    ]
    assert shell_commands("%%bash\napt-get install -y x\n") == ["%%bash: apt-get install -y x"]
    # blank lines before a cell magic: IPython drops them, and so must the reading
    assert shell_commands("\n  \n%%bash\nfalse\n") == ["%%bash: false"]
    assert shell_commands("print('!')\n") == []
    outputs = [
        {"output_type": "stream", "name": "stderr", "text": "/bin/sh: 1: git: not found\n"},
        {
            "output_type": "stream",
            "name": "stdout",
            "text": "bash: line 1: apt: command not found\n",
        },
    ]
    assert shell_not_found(outputs) == ["git", "apt"]


def test_languages_that_are_not_python() -> None:
    julia = json.loads((REAL / "nbconvert__notebook_jl.ipynb").read_text())
    assert unavailable_language(julia) == "julia"
    r_nb = {"metadata": {"kernelspec": {"name": "ir", "display_name": "R", "language": "R"}}}
    assert unavailable_language(r_nb) == "R"
    py2 = {"metadata": {"kernelspec": {"name": "python2", "language": "python"}}}
    assert unavailable_language(py2) is None
    assert unavailable_language({"metadata": {}}) is None


def test_a_replaced_kernelspec_is_said() -> None:
    assert kernel_note("python2", container=True) == (
        "the notebook's kernelspec `python2` ran as the image's python3"
    )
    assert kernel_note("python3", container=True) is None
    assert kernel_note("python2", container=False) is None  # locally its own spec, or none


def _judge(nb: dict[str, Any], run: NotebookRun, context: Context) -> tuple[str, Any]:
    verdict = decide(nb, "x.ipynb", analyze_notebook(nb, "x.ipynb"), [run])
    cause = classify(nb, [run], verdict, context)
    return verdict.verdict, cause


def _error_run(index: int, ename: str, evalue: str, **more: Any) -> NotebookRun:
    cell = CellRun(index, CellStatus.ERROR, ename=ename, evalue=evalue, **more)
    cell.outputs = [{"output_type": "error", "ename": ename, "evalue": evalue, "traceback": []}]
    return NotebookRun(cells={index: cell})


def test_missing_package_names_the_pip_name_and_the_image() -> None:
    nb = make_nb([make_cell(source="import sklearn", execution_count=1)])
    run = _error_run(0, "ModuleNotFoundError", "No module named 'sklearn'")
    run.environment["installed"] = ["numpy", "tensorflow"]
    context = Context(where="the image tf:2.9", container=True)
    verdict, cause = _judge(nb, run, context)
    assert verdict == "fail_error" and cause.name == "missing-package"
    assert "`sklearn` is not installed in the image tf:2.9 (pip name scikit-learn)" in (
        cause.message
    )
    run.environment["installed"].append("scikit-learn")  # installed, yet does not import
    assert "although scikit-learn is installed" in _judge(nb, run, context)[1].message


def test_a_local_module_that_is_not_there(tmp_path: Path) -> None:
    (tmp_path / "src" / "mylib").mkdir(parents=True)
    nb = make_nb([make_cell(source="import mylib", execution_count=1)])
    run = _error_run(0, "ModuleNotFoundError", "No module named 'mylib'")
    context = Context(root=str(tmp_path), folder=str(tmp_path / "notebooks"))
    _, cause = _judge(nb, run, context)
    assert cause.name == "missing-package"
    assert "module of the repository" in cause.message and "src/mylib" in cause.message


def test_network_as_the_first_link_of_a_module_error() -> None:
    retry = (
        "WARNING: Retrying (Retry(total=4)) after connection broken by 'NewConnectionError: "
        "Failed to establish a new connection: [Errno -3] Temporary failure in name resolution'\n"
    )
    nb = make_nb(
        [
            make_cell(source="!pip install lightgbm", execution_count=1),
            make_cell(source="import lightgbm", execution_count=2),
        ]
    )
    first = CellRun(
        0, CellStatus.OK, outputs=[{"output_type": "stream", "name": "stderr", "text": retry}]
    )
    first.shell_failures = [("!pip install lightgbm", "exited with status 1")]
    run = _error_run(1, "ModuleNotFoundError", "No module named 'lightgbm'")
    run.cells[0] = first
    _, cause = _judge(nb, run, Context(where="the image x", container=True))
    assert cause.name == "network"
    assert "`!pip install lightgbm` in cell 1" in cause.message
    assert "rerun with `--network host`" in cause.message


def test_missing_file_inside_and_outside_the_work_tree(tmp_path: Path) -> None:
    nb = make_nb([make_cell(source="open(p)", execution_count=1)])
    context = Context(root=str(tmp_path), folder=str(tmp_path / "nb"))
    for path, where in [
        ("../../data.csv", "outside the work tree"),
        ("/home/alice/data.csv", "home folder"),
        ("data/train.csv", "inside the work tree"),
    ]:
        evalue = f"[Errno 2] No such file or directory: '{path}'"
        _, cause = _judge(nb, _error_run(0, "FileNotFoundError", evalue), context)
        assert cause.name == "missing-file" and f"`{path}`" in cause.message
        assert where in cause.message


def test_a_stored_error_is_the_notebooks_own() -> None:
    stored = {"output_type": "error", "ename": "NameError", "evalue": "name 'df' is not defined"}
    nb = make_nb([make_cell(source="df.head()", execution_count=1, outputs=[stored])])
    run = _error_run(0, "NameError", "name 'df' is not defined")
    verdict, cause = _judge(nb, run, Context())
    assert verdict == "fail_error" and cause.name == "notebook-error"
    data = decide(nb, "x", analyze_notebook(nb, "x"), [run])
    assert data.first_hidden_state_cell is not None or "kernel" not in cause.message


def test_a_module_error_never_blames_kernel_state() -> None:
    stored = {"output_type": "stream", "name": "stdout", "text": "ok\n"}
    nb = make_nb(
        [make_cell(source="import sklearn\nprint('ok')", execution_count=1, outputs=[stored])]
    )
    run = _error_run(0, "ModuleNotFoundError", "No module named 'sklearn'")
    verdict = decide(nb, "x", analyze_notebook(nb, "x"), [run])
    assert "kernel state" not in verdict.reason
    assert not any(c.hidden_state for c in verdict.cells)


# -- real kernels ---------------------------------------------------------------------


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["run", "--format", "json", "-j", "2", *args])
    return code, json.loads(capsys.readouterr().out)


def _entries(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {Path(n["path"]).name: n for n in report["notebooks"]}


def _fake_pip(folder: Path, sleep: int = 0) -> str:
    """A command on PATH that fails the way pip does without network. Never the real pip:
    a kernel's PATH starts with its interpreter's bin folder, whose pip would install."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "nbtools-fake-pip"
    script.write_text(
        "#!/bin/sh\n"
        'echo "WARNING: Retrying (Retry(total=4, connect=None, read=None, redirect=None, '
        "status=None)) after connection broken by 'NewConnectionError(': Failed to establish "
        "a new connection: [Errno -3] Temporary failure in name resolution')': /simple/x/\" >&2\n"
        f"sleep {sleep}\n"
        "echo 'ERROR: Could not find a version that satisfies the requirement x' >&2\n"
        "exit 1\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return f"PATH={folder}{os.pathsep}{os.environ.get('PATH', '')}"


@pytest.mark.kernel
def test_environment_causes_on_real_kernels(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = {"name": "stdout", "output_type": "stream", "text": "ok\n"}
    nbs = tmp_path / "nbs"
    write_nb(
        nbs / "pkg.ipynb",
        make_nb(
            [
                make_cell(
                    source="import nbtools_absent_pkg\nprint('ok')",
                    execution_count=1,
                    outputs=[out],
                )
            ]
        ),
    )
    write_nb(
        nbs / "net.ipynb",
        make_nb(
            [
                make_cell(source="!nbtools-fake-pip install nbtools-absent-pkg", execution_count=1),
                make_cell(source="import nbtools_absent_pkg", execution_count=2),
            ]
        ),
    )
    write_nb(
        nbs / "dns.ipynb",
        make_nb([make_cell(source="import socket\nsocket.getaddrinfo('nbtools.invalid', 80)")]),
    )
    write_nb(
        nbs / "file.ipynb",
        make_nb([make_cell(source="open('../../outside/data.csv').read()")]),
    )
    write_nb(
        nbs / "slow_pip.ipynb",
        make_nb([make_cell(source="!nbtools-fake-pip install nbtools-absent-pkg")]),
    )
    shutil.copyfile(REAL / "nbconvert__notebook_jl.ipynb", nbs / "julia.ipynb")
    env = _fake_pip(tmp_path / "bin")
    code, report = _run(
        capsys,
        "--env",
        env,
        "--timeout",
        "4",
        str(nbs / "pkg.ipynb"),
        str(nbs / "net.ipynb"),
        str(nbs / "dns.ipynb"),
        str(nbs / "file.ipynb"),
        str(nbs / "julia.ipynb"),
    )
    assert code == 1
    entries = _entries(report)
    pkg = entries["pkg.ipynb"]
    assert pkg["cause"] == "missing-package", pkg["reason"]
    assert f"`nbtools_absent_pkg` is not installed in {sys.executable}" in pkg["reason"] or (
        "`nbtools_absent_pkg` is not installed in" in pkg["reason"]
    )
    assert "kernel state or the environment differ" not in pkg["reason"]
    assert not any(c.get("hidden_state") for c in pkg["cells"])
    net = entries["net.ipynb"]
    assert net["cause"] == "network", net["reason"]
    assert "`!nbtools-fake-pip install nbtools-absent-pkg` in cell 1" in net["cause_message"]
    assert entries["dns.ipynb"]["cause"] == "network"
    assert "could not reach the network" in entries["dns.ipynb"]["cause_message"]
    file_entry = entries["file.ipynb"]
    assert file_entry["cause"] == "missing-file"
    assert "`../../outside/data.csv`, outside the work tree" in file_entry["reason"]
    julia = entries["julia.ipynb"]
    assert (julia["verdict"], julia["cause"]) == ("fail_error", "kernel-unavailable")
    assert "julia" in julia["reason"] and "SyntaxError" not in json.dumps(julia)
    assert julia["cells"] == []  # never run as Python

    # a pip that retries until the cell times out is the network, not a timeout
    env = _fake_pip(tmp_path / "slowbin", sleep=30)
    code, report = _run(capsys, "--env", env, "--timeout", "3", str(nbs / "slow_pip.ipynb"))
    [entry] = report["notebooks"]
    assert entry["cells"][0]["status"] == "timeout"
    assert entry["cause"] == "network", entry["reason"]


@pytest.mark.kernel
def test_run_limits_have_their_causes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_nb(tmp_path / "slow.ipynb", make_nb([make_cell(source="import time\ntime.sleep(30)")]))
    write_nb(tmp_path / "died.ipynb", make_nb([make_cell(source="import os\nos._exit(1)")]))
    write_nb(tmp_path / "flood.ipynb", make_nb([make_cell(source="print('x' * 50000)")]))
    _, report = _run(capsys, "--timeout", "3", "--max-output-bytes", "10000", str(tmp_path))
    causes = {name: e["cause"] for name, e in _entries(report).items()}
    assert causes == {
        "slow.ipynb": "timeout",
        "died.ipynb": "kernel-died",
        "flood.ipynb": "output-limit",
    }


@pytest.mark.kernel
def test_shell_commands_count(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_nb(
        tmp_path / "all_shell.ipynb",
        make_nb(
            [
                make_cell(source="!nbtools-no-such-command --version"),
                make_cell(source="!false"),
            ]
        ),
    )
    write_nb(
        tmp_path / "mixed.ipynb",
        make_nb([make_cell(source="x = 1\nprint(x)"), make_cell(source="!exit 3")]),
    )
    code, report = _run(capsys, str(tmp_path))
    entries = _entries(report)
    every = entries["all_shell.ipynb"]
    assert (every["verdict"], every["cause"]) == ("fail_error", "shell-command")
    assert "`nbtools-no-such-command`: command not found" in every["reason"]
    mixed = entries["mixed.ipynb"]
    assert (mixed["verdict"], mixed["cause"]) == ("pass_with_warnings", "shell-command")
    assert "exited with status 3" in mixed["reason"]
    warnings = [f for f in report["findings"] if f["path"].endswith("mixed.ipynb")]
    assert [(f["rule"], f["severity"], f["cell_index"]) for f in warnings] == [
        ("run/shell-command", "warning", 1)
    ]
    assert code == 1  # all_shell failed; a warning alone would not fail the run
    assert main(["run", "-q", str(tmp_path / "mixed.ipynb")]) == 0


@pytest.mark.kernel
def test_every_shell_command_of_a_cell_is_judged_not_only_the_last(tmp_path: Path) -> None:
    """A download that fails before an unpacking that works (or the other way round): each
    failing line is named with its own status, and the user's namespace keeps no trace."""
    from nbtools.execute.executor import execute_notebook
    from nbtools.execute.kernels import LocalKernelFactory
    from nbtools.execute.process import KernelRequest, kernel_environment

    nb = make_nb(
        [
            make_cell(source="!sh -c 'exit 4'\n!true"),
            make_cell(source="for code in (0, 5):\n    !sh -c 'exit {code}'"),
            make_cell(source="!true\n!nbtools-no-such-command\n!true"),
            make_cell(source="print(sorted(k for k in globals() if 'nbtools' in k))"),
            # a status the cell's source does not show stays with its own cell
            make_cell(source="get_ipython().system('exit 6')"),
            make_cell(source="!true"),
        ]
    )
    with LocalKernelFactory() as factory:
        kernel = factory(KernelRequest("python3", str(tmp_path), kernel_environment()))
        run = execute_notebook(nb, kernel)
    assert run.cells[0].shell_failures == [("!sh -c 'exit 4'", "exited with status 4")]
    assert run.cells[1].shell_failures == [("!sh -c 'exit {code}'", "exited with status 5")]
    assert run.cells[2].shell_failures == [
        ("!nbtools-no-such-command", "`nbtools-no-such-command`: command not found")
    ]
    assert run.cells[3].outputs[0]["text"] == "[]\n"
    assert run.cells[4].shell_failures == [] and run.cells[5].shell_failures == []


def test_failed_commands_pairs_statuses_with_lines() -> None:
    from nbtools.execute.shell import failed_commands

    lines = ["!wget url", "!unzip data.zip"]
    assert failed_commands(lines, [4, 9]) == [
        ("!wget url", "exited with status 4"),
        ("!unzip data.zip", "exited with status 9"),
    ]
    assert failed_commands(lines, [0, 0]) == []
    assert failed_commands(lines, [4, None, 0]) == [("!unzip data.zip", "exited with status 4")]
    assert failed_commands(["!x"], [True, "1", 2, 3]) == [("!x", "exited with status 2")]


@pytest.mark.kernel
def test_untagged_error_outputs_fail_and_frozen_cells_are_skipped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a display formatter that raises (LaTeX missing) leaves an error output, no exception
    source = (
        "class Formula:\n"
        "    def _repr_latex_(self):\n"
        "        raise RuntimeError('latex not found')\n"
        "Formula()"
    )
    write_nb(tmp_path / "latex.ipynb", make_nb([make_cell(source=source)]))
    shutil.copyfile(REAL / "jupytext__frozen_cell.ipynb", tmp_path / "frozen.ipynb")
    _, report = _run(capsys, str(tmp_path))
    entries = _entries(report)
    latex = entries["latex.ipynb"]
    assert latex["verdict"] == "fail_error" and latex["cells"][0]["status"] == "error"
    assert latex["cause"] == "notebook-error"
    frozen = entries["frozen.ipynb"]
    statuses = [c["status"] for c in frozen["cells"]]
    assert "skipped" in statuses and frozen["verdict"] in ("pass", "pass_with_warnings")


@pytest.mark.kernel
def test_environment_differences_are_not_hidden_state(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    version = {"name": "stdout", "output_type": "stream", "text": "3.6.9\n"}
    stale = {"name": "stdout", "output_type": "stream", "text": "old\n"}
    write_nb(
        tmp_path / "version.ipynb",
        make_nb(
            [
                make_cell(
                    source="import sys\nprint(sys.version.split()[0])",
                    execution_count=1,
                    outputs=[version],
                )
            ]
        ),
    )
    write_nb(
        tmp_path / "stale.ipynb",
        make_nb([make_cell(source="print('fixed')", execution_count=1, outputs=[stale])]),
    )
    _, report = _run(capsys, str(tmp_path))
    entries = _entries(report)
    env_entry = entries["version.ipynb"]
    assert (env_entry["verdict"], env_entry["cause"]) == ("fail_mismatch", "output-mismatch")
    assert env_entry["first_hidden_state_cell"] is None
    assert env_entry["cells"][0]["hidden_state"] is False
    stale_entry = entries["stale.ipynb"]
    assert (stale_entry["verdict"], stale_entry["cause"]) == ("fail_mismatch", "hidden-state")
    assert stale_entry["cells"][0]["hidden_state"] is True


@pytest.mark.kernel
@pytest.mark.skipif(importlib.util.find_spec("sklearn") is not None, reason="sklearn installed")
def test_ci_formats_carry_the_cause(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_nb(tmp_path / "skl.ipynb", make_nb([make_cell(source="import sklearn")]))
    for fmt in ("junit", "sarif", "github", "text"):
        assert main(["run", "--format", fmt, "--color", "never", str(tmp_path)]) == 1
        out = capsys.readouterr().out
        assert "missing-package" in out, fmt
        assert "pip name scikit-learn" in out, fmt


def test_an_earlier_difference_does_not_make_an_unrelated_error_hidden_state() -> None:
    """A PermissionError after an earlier cell differed is not kernel state (#16)."""
    stored = {"output_type": "stream", "name": "stdout", "text": "1\n"}
    nb = make_nb(
        [
            make_cell(source="x = 2\nprint(x)", execution_count=1, outputs=[stored]),
            make_cell(source="open('plot.png', 'w')", execution_count=2),
        ]
    )
    first = CellRun(0, CellStatus.OK, outputs=[{**stored, "text": "2\n"}])
    run = _error_run(1, "PermissionError", "[Errno 13] Permission denied: 'plot.png'")
    run.cells[0] = first
    _, cause = _judge(nb, run, Context(container=True))
    assert cause.name == "missing-file"
    assert "may not write `plot.png` here (the container sees the work tree read-only)" in (
        cause.message
    )
    run = _error_run(1, "ValueError", "bad value")
    run.cells[0] = first
    assert _judge(nb, run, Context())[1].name == "notebook-error"


def test_a_bash_cell_that_raises_is_a_shell_command() -> None:
    nb = make_nb([make_cell(source="%%bash\napt-get install -y graphviz\n")])
    evalue = "Command 'b'apt-get install -y graphviz\\n'' returned non-zero exit status 100."
    _, cause = _judge(nb, _error_run(0, "CalledProcessError", evalue), Context())
    assert cause.name == "shell-command"
    assert "`%%bash: apt-get install -y graphviz` in cell 1 exited non-zero" in cause.message
