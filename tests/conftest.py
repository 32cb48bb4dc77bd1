"""Shared fixtures: the ../shared corpus (skipped where absent), notebook builders, git repos."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("NBTOOLS_SHARED", REPO.parent / "shared"))
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def _defined_rules() -> dict[str, Any]:
    """Every rule nbtools defines (all rule modules imported), before any test adds one."""
    from nbtools.findings import all_rules

    return all_rules()


@pytest.fixture(autouse=True)
def _fresh_registries(_defined_rules: dict[str, Any]) -> Iterator[None]:
    """No test sees what another registered: after each test the rule registry holds the rules
    nbtools defines again (a test's planted rules and a project's ``[tool.nbtools.scan]`` rules
    go), and the secret engines are built from the built-in rules only. All rule modules are
    imported first, so that a module a test imports later cannot add rules the reset drops."""
    yield
    from nbtools import findings
    from nbtools.secrets.engine import configure

    registry = findings._RULES  # the one registry; register_rules is its only public writer
    if registry != _defined_rules:
        registry.clear()
        registry.update(_defined_rules)
    configure()  # no project rules or allowlists: the next engine is the built-in one


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip the test cleanly where it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} not present (../shared is optional)")
    return path


@pytest.fixture
def shared() -> Callable[..., Path]:
    return shared_path


def make_cell(cell_type: str = "code", source: str = "", **extra: Any) -> dict[str, Any]:
    cell: dict[str, Any] = {
        "cell_type": cell_type,
        "metadata": extra.pop("metadata", {}),
        "source": source,
    }
    if cell_type == "code":
        cell["execution_count"] = extra.pop("execution_count", None)
        cell["outputs"] = extra.pop("outputs", [])
    cell.update(extra)
    return cell


def make_nb(
    cells: list[dict[str, Any]], metadata: dict[str, Any] | None = None, minor: int = 5
) -> dict[str, Any]:
    """A valid nbformat 4 notebook dict (cell ids added for minor >= 5)."""
    for index, cell in enumerate(cells):
        if minor >= 5:
            cell.setdefault("id", f"cell-{index}")
    return {
        "cells": cells,
        "metadata": metadata
        if metadata is not None
        else {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": minor,
    }


def write_nb(path: Path, nb: dict[str, Any], indent: int = 1) -> Path:
    """Write like nbformat does (sorted keys, indent 1, non-ASCII kept, final newline)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(nb, sort_keys=True, indent=indent, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return path


@pytest.fixture
def nb_factory(tmp_path: Path) -> Callable[..., Path]:
    """Write a notebook into tmp_path: nb_factory("a.ipynb", [make_cell(...)], ...)."""

    def factory(name: str, cells: list[dict[str, Any]], **kwargs: Any) -> Path:
        indent = kwargs.pop("indent", 1)
        return write_nb(tmp_path / name, make_nb(cells, **kwargs), indent=indent)

    return factory


def run_git(
    repo: Path, *args: str, check: bool = True, **kwargs: Any
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args], cwd=repo, check=check, text=True, capture_output=True, **kwargs
    )


@pytest.fixture
def git_repo(tmp_path: Path) -> Path:
    """A real, empty git repository with an identity set (CI machines have none)."""
    if shutil.which("git") is None:
        pytest.skip("git not installed")
    repo = tmp_path / "repo"
    repo.mkdir()
    run_git(repo, "init", "-q", "-b", "main")
    run_git(repo, "config", "user.email", "nbtools-tests@example.invalid")
    run_git(repo, "config", "user.name", "nbtools tests")
    run_git(repo, "config", "commit.gpgsign", "false")
    return repo


def nbtools_cli(
    *args: str,
    cwd: Path | None = None,
    input: bytes | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run the real ``nbtools`` console entry in a subprocess (same interpreter)."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "nbtools", *args],
        cwd=cwd,
        input=input,
        capture_output=True,
        env=full_env,
        check=False,
    )


STORIES = Path(__file__).resolve().parent / "workflows"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens",
        action="store_true",
        default=False,
        help="rewrite tests/golden/ from what nbtools writes now (review the diff)",
    )


@pytest.fixture
def goldens(request: pytest.FixtureRequest) -> Any:
    """Compare output with tests/golden/ (golden_support.Goldens)."""
    from golden_support import Goldens, updating

    return Goldens(updating(request.config))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test under ``tests/workflows`` is a user story (``-m story``); helpers for them
    are in ``tests/workflows/story.py`` (one conftest for the suite: two would clash by name).
    Container tests form one xdist group."""
    for item in items:
        if STORIES in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.story)
        if item.get_closest_marker("container") is not None:
            # under xdist --dist loadgroup the container tests run on one worker, one at a
            # time (the TF image's kernels are large; the engine's storage is the machine's)
            item.add_marker(pytest.mark.xdist_group("container"))
