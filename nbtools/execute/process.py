"""What every way of starting a kernel shares: the request, the started kernel, the factory
protocol, the kernel's environment and the process helpers that stop it.

A kernel factory (:class:`KernelFactory`) starts a *new* kernel process for every request
(nbtools never reuses a kernel), in ``request.cwd`` with exactly ``request.env`` as its
environment, and returns it running (connection info written; the client's ready check is
done by the executor). The local factory (:class:`~nbtools.execute.kernels.LocalKernelFactory`)
and the container factory (:class:`~nbtools.container.factory.ContainerKernelFactory`) both
meet it; another way of starting kernels (a remote machine) plugs in the same way.

This module imports only the standard library and :mod:`~nbtools.execute.reaper`, so the
kernels' modules (``direct``, ``forkserver``, ``managed``, ``kernels``) all build on it
without importing each other in a circle.
"""

from __future__ import annotations

import os
import re
import signal
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

from nbtools.errors import NbtoolsError
from nbtools.execute.reaper import kill_tree, pid_alive

#: variables a kernel inherits from nbtools' own environment (everything else must be
#: passed explicitly with ``--env KEY=VALUE``); LC_* variables are inherited too
INHERITED_ENV = (
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "SHELL",
    "LANG",
    "LANGUAGE",
    "TZ",
    "TMPDIR",
    "TERM",
    "VIRTUAL_ENV",
    "CONDA_PREFIX",
    "PYTHONPATH",
    "JUPYTER_PATH",
    "JUPYTER_CONFIG_DIR",
    "JUPYTER_DATA_DIR",
    "JUPYTER_RUNTIME_DIR",
    "IPYTHONDIR",
    "SYSTEMROOT",
)

#: arguments every IPython kernel gets: no shared history database between parallel kernels
KERNEL_ARGUMENTS = ("--HistoryManager.hist_file=:memory:",)

#: how much of a kernel's own stderr is shown when it dies early
TAIL_LINES = 8


class KernelStartError(NbtoolsError):
    """A kernel could not be started (bad kernelspec, interpreter without ipykernel, ...)."""


def kernel_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The minimal inherited environment plus ``extra`` (``--env``)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key in INHERITED_ENV or key.startswith("LC_")
    }
    # matplotlib and friends must never try to open a window in a batch run
    env.setdefault("MPLBACKEND", "agg")
    env.update(extra or {})
    return env


@dataclass
class KernelRequest:
    """What a factory needs to start one kernel for one notebook."""

    kernel_name: str  # kernelspec name (from the notebook or ``--kernel``)
    cwd: str  # the notebook's folder
    env: dict[str, str]  # the kernel's complete environment
    extra_arguments: list[str] = field(default_factory=list)
    fresh_parent: bool = False  # must not share a parent (hash seed, layout) with earlier runs


class StartedKernel:
    """A running kernel process that nbtools owns and must stop."""

    label = "kernel"

    def __init__(self, connection_info: dict[str, Any], pid: int | None) -> None:
        self.connection_info = connection_info
        self.pid = pid

    def is_alive(self) -> bool:
        raise NotImplementedError

    def interrupt(self) -> None:
        raise NotImplementedError

    def kill(self) -> None:
        """Stop the kernel and every process in its group, and wait for it; idempotent."""
        raise NotImplementedError

    def abort(self) -> None:
        """SIGKILL the kernel and its tree now without waiting (safe inside an event loop)."""
        if self.pid is not None:
            kill_tree(self.pid, timeout=1.0)

    def stderr_tail(self) -> str:
        """The end of the kernel's own stderr, when known (shown when it dies early)."""
        return ""


#: what starts kernels, as the scheduler needs it: one new kernel per request
KernelStarter = Callable[[KernelRequest], StartedKernel]


class KernelFactory(Protocol):
    """What ``nbtools run`` needs of a way of starting kernels (local, container, ...)."""

    def __call__(self, request: KernelRequest) -> StartedKernel:
        """Start a new kernel for ``request`` (raises :class:`KernelStartError`)."""

    def expect(self, main: int, fresh: int = 0) -> None:
        """How many kernels are coming (``fresh``: ones that need a fresh parent), so a
        factory can decide whether warming up (a fork server) pays."""

    def close(self) -> None:
        """Stop what the factory keeps between kernels (fork servers, a tree's copy)."""


#: what ipykernel prints on stderr at every start ("Ctrl-C will not work", "To connect
#: another client to this kernel, use: --existing ..."): never why a kernel died
_START_BANNER = re.compile(
    r"(?:NOTE: When using the `ipython kernel` entry point, Ctrl-C will not work\.\s*)?"
    r"To exit, you will have to explicitly quit this process.*?--existing \S+[^\n]*\n?",
    re.DOTALL,
)


def tail(text: str, lines: int = TAIL_LINES) -> str:
    """The last ``lines`` lines of a kernel's log, without ipykernel's start-up banner."""
    return "\n".join(_START_BANNER.sub("", text).strip().splitlines()[-lines:])


def wait_gone(pid: int, timeout: float = 5.0) -> bool:
    """Wait until ``pid`` is gone or a zombie (someone else reaps it); True if so."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.01)
    return False


def kill_group(pid: int) -> None:
    """SIGKILL the process group led by ``pid`` (a kernel started in its own session)."""
    try:
        os.killpg(pid, signal.SIGKILL)
        return
    except (ProcessLookupError, PermissionError):
        pass
    try:
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
