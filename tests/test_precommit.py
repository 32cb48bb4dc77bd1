"""The published hooks under the real pre-commit framework, in real temporary git repos.

Each test's ``.pre-commit-config.yaml`` is built from this repository's
``.pre-commit-hooks.yaml`` (ids, types, stages, require_serial as published) as
``repo: local`` hooks whose entry runs this checkout's nbtools with this interpreter,
so no package is installed from the network.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, make_cell, make_nb, run_git, write_nb

yaml = pytest.importorskip("yaml")

pytestmark = [pytest.mark.precommit, pytest.mark.git]

PRE_COMMIT = Path(sys.executable).with_name("pre-commit")
TOKEN = "ghp_R8x2Kq9LmZ4vT7bN1cW5yH3jD6fG0sAeP2uX"  # made up; nbtools: allow
STREAM = {"name": "stdout", "output_type": "stream", "text": ["hi\n"]}


def manifest() -> list[dict[str, Any]]:
    hooks: list[dict[str, Any]] = yaml.safe_load(
        (REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    )
    return hooks


def local_config(ids: list[str] | None = None) -> str:
    """A config running the published hooks from this checkout (``repo: local``)."""
    hooks = []
    for hook in manifest():
        if ids is not None and hook["id"] not in ids:
            continue
        local = {
            k: v for k, v in hook.items() if k not in ("description", "minimum_pre_commit_version")
        }
        command = hook["entry"].split(" ", 1)[1]
        local["entry"] = f"{shlex.quote(sys.executable)} -m nbtools {command}"
        local["language"] = "system"
        hooks.append(local)
    return yaml.safe_dump({"repos": [{"repo": "local", "hooks": hooks}]}, sort_keys=False)


@pytest.fixture
def pc_repo(git_repo: Path, tmp_path: Path) -> Path:
    if not PRE_COMMIT.exists() and shutil.which("pre-commit") is None:
        pytest.skip("pre-commit not installed")
    (git_repo / ".pre-commit-config.yaml").write_text(local_config(), encoding="utf-8")
    run_git(git_repo, "add", ".pre-commit-config.yaml")
    run_git(git_repo, "commit", "-q", "-m", "pre-commit config")
    pre_commit(
        git_repo, tmp_path, "install", "--hook-type", "pre-commit", "--hook-type", "pre-push"
    )
    return git_repo


def _env(tmp_path: Path) -> dict[str, str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    # nbtools must be importable by `python -m nbtools` from inside the test repo
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.pop("PRE_COMMIT", None)
    return env


def pre_commit(repo: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    exe = str(PRE_COMMIT) if PRE_COMMIT.exists() else "pre-commit"
    return subprocess.run(
        [exe, *args], cwd=repo, env=_env(tmp_path), text=True, capture_output=True, check=False
    )


def commit(repo: Path, tmp_path: Path, message: str = "change") -> subprocess.CompletedProcess[str]:
    """``git commit``; git sends the hook's output to stderr, so ``stdout`` gets both."""
    done = run_git(repo, "commit", "-m", message, check=False, env=_env(tmp_path))
    done.stdout += done.stderr
    return done


def test_manifest_is_valid_and_publishes_every_hook(tmp_path: Path) -> None:
    hooks = {h["id"]: h for h in manifest()}
    assert list(hooks) == [
        "nbtools-strip",
        "nbtools-scan",
        "nbtools-sync",
        "nbtools-check",
        "nbtools-run",
    ]
    assert hooks["nbtools-sync"]["require_serial"] is True
    assert hooks["nbtools-run"]["stages"] == ["manual", "pre-push"]
    assert all("stages" not in h for i, h in hooks.items() if i != "nbtools-run")
    assert hooks["nbtools-strip"]["types"] == ["jupyter"]
    # the scan hook selects exactly what `nbtools scan` covers
    from nbtools.secrets.scanner import SCANNED_FILES

    assert hooks["nbtools-scan"]["files"] == SCANNED_FILES
    from nbtools.commands import COMMANDS

    for hook in hooks.values():
        program, command = hook["entry"].split()
        assert program == "nbtools" and command in COMMANDS
    if PRE_COMMIT.exists():
        done = subprocess.run(
            [str(PRE_COMMIT), "validate-manifest", str(REPO / ".pre-commit-hooks.yaml")],
            capture_output=True,
            text=True,
            check=False,
            env=_env(tmp_path),
        )
        assert done.returncode == 0, done.stdout + done.stderr


def test_commit_with_outputs_fails_and_leaves_the_notebook_stripped(
    pc_repo: Path, tmp_path: Path
) -> None:
    nb = write_nb(
        pc_repo / "analysis.ipynb",
        make_nb([make_cell(source="print('hi')", execution_count=1, outputs=[STREAM])]),
    )
    run_git(pc_repo, "add", "analysis.ipynb")
    first = commit(pc_repo, tmp_path)
    assert first.returncode != 0
    assert "nbtools strip" in first.stdout and "Failed" in first.stdout
    assert "fixed analysis.ipynb" in first.stdout  # which file it changed
    assert "files were modified by this hook" in first.stdout
    stored = json.loads(nb.read_text(encoding="utf-8"))
    assert stored["cells"][0]["outputs"] == [] and stored["cells"][0]["execution_count"] is None
    run_git(pc_repo, "add", "analysis.ipynb")
    second = commit(pc_repo, tmp_path)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "nbtools run" not in second.stdout  # kernels never run at commit time


def test_planted_secret_blocks_the_commit(pc_repo: Path, tmp_path: Path) -> None:
    write_nb(pc_repo / "keys.ipynb", make_nb([make_cell(source=f'token = "{TOKEN}"')]))
    (pc_repo / "job.py").write_text(f'TOKEN = "{TOKEN}"\n', encoding="utf-8")
    run_git(pc_repo, "add", "keys.ipynb", "job.py")
    blocked = commit(pc_repo, tmp_path)
    assert blocked.returncode != 0
    assert "scan/github-token" in blocked.stdout
    assert "keys.ipynb" in blocked.stdout and "job.py" in blocked.stdout
    assert TOKEN not in blocked.stdout + blocked.stderr  # only the masked form is shown
    assert run_git(pc_repo, "log", "--oneline").stdout.count("\n") == 1


def test_out_of_sync_pair_is_reported(pc_repo: Path, tmp_path: Path) -> None:
    nb = write_nb(pc_repo / "p.ipynb", make_nb([make_cell(source="x = 1\ny = x")]))
    from nbtools.cli import main

    main(["pair", str(nb)])
    run_git(pc_repo, "add", "-A")
    done = commit(pc_repo, tmp_path, "pair")
    assert done.returncode == 0, done.stdout + done.stderr
    # both sides edited by hand since the last sync: a conflict nobody may resolve silently
    script = pc_repo / "p.py"
    script.write_text(
        script.read_text(encoding="utf-8").replace("y = x", "y = x + 1"), encoding="utf-8"
    )
    nb.write_text(nb.read_text(encoding="utf-8").replace("y = x", "y = 2 * x"), encoding="utf-8")
    run_git(pc_repo, "add", "p.ipynb", "p.py")
    blocked = commit(pc_repo, tmp_path)
    assert blocked.returncode != 0
    assert "sync/conflict" in blocked.stdout
    assert "y = x + 1" in script.read_text(encoding="utf-8")  # nothing lost


def test_hooks_never_fight_each_other(pc_repo: Path, tmp_path: Path) -> None:
    """All hooks over a messy tree: the first run fixes, the second passes changing nothing."""
    write_nb(
        pc_repo / "a.ipynb",
        make_nb(
            [
                make_cell(
                    source="a = 1",
                    execution_count=3,
                    outputs=[STREAM],
                    metadata={"collapsed": True},
                )
            ]
        ),
    )
    write_nb(
        pc_repo / "nested" / "b.ipynb",
        make_nb([make_cell(source="b = 2\nprint(b)", execution_count=1)]),
        indent=2,
    )
    nb = write_nb(
        pc_repo / "paired.ipynb",
        make_nb([make_cell(source="z = 1", execution_count=7, outputs=[STREAM])]),
    )
    from nbtools.cli import main

    main(["pair", str(nb)])
    (pc_repo / "tool.py").write_text("print('hello')\n", encoding="utf-8")
    run_git(pc_repo, "add", "-A")
    first = pre_commit(pc_repo, tmp_path, "run", "--all-files")
    assert first.returncode != 0  # strip fixed things
    snapshot = {
        p: p.read_bytes() for p in pc_repo.rglob("*") if p.is_file() and ".git" not in p.parts
    }
    run_git(pc_repo, "add", "-A")
    second = pre_commit(pc_repo, tmp_path, "run", "--all-files")
    assert second.returncode == 0, second.stdout + second.stderr
    assert "Failed" not in second.stdout
    after = {p: p.read_bytes() for p in pc_repo.rglob("*") if p.is_file() and ".git" not in p.parts}
    assert after == snapshot
    assert run_git(pc_repo, "diff", "--name-only").stdout == ""  # nothing left unstaged


def test_no_progress_bars_or_colour_under_pre_commit(pc_repo: Path, tmp_path: Path) -> None:
    for i in range(3):
        write_nb(
            pc_repo / f"n{i}.ipynb", make_nb([make_cell(source=f"v{i} = {i}", execution_count=1)])
        )
    run_git(pc_repo, "add", "-A")
    done = pre_commit(pc_repo, tmp_path, "run", "--all-files", "--color", "never", "nbtools-strip")
    assert done.returncode == 1
    assert "\x1b[" not in done.stdout and "\r" not in done.stdout
    assert done.stdout.count("fixed n") == 3


@pytest.mark.kernel
@pytest.mark.slow
def test_run_hook_is_manual_and_pre_push_only(pc_repo: Path, tmp_path: Path) -> None:
    write_nb(pc_repo / "ok.ipynb", make_nb([make_cell(source="1 + 1")]))
    run_git(pc_repo, "add", "ok.ipynb")
    default = pre_commit(pc_repo, tmp_path, "run", "--all-files")
    assert "nbtools run" not in default.stdout
    manual = pre_commit(
        pc_repo, tmp_path, "run", "--hook-stage", "manual", "nbtools-run", "--all-files"
    )
    assert "nbtools run" in manual.stdout
    assert manual.returncode == 0, manual.stdout + manual.stderr


def test_script_edited_alone_is_synced_and_reported(pc_repo: Path, tmp_path: Path) -> None:
    """One side of a pair changed: the sync hook carries it over and stops the commit once."""
    nb = write_nb(pc_repo / "q.ipynb", make_nb([make_cell(source="a = 1")]))
    from nbtools.cli import main

    main(["pair", str(nb)])
    run_git(pc_repo, "add", "-A")
    assert commit(pc_repo, tmp_path, "pair").returncode == 0
    script = pc_repo / "q.py"
    script.write_text(
        script.read_text(encoding="utf-8").replace("a = 1", "a = 2"), encoding="utf-8"
    )
    run_git(pc_repo, "add", "q.py")
    first = commit(pc_repo, tmp_path)
    assert first.returncode != 0
    assert "nbtools sync" in first.stdout and "q.ipynb" in first.stdout
    assert "a = 2" in nb.read_text(encoding="utf-8")  # the notebook follows the script
    run_git(pc_repo, "add", "-A")
    second = commit(pc_repo, tmp_path)
    assert second.returncode == 0, second.stdout


@pytest.mark.slow
def test_try_repo_installs_and_runs_the_published_hook(git_repo: Path, tmp_path: Path) -> None:
    """`pre-commit try-repo <checkout>`: the manifest as users get it (language: python, pip
    installs nbtools from the checkout into pre-commit's own environment; needs PyPI)."""
    if not PRE_COMMIT.exists():
        pytest.skip("pre-commit not installed in the dev venv")
    write_nb(git_repo / "a.ipynb", make_nb([make_cell(source="x = 1", execution_count=3)]))
    run_git(git_repo, "add", "a.ipynb")
    done = pre_commit(
        git_repo, tmp_path, "try-repo", str(REPO), "nbtools-strip", "--files", "a.ipynb"
    )
    output = done.stdout + done.stderr
    if "fixed a.ipynb" not in output and ("Could not" in output or "NewConnectionError" in output):
        pytest.skip("no package index reachable for pre-commit's environment")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "fixed a.ipynb (counts: 1)" in done.stdout
    assert (
        json.loads((git_repo / "a.ipynb").read_text(encoding="utf-8"))["cells"][0][
            "execution_count"
        ]
        is None
    )
