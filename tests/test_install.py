"""``nbtools install`` in real git repositories: add, status, diff, checkout, uninstall."""

from __future__ import annotations

import copy
import json
import os
import shlex
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import make_cell, make_nb, run_git, write_nb

from nbtools.cli import main
from nbtools.gitsetup import (
    ATTRIBUTES_LINE,
    Attributes,
    GitConfig,
    command_problem,
    config_entries,
    default_command,
    find_repo,
)

pytestmark = pytest.mark.git

OUTPUT = {"name": "stdout", "output_type": "stream", "text": ["hello\n"]}
DIRTY = make_nb(
    [
        make_cell("markdown", "# Title\nSome text"),
        make_cell("code", "print('hello')", execution_count=3, outputs=[OUTPUT]),
    ]
)


def dirty(**changes: Any) -> dict[str, Any]:
    nb = copy.deepcopy(DIRTY)
    nb["cells"][1].update(changes)
    return nb


@pytest.fixture
def repo(git_repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repository, the current directory."""
    monkeypatch.chdir(git_repo)
    return git_repo


@pytest.fixture
def installed(repo: Path) -> Path:
    assert main(["install", str(repo)]) == 0
    return repo


def staged(repo: Path, path: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(run_git(repo, "show", f":{path}").stdout)
    return result


def test_install_writes_this_interpreter_and_attributes(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["install"]) == 0
    out = capsys.readouterr().out
    assert "added filter.nbtools.process" in out
    assert (repo / ".gitattributes").read_text() == ATTRIBUTES_LINE + "\n"
    for key, value in config_entries(default_command()).items():
        assert run_git(repo, "config", "--local", "--get", key).stdout.strip() == value
    process = run_git(repo, "config", "--get", "filter.nbtools.process").stdout.strip()
    # git started from an IDE or without the venv finds no `nbtools` on PATH: an absolute path
    assert process == f"{shlex.quote(sys.executable)} -m nbtools filter --process"
    # a second install changes nothing
    before = (repo / ".gitattributes").stat().st_mtime_ns
    assert main(["install"]) == 0
    assert "kept .gitattributes" in capsys.readouterr().out
    assert (repo / ".gitattributes").stat().st_mtime_ns == before


def test_install_local_attributes_leave_the_tree_alone(repo: Path) -> None:
    assert main(["install", "--attributes", "local"]) == 0
    assert not (repo / ".gitattributes").exists()
    assert ATTRIBUTES_LINE in (repo / ".git" / "info" / "attributes").read_text()
    assert run_git(repo, "check-attr", "filter", "diff", "--", "a.ipynb").stdout.split("\n")[
        :2
    ] == [
        "a.ipynb: filter: nbtools",
        "a.ipynb: diff: nbtools",
    ]


def test_install_appends_to_existing_gitattributes(repo: Path) -> None:
    (repo / ".gitattributes").write_text("*.png binary")  # no final newline
    assert main(["install"]) == 0
    assert (repo / ".gitattributes").read_text() == f"*.png binary\n{ATTRIBUTES_LINE}\n"
    assert main(["install", "--uninstall"]) == 0
    assert (repo / ".gitattributes").read_text() == "*.png binary\n"


def test_git_add_stores_the_stripped_notebook_and_keeps_the_working_copy(installed: Path) -> None:
    write_nb(installed / "nb.ipynb", dirty())
    on_disk = (installed / "nb.ipynb").read_bytes()
    run_git(installed, "add", "nb.ipynb")
    blob = staged(installed, "nb.ipynb")
    assert blob["cells"][1]["outputs"] == []
    assert blob["cells"][1]["execution_count"] is None
    assert blob["cells"][1]["source"] == "print('hello')"
    assert blob["cells"][0] == DIRTY["cells"][0]
    assert (installed / "nb.ipynb").read_bytes() == on_disk  # outputs stay for the user
    assert run_git(installed, "status", "--porcelain", "--", "nb.ipynb").stdout == "A  nb.ipynb\n"
    run_git(installed, "commit", "-q", "-m", "nb")
    assert run_git(installed, "status", "--porcelain", "--", "nb.ipynb").stdout == ""
    # a fresh run that only changes outputs and counts is not a change at all; (git status
    # trusts a changed file size without filtering, so it shows " M" until the next add)
    write_nb(installed / "nb.ipynb", dirty(execution_count=9, outputs=[OUTPUT, OUTPUT]))
    assert run_git(installed, "diff", "--", "nb.ipynb").stdout == ""
    run_git(installed, "add", "nb.ipynb")
    assert run_git(installed, "status", "--porcelain", "--", "nb.ipynb").stdout == ""


def test_git_diff_shows_the_textconv_rendering(installed: Path) -> None:
    write_nb(installed / "nb.ipynb", dirty())
    run_git(installed, "add", "nb.ipynb")
    run_git(installed, "commit", "-q", "-m", "nb")
    write_nb(installed / "nb.ipynb", dirty(source="print('goodbye')"))
    diff = run_git(installed, "diff", "-U20", "--", "nb.ipynb").stdout
    assert "-print('hello')\n+print('goodbye')\n" in diff
    assert " # %% [markdown]\n # # Title\n # Some text\n" in diff
    assert '"source"' not in diff  # no JSON in sight
    assert "hello\n" not in diff.replace("print('hello')", "")  # outputs are stripped first


def test_checkout_of_a_filtered_notebook_works(installed: Path) -> None:
    """A required filter must also smudge, or git dies on checkout."""
    write_nb(installed / "nb.ipynb", dirty())
    run_git(installed, "add", "nb.ipynb")
    run_git(installed, "commit", "-q", "-m", "nb")
    (installed / "nb.ipynb").unlink()
    run_git(installed, "checkout", "--", "nb.ipynb")
    assert json.loads((installed / "nb.ipynb").read_text())["cells"][1]["outputs"] == []


def test_broken_notebook_passes_through_unchanged(installed: Path) -> None:
    broken = b'{"cells": [ {"cell_type": "code", "outputs": [1, 2'
    (installed / "broken.ipynb").write_bytes(broken)
    proc = run_git(installed, "add", "broken.ipynb")
    assert "broken.ipynb: invalid JSON" in proc.stderr
    assert run_git(installed, "cat-file", "blob", ":broken.ipynb").stdout.encode() == broken
    assert (installed / "broken.ipynb").read_bytes() == broken


def test_filter_reads_strip_configuration(installed: Path) -> None:
    (installed / "pyproject.toml").write_text(
        "[tool.nbtools.strip]\nkeep_count = true\n\n[tool.nbtools]\nexclude = ['raw/**']\n"
    )
    write_nb(installed / "nb.ipynb", dirty())
    write_nb(installed / "raw" / "kept.ipynb", dirty())
    run_git(installed, "add", "nb.ipynb", "raw/kept.ipynb")
    cell = staged(installed, "nb.ipynb")["cells"][1]
    assert (cell["outputs"], cell["execution_count"]) == ([], 3)  # as `nbtools strip` would
    assert staged(installed, "raw/kept.ipynb")["cells"][1]["outputs"] == [OUTPUT]  # excluded


@pytest.mark.slow
def test_one_filter_process_serves_a_whole_git_add(installed: Path, tmp_path: Path) -> None:
    count = 25
    for index in range(count):
        write_nb(installed / f"nb{index:02}.ipynb", dirty(source=f"print({index})"))
    trace = tmp_path / "trace.log"
    run_git(installed, "add", "-A", env={**os.environ, "GIT_TRACE": str(trace)})
    started = [
        line
        for line in trace.read_text().splitlines()
        if "run_command:" in line and "-m nbtools filter" in line
    ]
    assert len(started) == 1, started
    assert "nbtools filter --process" in started[0]
    blobs = [staged(installed, f"nb{index:02}.ipynb") for index in range(count)]
    assert all(b["cells"][1]["outputs"] == [] for b in blobs)
    assert [b["cells"][1]["source"] for b in blobs] == [f"print({i})" for i in range(count)]


def test_status_reports_what_is_set_up(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["install", "--status"]) == 1  # nothing installed yet
    out = capsys.readouterr().out
    assert "install/missing" in out
    assert "filter.nbtools.process" in out
    assert main(["install", "--attributes", "local"]) == 0
    capsys.readouterr()
    assert main(["install", "--status", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    states = {(item["component"], item["location"]): item["state"] for item in data["install"]}
    assert states[("attributes", ".git/info/attributes")] == "installed"
    assert states[("git config", "filter.nbtools.process")] == "installed"
    assert data["findings"] == []


def test_status_flags_another_tools_filter(
    installed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with (installed / ".gitattributes").open("a") as handle:
        handle.write("*.ipynb filter=nbstripout\n")  # a later line wins in git
    run_git(
        installed,
        "config",
        "filter.nbtools.process",
        "/old/venv/bin/python -m nbtools filter --process",
    )
    assert main(["install", "--status"]) == 1
    out = capsys.readouterr().out
    assert "install/conflict" in out
    assert "notebooks get filter=nbstripout" in out
    assert "/old/venv/bin/python does not exist" in out  # a stale venv path


def test_status_accepts_another_command_that_runs_nbtools(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["install", "--command", f"{sys.executable} -m nbtools"]) == 0
    capsys.readouterr()
    assert main(["install", "--status"]) == 0
    assert "installed filter.nbtools.process" in capsys.readouterr().out


def test_uninstall_removes_everything_it_added(
    installed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["install", "--attributes", "local"]) == 0
    assert main(["install", "--uninstall"]) == 0
    out = capsys.readouterr().out
    assert "removed .gitattributes" in out
    assert "removed .git/info/attributes" in out
    assert not (installed / ".gitattributes").exists()
    assert 'filter "nbtools"' not in (installed / ".git" / "config").read_text()
    assert 'diff "nbtools"' not in (installed / ".git" / "config").read_text()
    assert not (installed / ".git" / "info" / "attributes").exists()  # it held only our line
    write_nb(installed / "nb.ipynb", dirty())
    run_git(installed, "add", "nb.ipynb")
    assert staged(installed, "nb.ipynb")["cells"][1]["outputs"] == [OUTPUT]  # filter gone
    assert main(["install", "--uninstall"]) == 0
    assert "nothing to remove" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["install", "--attributes", "elsewhere"], 2, "invalid choice"),
        (["install", ".", "."], 2, "one repository directory"),
        (["install", "--status", "--uninstall"], 2, "not allowed with"),
    ],
)
def test_install_usage_errors(
    repo: Path, argv: list[str], code: int, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == code
    assert message in capsys.readouterr().err


def test_install_outside_a_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = tmp_path / "plain"
    outside.mkdir()
    monkeypatch.chdir(outside)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    assert main(["install"]) == 2
    assert "not inside a git working tree" in capsys.readouterr().err


def test_install_command_option_and_config(repo: Path) -> None:
    (repo / "pyproject.toml").write_text('[tool.nbtools.install]\nattributes = "local"\n')
    assert main(["install", "--command", "python3 -m nbtools"]) == 0
    assert not (repo / ".gitattributes").exists()
    value = run_git(repo, "config", "--get", "filter.nbtools.process").stdout.strip()
    assert value == "python3 -m nbtools filter --process"


def test_command_from_the_tree_is_refused_but_a_config_file_may_set_it(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """git runs the command on every add: a pull request's pyproject.toml must not choose it."""
    (repo / "pyproject.toml").write_text(
        "[tool.nbtools.install]\ncommand = \"sh -c 'touch pwned'; nbtools\"\n"
    )
    assert main(["install"]) == 2
    err = capsys.readouterr().err
    assert "tool.nbtools.install.command = " in err and "chooses the program git runs" in err
    assert run_git(repo, "config", "--get", "filter.nbtools.process", check=False).stdout == ""
    trusted = tmp_path / "ci.toml"
    trusted.write_text('[tool.nbtools.install]\ncommand = "python3 -m nbtools"\n')
    assert main(["install", "--config", str(trusted)]) == 0
    value = run_git(repo, "config", "--get", "filter.nbtools.process").stdout.strip()
    assert value == "python3 -m nbtools filter --process"


def test_components_directly(repo: Path) -> None:
    found = find_repo(repo / "sub" / "file.ipynb")  # need not exist yet
    assert found.root == repo.resolve()
    config = GitConfig()
    attrs = Attributes("repo")
    assert {a.state for a in config.status(found)} == {"missing"}
    assert [a.state for a in attrs.install(found)] == ["added"]
    assert [a.state for a in attrs.install(found)] == ["unchanged"]
    assert [(a.location, a.state) for a in attrs.uninstall(found)] == [
        (".gitattributes", "removed")
    ]
    assert attrs.uninstall(found) == []


BARE_PATH = "/usr/bin:/bin"


def bare_env() -> dict[str, str]:
    """An environment like a GUI client's or a fresh shell's: no virtualenv on PATH."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PATH")}
    return {**env, "PATH": BARE_PATH}


def test_git_add_from_a_bare_path_runs_the_filter(installed: Path) -> None:
    git = shutil.which("git")
    assert git is not None
    write_nb(installed / "nb.ipynb", dirty())
    proc = run_git(installed, "add", "nb.ipynb", check=False, env=bare_env())
    assert proc.returncode == 0, proc.stderr
    assert staged(installed, "nb.ipynb")["cells"][1]["outputs"] == []


def test_default_command_is_this_interpreter_quoted() -> None:
    command = default_command()
    assert shlex.split(command) == [sys.executable, "-m", "nbtools"]
    assert command_problem(command) is None


def test_default_command_survives_spaces(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spaced = tmp_path / "my env" / "bin"
    spaced.mkdir(parents=True)
    wrapper = spaced / "python"
    # a stand-in interpreter (a symlinked venv python would lose its venv)
    wrapper.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} "$@"\n')
    wrapper.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(wrapper))
    command = default_command()
    assert command.startswith("'") and "my env" in command
    assert command_problem(command) is None


@pytest.mark.parametrize(
    ("command", "problem"),
    [
        ("/no/such/venv/bin/python -m nbtools", "/no/such/venv/bin/python does not exist"),
        ("nbtools-not-installed-anywhere", "is not on PATH"),
        ("'unclosed", "cannot be parsed"),
        (f"{shlex.quote(sys.executable)} -m nbtools_no_such_module", "cannot import nbtools"),
        ("true", "does not run nbtools"),
    ],
)
def test_command_problem_says_why_git_cannot_run_it(command: str, problem: str) -> None:
    found = command_problem(command)
    assert found is not None and problem in found, found


def test_status_says_when_the_interpreter_is_gone(
    installed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["install", "--status"]) == 0
    moved = "'/home/me/old env/bin/python' -m nbtools"
    for key, value in config_entries(moved).items():
        run_git(installed, "config", key, value)
    assert main(["install", "--status"]) == 1
    out = capsys.readouterr().out
    assert "install/conflict" in out
    assert "/home/me/old env/bin/python does not exist" in out
    assert main(["install"]) == 0  # installing again repairs it
    assert main(["install", "--status"]) == 0


def test_quiet_install_prints_only_what_needs_attention(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["install", "-q"]) == 0
    assert capsys.readouterr() == ("", "")
    assert main(["install", "--status", "-q"]) == 0
    assert capsys.readouterr() == ("", "")
    run_git(repo, "config", "--unset", "diff.nbtools.textconv")
    assert main(["install", "--status", "-q"]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines() == [
        "diff.nbtools.textconv: install/missing git config: diff.nbtools.textconv missing"
    ]
    assert err == ""
    assert main(["install", "--uninstall", "--quiet"]) == 0
    assert capsys.readouterr() == ("", "")
    # the JSON report still lists every piece
    assert main(["install", "-q", "--format", "json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["install"]) == 6
