"""Stories: strip, check and the git filter share one definition of clean."""

from __future__ import annotations

import sys
from pathlib import Path

from story import code, git, jupyter_notebook, nbtools, stream


def test_strip_then_check_both_pass_on_a_kept_output(git_repo: Path) -> None:
    """The README's advice (tag a cell keep_output) must not make the check hook fail."""
    nb = jupyter_notebook(
        git_repo / "report.ipynb",
        [
            code("print('summary')", [stream("summary\n")], 1, tags=["keep_output"]),
            code("x = 2\nprint(x)", [stream("2\n")], 2),
        ],
    )
    first = nbtools("strip", str(nb), cwd=git_repo)
    assert first.returncode == 1, first.stderr  # it changed the file
    assert "summary" in nb.read_text()  # the kept output is still there
    assert nbtools("strip", str(nb), cwd=git_repo).returncode == 0
    checked = nbtools("check", str(nb), cwd=git_repo)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "output-without-count" not in checked.stdout


def test_the_git_filter_stores_what_check_calls_clean(git_repo: Path) -> None:

    jupyter_notebook(
        git_repo / "report.ipynb",
        [code("print('summary')", [stream("summary\n")], 7, tags=["keep_output"])],
    )
    command = f"{sys.executable} -m nbtools"
    installed = nbtools("install", "--command", command, str(git_repo), cwd=git_repo)
    assert installed.returncode == 0, installed.stderr
    git(git_repo, "add", "report.ipynb")
    staged = git_repo / "staged.ipynb"
    staged.write_text(git(git_repo, "show", ":report.ipynb").stdout)
    assert "summary" in staged.read_text() and '"execution_count": 7' not in staged.read_text()
    checked = nbtools("check", str(staged), cwd=git_repo)
    assert checked.returncode == 0, checked.stdout + checked.stderr
