"""The fast path for local Python kernels: fork never-used kernels from a pre-imported process.

Most of a fresh ipykernel's start-up is importing IPython, ipykernel, zmq and tornado
(about 0.3 s of CPU). A fork server is a process of the same interpreter that has done
those imports, and nothing else: no zmq context, no thread, no user code. For each
notebook it forks a child that becomes a brand-new kernel (its own session and process
group, connection file and ports, working directory, environment, signal handlers and
sys.path[0]) and serves exactly one notebook; nbtools then kills its process group. The
server reaps its children; closing its stdin (or nbtools dying) makes it kill them all.

Forked children share the server's hash seed and address-space layout, so code that
depends on ``hash()`` order would look deterministic across the runs of ``--repeat 2``;
the kernel factory therefore uses a second server (its own random PYTHONHASHSEED, its
own exec) for the repeat run.

Protocol: one JSON object per line on the server's stdin (``{"connection_file", "cwd",
"env", "argv", "log"}``), one answer per line on its stdout (``{"pid": N}`` or
``{"error": "..."}``); the server first prints ``{"ready": true}``.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import uuid
from typing import Any

from nbtools.errors import NbtoolsError
from nbtools.execute.direct import write_connection_file
from nbtools.execute.process import (
    KERNEL_ARGUMENTS,
    StartedKernel,
    kernel_environment,
    kill_group,
    tail,
    wait_gone,
)
from nbtools.execute.reaper import guard_kernel, kill_tree, pid_alive

#: imported once in the server so that each forked kernel finds them loaded
PREIMPORTS = (
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "ipykernel.zmqshell",
    "IPython.core.interactiveshell",
    "IPython.core.completer",
    "jupyter_client.session",
    "ipykernel.debugger",  # debugpy: about half of what is left to import at kernel start
    "sqlite3",  # IPython's history (in memory here)
    "pdb",
    "psutil",  # optional; ipykernel uses it when present
)


class ForkServerError(NbtoolsError):
    """The fork server could not be started or stopped answering."""


class ForkedKernel(StartedKernel):
    """A kernel forked by a :class:`ForkServer`; it leads its own process group."""

    label = "python3 (forked)"

    def __init__(
        self, connection_info: dict[str, Any], pid: int, connection_file: str, log: str
    ) -> None:
        super().__init__(connection_info, pid)
        self.connection_file = connection_file
        self.log = log
        self._lock = threading.Lock()
        self._killed = False

    def is_alive(self) -> bool:
        assert self.pid is not None
        return not self._killed and pid_alive(self.pid)

    def interrupt(self) -> None:
        assert self.pid is not None
        try:
            os.kill(self.pid, signal.SIGINT)
        except ProcessLookupError:
            pass

    def kill(self) -> None:
        with self._lock:
            if self._killed:
                return
            self._killed = True
        assert self.pid is not None
        kill_tree(self.pid)  # with whatever it started, setsid or double-forked
        wait_gone(self.pid)
        for path in (self.connection_file, self.log):
            try:
                os.unlink(path)
            except OSError:
                pass

    def stderr_tail(self) -> str:
        try:
            with open(self.log, encoding="utf-8", errors="replace") as handle:
                text = handle.read()
        except OSError:
            return ""
        return tail(text)


class ForkServer:
    """A running fork server (a child process of nbtools); thread-safe."""

    def __init__(self, hash_seed: int | None = None, timeout: float = 60.0) -> None:
        env = kernel_environment()
        if hash_seed is not None:
            env["PYTHONHASHSEED"] = str(hash_seed % 4294967296)
        self.tmpdir = tempfile.mkdtemp(prefix=f"nbtools-fork-{os.getpid()}-")
        package_parent = os.path.dirname(
            os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        )
        # -c keeps sys.path[0] neutral ('' until the child sets the notebook's folder);
        # the package's own folder is added only long enough to import the server
        bootstrap = (
            "import sys; sys.path.insert(0, sys.argv[1]); "
            "from nbtools.execute.forkserver import serve; del sys.path[0]; serve()"
        )
        self._lock = threading.Lock()
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", bootstrap, package_parent],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=env,
                cwd=self.tmpdir,
                start_new_session=True,  # a terminal's Ctrl-C reaches nbtools only
            )
        except OSError as exc:
            raise ForkServerError(f"cannot start the fork server: {exc}") from exc
        answer = self._read(timeout)
        if not answer.get("ready"):
            self.close()
            raise ForkServerError(f"fork server failed: {answer.get('error', 'no answer')}")

    def is_alive(self) -> bool:
        return self.proc.poll() is None

    def _read(self, timeout: float) -> dict[str, Any]:
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline() if ready else b""
        if not line:
            return {"error": "the fork server exited or did not answer"}
        answer: dict[str, Any] = json.loads(line)
        return answer

    def fork_kernel(
        self, cwd: str, env: dict[str, str], extra_arguments: list[str] | None = None
    ) -> ForkedKernel:
        """Fork a new kernel running in ``cwd`` with exactly ``env``."""
        name = uuid.uuid4().hex
        connection_file = os.path.join(self.tmpdir, f"kernel-{name}.json")
        log = os.path.join(self.tmpdir, f"kernel-{name}.log")
        info = write_connection_file(connection_file)
        request = {
            "connection_file": connection_file,
            "cwd": cwd,
            "env": env,
            "argv": [*KERNEL_ARGUMENTS, *(extra_arguments or [])],
            "log": log,
        }
        with self._lock:
            assert self.proc.stdin is not None
            try:
                self.proc.stdin.write(json.dumps(request).encode("utf-8") + b"\n")
                self.proc.stdin.flush()
            except OSError as exc:
                raise ForkServerError(f"the fork server is gone: {exc}") from exc
            answer = self._read(30.0)
        if "pid" not in answer:
            raise ForkServerError(f"fork failed: {answer.get('error')}")
        return ForkedKernel(info, int(answer["pid"]), connection_file, log)

    def close(self) -> None:
        """Stop the server; it kills the kernels it forked that still run."""
        if self.proc.stdin is not None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            kill_group(self.proc.pid)
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        shutil.rmtree(self.tmpdir, ignore_errors=True)


# --- the server process -------------------------------------------------------------


def serve() -> None:
    """The server's main loop (runs in its own process; see the module docstring)."""
    import importlib

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        importlib.import_module(PREIMPORTS[0])
    except Exception as exc:  # noqa: BLE001 - reported to nbtools, which falls back
        _answer({"error": f"cannot import {exc}"})
        return
    for module in PREIMPORTS[1:]:
        try:
            importlib.import_module(module)
        except ImportError:
            pass  # optional: the kernel imports what it needs itself
    _answer({"ready": True})
    children: set[int] = set()
    buffer = b""
    try:
        while True:
            readable, _, _ = select.select([0], [], [], 0.05)
            _reap(children)
            if not readable:
                continue
            chunk = os.read(0, 65536)
            if not chunk:
                break
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                try:
                    pid = _fork(json.loads(line))
                except OSError as exc:
                    _answer({"error": str(exc)})
                    continue
                children.add(pid)
                _answer({"pid": pid})
    finally:
        for pid in children:
            kill_tree(pid)
        for pid in children:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass


def _answer(data: dict[str, Any]) -> None:
    os.write(1, json.dumps(data).encode("utf-8") + b"\n")


def _reap(children: set[int]) -> None:
    while children:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            children.clear()
            return
        if pid == 0:
            return
        children.discard(pid)


def _fork(request: dict[str, Any]) -> int:
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        _become_kernel(request)
        code = 0
    except BaseException:  # noqa: BLE001 - the child must never return into the server loop
        import traceback

        traceback.print_exc()
    finally:
        os._exit(code)


def _become_kernel(request: dict[str, Any]) -> None:
    os.setsid()  # its own process group: nbtools kills the kernel and its children at once
    guard_kernel()  # a subreaper: what its cells start stays in its tree (see reaper)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    null = os.open(os.devnull, os.O_RDONLY)
    log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(null, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(null)
    os.close(log)
    cwd = request["cwd"]
    os.chdir(cwd)
    server_pythonpath = os.environ.get("PYTHONPATH", "")
    os.environ.clear()
    os.environ.update(request["env"])
    # what `python -m ipykernel_launcher` started in cwd would have on sys.path
    sys.path[0] = cwd
    pythonpath = os.environ.get("PYTHONPATH", "")
    if pythonpath != server_pythonpath:
        extra = [p for p in pythonpath.split(os.pathsep) if p and p not in sys.path]
        sys.path[1:1] = extra
    from ipykernel import kernelapp

    sys.argv = [kernelapp.__file__, "-f", request["connection_file"], *request["argv"]]
    kernelapp.launch_new_instance(argv=sys.argv[1:])
