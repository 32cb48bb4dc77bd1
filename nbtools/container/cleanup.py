"""No ``nbtools-*`` container outlives the nbtools process that started it.

Layers, from the common case to the worst one:

1. a kernel container is started with ``--rm`` and removed by name when its kernel
   manager shuts down (success, failure, timeout, Ctrl-C);
2. the kernel runs under a guard that kills it when the container's stdin closes: the
   write end of that pipe belongs to nbtools, so even a SIGKILL of nbtools ends it;
3. an atexit handler (SIGTERM turned into a normal exit) removes what is still tracked;
4. every container carries owner labels; :func:`sweep` removes those whose owner
   process is gone, and runs before new containers start;
5. podman's ``--timeout`` reaps a container after a backstop duration.
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import socket
import subprocess
import threading
import uuid
from typing import Any

PREFIX = "nbtools-"
LABEL_PID = "nbtools.pid"
LABEL_HOST = "nbtools.host"
LABEL_START = "nbtools.pid-start"

_lock = threading.Lock()
_live: dict[str, str] = {}  # container name -> engine executable
_hooks = {"atexit": False, "sigterm": False}


def new_name() -> str:
    return f"{PREFIX}{uuid.uuid4().hex[:12]}"


def _process_start(pid: int) -> str:
    """The process's start time in clock ticks (tells a reused pid apart), or ''."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            # field 22; the command name (field 2) may contain spaces, so split after ')'
            return handle.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


def owner_labels() -> dict[str, str]:
    pid = os.getpid()
    return {
        LABEL_PID: str(pid),
        LABEL_HOST: socket.gethostname(),
        LABEL_START: _process_start(pid),
    }


def owner_alive(labels: dict[str, str]) -> bool:
    """Whether the nbtools process named by a container's labels still runs (here)."""
    if labels.get(LABEL_HOST) != socket.gethostname():
        return True  # another machine's container (shared engine): not ours to judge
    try:
        pid = int(labels.get(LABEL_PID, ""))
    except ValueError:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    start = labels.get(LABEL_START)
    return not start or start == _process_start(pid)


def install() -> None:
    """Register the atexit handler, and the SIGTERM one when called on the main thread."""
    with _lock:
        if not _hooks["atexit"]:
            _hooks["atexit"] = True
            atexit.register(remove_all)
        if not _hooks["sigterm"] and threading.current_thread() is threading.main_thread():
            _hooks["sigterm"] = True
            _exit_on_sigterm()


def track(name: str, engine: str) -> None:
    install()
    with _lock:
        _live[name] = engine


def untrack(name: str) -> None:
    with _lock:
        _live.pop(name, None)


def tracked() -> list[str]:
    with _lock:
        return sorted(_live)


def remove(engine: str, *names: str) -> None:
    """``rm -f`` the containers (gone already is fine) and stop tracking them."""
    if not names:
        return
    try:
        subprocess.run(
            [
                engine,
                "rm",
                "-f",
                *(["-t", "0"] if "podman" in os.path.basename(engine) else []),
                *names,
            ],
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        pass
    for name in names:
        untrack(name)


def remove_all() -> None:
    """Remove every container this process still tracks (atexit)."""
    with _lock:
        by_engine: dict[str, list[str]] = {}
        for name, engine in _live.items():
            by_engine.setdefault(engine, []).append(name)
    for engine, names in by_engine.items():
        remove(engine, *names)


def _exit_on_sigterm() -> None:
    # SIGTERM's default action skips atexit; turn it into SystemExit, unless someone
    # (the user's code, a test runner) already handles it
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return

    def handler(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


def list_containers(engine: str) -> list[tuple[str, dict[str, str]]]:
    """``(name, labels)`` of every nbtools container the engine knows, running or not."""

    def run(*args: str) -> str:
        return subprocess.run(
            [engine, *args],
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=60,
            check=False,
        ).stdout

    listed = run("ps", "-a", "--filter", f"label={LABEL_PID}", "--format", "{{.Names}}")
    names = [n for n in listed.split() if n.startswith(PREFIX)]
    if not names:
        return []
    # labels via inspect: `ps --format` renders them differently in docker and podman
    out: list[tuple[str, dict[str, str]]] = []
    for line in run(
        "inspect", "--format", "{{.Name}}\t{{json .Config.Labels}}", *names
    ).splitlines():
        name, _, labels = line.partition("\t")
        try:
            data = json.loads(labels)
        except ValueError:
            continue
        if isinstance(data, dict):
            out.append((name.lstrip("/"), {str(k): str(v) for k, v in data.items()}))
    return out


def sweep(engine: str) -> list[str]:
    """Remove stale nbtools containers whose owner process is gone; returns their names."""
    try:
        stale = [name for name, labels in list_containers(engine) if not owner_alive(labels)]
    except (OSError, subprocess.TimeoutExpired):
        return []
    remove(engine, *stale)
    return stale
