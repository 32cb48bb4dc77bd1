"""Kernelspecs as ``nbtools run`` reads them: which program a notebook's kernel is.

A notebook names its kernel (``metadata.kernelspec.name``); ``--kernel`` names a kernelspec
or an interpreter. Specs are read from the Jupyter paths without importing jupyter_client
(:func:`find_spec_lite`); a plain ``PYTHON -m ipykernel_launcher`` spec is recognised
(:func:`ipykernel_python`) so that its kernel can be forked or launched directly.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import Any

from nbtools.execute.interpreter import GENERIC_NAMES
from nbtools.execute.process import KernelStartError


def check_kernel_name(name: str) -> None:
    """A kernelspec name from a notebook is a name, never a path (a notebook's author
    must not choose the program nbtools runs): KernelStartError otherwise."""
    from nbtools.trust import is_kernel_name

    if name and not is_kernel_name(name):
        raise KernelStartError(
            f"the notebook's kernelspec name {name!r} is not a plain kernel name (letters, "
            "digits, '.', '_', '-'); nbtools never runs a program a notebook names: fix "
            "metadata.kernelspec.name, or pass --kernel NAME|PYTHON"
        )


def is_python_path(value: str) -> bool:
    """``--kernel`` names an interpreter (a path) rather than a kernelspec."""
    return os.sep in value or (os.altsep is not None and os.altsep in value)


def same_interpreter(python: str) -> bool:
    """``python`` (a kernelspec's argv[0]) is this interpreter with its own packages."""
    if python in ("python", "python3", "{sys_executable}"):
        return True
    # a venv's python is a symlink to its base interpreter: the same binary with other
    # packages, so the prefix (the folder above bin/) must match too
    try:
        return os.path.realpath(python) == os.path.realpath(sys.executable) and os.path.realpath(
            os.path.dirname(os.path.dirname(os.path.abspath(python)))
        ) == os.path.realpath(sys.prefix)
    except OSError:
        return False


def ipykernel_python(spec: Any) -> str | None:
    """The interpreter of a plain ``PYTHON -m ipykernel_launcher -f FILE`` spec, else None."""
    argv = list(getattr(spec, "argv", []) or [])
    if getattr(spec, "language", "").lower() != "python" or len(argv) < 3:
        return None
    if getattr(spec, "env", None) or (getattr(spec, "metadata", None) or {}).get(
        "kernel_provisioner"
    ):
        return None  # the spec wants its own environment or launcher
    if argv[1] != "-m" or argv[2] not in ("ipykernel_launcher", "ipykernel"):
        return None
    if argv[3:] not in (["-f", "{connection_file}"], ["kernel", "-f", "{connection_file}"]):
        return None
    return sys.executable if same_interpreter(argv[0]) else str(argv[0])


def forkable(spec: Any) -> bool:
    """A spec whose kernel is this interpreter's ipykernel (so a fork gives the same kernel)."""
    return ipykernel_python(spec) == sys.executable


@dataclass
class LiteSpec:
    """The parts of a kernelspec nbtools needs, read without importing jupyter_client."""

    argv: list[str]
    language: str
    env: dict[str, str] = field(default_factory=dict)
    display_name: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    resource_dir: str = ""


def find_spec_lite(name: str) -> LiteSpec | None:
    """A kernelspec by name from the Jupyter paths, or the native python3; None: ask
    jupyter_client (which knows more places and conventions)."""
    import json

    try:
        from jupyter_core.paths import jupyter_path
    except ImportError:
        return None
    for folder in jupyter_path("kernels"):
        path = os.path.join(folder, name.lower(), "kernel.json")
        if not os.path.isfile(path):
            continue
        try:
            with open(path, encoding="utf-8") as handle:
                data = json.load(handle)
            return LiteSpec(
                argv=list(data["argv"]),
                language=str(data.get("language", "")),
                env=dict(data.get("env") or {}),
                display_name=str(data.get("display_name", name)),
                metadata=dict(data.get("metadata") or {}),
                resource_dir=os.path.dirname(path),
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None
    if name == "python3":  # ipykernel's built-in spec, which jupyter_client adds itself
        argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
        return LiteSpec(argv, "python", display_name="Python 3 (ipykernel)")
    return None


def python_spec(python: str) -> LiteSpec:
    """The spec of ``python -m ipykernel_launcher`` (``--kernel PYTHON``, the project's Python)."""
    argv = [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    return LiteSpec(argv, "python", display_name=f"Python ({python})")


def unavailable_language(nb: dict[str, Any]) -> str | None:
    """The notebook's language when it is not Python (R, Julia...), else None."""
    metadata = nb.get("metadata") or {}
    spec = metadata.get("kernelspec") or {}
    info = metadata.get("language_info") or {}
    language = ""
    if isinstance(spec, dict) and isinstance(spec.get("language"), str):
        language = spec["language"]
    if not language and isinstance(info, dict) and isinstance(info.get("name"), str):
        language = info["name"]
    name = spec.get("name") if isinstance(spec, dict) else None
    if not language and isinstance(name, str):
        lowered = name.lower()
        if lowered.startswith(("ir", "julia")) and not lowered.startswith("iruby"):
            language = "R" if lowered.startswith("ir") else "julia"
    language = language.strip()
    if not language or language.lower() in ("python", "python3", "python2", "ipython"):
        return None
    return language


def kernel_note(kernel_name: str, container: bool) -> str | None:
    """What to say when a notebook's own kernelspec was replaced by ``python3``."""
    if not kernel_name or kernel_name.lower() in GENERIC_NAMES:
        return None
    if container:
        return f"the notebook's kernelspec `{kernel_name}` ran as the image's python3"
    return None
