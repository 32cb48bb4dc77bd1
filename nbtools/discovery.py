"""Turn the paths given on the command line into the files a command works on."""

from __future__ import annotations

import fnmatch
import os
import sys
from typing import Callable, Iterable, Iterator, Sequence

from nbtools.options import Option

#: ``-`` among the paths: the content comes on standard input (strip, scan and check)
STDIN = "-"
#: ``--stdin-filename``: the name reported for ``-``; its suffix says how to read it
#: (``.ipynb``: a notebook)
STDIN_FILENAME = Option(str, None, "name to report for - (stdin)", configurable=False)


def read_stdin() -> bytes:
    """All of standard input, as bytes (a notebook's encoding is its own business)."""
    return sys.stdin.buffer.read()


#: directories never entered when recursing
SKIP_DIRS = frozenset(
    {
        ".ipynb_checkpoints",
        ".git",
        ".hg",
        ".svn",
        "__pycache__",
        "node_modules",
        ".venv",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        "site-packages",
    }
)


def matches_any(
    path: str, patterns: Sequence[str], root: str | os.PathLike[str] | None = None
) -> bool:
    """Glob match against the path relative to ``root`` and against its basename."""
    if not patterns:
        return False
    candidates = [path, os.path.basename(path)]
    if root is not None:
        try:
            candidates.append(os.path.relpath(os.path.abspath(path), root))
        except ValueError:
            pass
    normalized = [c.replace(os.sep, "/") for c in candidates]
    return any(fnmatch.fnmatch(c, pat) for pat in patterns for c in normalized)


def upward(path: str) -> Iterator[str]:
    """``path`` (made absolute) and each folder above it, up to the root."""
    directory = os.path.abspath(path)
    while True:
        yield directory
        parent = os.path.dirname(directory)
        if parent == directory:
            return
        directory = parent


def git_root(path: str) -> str | None:
    """The nearest folder at or above ``path`` that holds ``.git`` (a work tree's top)."""
    return next((d for d in upward(path) if os.path.exists(os.path.join(d, ".git"))), None)


def in_git_worktree(path: str) -> bool:
    """Whether git could ignore anything under ``path``: a ``.git`` above it (or GIT_DIR set).

    Spares a ``git check-ignore`` process (about 10 ms) outside repositories.
    """
    return "GIT_DIR" in os.environ or git_root(path) is not None


def git_ignored(paths: Sequence[str], cwd: str | None = None) -> set[str]:
    """The subset of ``paths`` that git ignores (empty outside a repository or without git)."""
    if not paths:
        return set()
    import subprocess  # only when recursing: start-up stays lean

    try:
        proc = subprocess.run(
            ["git", "check-ignore", "--stdin", "-z"],
            input="\0".join(paths).encode() + b"\0",
            capture_output=True,
            cwd=cwd,
            check=False,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return set()
    if proc.returncode not in (0, 1):
        return set()
    return {p for p in proc.stdout.decode(errors="replace").split("\0") if p}


def missing_paths(paths: Sequence[str]) -> list[str]:
    """The named paths that do not exist (``-`` is stdin): a typo in a CI path must not pass.

    The command line checks them once for every command (each missing one is an error for
    that path, exit 2) and hands the command the rest of the batch.
    """
    return [p for p in paths if p != "-" and not os.path.exists(p)]


def _walk(
    directory: str, suffixes: Sequence[str], match: Callable[[str], bool] | None = None
) -> Iterable[str]:
    for dirpath, dirnames, filenames in os.walk(directory):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("."))
        for name in sorted(filenames):
            if name.endswith(tuple(suffixes)) or (match is not None and match(name)):
                yield os.path.join(dirpath, name)


def collect_files(
    paths: Sequence[str],
    suffixes: Sequence[str] = (".ipynb",),
    exclude: Sequence[str] = (),
    root: str | os.PathLike[str] | None = None,
    respect_gitignore: bool = True,
    match: Callable[[str], bool] | None = None,
) -> list[str]:
    """Expand directories (recursively, by suffix or by ``match`` on the file name); keep
    explicitly named files.

    Files found by recursion are dropped when they match ``exclude`` or git ignores
    them; a file named explicitly is kept unless it matches ``exclude`` (pre-commit
    passes explicit names, and a configured exclusion must still apply to them).
    """
    explicit: list[str] = []
    found: list[str] = []
    for path in paths:
        if path == "-" or not os.path.isdir(path):
            explicit.append(path)
            continue
        walked = list(_walk(path, suffixes, match))
        if respect_gitignore and walked and in_git_worktree(path):
            # ask git from inside the walked directory: it may be another repository
            absolute = {os.path.abspath(f): f for f in walked}
            ignored = git_ignored(list(absolute), cwd=path)
            walked = [f for a, f in absolute.items() if a not in ignored]
        found.extend(walked)
    seen: set[str] = set()
    result: list[str] = []
    for path in [*explicit, *found]:
        if path in seen or (path != "-" and matches_any(path, exclude, root)):
            continue
        if ".ipynb_checkpoints" in path.replace(os.sep, "/").split("/"):
            continue
        seen.add(path)
        result.append(path)
    return result
