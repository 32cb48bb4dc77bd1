"""Story: a pull request's nested pyproject.toml tries to switch the scan off (#17.2)."""

from __future__ import annotations

import json
from pathlib import Path

from story import code, commit_all, jupyter_notebook, nbtools, stream

TOKEN = "ghp_" + "Pr0mTh3PuLLr3qu3stXy9Zq8Wp7Lm6Kn5Jb4Hc"


def test_a_nested_exclude_cannot_hide_a_leaked_token(git_repo: Path) -> None:
    (git_repo / "pyproject.toml").write_text("[tool.nbtools.scan]\njobs = 1\n")
    commit_all(git_repo, "project")
    # the pull request: a notebook printing a token, and a config beside it excluding everything
    jupyter_notebook(
        git_repo / "nb" / "explore.ipynb",
        [code("!env", [stream(f"GITHUB_TOKEN={TOKEN}\n")], 1)],
    )
    (git_repo / "nb" / "pyproject.toml").write_text(
        '[tool.nbtools]\nexclude = ["**"]\n\n[tool.nbtools.scan]\nignore_rules = ["scan"]\n'
    )
    # pre-commit's way of calling the hook: the file names
    scanned = nbtools("scan", "nb/explore.ipynb", cwd=git_repo)
    assert "no files" not in scanned.stderr
    assert "1 suppressed (1 by exclude nb/pyproject.toml:2)" in scanned.stderr, scanned.stderr
    assert TOKEN not in scanned.stdout + scanned.stderr

    # what a reviewer and code scanning see: a suppressed result, with where it was suppressed
    sarif = nbtools("scan", "--format", "sarif", "nb/explore.ipynb", cwd=git_repo)
    from sarif_support import check_sarif

    (result,) = check_sarif(json.loads(sarif.stdout))["runs"][0]["results"]
    assert result["ruleId"] == "scan/github-token"
    (suppression,) = result["suppressions"]
    assert suppression["kind"] == "external"
    assert "nb/pyproject.toml" in json.dumps(suppression)
    assert TOKEN not in sarif.stdout

    # CI's own configuration, named with --config, decides; the tree's does not
    (git_repo.parent / "ci.toml").write_text("[tool.nbtools.scan]\njobs = 1\n")
    ci = nbtools("scan", "--config", "../ci.toml", "nb/explore.ipynb", cwd=git_repo)
    assert ci.returncode == 1, ci.stdout + ci.stderr
    assert "nb/explore.ipynb:cell 1:output 1:1: scan/github-token" in ci.stdout
