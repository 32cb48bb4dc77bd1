"""``run --changed-since REF`` where CI clones are: shallow. What is missing is said in one
line, with what to fetch, before any kernel starts (exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import make_cell, make_nb, run_git, write_nb

from nbtools.cli import main


@pytest.fixture
def shallow_clone(git_repo: Path, tmp_path: Path) -> Path:
    """A clone of the last of three commits only, as actions/checkout makes by default."""
    for name in ("a", "b", "c"):
        write_nb(git_repo / f"{name}.ipynb", make_nb([make_cell(source=f"{name} = 1")]))
        run_git(git_repo, "add", ".")
        run_git(git_repo, "commit", "-q", "-m", name)
    clone = tmp_path / "clone"
    run_git(tmp_path, "clone", "-q", "--depth", "1", git_repo.as_uri(), str(clone))
    return clone


def _one_line(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_a_base_beyond_a_shallow_clone_says_what_to_fetch(
    shallow_clone: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = _one_line(capsys, "run", "--changed-since", "HEAD~1", str(shallow_clone))
    assert "HEAD~1" in line and "this clone is shallow" in line and "fetch-depth: 0" in line


def test_histories_that_do_not_meet_are_said_so(
    shallow_clone: Path, git_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the source's first commit, fetched alone: it exists here, but no history joins it
    first = run_git(git_repo, "rev-list", "--max-parents=0", "HEAD").stdout.strip()
    run_git(shallow_clone, "fetch", "-q", "--depth", "1", "origin", first)
    line = _one_line(capsys, "run", "--changed-since", first, str(shallow_clone))
    assert "have no common ancestor in this clone" in line and "this clone is shallow" in line


def test_a_full_clone_names_the_bad_revision_without_a_shallow_hint(
    git_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_nb(git_repo / "a.ipynb", make_nb([make_cell(source="a = 1")]))
    run_git(git_repo, "add", ".")
    run_git(git_repo, "commit", "-q", "-m", "a")
    line = _one_line(capsys, "run", "--changed-since", "no-such-branch", str(git_repo))
    assert "no-such-branch" in line and "shallow" not in line
