"""A team uploads nbtools' SARIF to code scanning from CI, which runs in a subfolder: alerts
land on the right file, a moved cell keeps its alert, and strip says one thing per notebook."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nbformat
from sarif_support import check_sarif
from story import code, commit_all, git, jupyter_notebook, nbtools, stream

TOKEN = "ghp_" + "Zq8VwX2mN4bR7tY1uK3pL6sD9fG0hJ5cE8aQ"
CI_ENV = {"GITHUB_SERVER_URL": "", "GITHUB_REPOSITORY": "", "GITHUB_SHA": "", "GITHUB_REF": ""}


def _results(log: dict[str, Any]) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = log["runs"][0]["results"]
    return results


def _where(result: dict[str, Any]) -> tuple[str, int]:
    physical = result["locations"][0]["physicalLocation"]
    return physical["artifactLocation"]["uri"], physical["region"]["startLine"]


def test_code_scanning_alerts_from_a_subfolder_survive_a_moved_cell(git_repo: Path) -> None:
    notebook = jupyter_notebook(
        git_repo / "analysis" / "explore.ipynb",
        [
            code("import os", count=1),
            code(f"token = '{TOKEN}'", count=2),
            code("print('rows', 10)", [stream("rows 10\n")], count=3),
        ],
    )
    git(git_repo, "remote", "add", "origin", "git@github.com:team/notebooks.git")
    assert commit_all(git_repo, "explore").returncode == 0
    head = git(git_repo, "rev-parse", "HEAD").stdout.strip()

    # CI's working directory is the notebooks' folder, not the repository root
    folder = git_repo / "analysis"
    scanned = nbtools("scan", "--format", "sarif", "-o", "scan.sarif", ".", cwd=folder, env=CI_ENV)
    assert scanned.returncode == 1, scanned.stderr
    log = check_sarif(json.loads((folder / "scan.sarif").read_text(encoding="utf-8")))
    (alert,) = _results(log)
    uri, line = _where(alert)
    assert uri == "analysis/explore.ipynb"
    run = log["runs"][0]
    assert run["versionControlProvenance"][0]["revisionId"] == head
    assert (
        run["versionControlProvenance"][0]["repositoryUri"] == "ssh://github.com/team/notebooks.git"
    )
    rule = next(r for r in run["tool"]["driver"]["rules"] if r["id"] == alert["ruleId"])
    assert rule["properties"]["tags"][0] == "security" and "security-severity" in rule["properties"]
    assert TOKEN not in json.dumps(log)

    # someone moves the leaking cell to the end; the alert stays the same alert
    nb = nbformat.read(str(notebook), as_version=4)
    nb.cells = [nb.cells[0], nb.cells[2], nb.cells[1]]
    nbformat.write(nb, str(notebook))
    assert commit_all(git_repo, "reorder").returncode == 0
    again = nbtools("scan", "--format", "sarif", "-o", "scan.sarif", ".", cwd=folder, env=CI_ENV)
    assert again.returncode == 1
    (moved,) = _results(check_sarif(json.loads((folder / "scan.sarif").read_text("utf-8"))))
    assert _where(moved)[0] == uri and _where(moved)[1] != line  # another line, same file
    assert moved["partialFingerprints"] == alert["partialFingerprints"]

    # the annotations of the same run name the same file
    annotated = nbtools("scan", "--format", "github", ".", cwd=folder, env=CI_ENV)
    assert "file=analysis/explore.ipynb," in annotated.stdout

    # strip's check gives one warning for the notebook, with the counts
    stripped = nbtools("strip", "--check", "--format", "sarif", "explore.ipynb", cwd=folder)
    assert stripped.returncode == 1
    (unclean,) = _results(check_sarif(json.loads(stripped.stdout)))
    assert (unclean["ruleId"], unclean["level"]) == ("strip/unclean", "warning")
    assert _where(unclean)[0] == "analysis/explore.ipynb"
    assert "in 3 cell(s)" in unclean["message"]["text"]
