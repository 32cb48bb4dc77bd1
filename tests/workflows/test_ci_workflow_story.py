"""A team calls the reusable workflow on notebooks whose names have spaces: the shard jobs'
own scripts (run here as the runner runs them) split the notebooks between them and keep a
JSON report each, and the merge job's script turns those into one JUnit report, one SARIF
log and one job summary."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from story import code, commit_all, error, jupyter_notebook

from nbtools.commands import COMMANDS

REPO = Path(__file__).resolve().parents[2]
EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
#: GitHub's ternary idiom, ``cond && 'a' || 'b'``
TERNARY = re.compile(r"^(\S+) && '([^']*)' \|\| '([^']*)'$")


def _value(expression: str, values: dict[str, str]) -> str:
    """An expression the runner would fill in: a name from ``values``, or a ternary on one."""
    ternary = TERNARY.match(expression)
    if ternary:
        name, then, otherwise = ternary.groups()
        return then if values[name] not in ("", "false") else otherwise
    return values[expression]


def _jobs() -> dict[str, Any]:
    text = (REPO / ".github" / "workflows" / "nbtools-reusable.yml").read_text(encoding="utf-8")
    jobs: dict[str, Any] = yaml.safe_load(text)["jobs"]
    return jobs


def _run(step: dict[str, Any], values: dict[str, str], cwd: Path, env: dict[str, str]) -> Any:
    """One `run:` step as the runner runs it: its env with expressions filled in, then
    `bash --noprofile --norc -eo pipefail script`."""
    full = {**os.environ, **env}
    for key, value in step.get("env", {}).items():
        full[key] = EXPR.sub(lambda m: _value(m.group(1), values), str(value))
    script = cwd.parent / "step.sh"
    script.write_text(step["run"], encoding="utf-8")
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        cwd=cwd,
        env=full,
        capture_output=True,
        text=True,
        check=False,
    )


def test_shards_then_one_merged_report(git_repo: Path, tmp_path: Path) -> None:
    jupyter_notebook(git_repo / "notebooks" / "Q3 review.ipynb", [code("print('ok')")])
    jupyter_notebook(
        git_repo / "notebooks" / "broken one.ipynb",
        [code("1 / 0", [error("ZeroDivisionError", "division by zero")], count=1)],
    )
    assert commit_all(git_repo, "notebooks").returncode == 0
    shim = tmp_path / "bin"  # `python3` in the image is the interpreter with nbtools
    shim.mkdir()
    for name in ("python3", "python"):  # a script, not a link: a venv knows itself by path
        (shim / name).write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
        (shim / name).chmod(0o755)
    env = {"PATH": f"{shim}{os.pathsep}{os.environ['PATH']}", "PYTHONPATH": str(REPO)}

    run_step = next(s for s in _jobs()["run"]["steps"] if "--shard" in s.get("run", ""))
    for shard in ("1", "2"):
        values = {
            "inputs.paths": "notebooks/Q3 review.ipynb\nnotebooks/broken one.ipynb\n",
            "inputs.args": "--timeout 60",
            "inputs.shards": "2",
            "inputs.run-cache": "false",
            "matrix.shard": shard,
        }
        done = _run(run_step, values, git_repo, env)
        # a failing notebook is not the shard's failure: the merge job decides
        assert done.returncode == 0, done.stdout + done.stderr
    reports = [json.loads((git_repo / "reports" / f"shard-{k}.json").read_text()) for k in "12"]
    ran = sorted(f["path"] for report in reports for f in report["files"])
    assert ran == ["notebooks/Q3 review.ipynb", "notebooks/broken one.ipynb"]  # each once
    html = sorted(
        p.name
        for p in (git_repo / "reports" / "html").rglob("*.html")
        if p.name != "index.html" and not p.name.endswith(".verdict.html")
    )
    assert [name.rsplit("__", 1)[-1] for name in html] == ["Q3 review.html", "broken one.html"]

    if "report" not in COMMANDS:
        pytest.skip("`nbtools report merge` has not landed on this branch yet")
    # the merge job downloads each shard's artifact into shards/<artifact>/
    for k in "12":
        folder = git_repo / "shards" / f"nbtools-shard-{k}"
        folder.mkdir(parents=True)
        (git_repo / "reports" / f"shard-{k}.json").rename(folder / f"shard-{k}.json")
    merge_step = next(s for s in _jobs()["merge"]["steps"] if s.get("id") == "merge")
    summary, output = tmp_path / "summary.md", tmp_path / "output"
    values = {
        "github.server_url": "https://github.com",
        "github.repository": "team/notebooks",
        "github.run_id": "42",
    }
    runner = {**env, "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(output)}
    done = _run(merge_step, values, git_repo, runner)
    assert done.returncode == 1, done.stdout + done.stderr  # one notebook fails
    assert output.read_text() == "exit-code=1\n"
    junit = (git_repo / "merged" / "junit.xml").read_text(encoding="utf-8")
    assert junit.count("<testcase ") == 2
    sarif = json.loads((git_repo / "merged" / "nbtools.sarif").read_text(encoding="utf-8"))
    (result,) = sarif["runs"][0]["results"]
    location = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert location == "notebooks/broken%20one.ipynb"
    text = summary.read_text(encoding="utf-8")
    assert text.count("## nbtools") == 1  # one summary
    assert "https://github.com/team/notebooks/actions/runs/42#artifacts" in text
