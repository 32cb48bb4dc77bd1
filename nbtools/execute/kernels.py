"""The local kernel factory: kernels from kernelspecs, or from a Python given with ``--kernel``.

A plain ``PYTHON -m ipykernel_launcher`` spec is forked from a pre-imported
:mod:`~nbtools.execute.forkserver` when PYTHON is this interpreter and enough notebooks
come, else launched directly (:mod:`~nbtools.execute.direct`); any other spec goes through
jupyter_client's ``KernelManager`` (:mod:`~nbtools.execute.managed`). It meets
:class:`~nbtools.execute.process.KernelFactory`, as the container factory does.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import Any

from nbtools.execute.direct import launch
from nbtools.execute.forkserver import ForkServer, ForkServerError
from nbtools.execute.interpreter import GENERIC_NAMES
from nbtools.execute.managed import launch_managed
from nbtools.execute.process import KernelRequest, KernelStartError, StartedKernel
from nbtools.execute.specs import (
    check_kernel_name,
    find_spec_lite,
    ipykernel_python,
    is_python_path,
    python_spec,
)

#: the fewest kernels worth a fork server (it costs about one kernel's imports to start)
FORK_MIN = 3


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
            return python_spec(name)
        if not self.kernel and self.python and name.lower() in GENERIC_NAMES:
            return python_spec(self.python)
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
            return python_spec(self.python)  # nbtools' own Python under another name
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
            try:
                return launch(request.cwd, dict(request.env), request.extra_arguments, python)
            except OSError as exc:
                raise KernelStartError(f"cannot start {python}: {exc}") from exc
        return launch_managed(spec, request)

    def _server(self, role: str) -> ForkServer | None:
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

    def close(self) -> None:
        with self._lock:
            self._closed = True
            servers = list(self._servers.values())
            self._servers.clear()
        for server in servers:
            server.close()
