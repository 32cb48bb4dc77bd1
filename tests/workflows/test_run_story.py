"""Stories of ``nbtools run`` after the other commands, on notebooks as Jupyter writes them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from story import code, commit_all, jupyter_notebook, nbtools, real_fixture, result, stream

pytestmark = pytest.mark.kernel


def run_report(repo: Path, *args: str) -> tuple[int, dict[str, Any]]:
    proc = nbtools("run", "--format", "json", *args, cwd=repo)
    return proc.returncode, json.loads(proc.stdout)


def test_pair_edit_the_script_sync_then_run(git_repo: Path) -> None:
    """#11.1: pair, then run crashed on every notebook Jupyter had saved."""
    jupyter_notebook(
        git_repo / "analysis.ipynb",
        [
            code("a = 1\nprint(a)", [stream("1\n")], 1),
            code("b = a + 1\nb", [result("2", 2)], 2),
        ],
    )
    real_fixture("nbformat__test4custom.ipynb", git_repo / "real" / "custom.ipynb")
    real_fixture("jupytext__frozen_cell.ipynb", git_repo / "real" / "frozen.ipynb")
    commit_all(git_repo, "notebooks")
    assert nbtools("pair", ".", cwd=git_repo).returncode in (0, 1)
    assert (git_repo / "analysis.py").is_file()

    code_, report = run_report(git_repo, ".")
    verdicts = {Path(n["path"]).name: n["verdict"] for n in report["notebooks"]}
    assert verdicts["analysis.ipynb"] == "pass", report
    assert verdicts["custom.ipynb"] == "pass" and "frozen.ipynb" in verdicts
    # the stored outputs were carried over to the script's cells and reproduced
    [entry] = [n for n in report["notebooks"] if n["path"].endswith("analysis.ipynb")]
    assert [c["reproduced"] for c in entry["cells"]] == [True, True]

    # the user works in the script, then syncs and runs again
    script = git_repo / "analysis.py"
    script.write_text(script.read_text() + "\n# %%\nprint(b * 10)\n")
    assert nbtools("sync", cwd=git_repo).returncode in (0, 1)
    assert len(json.loads((git_repo / "analysis.ipynb").read_text())["cells"]) == 3
    code_, report = run_report(git_repo, "analysis.ipynb")
    [entry] = report["notebooks"]
    assert code_ == 0 and entry["verdict"] == "pass_with_warnings"  # cell 3 never ran
    assert [c["status"] for c in entry["cells"]] == ["ok", "ok", "ok"]

    # a mistake in the script is found and pointed at in the script
    script.write_text(script.read_text().replace("print(b * 10)", "print(c * 10)"))
    code_, report = run_report(git_repo, "analysis.ipynb")
    [entry] = report["notebooks"]
    assert code_ == 1 and entry["verdict"] == "fail_error"
    [finding] = [f for f in report["findings"] if f["rule"] == "run/error"]
    assert finding["path"].endswith("analysis.py")
    assert script.read_text().splitlines()[finding["json_line"] - 1] == "print(c * 10)"
