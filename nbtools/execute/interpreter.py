"""Which Python runs a notebook's kernel: the project's environment, not nbtools' own.

nbtools is often installed where the project's packages are not: pre-commit and pipx give
it a private virtualenv, and a kernel started from that interpreter fails on the
notebook's first import (or, worse, a ``!pip install`` cell changes nbtools' own
packages). The kernel runs, in this order, in: the interpreter or kernelspec the user
configured (``--kernel``, ``[tool.nbtools.run] kernel``; the container's image is handled
by :mod:`nbtools.container`), the active virtualenv or conda environment (``VIRTUAL_ENV``,
``CONDA_PREFIX``, or a virtualenv whose ``bin`` is on ``PATH``: pre-commit replaces
``VIRTUAL_ENV`` with its own), the ``.venv`` at the repository's root, and only then
nbtools' own interpreter, saying why.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Mapping

#: kernelspec names that mean "Python", not a particular environment
GENERIC_NAMES = ("python3", "python")


@dataclass
class Interpreter:
    """The Python the kernels of a run use, and why that one."""

    python: str  # the interpreter's path
    source: str  # kernel | VIRTUAL_ENV | CONDA_PREFIX | PATH | .venv | nbtools
    reason: str  # one readable line
    prefix: str | None = None  # its environment folder

    def to_dict(self) -> dict[str, str | None]:
        return {
            "python": self.python,
            "source": self.source,
            "reason": self.reason,
            "prefix": self.prefix,
        }


def _bin(prefix: str) -> str:
    return os.path.join(prefix, "Scripts" if os.name == "nt" else "bin")


def python_in(prefix: str) -> str | None:
    """The interpreter of the environment at ``prefix``, if there is one."""
    names = ("python.exe",) if os.name == "nt" else ("python", "python3")
    for name in names:
        path = os.path.join(_bin(prefix), name)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


def _same_folder(a: str, b: str) -> bool:
    try:
        return os.path.realpath(a) == os.path.realpath(b)
    except OSError:
        return False


def _under(path: str, folder: str) -> bool:
    real, top = os.path.realpath(path), os.path.realpath(folder)
    return real == top or real.startswith(top.rstrip(os.sep) + os.sep)


def private_environment(
    prefix: str | None = None, environ: Mapping[str, str] | None = None
) -> str | None:
    """The tool whose private environment ``prefix`` (default: nbtools' own) is, or None.

    pre-commit names its environments ``py_env-<version>`` under its cache folder; pipx
    and ``uv tool`` keep one virtualenv per application under their own folders.
    """
    prefix = prefix or sys.prefix
    environ = os.environ if environ is None else environ
    home = os.path.expanduser("~")
    cache = environ.get("XDG_CACHE_HOME") or os.path.join(home, ".cache")
    data = environ.get("XDG_DATA_HOME") or os.path.join(home, ".local", "share")
    if os.path.basename(os.path.normpath(prefix)).startswith("py_env-") or any(
        _under(prefix, folder)
        for folder in (environ.get("PRE_COMMIT_HOME") or "", os.path.join(cache, "pre-commit"))
        if folder
    ):
        return "pre-commit"
    pipx = [
        environ.get("PIPX_HOME") or "",
        os.path.join(home, ".local", "pipx"),
        os.path.join(data, "pipx"),
    ]
    if any(_under(prefix, os.path.join(folder, "venvs")) for folder in pipx if folder):
        return "pipx"
    uv = environ.get("UV_TOOL_DIR") or os.path.join(data, "uv", "tools")
    if _under(prefix, uv):
        return "uv tool"
    return None


def _is_venv_bin(folder: str) -> str | None:
    """The virtualenv whose ``bin`` folder ``folder`` is (activated venvs put it on PATH)."""
    prefix = os.path.dirname(os.path.normpath(folder))
    if os.path.basename(os.path.normpath(folder)) not in ("bin", "Scripts"):
        return None
    if os.path.isfile(os.path.join(prefix, "pyvenv.cfg")):
        return prefix
    return None


def find_interpreter(
    root: str | None, environ: Mapping[str, str] | None = None, own_prefix: str | None = None
) -> Interpreter:
    """The project's Python for kernels started without a configured kernel.

    ``root`` is the repository's top folder (where a ``.venv`` would be).
    """
    environ = os.environ if environ is None else environ
    own_prefix = own_prefix or sys.prefix
    private = private_environment(own_prefix, environ)

    def usable(prefix: str) -> str | None:
        if private is not None and _same_folder(prefix, own_prefix):
            return None  # the tool's environment, not the project's
        return python_in(prefix)

    for variable, what in (
        ("VIRTUAL_ENV", "the active virtualenv"),
        ("CONDA_PREFIX", "the active conda environment"),
    ):
        prefix = environ.get(variable)
        python = usable(prefix) if prefix else None
        if prefix and python:
            return Interpreter(python, variable, f"{what} ({variable}={prefix})", prefix)
    for folder in (environ.get("PATH") or "").split(os.pathsep):
        prefix = _is_venv_bin(folder) if folder else None
        python = usable(prefix) if prefix else None
        if prefix and python:
            return Interpreter(
                python, "PATH", f"the virtualenv active in the shell ({prefix})", prefix
            )
    if root:
        prefix = os.path.join(root, ".venv")
        python = usable(prefix) if os.path.isdir(prefix) else None
        if python:
            return Interpreter(python, ".venv", f"the repository's .venv ({prefix})", prefix)
    where = f" and no .venv at {root}" if root else ""
    if private is not None:
        # prefix None: its bin stays off the kernel's PATH (`!pip` must not change it)
        reason = (
            f"no virtualenv or conda environment is active{where}: the kernels run in "
            f"nbtools' own {private} environment ({own_prefix}), where the project's packages "
            "are probably missing; activate the project's environment, create .venv, or set "
            "--kernel / [tool.nbtools.run] kernel"
        )
    else:
        reason = (
            f"no virtualenv or conda environment is active{where}: the kernels run in the "
            f"environment nbtools is installed in ({own_prefix})"
        )
    return Interpreter(sys.executable, "nbtools", reason, None if private else own_prefix)


def kernel_path_env(env: dict[str, str], interpreter: Interpreter) -> dict[str, str]:
    """``env`` for a kernel in ``interpreter``'s environment: its ``bin`` first on PATH,
    its VIRTUAL_ENV / CONDA_PREFIX, and no private tool environment on PATH (a notebook's
    ``!pip install`` must land in the kernel's environment)."""
    env = dict(env)
    prefix = interpreter.prefix
    drop = {os.path.realpath(_bin(sys.prefix))} if private_environment() else set()
    parts = [
        p
        for p in (env.get("PATH") or "").split(os.pathsep)
        if p and os.path.realpath(p) not in drop
    ]
    if prefix:
        bin_dir = _bin(prefix)
        parts = [bin_dir] + [p for p in parts if not _same_folder(p, bin_dir)]
        if os.path.isfile(os.path.join(prefix, "pyvenv.cfg")):
            env["VIRTUAL_ENV"] = prefix
        elif os.path.isdir(os.path.join(prefix, "conda-meta")):
            env["CONDA_PREFIX"] = prefix
            env.pop("VIRTUAL_ENV", None)
    elif drop and env.get("VIRTUAL_ENV") and _same_folder(env["VIRTUAL_ENV"], sys.prefix):
        env.pop("VIRTUAL_ENV")  # set by pre-commit for its own environment
    env["PATH"] = os.pathsep.join(parts)
    return env


def has_ipykernel(python: str, env: Mapping[str, str] | None = None) -> bool:
    """Whether ``python`` can start a kernel (one short process: asked once per run)."""
    import subprocess

    probe = "import importlib.util, sys; sys.exit(importlib.util.find_spec('ipykernel') is None)"
    try:
        done = subprocess.run(
            [python, "-c", probe],
            env=dict(env) if env is not None else None,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0
