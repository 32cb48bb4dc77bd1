"""Stories of pair and sync: with jupytext, with git, and on trees a pull request controls."""

from __future__ import annotations

import json
from pathlib import Path

from story import code, commit_all, jupyter_notebook, markdown, nbtools


def test_a_pull_request_cannot_make_sync_write_outside_the_repository(git_repo: Path) -> None:
    # a .py file of the maintainer's, beside the checkout
    victim = git_repo.parent / "victim" / "analysis.py"
    victim.parent.mkdir()
    victim.write_text("important = True\n", encoding="utf-8")
    secret = git_repo.parent / "passwd"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n", encoding="utf-8")
    # the pull request: a notebook paired "up and out", a crafted record, a symlinked script
    nb = jupyter_notebook(
        git_repo / "nbs" / "analysis.ipynb",
        [markdown("# Evil"), code("important = False")],
        jupytext={"formats": "ipynb,../../victim//py:percent"},
    )
    jupyter_notebook(
        git_repo / "nbs" / "leak.ipynb", [code("x = 1")], jupytext={"formats": "ipynb,py:percent"}
    )
    (git_repo / "nbs" / "leak.py").symlink_to(secret)
    record = {
        "version": 1,
        "pairs": {
            "nbs/analysis.ipynb": {
                "ipynb": "0" * 64,
                "py": "1" * 64,
                "script": "../victim/analysis.py",
            }
        },
    }
    (git_repo / ".nbtools-sync.json").write_text(json.dumps(record), encoding="utf-8")
    assert commit_all(git_repo, "pull request").returncode == 0
    leak_before = (git_repo / "nbs" / "leak.ipynb").read_bytes()

    # the maintainer syncs, then checks, the way the README says
    synced = nbtools("sync", "--prefer", "ipynb", ".", cwd=git_repo)
    assert synced.returncode == 2, synced.stderr
    assert "outside the repository" in synced.stderr
    again = nbtools("sync", "--prefer", "py", ".", cwd=git_repo)
    assert again.returncode == 2
    checked = nbtools("check", ".", cwd=git_repo)
    assert checked.returncode == 2
    assert "outside the repository" in checked.stderr

    assert victim.read_text(encoding="utf-8") == "important = True\n"
    assert (git_repo / "nbs" / "leak.ipynb").read_bytes() == leak_before
    assert "root:x" not in nb.read_text(encoding="utf-8")
    assert not (git_repo.parent / "victim" / "analysis.ipynb").exists()
