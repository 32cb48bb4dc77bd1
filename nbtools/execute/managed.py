"""Kernels that jupyter_client starts: any kernelspec nbtools does not launch itself (R,
Julia, a spec with its own environment or provisioner), and the container kernels.

:class:`ManagedKernel` adapts any started ``jupyter_client.KernelManager`` to
:class:`~nbtools.execute.process.StartedKernel`; :func:`launch_managed` starts one from
a spec already resolved by :mod:`~nbtools.execute.specs`.
"""

from __future__ import annotations

import tempfile
import threading
from typing import Any

from nbtools.execute.process import (
    KERNEL_ARGUMENTS,
    KernelRequest,
    KernelStartError,
    StartedKernel,
    tail,
)
from nbtools.execute.specs import LiteSpec


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
        return tail(data.decode("utf-8", "replace"))


def _provisioner_pid(km: Any) -> int | None:
    provisioner = getattr(km, "provisioner", None)
    pid = getattr(provisioner, "pid", None)
    return pid if isinstance(pid, int) else None


def full_spec(spec: Any) -> Any:
    """A jupyter_client KernelSpec for a spec read by :func:`~nbtools.execute.specs.find_spec_lite`."""
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


def launch_managed(spec: Any, request: KernelRequest) -> ManagedKernel:
    """Start ``spec`` (resolved already) through jupyter_client's ``KernelManager``."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    resolved = full_spec(spec)

    class _OneSpec(KernelSpecManager):  # type: ignore[misc]
        """The spec nbtools resolved, whatever name it is asked for (the public way to
        hand a KernelManager a spec: it looks its spec up through this manager)."""

        def get_kernel_spec(self, kernel_name: str) -> Any:
            return resolved

    km = KernelManager(kernel_name=request.kernel_name or "python3", kernel_spec_manager=_OneSpec())
    stderr = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the kernel
    try:
        km.start_kernel(
            cwd=request.cwd,
            env=dict(request.env),
            extra_arguments=[*KERNEL_ARGUMENTS, *request.extra_arguments]
            if resolved.language.lower() == "python"
            else list(request.extra_arguments),
            stdout=stderr,
            stderr=stderr,
            stdin=None,
        )
    except Exception as exc:
        stderr.close()
        raise KernelStartError(f"cannot start kernel {request.kernel_name!r}: {exc}") from exc
    return ManagedKernel(km, stderr)
