"""Stories about the command-line frame: paths, odd files, settings, file modes, reports."""

from __future__ import annotations

from pathlib import Path

from story import code, commit_all, jupyter_notebook, nbtools, stream


def test_a_typo_in_a_ci_path_fails_the_job_and_the_rest_is_still_checked(git_repo: Path) -> None:
    # the CI job lists two folders; one was renamed and the workflow still names the old one
    jupyter_notebook(git_repo / "notebooks" / "eda.ipynb", [code("print(1)", [stream("1\n")], 1)])
    commit_all(git_repo)
    proc = nbtools("check", "notebooks", "notebok", cwd=git_repo)
    assert proc.returncode == 2
    assert "notebok: no such file or directory" in proc.stderr
    assert "notebooks/eda.ipynb" in proc.stdout  # the real folder was still checked
    # the user fixes the workflow: the job now fails only for what the notebook holds
    proc = nbtools("check", "notebooks", cwd=git_repo)
    assert proc.returncode == 1 and "no such file" not in proc.stderr
