"""Nothing a notebook starts survives it: kernels as subreapers, and leftovers swept.

A cell can start processes that leave the kernel's process group (``setsid``) or its
process tree (a double fork hands the grandchild to ``init``), so killing the group
misses them. Every kernel nbtools starts is therefore a *child subreaper*
(``prctl(PR_SET_CHILD_SUBREAPER)``, Linux): orphans of its descendants are re-parented
to the kernel instead of ``init``, so they stay in its tree, and :func:`kill_tree` stops
the kernel and kills that whole tree, then the group. A thread in the kernel watches its
parent: when nbtools (or the fork server) dies without stopping it (``kill -9``), the
kernel takes its tree with it. ``nbtools run`` itself is a subreaper while it runs
(:func:`orphan_guard`), for kernels that die on their own and for kernels nbtools did
not launch itself (not with ``--image``: a container engine's monitor daemonizes on
purpose, and the container has its own init).

Temporary folders carry their owner's pid (``nbtools-kernel-<pid>-...``); a later run
removes the ones whose owner is gone (:func:`sweep_temp`).

This module is stdlib-only and runs on Python 3.8: its source is also the launcher of
kernels in other interpreters (``python -c <this file> -f connection.json ...``).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import sys
import threading
import time
from typing import Iterator

PR_SET_CHILD_SUBREAPER = 36
#: temporary folders nbtools makes: ``<prefix><owner pid>-<random>``
TEMP_PREFIXES = ("nbtools-kernel-", "nbtools-fork-")
_TEMP_RE = re.compile(r"^nbtools-(?:kernel|fork)-(\d+)-")


def become_subreaper(on: bool = True) -> bool:
    """Make this process a child subreaper (or stop being one); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(PR_SET_CHILD_SUBREAPER, 1 if on else 0, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def _table() -> dict[int, list[int]]:
    """Parent pid -> live (non-zombie) children, from /proc."""
    children: dict[int, list[int]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return children
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2 :].split()
        if len(fields) < 2 or fields[0] in (b"Z", b"X"):
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    return children


def descendants(pid: int) -> list[int]:
    """Live processes below ``pid`` (children first)."""
    table = _table()
    found: list[int] = []
    seen: set[int] = set()
    todo = [pid]
    while todo:
        for child in table.get(todo.pop(0), []):
            if child not in seen:
                seen.add(child)
                found.append(child)
                todo.append(child)
    return found


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def kill_tree(pid: int, timeout: float = 5.0) -> None:
    """SIGKILL everything below ``pid``, then ``pid`` and its process group.

    The root is stopped first, so it starts nothing more, and killed last: while it
    lives (a subreaper), what its dying descendants leave behind is re-parented to it
    and found by the next look.
    """
    _signal(pid, signal.SIGSTOP)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = descendants(pid)
        if not found:
            break
        for child in found:
            _signal(child, signal.SIGKILL)
        time.sleep(0.002)
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    _signal(pid, signal.SIGKILL)


def watch_parent(interval: float = 0.25) -> None:
    """In a kernel: when its parent goes away, kill everything it started, and itself."""
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(interval)
            if os.getppid() != parent:
                for child in descendants(os.getpid()):
                    _signal(child, signal.SIGKILL)
                try:
                    os.killpg(0, signal.SIGKILL)
                finally:
                    os._exit(1)

    threading.Thread(target=watch, name="nbtools-reaper", daemon=True).start()


def guard_kernel() -> None:
    """What a kernel process does first: become a subreaper and watch its parent."""
    become_subreaper()
    watch_parent()


def _children_of(pid: int) -> set[int]:
    """Children of ``pid``, zombies included (a subreaper must reap them)."""
    found: set[int] = set()
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as handle:
            found.update(int(p) for p in handle.read().split())
    except (OSError, ValueError):
        pass
    for task in _tasks(pid):
        try:
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as handle:
                found.update(int(p) for p in handle.read().split())
        except (OSError, ValueError):
            continue
    return found


def _tasks(pid: int) -> list[str]:
    try:
        return os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []


@contextlib.contextmanager
def orphan_guard() -> Iterator[None]:
    """While the block runs this process is a subreaper; at its end, every orphan that
    was re-parented to it (children it did not have before and no longer knows) is
    killed with its tree and reaped."""
    me = os.getpid()
    before = _children_of(me)
    active = become_subreaper()
    try:
        yield
    finally:
        if active:
            become_subreaper(False)
            for pid in sorted(_children_of(me) - before):
                kill_tree(pid, timeout=2.0)
                with contextlib.suppress(ChildProcessError, OSError):
                    os.waitpid(pid, 0)


def pid_alive(pid: int) -> bool:
    """A live (not zombie) process with this pid exists: ``kill(pid, 0)`` says whether it
    exists, its ``/proc`` state whether it is a zombie (where there is no ``/proc``, the
    first answer stands)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process: it exists
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read()
    except FileNotFoundError:  # gone since, unless this system has no /proc at all
        return not os.path.isdir("/proc/self")
    except OSError:
        return True
    # the state follows the parenthesised command name, which may itself hold ") "
    return stat[stat.rfind(b")") + 2 : stat.rfind(b")") + 3] not in (b"Z", b"X")


def sweep_temp(folder: str | None = None) -> list[str]:
    """Remove the temporary folders of nbtools processes that are gone; returns them.

    Only folders named by nbtools (:data:`TEMP_PREFIXES` and the owner's pid), owned by
    this user, whose owner process no longer runs.
    """
    import shutil
    import tempfile

    folder = folder or tempfile.gettempdir()
    removed: list[str] = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    uid = os.getuid() if hasattr(os, "getuid") else None
    for name in names:
        match = _TEMP_RE.match(name)
        if match is None or int(match.group(1)) == os.getpid():
            continue
        path = os.path.join(folder, name)
        try:
            st = os.lstat(path)
        except OSError:
            continue
        if not os.path.isdir(path) or os.path.islink(path):
            continue
        if uid is not None and st.st_uid != uid:
            continue
        if pid_alive(int(match.group(1))):
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def launch_kernel() -> None:
    """``python -c <this file> -f FILE ...``: a guarded ``python -m ipykernel_launcher``."""
    import runpy

    guard_kernel()
    runpy.run_module("ipykernel_launcher", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    launch_kernel()
