"""The jupytext configuration that applies to a file (``jupytext.toml``, ``[tool.jupytext]``
in ``pyproject.toml`` ...), found as jupytext finds it and loaded by jupytext itself.

Finding none imports nothing: the file names are known here, and jupytext is imported
only to load a configuration that exists.
"""

from __future__ import annotations

import os
import sys
import warnings
from typing import Any

from nbtools.discovery import upward
from nbtools.errors import InputError
from nbtools.pairs.tree import JUPYTEXT_CONFIG_FILES, names_present, tree_root

_configs: dict[tuple[str, int, int], Any] = {}


def jupytext_config_file(path: str | os.PathLike[str]) -> str | None:
    """The jupytext configuration file that applies to ``path``, as jupytext finds it: the
    nearest folder holding one of its files or a ``pyproject.toml`` with ``[tool.jupytext]``
    (in that order), but never above ``path``'s repository (see :func:`tree_root`)."""
    folder = os.path.dirname(os.path.abspath(path))
    root = tree_root(path)
    for directory in upward(folder):
        present = names_present(directory)
        for name in JUPYTEXT_CONFIG_FILES:
            if name in present and os.path.isfile(os.path.join(directory, name)):
                return os.path.join(directory, name)
        pyproject = os.path.join(directory, "pyproject.toml")
        if "pyproject.toml" in present and _has_jupytext_table(pyproject):
            return pyproject
        if os.path.realpath(directory) == root:
            break
    return None


_tables: dict[tuple[str, int, int], bool] = {}


def _has_jupytext_table(pyproject: str) -> bool:
    try:
        st = os.stat(pyproject)
    except OSError:
        return False
    key = (pyproject, st.st_mtime_ns, st.st_size)
    if key not in _tables:
        _tables[key] = _read_jupytext_table(pyproject)
    return _tables[key]


def _read_jupytext_table(pyproject: str) -> bool:
    try:
        with open(pyproject, "rb") as handle:
            data = handle.read()
    except OSError:
        return False
    if b"jupytext" not in data:
        return False
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python < 3.11
        import tomli as tomllib
    try:
        tool = tomllib.loads(data.decode("utf-8")).get("tool")
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(tool, dict) and tool.get("jupytext") is not None


def jupytext_config(path: str | os.PathLike[str]) -> Any:
    """The jupytext configuration of ``path`` (a ``JupytextConfiguration``), or None.

    Loaded and validated by jupytext itself, so every key jupytext honours applies (formats,
    metadata filters, cell markers, ...). A ``.jupytext.py`` is Python code that jupytext
    would run; nbtools runs no code from the tree, so a pair under one is refused. The
    user's global jupytext configuration is not read: the repository alone decides.
    """
    found = jupytext_config_file(path)
    if found is None:
        return None
    if found.endswith(".py"):
        raise InputError(
            path,
            f"{found} is a jupytext configuration in Python: nbtools does not run code from "
            "the tree; use jupytext.toml or [tool.jupytext] in pyproject.toml",
        )
    try:
        st = os.stat(found)
    except OSError:
        return None
    key = (found, st.st_mtime_ns, st.st_size)  # loaded once per batch, again once edited
    if key not in _configs:
        from jupytext.config import load_jupytext_configuration_file

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # deprecated keys still apply
                _configs[key] = load_jupytext_configuration_file(found)
        except Exception as exc:  # noqa: BLE001 - jupytext raises many types for bad files
            detail = " ".join(str(exc).split())[:300]
            raise InputError(path, f"invalid jupytext configuration {found}: {detail}") from None
    return _configs[key]


def config_formats(path: str | os.PathLike[str], config: Any) -> str | None:
    """The pairing the jupytext configuration gives ``path`` (its ``formats``), if any."""
    if config is None or not getattr(config, "formats", None):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = config.default_formats(str(path))
    except Exception:  # noqa: BLE001 - a formats value jupytext cannot apply to this path
        return None
    return value if isinstance(value, str) else None
