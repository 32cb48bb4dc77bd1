"""Stories of #16: `nbtools run` says why a notebook failed (the environment or the notebook
itself), the user acts on that line, and the next run agrees."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from story import code, commit_all, error, jupyter_notebook, nbtools, real_fixture, stream

pytestmark = pytest.mark.kernel


def run_report(repo: Path, *args: str) -> tuple[int, dict[str, dict[str, Any]]]:
    proc = nbtools("run", "--format", "json", *args, cwd=repo)
    report = json.loads(proc.stdout)
    return proc.returncode, {Path(n["path"]).name: n for n in report["notebooks"]}


def fake_pip(repo: Path) -> str:
    """A command that fails the way pip does without network (never the real pip)."""
    folder = repo.parent / f"{repo.name}-bin"
    folder.mkdir(exist_ok=True)
    script = folder / "nbtools-fake-pip"
    script.write_text(
        "#!/bin/sh\n"
        'echo "WARNING: Retrying (Retry(total=4)) after connection broken by '
        "'NewConnectionError: Failed to establish a new connection: [Errno -3] Temporary "
        "failure in name resolution'\" >&2\nexit 1\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return f"PATH={folder}{os.pathsep}{os.environ.get('PATH', '')}"


def test_the_environment_is_named_and_fixing_it_is_seen(git_repo: Path) -> None:
    """A missing package, a module of the repository not committed, a failed install
    without network and a file outside the work tree: each named, none blamed on state."""
    out = stream("ok\n")
    jupyter_notebook(
        git_repo / "analysis" / "model.ipynb",
        [code("import helpers\nprint('ok')", [out], 1)],
    )
    jupyter_notebook(
        git_repo / "analysis" / "install.ipynb",
        [
            code("!nbtools-fake-pip install nbtools-absent-pkg", [], 1),
            code("import nbtools_absent_pkg", [], 2),
        ],
    )
    jupyter_notebook(
        git_repo / "analysis" / "data.ipynb",
        [code("text = open('../../shared-data/train.csv').read()", [], 1)],
    )
    commit_all(git_repo, "notebooks")
    env = fake_pip(git_repo)

    code_, entries = run_report(git_repo, "--env", env, "analysis")
    assert code_ == 1
    model = entries["model.ipynb"]
    assert model["cause"] == "missing-package"
    assert "`helpers` is not installed in" in model["reason"]
    assert "kernel state" not in model["reason"]
    install = entries["install.ipynb"]
    assert install["cause"] == "network"
    assert "`!nbtools-fake-pip install nbtools-absent-pkg` in cell 1" in install["reason"]
    data = entries["data.ipynb"]
    assert data["cause"] == "missing-file"
    assert "`../../shared-data/train.csv`, outside the work tree" in data["reason"]

    # the user commits the helper module next to the notebook: that notebook passes now
    (git_repo / "analysis" / "helpers.py").write_text("VALUE = 1\n")
    commit_all(git_repo, "add helpers")
    code_, entries = run_report(git_repo, "analysis/model.ipynb")
    assert code_ == 0 and entries["model.ipynb"]["verdict"] == "pass"
    assert entries["model.ipynb"]["cause"] is None


def test_a_notebook_committed_broken_is_not_hidden_state(git_repo: Path) -> None:
    nb = jupyter_notebook(
        git_repo / "demo.ipynb",
        [code("df.head()", [error("NameError", "name 'df' is not defined")], 1)],
    )
    commit_all(git_repo, "demo")
    code_, entries = run_report(git_repo, "demo.ipynb")
    entry = entries["demo.ipynb"]
    assert code_ == 1 and entry["cause"] == "notebook-error"
    assert "stored output of cell 1 shows the same NameError" in entry["cause_message"]
    assert not any(c["hidden_state"] for c in entry["cells"])

    # it demonstrates the error on purpose: the user tags the cell and the run passes
    data = json.loads(nb.read_text())
    data["cells"][0]["metadata"]["tags"] = ["raises-exception"]
    nb.write_text(json.dumps(data, indent=1))
    code_, entries = run_report(git_repo, "demo.ipynb")
    assert code_ == 0 and entries["demo.ipynb"]["verdict"] == "pass"


def test_shell_commands_that_fail_are_reported(git_repo: Path) -> None:
    jupyter_notebook(
        git_repo / "setup.ipynb",
        [
            code("!nbtools-no-such-tool clone https://example.invalid/repo", [], 1),
            code("!apt-get-nbtools-absent install -y graphviz", [], 2),
        ],
    )
    jupyter_notebook(
        git_repo / "mostly.ipynb",
        [code("x = 2\nprint(x)", [stream("2\n")], 1), code("!exit 2", [], 2)],
    )
    commit_all(git_repo, "notebooks")
    code_, entries = run_report(git_repo, ".")
    assert entries["setup.ipynb"]["verdict"] == "fail_error"  # nothing it did worked
    assert entries["setup.ipynb"]["cause"] == "shell-command"
    assert "`nbtools-no-such-tool`: command not found" in entries["setup.ipynb"]["reason"]
    mostly = entries["mostly.ipynb"]
    assert (mostly["verdict"], mostly["cause"]) == ("pass_with_warnings", "shell-command")
    assert code_ == 1

    # in CI the warning shows as an annotation, and the run of that notebook still passes
    proc = nbtools("run", "--format", "github", "mostly.ipynb", cwd=git_repo)
    assert proc.returncode == 0
    assert "::warning" in proc.stdout and "shell-command" in proc.stdout


def test_environment_differences_are_a_mismatch_and_rerunning_fixes_them(git_repo: Path) -> None:
    nb = jupyter_notebook(
        git_repo / "versions.ipynb",
        [code("import sys\nprint(sys.version.split()[0])", [stream("3.6.9\n")], 1)],
    )
    commit_all(git_repo, "versions")
    code_, entries = run_report(git_repo, "versions.ipynb")
    entry = entries["versions.ipynb"]
    assert (code_, entry["verdict"], entry["cause"]) == (1, "fail_mismatch", "output-mismatch")
    assert entry["first_hidden_state_cell"] is None
    assert "which the environment decides" in entry["reason"]

    # the user stores this environment's outputs; the next run agrees
    assert nbtools("run", "-q", "--write", "versions.ipynb", cwd=git_repo).returncode == 1
    code_, entries = run_report(git_repo, "versions.ipynb")
    assert code_ == 0 and entries["versions.ipynb"]["verdict"] == "pass"
    assert json.loads(nb.read_text())["cells"][0]["outputs"][0]["text"] != ["3.6.9\n"]


def test_a_julia_notebook_is_not_run_as_python_and_the_report_shows_it(git_repo: Path) -> None:
    real_fixture("nbconvert__notebook_jl.ipynb", git_repo / "julia" / "intro.ipynb")
    jupyter_notebook(git_repo / "ok.ipynb", [code("print(1)", [stream("1\n")], 1)])
    commit_all(git_repo, "notebooks")
    code_, entries = run_report(git_repo, "--html", "report", ".")
    intro = entries["intro.ipynb"]
    assert (code_, intro["cause"]) == (1, "kernel-unavailable")
    assert "written in julia" in intro["reason"] and "SyntaxError" not in intro["reason"]
    index = (git_repo / "report" / "index.html").read_text(encoding="utf-8")
    assert 'data-cause="kernel-unavailable"' in index and 'data-verdict="pass"' in index
    assert (git_repo / "report" / "julia__intro.verdict.html").is_file()
