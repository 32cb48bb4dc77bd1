"""The README's pre-commit recipe, lived through: the published hooks, installed by the real
pre-commit framework from a git snapshot of this checkout (``language: python``, its own
virtualenv, exactly as a user's ``rev:`` gets them), on a repository of real notebooks."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from story import code, git, jupyter_notebook, real_fixture, result, stream

yaml = pytest.importorskip("yaml")

pytestmark = [pytest.mark.precommit, pytest.mark.git, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
PRE_COMMIT = Path(sys.executable).with_name("pre-commit")
#: what a pip install of nbtools needs from the checkout
PACKAGE_FILES = ("nbtools", "pyproject.toml", "README.md", ".pre-commit-hooks.yaml")
#: real notebooks (tests/fixtures/real) that are fine once stripped
CLEAN_ONCE_STRIPPED = (
    "nbformat__test4custom.ipynb",
    "jupytext__frozen_cell.ipynb",
    "nbformat__test4jupyter_metadata_timings.ipynb",
    "nbconvert__notebook_inject.ipynb",
    "nbconvert__attachment.ipynb",
)


@pytest.fixture(scope="session")
def hook_source(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """This checkout's working tree as a git repository: (path, commit) for ``repo:``/``rev:``."""
    if not PRE_COMMIT.exists() and shutil.which("pre-commit") is None:
        pytest.skip("pre-commit not installed")
    source = tmp_path_factory.mktemp("nbtools-hooks")
    for name in PACKAGE_FILES:
        origin = REPO / name
        if origin.is_dir():
            shutil.copytree(origin, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(origin, source / name)
    git(source, "init", "-q", "-b", "main")
    git(source, "add", "-A")
    git(
        source,
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@example.invalid",
        "commit",
        "-q",
        "-m",
        "snapshot",
    )
    rev = git(source, "rev-parse", "HEAD").stdout.strip()
    return str(source), rev


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One hook environment for the session: pre-commit builds it once, as on a user's machine."""
    return tmp_path_factory.mktemp("pre-commit-home")


def readme_config() -> dict[str, Any]:
    """The recommended ``.pre-commit-config.yaml`` exactly as the README shows it."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## pre-commit and git hooks", 1)[1]
    block = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert block, "the README's pre-commit section has no yaml block"
    config: dict[str, Any] = yaml.safe_load(block.group(1))
    return config


def install_hooks(repo: Path, source: tuple[str, str], home: Path) -> dict[str, str]:
    config = readme_config()
    config["repos"][0]["repo"], config["repos"][0]["rev"] = source
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    env = {**os.environ, "PRE_COMMIT_HOME": str(home)}
    env.pop("PYTHONPATH", None)  # the hooks run the nbtools their own environment installed
    env.pop("VIRTUAL_ENV", None)
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if not p.startswith(sys.prefix)
    )
    exe = str(PRE_COMMIT) if PRE_COMMIT.exists() else "pre-commit"
    installed = subprocess.run(
        [exe, "install", "--hook-type", "pre-commit", "--hook-type", "pre-push"],
        cwd=repo,
        env=env,
        text=True,
        capture_output=True,
        check=False,
    )
    assert installed.returncode == 0, installed.stderr
    return env


def commit(repo: Path, env: dict[str, str], message: str) -> subprocess.CompletedProcess[str]:
    git(repo, "add", "-A")
    return subprocess.run(
        ["git", "commit", "-q", "-m", message],
        cwd=repo,
        env=env,
        text=True,
        capture_output=True,
        check=False,
    )


def test_readme_hooks_on_real_notebooks_second_commit_passes(
    git_repo: Path, hook_source: tuple[str, str], pre_commit_home: Path
) -> None:
    """A team adopts the README's hooks on notebooks as Jupyter saved them: the first commit
    stops with the notebooks stripped, the second goes through, and nothing is left to do."""
    for name in CLEAN_ONCE_STRIPPED:
        real_fixture(name, git_repo / "notebooks" / name)
    jupyter_notebook(
        git_repo / "notebooks" / "analysis.ipynb",
        [
            code("values = [1, 2, 3]\ntotal = sum(values)", count=1),
            code("print(total)", [stream("6\n")], count=2),
            code("total * 2", [result("12", 2)], count=3),
        ],
    )
    env = install_hooks(git_repo, hook_source, pre_commit_home)

    first = commit(git_repo, env, "notebooks")
    assert first.returncode != 0, "strip changed notebooks: the first commit must stop"
    assert "nbtools strip" in first.stdout + first.stderr
    second = commit(git_repo, env, "notebooks, stripped")
    assert second.returncode == 0, second.stdout + second.stderr

    assert git(git_repo, "status", "--porcelain").stdout == ""
    stored = git(git_repo, "show", "HEAD:notebooks/analysis.ipynb").stdout
    assert '"outputs": []' in stored and '"execution_count": null' in stored
    # a third run of every hook over everything changes nothing and passes
    rerun = subprocess.run(
        [str(PRE_COMMIT) if PRE_COMMIT.exists() else "pre-commit", "run", "--all-files"],
        cwd=git_repo,
        env=env,
        text=True,
        capture_output=True,
        check=False,
    )
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr


def test_readme_hooks_with_a_paired_notebook(
    git_repo: Path, hook_source: tuple[str, str], pre_commit_home: Path
) -> None:
    """Pair a notebook, commit, edit only the script, commit: the sync hook brings the notebook
    along (the commit stops once so the synced notebook is staged), then everything passes."""
    nb = jupyter_notebook(
        git_repo / "model.ipynb",
        [code("x = 1", count=1), code("print(x)", [stream("1\n")], count=2)],
    )
    env = install_hooks(git_repo, hook_source, pre_commit_home)
    paired = subprocess.run(
        [sys.executable, "-m", "nbtools", "pair", str(nb)],
        cwd=git_repo,
        text=True,
        capture_output=True,
        check=False,
    )
    assert paired.returncode in (0, 1), paired.stderr
    assert (git_repo / "model.py").exists()
    if commit(git_repo, env, "pair").returncode != 0:  # strip fixed the notebook
        again = commit(git_repo, env, "pair, stripped")
        assert again.returncode == 0, again.stdout + again.stderr

    script = git_repo / "model.py"
    script.write_text(script.read_text(encoding="utf-8").replace("x = 1", "x = 2"), "utf-8")
    outcome = commit(git_repo, env, "edit the script")
    if outcome.returncode != 0:  # sync rewrote the notebook: stage it, as the hook asks
        outcome = commit(git_repo, env, "edit the script, synced")
    assert outcome.returncode == 0, outcome.stdout + outcome.stderr
    assert "x = 2" in git(git_repo, "show", "HEAD:model.ipynb").stdout
    assert git(git_repo, "status", "--porcelain").stdout == ""


def test_a_token_printed_in_outputs_is_reported_although_strip_runs_first(
    git_repo: Path, hook_source: tuple[str, str], pre_commit_home: Path
) -> None:
    """strip comes before scan in the README's order and removes the output holding the token;
    the user must still be told (the token is in their working copy and maybe their history)."""
    token = "ghp_" + "R8x2Kq9LmZ4vT7bN1cW5yH3jD6fG0sAeP2uX"  # made up
    jupyter_notebook(
        git_repo / "leak.ipynb",
        [code("import os\nprint(os.environ['GH'])", [stream(token + "\n")], count=1)],
    )
    env = install_hooks(git_repo, hook_source, pre_commit_home)
    first = commit(git_repo, env, "leak")
    second = commit(git_repo, env, "leak, stripped")
    said = first.stdout + first.stderr + second.stdout + second.stderr
    assert first.returncode != 0
    assert "leak.ipynb" in said and re.search(r"rotate|credential|secret", said, re.I), said
    assert token not in said  # reported, never printed


def test_a_key_in_a_dotenv_or_dockerfile_is_stopped(
    git_repo: Path, hook_source: tuple[str, str], pre_commit_home: Path
) -> None:
    """`nbtools scan` covers environment files and Dockerfiles; so does its hook."""
    key = "AKIA" + "QX3VZ7RB2KTY5MWN"  # made up, AWS access key id shape
    (git_repo / ".env").write_text(f"AWS_ACCESS_KEY_ID={key}\n", encoding="utf-8")
    (git_repo / "Dockerfile").write_text(f"FROM python:3.8\nENV AWS_KEY={key}\n", "utf-8")
    env = install_hooks(git_repo, hook_source, pre_commit_home)
    outcome = commit(git_repo, env, "config")
    said = outcome.stdout + outcome.stderr
    assert outcome.returncode != 0, said
    assert ".env" in said and "Dockerfile" in said and key not in said


def test_run_hook_uses_the_projects_environment_not_its_own(
    git_repo: Path, hook_source: tuple[str, str], pre_commit_home: Path
) -> None:
    """`pre-commit run --hook-stage manual nbtools-run` from an activated virtualenv: the notebook
    imports a package of that environment (hypothesis), which the hook's private one lacks."""
    jupyter_notebook(
        git_repo / "uses_env.ipynb",
        [code("import hypothesis\nprint(hypothesis.__version__)")],  # committed stripped
    )
    env = install_hooks(git_repo, hook_source, pre_commit_home)
    git(git_repo, "add", "-A")  # pre-commit's --all-files means the files git tracks
    env["VIRTUAL_ENV"] = sys.prefix  # as `source .venv/bin/activate` leaves it
    env["PATH"] = os.pathsep.join([str(Path(sys.prefix) / "bin"), env["PATH"]])
    exe = str(PRE_COMMIT) if PRE_COMMIT.exists() else "pre-commit"
    ran = subprocess.run(
        [exe, "run", "--hook-stage", "manual", "nbtools-run", "--all-files", "--verbose"],
        cwd=git_repo,
        env=env,
        text=True,
        capture_output=True,
        check=False,
    )
    said = ran.stdout + ran.stderr
    assert ran.returncode == 0, said
    assert sys.prefix in said  # the report names the interpreter that ran the notebooks
