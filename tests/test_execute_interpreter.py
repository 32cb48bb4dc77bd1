"""Which Python runs the kernels (#11.15): the project's environment, never a tool's own."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from conftest import make_cell, make_nb, write_nb
from venv_support import throwaway_venv

from nbtools.cli import main
from nbtools.execute.interpreter import find_interpreter, kernel_path_env, private_environment


def fake_env(prefix: Path, venv: bool = True) -> Path:
    (prefix / "bin").mkdir(parents=True)
    python = prefix / "bin" / "python"
    python.write_text("#!/bin/sh\n")
    python.chmod(0o755)
    if venv:
        (prefix / "pyvenv.cfg").write_text("home = /usr/bin\n")
    return python


def test_private_environments_are_recognised(tmp_path: Path) -> None:
    home = {"PRE_COMMIT_HOME": str(tmp_path / "pc"), "PIPX_HOME": str(tmp_path / "px")}
    assert private_environment(str(tmp_path / "pc" / "repoab12" / "py_env-python3"), home)
    assert private_environment("/anywhere/repo1/py_env-python3.11", {}) == "pre-commit"
    assert private_environment(str(tmp_path / "px" / "venvs" / "nbtools"), home) == "pipx"
    assert private_environment(str(tmp_path / "project" / ".venv"), home) is None


def test_the_order_of_environments(tmp_path: Path) -> None:
    active = fake_env(tmp_path / "active")
    conda = fake_env(tmp_path / "conda", venv=False)
    shell = fake_env(tmp_path / "shell")
    dotvenv = fake_env(tmp_path / "repo" / ".venv")
    own = str(tmp_path / "cache" / "repoxyz" / "py_env-python3")
    fake_env(Path(own))
    root = str(tmp_path / "repo")
    environ = {
        "VIRTUAL_ENV": str(tmp_path / "active"),
        "CONDA_PREFIX": str(tmp_path / "conda"),
        "PATH": os.pathsep.join([own + "/bin", str(shell.parent), "/usr/bin"]),
    }
    found = find_interpreter(root, environ, own)
    assert (found.python, found.source) == (str(active), "VIRTUAL_ENV")
    # pre-commit sets VIRTUAL_ENV to its own environment: never that one
    environ["VIRTUAL_ENV"] = own
    assert find_interpreter(root, environ, own).python == str(conda)
    del environ["CONDA_PREFIX"]
    found = find_interpreter(root, environ, own)
    assert (found.python, found.source) == (str(shell), "PATH")  # the user's activated venv
    environ["PATH"] = own + "/bin:/usr/bin"
    found = find_interpreter(root, environ, own)
    assert (found.python, found.source) == (str(dotvenv), ".venv")
    found = find_interpreter(str(tmp_path / "elsewhere"), environ, own)
    assert found.source == "nbtools" and "pre-commit" in found.reason
    assert "create .venv" in found.reason and found.prefix is None
    # nbtools installed in the project's own active venv: that same environment is fine
    assert find_interpreter(root, {"VIRTUAL_ENV": str(tmp_path / "active")}).source == (
        "VIRTUAL_ENV"
    )


def test_the_kernel_path_leads_to_its_environment(tmp_path: Path) -> None:
    fake_env(tmp_path / "proj")
    found = find_interpreter(None, {"VIRTUAL_ENV": str(tmp_path / "proj")}, "/nowhere")
    env = kernel_path_env({"PATH": "/usr/bin", "VIRTUAL_ENV": "/other"}, found)
    assert env["PATH"].split(os.pathsep)[0] == str(tmp_path / "proj" / "bin")
    assert env["VIRTUAL_ENV"] == str(tmp_path / "proj")


@pytest.mark.kernel
def test_run_uses_the_repository_venv_and_says_so(
    git_repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    monkeypatch.delenv("CONDA_PREFIX", raising=False)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    python = throwaway_venv(git_repo / ".venv", "project")
    cells = [make_cell(source="import project_only, sys\nprint(project_only.WHERE, sys.prefix)")]
    path = write_nb(git_repo / "nb.ipynb", make_nb(cells))
    code = main(["run", "--format", "json", "--write", str(path)])
    report = json.loads(capsys.readouterr().out)
    assert code == 0, report
    assert report["interpreter"]["python"] == str(python)
    assert report["interpreter"]["source"] == ".venv"
    written = json.loads(path.read_text())["cells"][0]["outputs"][0]["text"]
    assert written == f"project {git_repo / '.venv'}\n"
    assert main(["run", str(path)]) == 0
    assert f"kernels ran on {python}: the repository's .venv" in capsys.readouterr().err
    # a configured kernel wins, and the report says so
    code = main(["run", "--format", "json", "--kernel", sys.executable, str(path)])
    report = json.loads(capsys.readouterr().out)
    assert code == 1 and report["interpreter"]["source"] == "kernel"


@pytest.mark.kernel
def test_a_kernelspec_name_from_a_notebook_is_never_run_as_a_program(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    victim = tmp_path / "ran"
    program = tmp_path / "evil"
    program.write_text(f"#!/bin/sh\ntouch {victim}\n")
    program.chmod(0o755)
    spec = {"name": str(program), "display_name": "x", "language": "python"}
    path = write_nb(
        tmp_path / "nb.ipynb", make_nb([make_cell(source="1")], metadata={"kernelspec": spec})
    )
    code = main(["run", "--format", "json", str(path)])
    report = json.loads(capsys.readouterr().out)
    assert code == 1 and not victim.exists()
    assert "kernelspec name" in report["notebooks"][0]["failure"]


@pytest.mark.kernel
def test_an_environment_without_ipykernel_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import subprocess

    bare = tmp_path / "bare"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True)
    monkeypatch.setenv("VIRTUAL_ENV", str(bare))
    monkeypatch.delenv("PYTHONPATH", raising=False)
    path = write_nb(tmp_path / "nb.ipynb", make_nb([make_cell(source="1")]))
    assert main(["run", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"kernels would run on {bare / 'bin' / 'python'}" in err
    assert "the active virtualenv" in err and "has no ipykernel" in err
