"""Story: the published strip and scan hooks under real pre-commit catch every leak (#11.7).

The config is built from this repository's ``.pre-commit-hooks.yaml`` (files, types, order as
published) as ``repo: local`` hooks running this checkout's nbtools, as tests/test_precommit.py
does, so nothing is installed from the network.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from story import HERE, code, git, jupyter_notebook, stream

yaml = pytest.importorskip("yaml")
REPO = HERE.parent.parent
PRE_COMMIT = Path(sys.executable).with_name("pre-commit")
TOKEN = "ghp_" + "Hk7Lm2Np9Qr4St6Uv8Wx1Yz3Ab5Cd0Ef2Gh4I"


def _env(home: Path) -> dict[str, str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home)}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.pop("PRE_COMMIT", None)
    return env


def _install(repo: Path, home: Path, order: list[str]) -> None:
    published = {h["id"]: h for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
    hooks = []
    for hook_id in order:
        hook = {
            k: v
            for k, v in published[hook_id].items()
            if k not in ("description", "minimum_pre_commit_version")
        }
        command = hook["entry"].split(" ", 1)[1]
        hook["entry"] = f"{shlex.quote(sys.executable)} -m nbtools {command}"
        hook["language"] = "system"
        hooks.append(hook)
    config = {"repos": [{"repo": "local", "hooks": hooks}]}
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    git(repo, "add", ".pre-commit-config.yaml")
    git(repo, "commit", "-q", "-m", "hooks")
    exe = str(PRE_COMMIT) if PRE_COMMIT.exists() else "pre-commit"
    subprocess.run([exe, "install"], cwd=repo, env=_env(home), check=True, capture_output=True)


def _commit(repo: Path, home: Path) -> subprocess.CompletedProcess[str]:
    git(repo, "add", "-A")
    done = subprocess.run(
        ["git", "commit", "-m", "work"],
        cwd=repo,
        env=_env(home),
        text=True,
        capture_output=True,
        check=False,
    )
    done.stdout += done.stderr
    return done


@pytest.fixture
def home(tmp_path: Path) -> Path:
    if not PRE_COMMIT.exists() and shutil.which("pre-commit") is None:
        pytest.skip("pre-commit not installed")
    return tmp_path / "pre-commit-home"


@pytest.mark.parametrize("name", [".env", "Dockerfile", "deploy/.env.production"])
def test_the_scan_hook_blocks_a_key_in_an_env_file_or_dockerfile(
    git_repo: Path, home: Path, name: str
) -> None:
    _install(git_repo, home, ["nbtools-strip", "nbtools-scan"])
    target = git_repo / name
    target.parent.mkdir(parents=True, exist_ok=True)
    body = f"ENV GITHUB_TOKEN={TOKEN}\n" if "Dockerfile" in name else f"GITHUB_TOKEN={TOKEN}\n"
    target.write_text(("FROM python:3.11\n" if "Dockerfile" in name else "") + body)
    blocked = _commit(git_repo, home)
    assert blocked.returncode != 0, blocked.stdout
    assert "scan/github-token" in blocked.stdout and name in blocked.stdout
    assert TOKEN not in blocked.stdout
    # files scan does not understand are left alone, not errors
    target.unlink()
    (git_repo / "notes.md").write_text("nothing secret\n")
    (git_repo / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0")
    passed = _commit(git_repo, home)
    assert passed.returncode == 0, passed.stdout


@pytest.mark.parametrize(
    "order", [["nbtools-strip", "nbtools-scan"], ["nbtools-scan", "nbtools-strip"]]
)
def test_a_token_printed_in_an_output_is_reported_whatever_the_hook_order(
    git_repo: Path, home: Path, order: list[str]
) -> None:
    _install(git_repo, home, order)
    nb = jupyter_notebook(
        git_repo / "explore.ipynb",
        [code("!env | grep TOKEN", [stream(f"GITHUB_TOKEN={TOKEN}\n")], 1)],
    )
    blocked = _commit(git_repo, home)
    assert blocked.returncode != 0
    assert "explore.ipynb:cell 1:output 1" in blocked.stdout
    assert "rotate it" in blocked.stdout or "scan/github-token" in blocked.stdout
    assert TOKEN not in blocked.stdout
    if order[0] == "nbtools-strip":
        # strip ran first and removed it: it said so, and told the user to rotate the token
        assert "strip/credential-in-output" in blocked.stdout and "rotate it" in blocked.stdout
    assert TOKEN not in nb.read_text()  # stripped in the working copy either way
    # the user rotates the token and commits the stripped notebook: both hooks pass
    second = _commit(git_repo, home)
    assert second.returncode == 0, second.stdout
