"""``nbtools run --cache``: which notebooks a stored result answers, and what a run stores.

Glue between ``nbtools run`` and the cache (:mod:`nbtools.execute.cache`): each
notebook's key is built from the run's options and the kernel it would get (a local
interpreter and its distributions, or the image's digest), looked up before any kernel
or container starts, and a passing run is stored with the inputs its kernel read
(:mod:`nbtools.execute.audit`). Everything here errs towards running: no identity, no
audit record, an input that changed while the notebook ran, or a secret in the outputs
(the cache may be shared) means the result is not stored.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Callable

from nbtools.errors import UsageError
from nbtools.execute.audit import inputs_from_record
from nbtools.execute.cache import Hit, RunCache, parse_size, serve
from nbtools.execute.cachekey import (
    code_cells,
    forget_identities,
    image_identity,
    interpreter_identity,
    notebook_key,
)
from nbtools.execute.specs import ipykernel_python

if TYPE_CHECKING:
    from nbtools.container.options import ContainerSpec
    from nbtools.execute.kernels import LocalKernelFactory
    from nbtools.execute.redact import Redactor
    from nbtools.execute.settings import CacheSettings
    from nbtools.execute.source import Source
    from nbtools.runs import NotebookRun


class CachePlan:
    """Keys, look-ups and stores for one ``nbtools run``."""

    def __init__(
        self,
        cache: RunCache,
        key_options: dict[str, Any],
        env: dict[str, str],
        *,
        refresh: bool = False,
    ) -> None:
        forget_identities()
        self.cache = cache
        self.refresh = refresh
        self.base = {
            "options": dict(key_options),  # the options of settings.KEY_OPTIONS
            "env": dict(env),  # hashed into the key, never stored
        }
        self.kernel: Callable[[Source], Any] = lambda source: None
        self.container: ContainerSpec | None = None
        self.keys: dict[str, str | None] = {}
        self.served = 0
        self.stored = 0

    @classmethod
    def open(
        cls, settings: CacheSettings, env: dict[str, str], warn: Callable[[str], None]
    ) -> CachePlan:
        """The plan for a run with ``settings`` (UsageError for a bad ``--cache-max-size``)."""
        try:
            size = parse_size(settings.max_size)
        except ValueError as exc:
            raise UsageError(f"--cache-max-size: {exc}") from None
        cache = RunCache(settings.folder, size, warn)
        return cls(cache, settings.key_options, env, refresh=settings.refresh)

    def use_local(self, factory: LocalKernelFactory, env: dict[str, str]) -> None:
        """Kernels from a LocalKernelFactory: identity of the interpreter its spec runs."""

        def identity(source: Source) -> Any:
            try:
                spec = factory.spec_for(source.kernel_name)
            except Exception:  # noqa: BLE001 - the run reports it; nothing to cache
                return None
            python = ipykernel_python(spec)
            if python is None:
                return None  # not a plain Python kernel: its reads cannot be audited
            return interpreter_identity(python, env)

        self.kernel = identity

    def use_container(self, spec: ContainerSpec) -> None:
        """Kernels in containers: the image's digest and every setting of the container."""
        self.container = spec
        image = image_identity(spec.engine, spec.image)
        settings = {
            "image": image,
            "mount_at": spec.mount_at,
            "user": spec.user,
            "memory": spec.memory,
            "pids": spec.pids_limit,
            "gpus": spec.gpus,
            "env": list(spec.env),
            "volumes": list(spec.volumes),
            "network": spec.network,
            "tree": spec.tree,
        }
        self.kernel = lambda source: settings if image else None

    def root(self, source: Source) -> str:
        """The folder inputs are relative to: the mounted tree, or the repository."""
        if self.container is not None:
            return self.container.work_tree
        from nbtools.discovery import git_root

        return git_root(source.folder) or source.folder

    def key(self, source: Source) -> str | None:
        if source.path not in self.keys:
            kernel = self.kernel(source)
            if kernel is None:
                self.keys[source.path] = None
            else:
                root = self.root(source)
                rel = os.path.relpath(os.path.abspath(source.path), root).replace(os.sep, "/")
                self.keys[source.path] = notebook_key(
                    source.nb, rel, {**self.base, "kernel": kernel}
                )
        return self.keys[source.path]

    def lookup(self, source: Source) -> tuple[dict[str, Any], dict[str, Any] | None] | None:
        """The stored entry (``"cached": true``) and executed notebook, if one holds."""
        key = self.key(source)
        if key is None or self.refresh:
            return None
        hit: Hit | None = self.cache.lookup(key, self.root(source))
        if hit is None:
            return None
        entry, executed = serve(hit, source.nb)
        entry["path"] = source.path
        entry["cached"] = True
        entry["cached_duration_s"] = entry.get("duration_s")
        entry["duration_s"] = 0.0
        if source.script:
            entry["script"] = source.script
            for cell in entry["cells"]:
                line = source.script_lines.get(cell["index"])
                if line is not None:
                    cell["script_line"] = line
        self.served += 1
        return entry, executed

    def store(
        self, source: Source, runs: list[NotebookRun], entry: dict[str, Any], redact: Redactor
    ) -> bool:
        """Store a passing result with every input its runs read; False: not stored."""
        key = self.key(source)
        if key is None or not runs or any(run.audit is None for run in runs):
            return False
        root = self.root(source)
        mount = self.container.mount_target if self.container is not None else None
        read: set[str] = set()
        for run in runs:
            assert run.audit is not None
            found = inputs_from_record(run.audit, root, mount, root if mount else None)
            if found is None or found[1]:
                return False  # malformed, or an input changed while it ran
            read.update(found[0])
        executed = runs[0].executed_nb
        if redact.deep(entry) != entry or (
            executed is not None and redact.deep(executed) != executed
        ):
            return False  # a secret: never into a folder that CI shares
        clean = {k: v for k, v in entry.items() if k not in ("html", "written", "write_conflict")}
        indices = [index for index, _, _ in code_cells(source.nb)]
        self.cache.forget()  # the notebook may have written files that others read
        rel = os.path.relpath(os.path.abspath(source.path), root).replace(os.sep, "/")
        stored = (
            self.cache.store(key, root, sorted(read), clean, indices, executed, rel) is not None
        )
        self.stored += stored
        return stored
