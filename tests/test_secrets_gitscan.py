"""``nbtools scan --staged`` and ``--history`` on real git repositories."""

from __future__ import annotations

import json
import random
import string
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import make_cell, make_nb, run_git, write_nb

from nbtools.cli import main
from nbtools.secrets import gitscan

RNG = random.Random(13)
GHP = "ghp_" + "".join(RNG.choice(string.ascii_letters + string.digits) for _ in range(36))


def leaky_nb(path: Path, token: str = GHP) -> Path:
    out = {"output_type": "stream", "name": "stdout", "text": [f"GITHUB_TOKEN={token}\n"]}
    return write_nb(path, make_nb([make_cell("code", "!env", outputs=[out]), make_cell("code")]))


def clean_nb(path: Path) -> Path:
    return write_nb(path, make_nb([make_cell("code", "!env"), make_cell("code")]))


def commit(repo: Path, message: str) -> str:
    run_git(repo, "add", "-A")
    run_git(repo, "commit", "-q", "-m", message)
    return run_git(repo, "rev-parse", "HEAD").stdout.strip()


def scan(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str
) -> tuple[int, dict[str, Any]]:
    monkeypatch.chdir(repo)
    code = main(["scan", "--format", "json", *args])
    return code, json.loads(capsys.readouterr().out)


def test_history_finds_a_token_committed_then_stripped(
    git_repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    leaky_nb(git_repo / "nb" / "explore.ipynb")
    leak = commit(git_repo, "explore")
    clean_nb(git_repo / "nb" / "explore.ipynb")
    commit(git_repo, "strip outputs")
    assert scan(git_repo, capsys, monkeypatch)[0] == 0  # the work tree is clean

    code, data = scan(git_repo, capsys, monkeypatch, "--history")
    assert code == 1
    [finding] = data["findings"]
    assert finding["commit"] == leak
    assert (finding["path"], finding["cell_index"], finding["where"], finding["line"]) == (
        str(Path("nb/explore.ipynb")),
        0,
        "output",
        1,
    )
    assert finding["rule"] == "scan/github-token" and leak[:12] in finding["message"]
    assert data["git"] == {"mode": "history", "range": "HEAD", "commits": 2, "blobs": 2}


def test_each_distinct_blob_is_scanned_once_and_reported_at_its_first_commit(
    git_repo: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = ""
    for index in range(6):  # the leak goes in, out, in again: two distinct versions
        (leaky_nb if index % 2 == 0 else clean_nb)(git_repo / "a.ipynb")
        (git_repo / "s.py").write_text(f"print({index})\n", encoding="utf-8")
        sha = commit(git_repo, f"c{index}")
        first = first or sha
    calls: list[str] = []
    real = gitscan.read_blobs

    def counting(root: str, shas: Any) -> Any:
        calls.extend(shas)
        return real(root, shas)

    monkeypatch.setattr(gitscan, "read_blobs", counting)
    code, data = scan(git_repo, capsys, monkeypatch, "--history")
    assert code == 1
    assert [f["commit"] for f in data["findings"]] == [first]
    assert len(calls) == len(set(calls)) == 2 + 6  # 2 notebook versions, 6 scripts
    assert data["git"]["commits"] == 6


def test_history_range_limits_the_commits(
    git_repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    leaky_nb(git_repo / "a.ipynb")
    commit(git_repo, "leak")
    clean_nb(git_repo / "a.ipynb")
    commit(git_repo, "clean")
    assert scan(git_repo, capsys, monkeypatch, "--history", "HEAD~1..HEAD")[0] == 0
    assert scan(git_repo, capsys, monkeypatch, "--history", "HEAD~1")[0] == 1


def test_a_path_after_history_is_taken_as_a_path(
    git_repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    leaky_nb(git_repo / "a" / "x.ipynb")
    leaky_nb(git_repo / "b" / "y.ipynb")
    commit(git_repo, "both")
    code, data = scan(git_repo, capsys, monkeypatch, "--history", "b")
    assert code == 1 and [Path(f["path"]).name for f in data["findings"]] == ["y.ipynb"]


def test_staged_scans_the_index_not_the_work_tree(
    git_repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    clean_nb(git_repo / "a.ipynb")
    commit(git_repo, "start")
    leaky_nb(git_repo / "a.ipynb")
    run_git(git_repo, "add", "a.ipynb")
    clean_nb(git_repo / "a.ipynb")  # cleaned in the work tree, but not re-staged
    leaky_nb(git_repo / "unstaged.ipynb")  # not staged: not part of the commit
    code, data = scan(git_repo, capsys, monkeypatch, "--staged")
    assert code == 1
    assert [(f["path"], f["staged"]) for f in data["findings"]] == [("a.ipynb", True)]
    run_git(git_repo, "add", "a.ipynb")
    assert scan(git_repo, capsys, monkeypatch, "--staged")[0] == 0


def test_staged_sees_what_the_clean_filter_stored(
    git_repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A clean filter that drops outputs: the secret in the work tree never reaches the index."""
    strip = (
        "import json,sys; nb=json.load(sys.stdin); "
        "[c.update(outputs=[]) for c in nb['cells'] if c['cell_type']=='code']; "
        "json.dump(nb, sys.stdout, indent=1)"
    )
    run_git(git_repo, "config", "filter.strip.clean", f'"{sys.executable}" -c "{strip}"')
    (git_repo / ".gitattributes").write_text("*.ipynb filter=strip\n", encoding="utf-8")
    leaky_nb(git_repo / "a.ipynb")
    run_git(git_repo, "add", "-A")
    assert scan(git_repo, capsys, monkeypatch)[0] == 1  # the work tree has it
    code, data = scan(git_repo, capsys, monkeypatch, "--staged")
    assert (code, data["findings"]) == (0, [])


@pytest.mark.parametrize(
    "args",
    [["--staged", "--history"], ["--history", "--fix"], ["--history", "--bogus-range"]],
)
def test_bad_git_modes_are_usage_errors(
    git_repo: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
) -> None:
    leaky_nb(git_repo / "a.ipynb")
    commit(git_repo, "x")
    monkeypatch.chdir(git_repo)
    assert main(["scan", *args]) == 2


def test_staged_outside_a_repository_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    assert main(["scan", "--staged"]) == 2
    assert "not inside a git repository" in capsys.readouterr().err
