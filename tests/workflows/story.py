"""Helpers for user stories: notebooks as Jupyter writes them, real nbtools and git.

Real temp git repositories, real git, real pre-commit with the published hooks, real jupytext and
real kernels, on notebooks in the form Jupyter writes them (sources and outputs as lists of lines,
indent 1, cell ids). Import them as ``from story import ...`` (pytest puts this folder on sys.path).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterable

import nbformat
import pytest

HERE = Path(__file__).resolve().parent
REAL = HERE.parent / "fixtures" / "real"


def code(
    source: str, outputs: Iterable[dict[str, Any]] = (), count: int | None = None, **meta: Any
) -> Any:
    """A code cell as Jupyter makes it (``outputs`` from :func:`stream`, :func:`result`...)."""
    cell = nbformat.v4.new_code_cell(source, metadata=meta, execution_count=count)
    cell.outputs = [nbformat.from_dict(o) for o in outputs]
    return cell


def markdown(source: str, **meta: Any) -> Any:
    return nbformat.v4.new_markdown_cell(source, metadata=meta)


def stream(text: str, name: str = "stdout") -> dict[str, Any]:
    return {"output_type": "stream", "name": name, "text": text}


def result(text: str, count: int) -> dict[str, Any]:
    return {
        "output_type": "execute_result",
        "execution_count": count,
        "data": {"text/plain": text},
        "metadata": {},
    }


def error(ename: str, evalue: str) -> dict[str, Any]:
    return {
        "output_type": "error",
        "ename": ename,
        "evalue": evalue,
        "traceback": [f"\x1b[0;31m{ename}\x1b[0m: {evalue}"],
    }


def jupyter_notebook(path: Path, cells: list[Any], **metadata: Any) -> Path:
    """Write ``cells`` exactly as Jupyter saves a notebook (nbformat.write: list-of-lines
    sources and outputs, indent 1, sorted keys, cell ids, a Python 3 kernelspec)."""
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata.update(
        {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python", "version": sys.version.split()[0]},
            **metadata,
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


def real_fixture(name: str, dest: Path) -> Path:
    """Copy a real notebook from ``tests/fixtures/real`` (licences in its README) into dest."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(REAL / name, dest)
    return dest


def nbtools(
    *args: str, cwd: Path, env: dict[str, str] | None = None, check_internal: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run the real ``nbtools`` in a subprocess, as a user's shell would.

    An internal error (exit 3) is never a story's expected outcome: it fails the test at once
    unless ``check_internal`` is off.
    """
    proc = subprocess.run(
        [sys.executable, "-m", "nbtools", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
    )
    if check_internal and proc.returncode == 3:
        pytest.fail(f"nbtools {' '.join(args)} hit an internal error:\n{proc.stderr}")
    return proc


def git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=repo, check=check, text=True, capture_output=True)


def commit_all(repo: Path, message: str = "work") -> subprocess.CompletedProcess[str]:
    """``git add -A`` then commit; the commit's result (pre-commit hooks may stop it)."""
    git(repo, "add", "-A")
    return git(repo, "commit", "-q", "-m", message, check=False)
