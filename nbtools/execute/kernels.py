"""Starting fresh kernels: the pluggable :data:`KernelFactory` and the local default.

A kernel factory is any callable ``factory(request: KernelRequest) -> StartedKernel``. It
must start a *new* kernel process every time (nbtools never reuses a kernel), in
``request.cwd`` with exactly ``request.env`` as its environment, and return it running
(connection info written; the client's ready check is done by the executor). Another
way of starting kernels (a container, a remote machine) plugs in by providing such a
factory; :class:`ManagedKernel` adapts any started ``jupyter_client.KernelManager``.

The local default, :class:`LocalKernelFactory`, starts kernels from kernelspecs (or from
a Python interpreter path given with ``--kernel``): a plain ``PYTHON -m ipykernel_launcher``
spec is forked from a pre-imported :mod:`~nbtools.execute.forkserver` when PYTHON is this
interpreter and enough notebooks come, else launched directly (:mod:`~nbtools.execute.direct`);
any other spec goes through jupyter_client's ``KernelManager``.
"""

from __future__ import annotations

import os
import signal
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from nbtools.errors import NbtoolsError
from nbtools.execute.interpreter import GENERIC_NAMES

if TYPE_CHECKING:
    from nbtools.execute.forkserver import ForkServer

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

#: the fewest kernels worth a fork server (it costs about one kernel's imports to start)
FORK_MIN = 3

#: arguments every IPython kernel gets: no shared history database between parallel kernels
KERNEL_ARGUMENTS = ("--HistoryManager.hist_file=:memory:",)


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
            from nbtools.execute.reaper import kill_tree

            kill_tree(self.pid, timeout=1.0)

    def stderr_tail(self) -> str:
        """The end of the kernel's own stderr, when known (shown when it dies early)."""
        return ""


class ManagedKernel(StartedKernel):
    """A kernel started by a ``jupyter_client.KernelManager`` (any provisioner)."""

    def __init__(self, km: Any, stderr: Any = None) -> None:
        super().__init__(km.get_connection_info(session=False), _provisioner_pid(km))
        self.km = km
        self.label = f"{km.kernel_name}"
        self._stderr = stderr
        self._lock = threading.Lock()
        self._killed = False

    def is_alive(self) -> bool:
        return not self._killed and bool(self.km.is_alive())

    def interrupt(self) -> None:
        self.km.interrupt_kernel()

    def kill(self) -> None:
        with self._lock:
            if self._killed:
                return
            self._killed = True
        # what it started outside its group is re-parented to `nbtools run` (a subreaper
        # while it runs), which kills it at the end (reaper.orphan_guard)
        try:
            # now=True: SIGKILL to the kernel's process group (jupyter_client starts
            # kernels in their own session), then wait for it and remove the files
            self.km.shutdown_kernel(now=True)
        except Exception:  # noqa: BLE001 - a dead kernel may refuse a shutdown request
            try:
                self.km.cleanup_resources()
            except Exception:  # noqa: BLE001 - best effort: nothing else to stop
                pass
        finally:
            if self._stderr is not None:
                self._stderr.close()

    def stderr_tail(self) -> str:
        if self._stderr is None or self._stderr.closed:
            return ""
        try:
            self._stderr.seek(0)
            data: bytes = self._stderr.read()
        except (OSError, ValueError):
            return ""
        return _tail(data.decode("utf-8", "replace"))


def _provisioner_pid(km: Any) -> int | None:
    provisioner = getattr(km, "provisioner", None)
    pid = getattr(provisioner, "pid", None)
    return pid if isinstance(pid, int) else None


def _tail(text: str, lines: int = 8) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def check_kernel_name(name: str) -> None:
    """A kernelspec name from a notebook is a name, never a path (a notebook's author
    must not choose the program nbtools runs): KernelStartError otherwise."""
    from nbtools.trust import is_kernel_name

    if name and not is_kernel_name(name):
        raise KernelStartError(
            f"the notebook's kernelspec name {name!r} is not a plain kernel name (letters, "
            "digits, '.', '_', '-'); nbtools never runs a program a notebook names: fix "
            "metadata.kernelspec.name, or pass --kernel NAME|PYTHON"
        )


def is_python_path(value: str) -> bool:
    """``--kernel`` names an interpreter (a path) rather than a kernelspec."""
    return os.sep in value or (os.altsep is not None and os.altsep in value)


def _same_interpreter(python: str) -> bool:
    if python in ("python", "python3", "{sys_executable}"):
        return True
    # a venv's python is a symlink to its base interpreter: the same binary with other
    # packages, so the prefix (the folder above bin/) must match too
    try:
        return os.path.realpath(python) == os.path.realpath(sys.executable) and os.path.realpath(
            os.path.dirname(os.path.dirname(os.path.abspath(python)))
        ) == os.path.realpath(sys.prefix)
    except OSError:
        return False


def ipykernel_python(spec: Any) -> str | None:
    """The interpreter of a plain ``PYTHON -m ipykernel_launcher -f FILE`` spec, else None."""
    argv = list(getattr(spec, "argv", []) or [])
    if getattr(spec, "language", "").lower() != "python" or len(argv) < 3:
        return None
    if getattr(spec, "env", None) or (getattr(spec, "metadata", None) or {}).get(
        "kernel_provisioner"
    ):
        return None  # the spec wants its own environment or launcher
    if argv[1] != "-m" or argv[2] not in ("ipykernel_launcher", "ipykernel"):
        return None
    if argv[3:] not in (["-f", "{connection_file}"], ["kernel", "-f", "{connection_file}"]):
        return None
    return sys.executable if _same_interpreter(argv[0]) else str(argv[0])


def forkable(spec: Any) -> bool:
    """A spec whose kernel is this interpreter's ipykernel (so a fork gives the same kernel)."""
    return ipykernel_python(spec) == sys.executable


@dataclass
class LiteSpec:
    """The parts of a kernelspec nbtools needs, read without importing jupyter_client."""

    argv: list[str]
    language: str
    env: dict[str, str] = field(default_factory=dict)
    display_name: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    resource_dir: str = ""


def find_spec_lite(name: str) -> LiteSpec | None:
    """A kernelspec by name from the Jupyter paths, or the native python3; None: ask
    jupyter_client (which knows more places and conventions)."""
    import json

    try:
        from jupyter_core.paths import jupyter_path
    except ImportError:
        return None
    for folder in jupyter_path("kernels"):
        path = os.path.join(folder, name.lower(), "kernel.json")
        if not os.path.isfile(path):
            continue
        try:
            with open(path, encoding="utf-8") as handle:
                data = json.load(handle)
            return LiteSpec(
                argv=list(data["argv"]),
                language=str(data.get("language", "")),
                env=dict(data.get("env") or {}),
                display_name=str(data.get("display_name", name)),
                metadata=dict(data.get("metadata") or {}),
                resource_dir=os.path.dirname(path),
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None
    if name == "python3":  # ipykernel's built-in spec, which jupyter_client adds itself
        argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
        return LiteSpec(argv, "python", display_name="Python 3 (ipykernel)")
    return None


def _python_spec(python: str) -> LiteSpec:
    argv = [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    return LiteSpec(argv, "python", display_name=f"Python ({python})")


class LocalKernelFactory:
    """Start local kernels: forked from a fork server when possible, otherwise launched.

    ``kernel`` is the ``--kernel`` override (a kernelspec name or an interpreter path);
    ``use_forkserver`` allows the fast path (off: every kernel is a fresh process).
    Call :meth:`close` (or use it as a context manager) to stop its fork servers.
    """

    def __init__(
        self,
        kernel: str | None = None,
        *,
        use_forkserver: bool = True,
        startup_timeout: float = 60.0,
        python: str | None = None,
    ) -> None:
        self.kernel = kernel
        #: the project's interpreter, for notebooks that just ask for "Python" (see
        #: :mod:`nbtools.execute.interpreter`); None: the kernelspec as Jupyter finds it
        self.python = python
        self.use_forkserver = use_forkserver
        self.startup_timeout = startup_timeout
        self._servers: dict[str, ForkServer] = {}
        self._specs: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._closed = False
        self._fork_roles = {"main": True, "fresh": True}

    def expect(self, main: int, fresh: int = 0) -> None:
        """How many kernels of each kind are coming: a fork server pays for its own
        imports once, so it is used only when it serves at least :data:`FORK_MIN` kernels."""
        self._fork_roles = {"main": main >= FORK_MIN, "fresh": fresh >= FORK_MIN}

    def __enter__(self) -> LocalKernelFactory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def spec_for(self, kernel_name: str) -> Any:
        """The kernelspec used for a notebook whose metadata names ``kernel_name``."""
        if not self.kernel:
            check_kernel_name(kernel_name)
        name = self.kernel or kernel_name or "python3"
        with self._lock:
            if name not in self._specs:
                self._specs[name] = self._resolve(name)
            return self._specs[name]

    def _resolve(self, name: str) -> Any:
        if is_python_path(name):  # only --kernel (check_kernel_name refuses a notebook's)
            if not os.access(name, os.X_OK):
                raise KernelStartError(f"--kernel {name}: no executable interpreter there")
            return _python_spec(name)
        if not self.kernel and self.python and name.lower() in GENERIC_NAMES:
            return _python_spec(self.python)
        spec: Any = find_spec_lite(name)
        if spec is None:
            from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

            try:
                spec = KernelSpecManager().get_kernel_spec(name)
            except NoSuchKernel:
                raise KernelStartError(
                    f"no kernel named {name!r}; see `jupyter kernelspec list`, or pass "
                    f"--kernel NAME or --kernel /path/to/python"
                ) from None
        if not self.kernel and self.python and ipykernel_python(spec) == sys.executable:
            return _python_spec(self.python)  # nbtools' own Python under another name
        return spec

    def __call__(self, request: KernelRequest) -> StartedKernel:
        spec = self.spec_for(request.kernel_name)
        role = "fresh" if request.fresh_parent else "main"
        python = ipykernel_python(spec)
        if self.use_forkserver and self._fork_roles[role] and python == sys.executable:
            server = self._server(role)
            if server is not None:
                return server.fork_kernel(request.cwd, request.env, request.extra_arguments)
        if python is not None:
            from nbtools.execute.direct import launch

            try:
                return launch(request.cwd, dict(request.env), request.extra_arguments, python)
            except OSError as exc:
                raise KernelStartError(f"cannot start {python}: {exc}") from exc
        return self._launch(self._full_spec(spec), request)

    def _full_spec(self, spec: Any) -> Any:
        """A jupyter_client KernelSpec for a spec read by :func:`find_spec_lite`."""
        if not isinstance(spec, LiteSpec):
            return spec
        from jupyter_client.kernelspec import KernelSpec

        return KernelSpec(
            argv=spec.argv,
            language=spec.language,
            env=spec.env,
            display_name=spec.display_name,
            metadata=spec.metadata,
            resource_dir=spec.resource_dir,
        )

    def _server(self, role: str) -> ForkServer | None:
        from nbtools.execute.forkserver import ForkServer, ForkServerError

        with self._lock:
            if self._closed:
                return None
            server = self._servers.get(role)
            if server is None or not server.is_alive():
                try:
                    # each server gets its own hash seed: the runs of --repeat 2 come
                    # from different parents, so hash order can differ between them
                    server = ForkServer(hash_seed=int.from_bytes(os.urandom(4), "big"))
                except ForkServerError:
                    self.use_forkserver = False  # fall back to launched kernels
                    return None
                self._servers[role] = server
            return server

    def _launch(self, spec: Any, request: KernelRequest) -> StartedKernel:
        from jupyter_client.kernelspec import KernelSpecManager
        from jupyter_client.manager import KernelManager

        class _OneSpec(KernelSpecManager):  # type: ignore[misc]
            def get_kernel_spec(self, kernel_name: str) -> Any:
                return spec

        km = KernelManager(kernel_name=request.kernel_name or "python3")
        km.kernel_spec_manager = _OneSpec()
        km._kernel_spec = spec  # already resolved; skip the lookup by name
        stderr = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the kernel
        try:
            km.start_kernel(
                cwd=request.cwd,
                env=dict(request.env),
                extra_arguments=[*KERNEL_ARGUMENTS, *request.extra_arguments]
                if spec.language.lower() == "python"
                else list(request.extra_arguments),
                stdout=stderr,
                stderr=stderr,
                stdin=None,
            )
        except Exception as exc:
            stderr.close()
            raise KernelStartError(f"cannot start kernel {request.kernel_name!r}: {exc}") from exc
        return ManagedKernel(km, stderr)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            servers = list(self._servers.values())
            self._servers.clear()
        for server in servers:
            server.close()


def wait_gone(pid: int, timeout: float = 5.0) -> bool:
    """Wait until ``pid`` is gone or a zombie (someone else reaps it); True if so."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.01)
    return False


def pid_alive(pid: int) -> bool:
    """A live (not zombie) process with this pid exists."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read()
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    # the state follows the parenthesised command name, which may itself hold ") "
    state = stat[stat.rfind(b")") + 2 : stat.rfind(b")") + 3]
    return state not in (b"Z", b"X")


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


KernelFactory = Callable[[KernelRequest], StartedKernel]
