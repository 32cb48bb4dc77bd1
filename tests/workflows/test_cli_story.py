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


def test_one_odd_notebook_does_not_stop_the_batch(git_repo: Path) -> None:
    # an extension stored a 5000-digit integer in one notebook's metadata
    odd = jupyter_notebook(git_repo / "a_odd.ipynb", [code("x = 1")])
    text = odd.read_text().replace(
        '"kernelspec": {', '"seed": ' + "7" * 5000 + ',\n  "kernelspec": {'
    )
    odd.write_text(text)
    jupyter_notebook(git_repo / "b_work.ipynb", [code("print(1)", [stream("1\n")], 1)])
    commit_all(git_repo)
    proc = nbtools("strip", ".", cwd=git_repo)
    assert proc.returncode == 2
    assert "a_odd.ipynb: " in proc.stderr and "4300 digits" in proc.stderr
    assert "fixed ./b_work.ipynb" in proc.stdout
    assert odd.read_text() == text
    proc = nbtools("check", ".", cwd=git_repo)
    assert proc.returncode == 2 and "b_work" not in proc.stdout  # stripped: clean now
    proc = nbtools("scan", ".", cwd=git_repo)
    assert proc.returncode == 2 and "a_odd.ipynb" in proc.stderr
