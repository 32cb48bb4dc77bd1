"""Carry a sync plan out on disk without losing an edit: both sides are compared with what
was read before anything is written, and each again just before its atomic replace."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from nbtools.notebook import atomic_write, write_target
from nbtools.pairs.tree import tree_root

if TYPE_CHECKING:
    from pathlib import Path

    from nbtools.pairs.find import Pair
    from nbtools.pairs.plan import SyncPlan


class ChangedUnderUs(Exception):
    """A file of the pair no longer holds what sync read: the user saved it meanwhile."""

    def __init__(self, path: Path) -> None:
        super().__init__(str(path))
        self.path = path


def _still(path: Path, expected: bytes | None) -> None:
    """Raise :class:`ChangedUnderUs` unless ``path`` holds ``expected`` (None: absent)."""
    try:
        current: bytes | None = path.read_bytes()
    except FileNotFoundError:
        current = None
    if current != expected:
        raise ChangedUnderUs(path)


def _guarded_write(path: Path, target: str, data: bytes, expected: bytes | None) -> None:
    """Write ``data`` only if ``path`` still holds what was read at the start (compared
    just before the atomic replace): an edit saved meanwhile is never overwritten."""
    _still(path, expected)
    atomic_write(target, data)


def apply_plan(pair: Pair, plan: SyncPlan, nb_raw: bytes, py_raw: bytes | None) -> None:
    """Write what ``plan`` changes, unless either side changed since it was read."""
    # both sides first, so nothing is written when either changed since it was read or
    # cannot be written (read-only; a link is rewritten through, inside the repository)
    _still(pair.notebook, nb_raw)
    _still(pair.script, py_raw)
    root = tree_root(pair.notebook)
    script_target = write_target(str(pair.script), root) if plan.script_out is not None else ""
    nb_target = write_target(str(pair.notebook), root) if plan.notebook_out is not None else ""
    if plan.script_out is not None:
        if plan.action == "create_script":
            pair.script.parent.mkdir(parents=True, exist_ok=True)
        _guarded_write(pair.script, script_target, plan.script_out, py_raw)
    if plan.notebook_out is not None:
        _guarded_write(pair.notebook, nb_target, plan.notebook_out, nb_raw)
        # Jupyter's jupytext refuses to open a pair whose notebook is newer than its text
        # file ("outdated text notebook"), so the script must not look older than the notebook.
        nb_mtime = pair.notebook.stat().st_mtime_ns
        st = pair.script.stat()
        if st.st_mtime_ns < nb_mtime:
            os.utime(pair.script, ns=(st.st_atime_ns, nb_mtime))
