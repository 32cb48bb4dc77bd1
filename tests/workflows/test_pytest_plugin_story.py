"""A team that already runs pytest adds its notebooks to the same test run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from story import code, commit_all, jupyter_notebook, markdown, nbtools, stream

pytestmark = pytest.mark.kernel

PYPROJECT = """\
[tool.pytest.ini_options]
addopts = "-p nbtools.pytest_plugin -p no:cacheprovider"
nbtools = true

[tool.nbtools.run]
timeout = 60
"""


def pytest_in(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
        check=False,
    )


def test_notebooks_join_the_pytest_run_and_a_reordered_cell_fails_it(git_repo: Path) -> None:
    (git_repo / "pyproject.toml").write_text(PYPROJECT)
    (git_repo / "tests").mkdir()
    (git_repo / "tests" / "test_units.py").write_text("def test_add():\n    assert 1 + 1 == 2\n")
    report = jupyter_notebook(
        git_repo / "notebooks" / "report.ipynb",
        [
            markdown("# Monthly report"),
            code("sales = [120, 80, 95]", count=1),
            code("print(sum(sales))", [stream("295\n")], count=2),
        ],
    )
    jupyter_notebook(
        git_repo / "notebooks" / "explore.ipynb",
        [code("import json\nprint(json.dumps({'a': 1}))", [stream('{"a": 1}\n')], count=1)],
    )
    assert commit_all(git_repo, "tests and notebooks").returncode == 0

    green = pytest_in(git_repo, "-n", "2", "--junitxml=junit.xml")
    assert green.returncode == 0, green.stdout + green.stderr
    assert "3 passed" in green.stdout
    names = {c.get("name") for c in ET.parse(git_repo / "junit.xml").getroot().iter("testcase")}
    assert names == {"test_add", "report.ipynb", "explore.ipynb"}

    # someone moves the definition below its use, in Jupyter, where it still "works"
    nb = json.loads(report.read_text())
    nb["cells"][1], nb["cells"][2] = nb["cells"][2], nb["cells"][1]
    report.write_text(json.dumps(nb, indent=1) + "\n")
    commit_all(git_repo, "reorder")

    red = pytest_in(git_repo, "-n", "2", "--junitxml=junit.xml")
    assert red.returncode == 1
    assert "1 failed, 2 passed" in red.stdout
    assert "notebooks/report.ipynb::report.ipynb - fail_error: cell 2 raised NameError" in (
        red.stdout
    )
    assert "`sales` is only defined by cell 3 below" in red.stdout
    assert "    print(sum(sales))" in red.stdout  # the failing cell's source
    failure = next(
        c
        for c in ET.parse(git_repo / "junit.xml").getroot().iter("testcase")
        if c.get("name") == "report.ipynb"
    ).find("failure")
    assert failure is not None and "NameError" in str(failure.text)

    # `nbtools run` says the same about the same notebook
    run = nbtools("run", "--format", "json", "notebooks/report.ipynb", cwd=git_repo)
    assert run.returncode == 1
    assert json.loads(run.stdout)["notebooks"][0]["verdict"] == "fail_error"
