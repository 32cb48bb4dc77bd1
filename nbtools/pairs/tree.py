"""The folder tree a pair must stay in: the git work tree, else the nearest project folder.

Pairing metadata and sync records come from the files, which a pull request controls; every
path they name is checked against this tree (see :func:`nbtools.pairs.find.contained`). The
folders walked on the way up are asked once which of the files that bound or configure a
tree they hold (``.git``, project markers, jupytext's configuration files).
"""

from __future__ import annotations

import os

from nbtools.discovery import upward

#: jupytext.config.JUPYTEXT_CONFIG_FILES, named here so that finding none imports nothing
JUPYTEXT_CONFIG_FILES = (
    "jupytext",
    "jupytext.toml",
    "jupytext.yml",
    "jupytext.yaml",
    "jupytext.json",
    ".jupytext",
    ".jupytext.toml",
    ".jupytext.yml",
    ".jupytext.yaml",
    ".jupytext.json",
    ".jupytext.py",
)
#: outside git, the nearest folder holding one of these bounds a pair (else the notebook's own)
_PROJECT_MARKERS = ("pyproject.toml", ".nbtools-sync.json")


_present: dict[tuple[str, int], frozenset[str]] = {}


def names_present(directory: str) -> frozenset[str]:
    """Which of the files pairing looks for (``.git``, project markers, jupytext's
    configuration) exist in ``directory``; asked once until the folder changes."""
    try:
        key = (directory, os.stat(directory).st_mtime_ns)
    except OSError:
        return frozenset()
    found = _present.get(key)
    if found is None:
        names = (".git", *_PROJECT_MARKERS, *JUPYTEXT_CONFIG_FILES)
        found = frozenset(n for n in names if os.path.exists(os.path.join(directory, n)))
        _present[key] = found
    return found


def tree_root(path: str | os.PathLike[str]) -> str:
    """The folder every file of ``path``'s pair must stay in (resolved, symlinks included).

    The git work tree holding ``path``; outside git, the nearest folder above it with a
    ``pyproject.toml`` or a sync record; else ``path``'s own folder. Found from where the
    file is named, not where a symlink points, so a link cannot move the boundary.
    """
    folder = os.path.dirname(os.path.abspath(path))
    known = _roots.get(folder)
    if known is not None:
        return known
    folders = list(upward(folder))
    root = next((d for d in folders if ".git" in names_present(d)), None)
    if root is None:
        markers = frozenset(_PROJECT_MARKERS)
        root = next((d for d in folders if names_present(d) & markers), folder)
    _roots[folder] = os.path.realpath(root)
    return _roots[folder]


_roots: dict[str, str] = {}


def forget_trees() -> None:
    """Forget the repository roots found so far (each command starts afresh)."""
    _roots.clear()


def is_inside(path: str | os.PathLike[str], root: str) -> bool:
    """Whether ``path`` resolves (symlinks included) to ``root`` or below it."""
    real = os.path.realpath(path)
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)
