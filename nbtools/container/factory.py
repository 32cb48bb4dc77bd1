"""The kernel factory ``nbtools run --image`` plugs into the executor.

Every call starts a new, uniquely named container (``-j N``: N at a time, each its
own), and the executor's usual kill at the end of a notebook removes it.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import replace
from typing import Any, Sequence

from nbtools.container import cleanup
from nbtools.container.engine import detect_engine, explain_run_failure
from nbtools.container.kernel import ContainerKernelManager, check_jupyter_client
from nbtools.container.options import ContainerSpec, spec_from_options
from nbtools.container.probe import preflight
from nbtools.container.tree import copy_tree, remove_copy
from nbtools.discovery import git_root
from nbtools.errors import UsageError
from nbtools.execute.managed import ManagedKernel
from nbtools.execute.process import (
    INHERITED_ENV,
    KERNEL_ARGUMENTS,
    KernelRequest,
    KernelStartError,
    StartedKernel,
)
from nbtools.execute.specs import check_kernel_name


class ContainerKernel(ManagedKernel):
    """A kernel in a container; a failed start is explained from the engine's stderr."""

    def __init__(self, km: ContainerKernelManager, stderr: Any) -> None:
        super().__init__(km, stderr)
        self.spec: ContainerSpec = km.container
        self.label = f"python3 in {self.spec.image}"

    def stderr_tail(self) -> str:
        tail = super().stderr_tail()
        reason = explain_run_failure(tail, self.spec.image, self.spec.work_tree)
        return f"{reason}\n{tail}" if reason else tail


class ContainerKernelFactory:
    """``factory(request) -> StartedKernel`` starting each kernel in a fresh container."""

    def __init__(self, spec: ContainerSpec) -> None:
        self.spec = spec
        cleanup.install()  # here, on the main thread: kernels start on worker threads

    @classmethod
    def from_options(
        cls, options: dict[str, Any], folders: Sequence[str], *, check: bool = True
    ) -> ContainerKernelFactory:
        """Detect the engine, mount the work tree holding ``folders``, check the image."""
        if options.get("kernel"):
            raise UsageError(
                "--kernel cannot be combined with --image: the kernel is the image's python3"
            )
        check_jupyter_client()  # before any container is prepared
        engine = detect_engine(options.get("engine"))
        spec = spec_from_options(
            options, engine.path, work_tree(folders), labels=cleanup.owner_labels()
        )
        if spec.tree == "copy":
            spec = replace(spec, scratch=copy_tree(spec.work_tree, spec.resolved_user()))
        try:
            if check:
                preflight(spec)
        except BaseException:
            remove_copy(spec.scratch)
            raise
        return cls(spec)

    def __call__(self, request: KernelRequest) -> StartedKernel:
        check_kernel_name(request.kernel_name)  # unused here (the image's python3), still refused
        km = ContainerKernelManager(self.spec)
        # the image brings its own PATH, locale and HOME: only what the user asked for
        km.container_env = {
            k: v
            for k, v in request.env.items()
            if k not in INHERITED_ENV and not k.startswith("LC_")
        }
        stderr = tempfile.TemporaryFile()  # noqa: SIM115 - ContainerKernel.kill closes it
        try:
            km.start_kernel(
                cwd=request.cwd,
                env=dict(request.env),
                extra_arguments=[*KERNEL_ARGUMENTS, *request.extra_arguments],
                stdout=stderr,
                stderr=stderr,
            )
        except Exception as exc:
            stderr.close()
            try:
                km.cleanup_resources()
            except Exception:  # noqa: BLE001 - best effort, the start already failed
                cleanup.remove(self.spec.engine, km.container_name)
            raise KernelStartError(f"cannot start a kernel in {self.spec.image}: {exc}") from exc
        return ContainerKernel(km, stderr)

    def expect(self, main: int, fresh: int = 0) -> None:
        """The executor's hint of how many kernels are coming: unused, as every
        container starts the same way (there is no fork server to pay for)."""

    def close(self) -> None:
        """Each kernel's container goes with its kernel; the tree's copy goes now."""
        remove_copy(self.spec.scratch)


def work_tree(folders: Sequence[str]) -> str:
    """The folder to mount: the git work tree holding every notebook, else their common folder."""
    paths = [os.path.abspath(f) for f in folders] or [os.getcwd()]
    common = os.path.commonpath(paths)
    return git_root(common) or common
