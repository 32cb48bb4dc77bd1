"""strip keeps symbolic links as links and leaves read-only files alone."""

from __future__ import annotations

import copy
import os
import stat
from pathlib import Path

import pytest
from conftest import make_cell, make_nb, run_git, write_nb

from nbtools.cli import main

DIRTY = make_nb([make_cell("code", "print(1)", execution_count=1)])


@pytest.fixture
def repo(git_repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(git_repo)
    return git_repo


def test_a_link_inside_the_repository_is_stripped_through_and_stays_a_link(repo: Path) -> None:
    real = write_nb(repo / "real" / "nb.ipynb", copy.deepcopy(DIRTY))
    (repo / "link.ipynb").symlink_to(os.path.join("real", "nb.ipynb"))
    assert main(["strip", "link.ipynb"]) == 1
    assert (repo / "link.ipynb").is_symlink()
    assert os.readlink(repo / "link.ipynb") == os.path.join("real", "nb.ipynb")
    assert '"execution_count": null' in real.read_text()
    assert main(["strip", "link.ipynb"]) == 0


def test_a_link_leaving_the_repository_is_refused(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    victim = write_nb(tmp_path / "outside" / "victim.ipynb", copy.deepcopy(DIRTY))
    before = victim.read_bytes()
    (repo / "nb.ipynb").symlink_to(victim)
    write_nb(repo / "z.ipynb", copy.deepcopy(DIRTY))
    assert main(["strip", "."]) == 2
    err = capsys.readouterr().err
    assert "nb.ipynb: cannot write: a symbolic link to" in err and "outside the repository" in err
    assert victim.read_bytes() == before and (repo / "nb.ipynb").is_symlink()
    assert '"execution_count": null' in (repo / "z.ipynb").read_text()  # the batch went on
    assert main(["strip", "--check", "nb.ipynb"]) == 1  # reading through it is fine


def test_a_linked_folder_leaving_the_repository_is_refused(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    victim = write_nb(tmp_path / "outside" / "victim.ipynb", copy.deepcopy(DIRTY))
    before = victim.read_bytes()
    (repo / "linked").symlink_to(tmp_path / "outside", target_is_directory=True)
    assert main(["strip", "linked/victim.ipynb"]) == 2
    assert "outside the repository" in capsys.readouterr().err
    assert victim.read_bytes() == before


def test_a_read_only_notebook_is_not_rewritten(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_nb(repo / "ref.ipynb", copy.deepcopy(DIRTY))
    path.chmod(0o444)
    before = path.read_bytes()
    run_git(repo, "status")  # a real repository around it
    assert main(["strip", "ref.ipynb"]) == 2
    assert "ref.ipynb: cannot write: read-only file; not rewritten" in capsys.readouterr().err
    assert path.read_bytes() == before
    assert stat.S_IMODE(path.stat().st_mode) == 0o444  # never chmod'ed
    assert main(["strip", "--check", "ref.ipynb"]) == 1
