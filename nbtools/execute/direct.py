"""Launching an ipykernel process directly, without importing jupyter_client first.

Importing jupyter_client (zmq, its async client, traitlets) takes a noticeable part of
a one-notebook run (a pre-commit hook); the kernel process could be booting meanwhile.
For this interpreter's own ipykernel the launch needs nothing from jupyter_client: a
connection file and a ``python -m ipykernel_launcher`` process in its own session. The
fork server uses the same connection files.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import uuid
from typing import Any

from nbtools.execute import reaper
from nbtools.execute.process import KERNEL_ARGUMENTS, StartedKernel, tail
from nbtools.execute.reaper import kill_tree

PORT_NAMES = ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")


#: longest unix socket path (sun_path is 108 bytes on Linux, 104 on macOS), with room
#: for the "-N" suffix of each channel
MAX_IPC_BASE = 96


def write_connection_file(path: str) -> dict[str, Any]:
    """Write a kernel connection file with a fresh key (mode 0600).

    The channels are unix sockets (zmq ``ipc``) named after the connection file, in
    nbtools' private temporary folder: no TCP port is chosen ahead of the kernel's
    bind, so kernels that start together cannot race for one (the "Address already
    in use" failures of port-picking launchers), and nothing listens on the network.
    Where that folder's path is too long for a socket name, it falls back to TCP on
    the loopback interface.
    """
    base = os.path.splitext(path)[0] + "-ipc"
    info: dict[str, Any]
    if len(os.fsencode(base)) <= MAX_IPC_BASE:
        info = {name: index for index, name in enumerate(PORT_NAMES, start=1)}
        info.update(ip=base, transport="ipc")
    else:
        info = _free_tcp_ports("127.0.0.1")
        info.update(ip="127.0.0.1", transport="tcp")
    info.update(key=uuid.uuid4().hex, signature_scheme="hmac-sha256", kernel_name="python3")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(info, handle)
    return info


def _free_tcp_ports(ip: str) -> dict[str, Any]:
    sockets = []
    try:
        for _ in PORT_NAMES:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((ip, 0))
            sockets.append(sock)
        ports = [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()
    return dict(zip(PORT_NAMES, ports))


class DirectKernel(StartedKernel):
    """``python -m ipykernel_launcher`` started by nbtools, leading its own process group."""

    label = "python3"

    def __init__(
        self, proc: subprocess.Popen[bytes], info: dict[str, Any], tmpdir: str, log: Any
    ) -> None:
        super().__init__(info, proc.pid)
        self.proc = proc
        self.tmpdir = tmpdir
        self.log = log
        self._lock = threading.Lock()
        self._killed = False

    def is_alive(self) -> bool:
        return not self._killed and self.proc.poll() is None

    def interrupt(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)

    def kill(self) -> None:
        with self._lock:
            if self._killed:
                return
            self._killed = True
        kill_tree(self.proc.pid)  # with whatever it started, setsid or double-forked
        self.proc.wait()
        self.log.close()
        shutil.rmtree(self.tmpdir, ignore_errors=True)

    def stderr_tail(self) -> str:
        try:
            self.log.seek(0)
            text = self.log.read().decode("utf-8", "replace")
        except (OSError, ValueError):
            return ""
        return tail(text)


def launch(
    cwd: str, env: dict[str, str], extra_arguments: list[str], python: str | None = None
) -> DirectKernel:
    """Start a kernel of ``python`` (default: this interpreter) in ``cwd`` with ``env``.

    The kernel is ``python -m ipykernel_launcher`` behind the launcher of
    :mod:`~nbtools.execute.reaper` (a subreaper watching its parent), passed as ``-c``
    source so that any interpreter runs it without nbtools installed.
    """
    tmpdir = tempfile.mkdtemp(prefix=f"nbtools-kernel-{os.getpid()}-")
    connection_file = os.path.join(tmpdir, "kernel.json")
    info = write_connection_file(connection_file)
    log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the kernel
    launcher = _launcher_source()
    start = ["-c", launcher] if launcher else ["-m", "ipykernel_launcher"]
    argv = [python or sys.executable, *start, "-f", connection_file]
    proc = subprocess.Popen(
        [*argv, *KERNEL_ARGUMENTS, *extra_arguments],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=log,
        start_new_session=True,  # its own group: killed with everything it starts
    )
    return DirectKernel(proc, info, tmpdir, log)


_LAUNCHER: list[str] = []


def _launcher_source() -> str:
    """The reaper module's source (its ``__main__`` launches the kernel); "" if unreadable."""
    if not _LAUNCHER:
        try:
            with open(reaper.__file__, encoding="utf-8") as handle:
                _LAUNCHER.append(handle.read())
        except (OSError, TypeError):
            _LAUNCHER.append("")
    return _LAUNCHER[0]
