"""``nbtools run --changed-since REF``: the notebooks a change since REF can affect.

The change is everything that differs from the merge base of REF and HEAD: commits,
staged and unstaged edits, and new untracked files. A notebook is selected when

- the notebook (or its paired script) changed;
- a local module it imports changed: its imports (``import helpers``, ``from pkg import
  x``, ``%run other.py``, ``importlib.import_module("name")``) are read from its code
  cells, followed through the local modules they name (their own imports too), and
  resolved in the notebook's folder and the repository's root, as the kernel would;
- a file the kernel read in an earlier run (recorded in the run cache) changed.

With a warm cache the cache decides what reruns; this only narrows the candidates.
"""

from __future__ import annotations

import ast
import os
import subprocess
from typing import TYPE_CHECKING, Iterable

from nbtools.errors import UsageError

if TYPE_CHECKING:
    from nbtools.execute.source import Source


def _git(args: list[str], cwd: str) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=120
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise UsageError(f"--changed-since: cannot run git: {exc}") from None
    if done.returncode != 0:
        raise UsageError(f"--changed-since: git {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


def changed_files(ref: str, cwd: str) -> tuple[str, set[str]]:
    """``(root, absolute paths)`` changed since the merge base of ``ref`` and HEAD."""
    if ref.startswith("-"):
        raise UsageError(f"--changed-since {ref!r}: not a git revision")
    root = _git(["rev-parse", "--show-toplevel"], cwd).strip()
    base = _merge_base(ref, root)
    names = _git(["diff", "--name-only", "-z", "--no-renames", base, "--"], root).split("\0")
    names += _git(["ls-files", "--others", "--exclude-standard", "-z"], root).split("\0")
    return root, {os.path.normpath(os.path.join(root, n)) for n in names if n}


def _merge_base(ref: str, root: str) -> str:
    """The merge base of ``ref`` and HEAD; a UsageError that says why there is none, and
    what to fetch when the clone is shallow (CI checkouts are, by default)."""
    try:
        return _git(["merge-base", ref, "HEAD"], root).strip()
    except UsageError as exc:
        message = str(exc)
        if message.endswith(": "):  # git says nothing when the histories do not meet
            message += f"{ref} and HEAD have no common ancestor in this clone"
        try:
            shallow = _git(["rev-parse", "--is-shallow-repository"], root).strip() == "true"
        except UsageError:
            shallow = False
        if shallow:
            message += (
                "; this clone is shallow: fetch the history it needs (actions/checkout with "
                "fetch-depth: 0, or git fetch --unshallow)"
            )
        raise UsageError(message) from None


def _imports(code: str) -> tuple[set[str], set[str]]:
    """Module names and ``%run`` paths named by a cell or module's code."""
    from nbtools.hidden_state.magics import parse, to_python

    tree = parse(to_python(code))
    modules: set[str] = set()
    scripts: set[str] = set()
    if tree is None:
        return modules, scripts
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            modules.add(node.module)
            modules.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Call) and node.args:
            first = node.args[0]
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                continue
            if name in ("import_module", "__import__"):
                modules.add(first.value)
            elif name == "run_line_magic" and first.value == "run" and len(node.args) > 1:
                arg = node.args[1]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    words = [w for w in arg.value.split() if not w.startswith("-")]
                    scripts.update(words[:1])
    return modules, scripts


def _module_files(name: str, folders: list[str]) -> list[str]:
    """Local files ``import name`` would read (each package level's ``__init__``), from
    the first folder that has it; missing candidates too (a deleted helper is a change)."""
    parts = name.split(".")
    every: list[str] = []
    for folder in folders:
        found = []
        for depth in range(1, len(parts) + 1):
            base = os.path.join(folder, *parts[:depth])
            found += [os.path.normpath(base + ".py"), os.path.join(base, "__init__.py")]
        every += found
        if any(os.path.isfile(path) for path in found):
            return found
    return every


def local_dependencies(codes: Iterable[str], folder: str, root: str) -> set[str]:
    """Local module and script files the code depends on, followed transitively."""
    folders = [folder] if os.path.normpath(folder) == os.path.normpath(root) else [folder, root]
    seen: set[str] = set()
    todo = list(codes)
    while todo:
        modules, scripts = _imports(todo.pop())
        files = [os.path.normpath(os.path.join(folder, s)) for s in scripts]
        for name in modules:
            files.extend(_module_files(name, folders))
        for path in files:
            if path in seen:
                continue
            seen.add(path)
            if not os.path.isfile(path):
                continue
            try:
                with open(path, encoding="utf-8", errors="replace") as handle:
                    todo.append(handle.read())
            except OSError:
                continue
    return seen


def select(
    sources: list[Source], ref: str, recorded: dict[str, set[str]] | None = None
) -> tuple[list[int], dict[str, str]]:
    """Indices of the sources a change since ``ref`` can affect, and why each was chosen.

    ``recorded``: repository-relative notebook path -> the files its kernel read before
    (from the run cache)."""
    from nbtools.execute.cachekey import code_cells

    if not sources:
        return [], {}
    root, changed = changed_files(ref, sources[0].folder)
    real_root = os.path.realpath(root)
    chosen: list[int] = []
    why: dict[str, str] = {}

    def rel(path: str) -> str:
        return os.path.relpath(os.path.realpath(path), real_root).replace(os.sep, "/")

    changed_rel = {rel(p) for p in changed}
    for index, source in enumerate(sources):
        own = [source.path, *([source.script] if source.script else [])]
        reason = next((f"{rel(p)} changed" for p in own if rel(p) in changed_rel), None)
        if reason is None:
            codes = [text for _, text, _ in code_cells(source.nb)]
            deps = local_dependencies(codes, source.folder, root)
            hit = sorted(rel(p) for p in deps if rel(p) in changed_rel)
            reason = f"it imports {hit[0]}, which changed" if hit else None
        if reason is None and recorded:
            read = sorted(recorded.get(rel(source.path), set()) & changed_rel)
            reason = f"it read {read[0]}, which changed" if read else None
        if reason is not None:
            chosen.append(index)
            why[source.path] = reason
    return chosen, why
