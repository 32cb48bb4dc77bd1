"""Story (#14): a project with a shared helper module and a data file runs its notebooks
with a cache; each later run reruns only what a change can affect, and a branch's
``--changed-since main`` selects what the pull request touched."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from story import code, commit_all, git, jupyter_notebook, markdown, nbtools

pytestmark = pytest.mark.kernel


def run(repo: Path, *args: str) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    proc = nbtools("run", "--format", "json", *args, cwd=repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    return {Path(n["path"]).name: n for n in report["notebooks"]}, report


def ran(entries: dict[str, dict[str, Any]]) -> set[str]:
    return {name for name, entry in entries.items() if not entry.get("cached")}


def why(report: dict[str, Any], name: str) -> str:
    selected: dict[str, str] = report["changed_since"]["selected"]
    return next(reason for path, reason in selected.items() if path.endswith(name))


def _project(repo: Path) -> None:
    (repo / "lib").mkdir()
    (repo / "lib" / "__init__.py").write_text("")
    (repo / "lib" / "stats.py").write_text("def mean(xs):\n    return sum(xs) / len(xs)\n")
    (repo / "data").mkdir()
    (repo / "data" / "sales.csv").write_text("day,amount\n1,10\n2,20\n")
    (repo / "pyproject.toml").write_text('[tool.nbtools.run]\ncache = ".nbtools-cache"\n')
    (repo / ".gitignore").write_text(".nbtools-cache/\n__pycache__/\n")
    jupyter_notebook(
        repo / "notebooks" / "report.ipynb",
        [
            markdown("# Sales report"),
            code(
                "import sys; sys.path.insert(0, '..')\n"
                "from lib.stats import mean\n"
                "rows = open('../data/sales.csv').read().splitlines()[1:]\n"
                "print(mean([int(r.split(',')[1]) for r in rows]))"
            ),
        ],
    )
    jupyter_notebook(
        repo / "notebooks" / "model.ipynb",
        [
            code("import sys; sys.path.insert(0, '..')\nfrom lib import stats\nstats.mean([1, 3])"),
        ],
    )
    jupyter_notebook(repo / "notebooks" / "intro.ipynb", [markdown("# Intro"), code("1 + 1")])


def test_edit_the_helper_then_only_its_dependents_rerun(git_repo: Path) -> None:
    _project(git_repo)
    commit_all(git_repo, "project")
    entries, _ = run(git_repo, ".")  # the cache folder comes from pyproject.toml
    assert ran(entries) == {"report.ipynb", "model.ipynb", "intro.ipynb"}
    assert (git_repo / ".nbtools-cache" / "CACHEDIR.TAG").is_file()
    entries, _ = run(git_repo, ".")
    assert ran(entries) == set()
    proc = nbtools("run", ".", cwd=git_repo)
    assert "(3 cached)" in proc.stdout + proc.stderr

    # the user fixes the helper: the two notebooks that import it rerun
    (git_repo / "lib" / "stats.py").write_text(
        "def mean(xs):\n    xs = list(xs)\n    return sum(xs) / max(1, len(xs))\n"
    )
    entries, _ = run(git_repo, ".")
    assert ran(entries) == {"report.ipynb", "model.ipynb"}
    # new data: only the notebook that reads it
    (git_repo / "data" / "sales.csv").write_text("day,amount\n1,10\n2,40\n")
    entries, _ = run(git_repo, ".")
    assert ran(entries) == {"report.ipynb"}
    # reworded prose: nothing
    intro = git_repo / "notebooks" / "intro.ipynb"
    intro.write_text(intro.read_text().replace("# Intro", "# Introduction"))
    entries, _ = run(git_repo, ".")
    assert ran(entries) == set()


def test_a_branch_runs_what_it_changed_since_main(git_repo: Path) -> None:
    _project(git_repo)
    commit_all(git_repo, "project")
    git(git_repo, "checkout", "-q", "-b", "feature")
    (git_repo / "lib" / "stats.py").write_text("def mean(xs):\n    return sum(xs) / len(xs)\n\n")
    commit_all(git_repo, "touch the helper")

    # no cache yet: the imports decide
    entries, report = run(git_repo, "--no-cache", "--changed-since", "main", ".")
    assert set(entries) == {"report.ipynb", "model.ipynb"}
    assert report["changed_since"]["unchanged"] == 1
    assert "lib/stats.py" in why(report, "model.ipynb")

    # with a warm cache, a data edit selects the notebook that read it before
    run(git_repo, ".")
    (git_repo / "data" / "sales.csv").write_text("day,amount\n1,1\n")
    entries, report = run(git_repo, "--changed-since", "main", ".")
    assert set(entries) == {"report.ipynb", "model.ipynb"}
    assert ran(entries) == {"report.ipynb"}  # model.ipynb: selected, and served
    # what changed since the last commit: the data file, read by report.ipynb only
    entries, report = run(git_repo, "--changed-since", "HEAD", ".")
    assert set(entries) == {"report.ipynb"} and ran(entries) == set()
    assert "it read data/sales.csv" in why(report, "report.ipynb")

    proc = nbtools("run", "--changed-since", "no-such-branch", ".", cwd=git_repo)
    assert proc.returncode == 2 and "no-such-branch" in proc.stderr
