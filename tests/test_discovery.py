"""Expanding paths: recursion, checkpoints, excludes and .gitignore."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import run_git

from nbtools.discovery import collect_files, git_root, in_git_worktree, matches_any, upward


def touch(root: Path, *names: str) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("{}")


def test_recursion_skips_checkpoints_hidden_and_vendored(tmp_path: Path) -> None:
    touch(
        tmp_path,
        "a.ipynb",
        "b.py",
        "s/c.ipynb",
        ".ipynb_checkpoints/a-checkpoint.ipynb",
        ".hidden/d.ipynb",
        "node_modules/e.ipynb",
    )
    found = collect_files([str(tmp_path)])
    assert [Path(p).relative_to(tmp_path).as_posix() for p in found] == ["a.ipynb", "s/c.ipynb"]
    assert len(collect_files([str(tmp_path)], (".ipynb", ".py"))) == 3


def test_explicit_files_are_kept_but_excludes_apply(tmp_path: Path) -> None:
    touch(tmp_path, "keep.ipynb", "legacy/old.ipynb")
    files = [str(tmp_path / "keep.ipynb"), str(tmp_path / "legacy/old.ipynb")]
    assert collect_files(files, exclude=["legacy/**"], root=tmp_path) == files[:1]
    assert collect_files([*files, files[0]]) == files  # duplicates once


@pytest.mark.git
def test_gitignored_files_are_skipped_when_recursing(git_repo: Path) -> None:
    touch(git_repo, "a.ipynb", "build/b.ipynb")
    (git_repo / ".gitignore").write_text("build/\n")
    run_git(git_repo, "add", ".gitignore")
    found = collect_files([str(git_repo)])
    assert [Path(p).name for p in found] == ["a.ipynb"]
    assert collect_files([str(git_repo / "build/b.ipynb")]) == [str(git_repo / "build/b.ipynb")]


@pytest.mark.parametrize(
    ("path", "patterns", "expected"),
    [
        ("nbs/a.ipynb", ["*.ipynb"], True),
        ("nbs/a.ipynb", ["nbs/**"], True),
        ("nbs/a.ipynb", ["other/**"], False),
        ("a.ipynb", [], False),
    ],
)
def test_matches_any(path: str, patterns: list, expected: bool) -> None:
    assert matches_any(path, patterns) is expected


def test_git_is_asked_only_inside_a_worktree(
    git_repo: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    (git_repo / "a" / "b").mkdir(parents=True)
    assert in_git_worktree(str(git_repo / "a" / "b"))
    outside = tmp_path_factory.mktemp("plain")
    monkeypatch.delenv("GIT_DIR", raising=False)
    assert not in_git_worktree(str(outside))
    monkeypatch.setenv("GIT_DIR", str(git_repo / ".git"))
    assert in_git_worktree(str(outside))  # git would answer for that repository


def test_upward_walks_to_the_root_and_git_root_finds_the_work_tree(git_repo: Path) -> None:
    inner = git_repo / "a" / "b"
    inner.mkdir(parents=True)
    walked = list(upward(str(inner)))
    assert walked[:3] == [str(inner), str(git_repo / "a"), str(git_repo)]
    assert walked[-1] == os.path.abspath(os.sep)
    assert git_root(str(inner)) == str(git_repo)
    assert git_root(os.path.abspath(os.sep)) is None or os.path.exists("/.git")
