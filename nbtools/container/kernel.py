"""A jupyter_client KernelManager that starts only the kernel, inside a container.

nbclient keeps running in nbtools' own process on the host and talks ZMQ to
``python3 -m ipykernel_launcher`` in the container, so any image with ipykernel works,
whatever its Python or Jupyter versions (the TF 2.9 image has ipykernel 5.1.1).
Transport: unix sockets (ipc) in a runtime folder mounted at the same path, which
works with ``--network none``; tcp on 127.0.0.1 with ``--network host``.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
from typing import TYPE_CHECKING, Any

from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager, KernelManager

from nbtools.container import cleanup
from nbtools.container.options import ContainerSpec, run_argv
from nbtools.execute.upstream import require_override

#: the private hooks of jupyter_client's KernelManager this manager overrides. Why: the
#: public way to start kernels elsewhere is a kernel provisioner
#: (https://github.com/jupyter/jupyter_client/issues/608, /pull/612), found through an
#: installed entry point and named by a kernelspec; nbtools starts one container per
#: notebook from its own options, installing nothing, so it changes the manager's start,
#: signal and clean-up steps instead. jupyter_client reaches these overrides only from 8.0:
#: in 7.x the start path calls the public sync aliases, made from the base class's methods
#: (https://github.com/jupyter/jupyter_client/pull/670); execute.upstream holds the range.
HOOKS = (
    "_async_pre_start_kernel",
    "_async_launch_kernel",
    "_async_signal_kernel",
    "_async_cleanup_resources",
)


def check_jupyter_client() -> None:
    """Stop with a clear message where the installed jupyter_client is not one whose
    hooks this manager is tested with (the kernel would start outside the container's
    rules, or not at all)."""
    require_override("jupyter_client", KernelManager, *HOOKS, feature="--image")


# Runs as the container's main process (under --init): starts the kernel, forwards
# SIGINT/SIGTERM to it, and kills it when stdin closes. nbtools holds the write end
# of that pipe, so the kernel (and with --rm its container) goes away even when
# nbtools is killed with SIGKILL. Plain Python 3 with no imports beyond the stdlib.
GUARD = """\
import os, signal, subprocess, sys, threading
k = subprocess.Popen([sys.executable, "-m", "ipykernel_launcher"] + sys.argv[1:],
                     stdin=subprocess.DEVNULL)
for s in (signal.SIGINT, signal.SIGTERM):
    signal.signal(s, lambda n, f: k.send_signal(n))
def watch():
    try:
        while os.read(0, 4096):
            pass
    except OSError:
        pass
    k.kill()
threading.Thread(target=watch, daemon=True).start()
os._exit(k.wait() & 0xFF)
"""

# variables that describe the host, not what the notebook asked for
_HOST_ONLY = frozenset(
    {
        "PATH",
        "HOME",
        "PWD",
        "OLDPWD",
        "SHELL",
        "USER",
        "LOGNAME",
        "TMPDIR",
        "VIRTUAL_ENV",
        "PYTHONHOME",
        "PYTHONPATH",
        "PYTHONEXECUTABLE",
        "LD_LIBRARY_PATH",
        "JPY_PARENT_PID",
        "DOCKER_HOST",
        "CONTAINER_HOST",
    }
)


if TYPE_CHECKING:
    _Base = KernelManager
else:
    _Base = object


class _ContainerKernel(_Base):
    """Starts ``docker|podman run ... ipykernel_launcher -f <connection file>``.

    Each instance owns one uniquely named container, removed at shutdown; use one
    manager per notebook run (a kernel is never reused). Mixed into jupyter_client's
    blocking and async managers below.
    """

    def __init__(self, container: ContainerSpec, **kwargs: Any) -> None:
        check_jupyter_client()
        super().__init__(**kwargs)
        self.container = container
        self.transport = container.transport
        self.container_name = cleanup.new_name()
        # short and private: unix socket paths are limited to ~107 bytes
        self.runtime_dir = tempfile.mkdtemp(prefix="nbk-")
        stem = os.path.join(self.runtime_dir, "k")
        self.connection_file = f"{stem}.json"
        if self.transport == "ipc":
            self.ip = f"{stem}-ipc"
        self._cwd: str | None = None
        self._extra_env: dict[str, str] = {}
        #: exactly the variables to set in the container; None: those of start_kernel's
        #: ``env`` that differ from nbtools' own environment
        self.container_env: dict[str, str] | None = None
        self._lifeline: int | None = None  # write end of the guard's stdin

    @property
    def kernel_spec(self) -> KernelSpec:
        return KernelSpec(
            argv=["<container>"],
            display_name=f"Python 3 ({self.container.image})",
            language="python",
            interrupt_mode="signal",  # SIGINT -> engine (sig-proxy) -> init -> guard -> kernel
            env={},
            metadata={},
        )

    async def _async_pre_start_kernel(self, **kw: Any) -> Any:
        # private hook (HOOKS): the only place between start_kernel's arguments and the
        # launch, where the kernel's cwd and environment become the container's flags and
        # the guard's stdin pipe is made
        self._cwd = kw.get("cwd")
        env = kw.get("env")
        if self.container_env is not None:
            self._extra_env = dict(self.container_env)
        elif isinstance(env, dict):
            # the kernel's environment goes into the container as -e flags; the engine's
            # CLI itself needs nbtools' own (DOCKER_HOST, XDG_RUNTIME_DIR, ...)
            self._extra_env = {
                k: str(v) for k, v in env.items() if k not in _HOST_ONLY and os.environ.get(k) != v
            }
        kw["env"] = dict(os.environ)
        # jupyter_client closes the kernel's stdin pipe at once; the guard needs one
        # that stays open exactly as long as this process (see GUARD)
        read_end, self._lifeline = os.pipe()
        kw["stdin"] = read_end
        try:
            return await super()._async_pre_start_kernel(**kw)
        except BaseException:
            os.close(read_end)
            self._close_lifeline()
            raise

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
        # private hook (HOOKS): after the launch, our copy of the pipe's read end goes
        try:
            await super()._async_launch_kernel(kernel_cmd, **kw)
        finally:
            stdin = kw.get("stdin")
            if isinstance(stdin, int):
                os.close(stdin)  # the child has its copy

    async def _async_signal_kernel(self, signum: int) -> None:
        # private hook (HOOKS): interrupt_kernel and signal_kernel both come here
        process = getattr(self.provisioner, "process", None)
        if signum == signal.SIGINT and process is not None:
            # only the engine's CLI, which proxies it to the container: the provisioner
            # would signal the whole process group, which also kills the `runc kill`
            # helper podman starts to deliver it ("failed: signal: interrupt")
            process.send_signal(signum)
            return
        await super()._async_signal_kernel(signum)

    def _close_lifeline(self) -> None:
        if self._lifeline is not None:
            os.close(self._lifeline)
            self._lifeline = None

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        spec = self.container
        if not spec.labels:
            spec = _with_labels(spec, cleanup.owner_labels())
        command = ["python3", "-c", GUARD, "-f", self.connection_file, *(extra_arguments or [])]
        argv = run_argv(
            spec,
            self.container_name,
            command,
            cwd=self._cwd,
            runtime_dir=self.runtime_dir,
            extra_env=self._extra_env,
        )
        cleanup.track(self.container_name, spec.engine)
        return argv

    def write_connection_file(self, **kwargs: Any) -> None:
        super().write_connection_file(**kwargs)
        _share_with(self.container, self.runtime_dir, self.connection_file)

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        # private hook (HOOKS): shutdown_kernel and cleanup_resources both end here, so
        # the container goes whichever way the kernel is stopped
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            self._close_lifeline()
            cleanup.remove(self.container.engine, self.container_name)
            shutil.rmtree(self.runtime_dir, ignore_errors=True)


class ContainerKernelManager(_ContainerKernel, KernelManager):  # type: ignore[misc]
    """The blocking flavour (``km.start_kernel()`` returns when started)."""


class AsyncContainerKernelManager(_ContainerKernel, AsyncKernelManager):  # type: ignore[misc]
    """The async flavour, as nbclient creates by default."""


def _with_labels(spec: ContainerSpec, labels: dict[str, str]) -> ContainerSpec:
    from dataclasses import replace

    return replace(spec, labels=labels)


def _share_with(spec: ContainerSpec, runtime_dir: str, connection_file: str) -> None:
    """Let another container user read the connection file and create the sockets."""
    user = spec.resolved_user()
    if not user or not hasattr(os, "getuid"):
        return
    uid, _, gid = user.partition(":")
    try:
        target_uid, target_gid = int(uid), int(gid or uid)
    except ValueError:
        return  # a user name: the engine resolves it, the owner stays ours
    if target_uid == os.getuid():
        return
    if os.getuid() == 0:
        for path in (runtime_dir, connection_file):
            os.chown(path, target_uid, target_gid)


def kernel_manager_factory(spec: ContainerSpec, *, asynchronous: bool = True) -> Any:
    """A callable ``(**kwargs) -> KernelManager`` for executors that take a factory."""
    cls = AsyncContainerKernelManager if asynchronous else ContainerKernelManager

    def make(**kwargs: Any) -> KernelManager:
        return cls(spec, **kwargs)

    return make
