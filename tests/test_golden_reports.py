"""Golden reports: every format (text, json, junit, sarif, github) of a fixed set of reports,
byte for byte, through the command line (``main``), so that they stay identical through any
restructuring of the commands, the report types or the renderers.

The reports cover every file status (clean, findings, excluded, error, unchanged, would
change, changed), findings of each severity located in a cell, a cell's line, an output and a
plain file's line, findings suppressed by each source (comment, cell tag, ignore_rules,
exclude, baseline), and a run with every verdict and cause (``report merge`` of the run
report that tests/test_golden_run.py pins). ``pytest --update-goldens`` rewrites them.
"""

from __future__ import annotations

import os
import random
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import make_cell, make_nb, run_git, write_nb
from golden_support import GOLDEN, Normaliser, golden_files

from nbtools.cli import main

FORMATS = {"text": "txt", "json": "json", "junit": "xml", "sarif": "sarif", "github": "log"}

#: case -> the command line (run in the project; "report merge" reads the run golden)
CASES = {
    "check": ["check", "."],
    "scan": ["scan", "."],
    "strip-check": ["strip", "--check", "."],
    "strip": ["strip", "."],
    "run": ["report", "merge", "run.json"],
}

#: what nbtools reads from the environment that would change a report
_ENV_PREFIXES = ("GITHUB_", "NBTOOLS_", "PRE_COMMIT", "GIT_", "CI")
_ENV_NAMES = ("NO_COLOR", "FORCE_COLOR", "COLUMNS", "TERM", "BUILDKITE", "CIRCLECI", "GITLAB")


def _key(seed: int) -> str:
    """A made-up AWS access key id (the rule wants AKIA and 16 base-32 characters)."""
    rng = random.Random(seed)
    return "AKIA" + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))


KEY, KEY2, KEY3 = _key(1), _key(2), _key(3)

PYPROJECT = """\
[tool.nbtools]
exclude = ["vendor/**"]

[tool.nbtools.check]
ignore_rules = ["hidden-state/unexecuted-cell"]

[tool.nbtools.scan]
baseline = ".nbtools-baseline.json"
"""

#: accepts legacy.ipynb's key: the fingerprint is pinned too (a change breaks every baseline)
BASELINE = """\
{
  "findings": [
    {
      "fingerprint": "8dbbf51b82dbdebbac10a9fc549f03ca",
      "path": "legacy.ipynb",
      "rule": "scan/aws-access-key-id"
    }
  ],
  "tool": "nbtools scan",
  "version": 2
}
"""


def _stream(text: str) -> dict[str, Any]:
    return {"output_type": "stream", "name": "stdout", "text": text}


def build_project(root: Path) -> Path:
    """A committed repository with one file for every status, severity and suppression."""
    root.mkdir()
    (root / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (root / ".nbtools-baseline.json").write_text(BASELINE, encoding="utf-8")
    write_nb(
        root / "clean.ipynb",
        make_nb([make_cell("markdown", "# A clean notebook"), make_cell(source="total = 1 + 2")]),
    )
    write_nb(
        root / "hidden.ipynb",
        make_nb(
            [
                make_cell(source="print(late)", execution_count=3, outputs=[_stream("1\n")]),
                make_cell(source="late = 1", execution_count=1),
                make_cell(source="unused = 2"),
                make_cell(source="print(nowhere)", execution_count=5),
            ]
        ),
    )
    write_nb(
        root / "secrets.ipynb",
        make_nb(
            [
                make_cell(source=f'aws_key_id = "{KEY}"'),
                make_cell(source="print(credentials)", outputs=[_stream(f"key id: {KEY2}\n")]),
                make_cell(
                    source=f'old_key = "{KEY3}"  # nbtools: allow[scan/aws-access-key-id] revoked'
                ),
                make_cell(
                    source=f'tagged_key = "{KEY3}"',
                    metadata={"tags": ["nbtools-allow:scan/aws-access-key-id"]},
                ),
            ]
        ),
    )
    write_nb(root / "legacy.ipynb", make_nb([make_cell(source=f'legacy_key = "{KEY}"')]))
    (root / "broken.ipynb").write_text("{not json", encoding="utf-8")
    (root / "settings.py").write_text(f'"""Settings."""\n\nAWS_KEY_ID = "{KEY2}"\n', "utf-8")
    (root / ".env").write_text(f"DEBUG=1\nAWS_ACCESS_KEY_ID={KEY3}\n", encoding="utf-8")
    write_nb(root / "vendor" / "lib.ipynb", make_nb([make_cell(source=f'k = "{KEY}"')]))
    run_git(root, "init", "-q", "-b", "main")
    run_git(root, "remote", "add", "origin", "https://github.com/example/golden.git")
    run_git(root, "add", "-A")
    dated = {
        **os.environ,
        "GIT_AUTHOR_NAME": "golden",
        "GIT_AUTHOR_EMAIL": "golden@example.invalid",
        "GIT_COMMITTER_NAME": "golden",
        "GIT_COMMITTER_EMAIL": "golden@example.invalid",
        "GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z",
        "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z",
    }
    run_git(root, "-c", "commit.gpgsign=false", "commit", "-q", "-m", "golden", env=dated)
    return root


@pytest.fixture
def plain_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No CI, colour or nbtools variables: the reports a developer's terminal gets."""
    for name in list(os.environ):
        if name.startswith(_ENV_PREFIXES) or name in _ENV_NAMES:
            monkeypatch.delenv(name)


@pytest.mark.git
@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("case", sorted(CASES))
def test_report_is_the_golden_one(
    case: str,
    fmt: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsysbinary: pytest.CaptureFixture[bytes],
    plain_env: None,
    goldens: Any,
) -> None:
    if shutil.which("git") is None:
        pytest.skip("git not installed")
    if fmt == "junit" and sys.version_info < (3, 9):
        pytest.skip("Python 3.8 writes JUnit XML on one line (no ElementTree.indent)")
    project = build_project(tmp_path / "project")
    shutil.copyfile(GOLDEN / "run" / "report.json", project / "run.json")
    monkeypatch.chdir(project)
    capsysbinary.readouterr()
    code = main([*CASES[case], "--format", fmt, "--color", "never"])
    out, err = capsysbinary.readouterr()
    normalise = Normaliser({"project": project})
    goldens.check(f"reports/{case}/{fmt}.{FORMATS[fmt]}", normalise(out.decode("utf-8")))
    goldens.check(
        f"reports/{case}/{fmt}.stderr",
        f"exit code {code}\n" + normalise(err.decode("utf-8")),
    )


def test_every_golden_report_belongs_to_a_case() -> None:
    """A case or format taken out leaves no golden behind that nothing compares."""
    expected = {
        f"reports/{case}/{fmt}.{suffix}"
        for case in CASES
        for fmt, ext in FORMATS.items()
        for suffix in (ext, "stderr")
    }
    assert golden_files("reports") == expected
