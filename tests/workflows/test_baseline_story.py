"""Story: a scan baseline made in the repository is used from another folder (CI's checkout)."""

from __future__ import annotations

import json
from pathlib import Path

from story import code, commit_all, jupyter_notebook, nbtools, stream

TOKEN = "ghp_" + "R4nd0mT0kenV4lu3Xy9Zq8Wp7Lm6Kn5Jb4Hc3D"


def test_baseline_made_in_the_repo_accepts_from_the_parent(git_repo: Path) -> None:
    jupyter_notebook(
        git_repo / "notebooks" / "legacy.ipynb",
        [code("!env | grep TOKEN", [stream(f"GITHUB_TOKEN={TOKEN}\n")], 1)],
    )
    made = nbtools("scan", "--baseline", ".b.json", "--update-baseline", ".", cwd=git_repo)
    assert made.returncode == 0, made.stderr
    assert TOKEN not in (git_repo / ".b.json").read_text()
    commit_all(git_repo, "legacy notebook, accepted")

    # CI runs from the folder above the checkout
    from_parent = nbtools("scan", "--baseline", "repo/.b.json", "repo", cwd=git_repo.parent)
    assert from_parent.returncode == 0, from_parent.stdout + from_parent.stderr
    data = json.loads(
        nbtools(
            "scan", "--format", "json", "--baseline", "repo/.b.json", "repo", cwd=git_repo.parent
        ).stdout
    )
    assert data["findings"] == [] and data["baselined"] == 1

    # a new leak still fails, wherever it is run from
    jupyter_notebook(git_repo / "new.ipynb", [code(f"token = '{TOKEN[:-1]}E'")])
    again = nbtools("scan", "--baseline", "repo/.b.json", "repo", cwd=git_repo.parent)
    assert again.returncode == 1
    assert "new.ipynb" in again.stdout and "legacy.ipynb" not in again.stdout
