"""Stories: silencing a rule the same way in every family, and seeing what was silenced."""

from __future__ import annotations

from pathlib import Path

from story import code, commit_all, git, jupyter_notebook, nbtools


def test_a_team_silences_a_hidden_state_rule_and_the_summary_says_so(git_repo: Path) -> None:
    # `spark` comes from the Databricks runtime: no cell defines it
    nb = jupyter_notebook(
        git_repo / "etl.ipynb",
        [code("df = spark.read.table('sales')"), code("print(df.count())")],
    )
    first = nbtools("check", str(nb), cwd=git_repo)
    assert first.returncode == 1
    assert "hidden-state/undefined-name" in first.stdout

    # the per-cell way: a comment naming the rule
    nb = jupyter_notebook(
        git_repo / "etl.ipynb",
        [
            code("df = spark.read.table('sales')  # nbtools: allow[hidden-state/undefined-name]"),
            code("print(df.count())"),
        ],
    )
    nbtools("strip", "etl.ipynb", cwd=git_repo)  # the strip hook runs first
    second = nbtools("check", "etl.ipynb", cwd=git_repo)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "1 suppressed (1 by comment etl.ipynb:cell 1:1)" in second.stderr

    # the project-wide way: ignore_rules in the check table (it used to be accepted and ignored)
    jupyter_notebook(git_repo / "etl.ipynb", [code("df = spark.read.table('sales')")])
    nbtools("strip", "etl.ipynb", cwd=git_repo)
    (git_repo / "pyproject.toml").write_text(
        '[tool.nbtools.check]\nignore_rules = ["hidden-state/undefined-name"]\n'
    )
    third = nbtools("check", ".", cwd=git_repo)
    assert third.returncode == 0, third.stdout + third.stderr
    assert "1 suppressed (1 by ignore_rules " in third.stderr
    assert "pyproject.toml:2)" in third.stderr
    commit_all(git_repo)
    assert git(git_repo, "status", "--porcelain").stdout == ""
