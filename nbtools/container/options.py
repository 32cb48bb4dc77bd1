"""How a kernel container is started: the settings and the ``docker|podman run`` argv."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbtools.errors import UsageError
from nbtools.options import Option

#: where the official image keeps notebooks (``-v $PWD:/tf/notebooks``)
TF_NOTEBOOKS = "/tf/notebooks"
#: a HOME inside the container's own writable layer, never the mounted work tree
#: (podman gives an unknown uid HOME=<workdir>, and .keras/.ipython would land there)
CONTAINER_HOME = "/tmp"
LABEL = "nbtools.owner"
#: who the kernel runs as when nbtools runs as root: never root, and nobody's files
SANDBOX_USER = "65534:65534"
#: defaults that bound a runaway notebook (raise them with --memory / --pids-limit)
DEFAULT_MEMORY = "4g"
DEFAULT_PIDS = 4096
#: how the container sees the work tree: "copy" (a private writable copy without .git,
#: discarded after the run), "readonly" (the tree itself, read-only) or "writable" (the
#: tree itself, read-write: notebooks change your files; --writable-tree)
TREE_MODES = ("copy", "readonly", "writable")
#: the root file system is read-only; these are the only writable places besides the tree
TMPFS = "/tmp:rw,exec,nosuid,nodev,mode=1777"

_SECTION = "container (kernels in docker)"

#: settings shared by ``nbtools run`` and ``nbtools doctor`` (also ``[tool.nbtools.run]``)
OPTIONS: dict[str, Option] = {
    "image": Option(
        str,
        None,
        "run each kernel in a container of IMAGE, e.g. tensorflow/tensorflow:2.9.0-jupyter",
        section=_SECTION,
    ),
    "engine": Option(
        str, None, "docker or podman (or a path); default: detected", section=_SECTION
    ),
    "mount_at": Option(
        str,
        "same",
        f"mount the work tree at PATH in the container, e.g. {TF_NOTEBOOKS} "
        "(default: the same path as on the host)",
        metavar="PATH",
        section=_SECTION,
    ),
    "container_user": Option(
        str,
        None,
        "user inside the container (default: yours, so files stay yours; "
        "'image' keeps the image's)",
        metavar="UID:GID",
        section=_SECTION,
    ),
    "memory": Option(
        str,
        DEFAULT_MEMORY,
        f"container memory limit, e.g. 8g (default {DEFAULT_MEMORY}; none: no limit)",
        section=_SECTION,
    ),
    "pids_limit": Option(
        int,
        DEFAULT_PIDS,
        f"most processes/threads in the container (default {DEFAULT_PIDS}; 0: no limit)",
        metavar="N",
        section=_SECTION,
    ),
    "tree": Option(
        str,
        "copy",
        "how the container sees the work tree: copy (default: a private writable copy "
        "without .git, discarded after the run), readonly (no copy; writes fail) or writable",
        choices=TREE_MODES,
        presets=(
            (
                "--writable-tree",
                "writable",
                "let notebooks change the work tree itself (same as --tree writable; .git "
                "stays hidden)",
            ),
        ),
        section=_SECTION,
    ),
    "gpus": Option(str, None, "pass GPUs through, e.g. all", metavar="GPUS", section=_SECTION),
    "container_volumes": Option(
        list,
        (),
        "extra volume for the container (repeatable)",
        flags=("--container-volume",),
        metavar="SRC:DST[:OPTS]",
        repeat="append",
        convert=tuple,
        section=_SECTION,
    ),
    "network": Option(
        str,
        "none",
        "none (default; unix-socket transport) or host (tcp transport)",
        choices=("none", "host"),
        section=_SECTION,
    ),
    "container_timeout": Option(
        int,
        3600,
        "backstop: the engine removes a kernel container after this long (default 3600)",
        metavar="SECONDS",
        section=_SECTION,
    ),
}

_MEMORY = re.compile(r"^(\d+(?:\.\d+)?)\s*([bkmg]?)b?$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


def no_limit(value: str | None) -> bool:
    """``--memory none``: the explicit opt-out of the memory limit."""
    return value is None or str(value).strip().lower() in ("none", "unlimited", "0")


def parse_memory(value: str) -> int:
    """``"4g"`` -> bytes, as docker/podman read ``--memory``."""
    match = _MEMORY.match(value.strip())
    if not match:
        raise UsageError(f"--memory {value!r}: expected a size such as 512m or 4g")
    size = int(float(match.group(1)) * _UNITS[match.group(2).lower()])
    if size == 0:
        raise UsageError(f"--memory {value!r}: to run without a limit, say --memory none")
    return size


@dataclass(frozen=True)
class ContainerSpec:
    """Everything needed to start one kernel container (one per notebook run)."""

    image: str
    engine: str  # the engine's executable, e.g. "podman" or "/usr/bin/docker"
    work_tree: str  # host folder mounted into the container
    mount_at: str = "same"  # "same" (same path inside) or a container path
    user: str | None = None  # "uid:gid"; None = the caller's (root: SANDBOX_USER); "image"
    memory: str | None = DEFAULT_MEMORY  # None or "none": no limit
    pids_limit: int = DEFAULT_PIDS  # 0: no limit
    gpus: str | None = None
    env: tuple[str, ...] = ()  # KEY=VALUE for every kernel (``--env`` goes per kernel)
    volumes: tuple[str, ...] = ()
    network: str = "none"  # "none" (ipc transport) or "host" (tcp transport)
    timeout: int = 3600  # backstop: podman kills the container after this many seconds
    labels: dict[str, str] = field(default_factory=dict)
    tree: str = "readonly"  # see TREE_MODES; spec_from_options defaults to "copy"
    scratch: str | None = None  # tree == "copy": the host folder holding the copy

    @property
    def engine_name(self) -> str:
        return "podman" if "podman" in os.path.basename(self.engine) else "docker"

    @property
    def transport(self) -> str:
        # no network namespace shared with the host: talk over unix sockets instead
        return "ipc" if self.network == "none" else "tcp"

    @property
    def mount_target(self) -> str:
        return self.work_tree if self.mount_at == "same" else self.mount_at

    def container_path(self, host_path: str) -> str:
        """Where a host path inside the work tree appears in the container."""
        rel = os.path.relpath(os.path.abspath(host_path), self.work_tree)
        if rel == ".":
            return self.mount_target
        if rel.startswith(".."):
            raise UsageError(
                f"{host_path} is outside the mounted work tree {self.work_tree}; "
                "run nbtools from a folder that contains the notebooks"
            )
        return f"{self.mount_target.rstrip('/')}/{Path(rel).as_posix()}"

    def resolved_user(self) -> str | None:
        if self.user == "image":
            return None
        if self.user:
            return self.user
        if not hasattr(os, "getuid"):
            return None
        if os.getuid() == 0:
            return SANDBOX_USER  # CI jobs often run as root: the kernel never does
        return f"{os.getuid()}:{os.getgid()}"

    def sandbox(self) -> dict[str, object]:
        """The effective sandbox, as ``doctor`` and the JSON report show it."""
        return {
            "user": self.resolved_user() or "the image's",
            "tree": self.tree,
            "git_hidden": True,
            "network": self.network,
            "memory": None if no_limit(self.memory) else self.memory,
            "pids_limit": self.pids_limit if self.pids_limit > 0 else None,
            "read_only_root": True,
            "cap_drop": "ALL",
            "no_new_privileges": True,
            "volumes": list(self.volumes),
            "gpus": self.gpus,
        }


def run_argv(
    spec: ContainerSpec,
    name: str,
    command: list[str],
    *,
    cwd: str | None = None,
    runtime_dir: str | None = None,
    extra_env: dict[str, str] | None = None,
) -> list[str]:
    """The ``docker|podman run`` command line that runs ``command`` in a fresh container.

    ``runtime_dir`` (connection file and ipc sockets) is mounted at the same path so
    the host and the kernel see the same socket files.
    """
    argv = [spec.engine, "run", "--rm", "-i", "--init", "--name", name]
    if spec.engine_name == "podman":
        # reaps the container if everything above it is gone (SIGKILL of podman itself)
        argv += ["--timeout", str(spec.timeout)]
    for key, value in sorted(spec.labels.items()):
        argv += ["--label", f"{key}={value}"]
    argv += ["--network", spec.network]
    # the kernel cannot change the host: no capabilities, no setuid gains, a read-only
    # root with a private /tmp, bounded memory and processes
    argv += ["--cap-drop", "ALL", "--security-opt", "no-new-privileges"]
    argv += ["--read-only", "--tmpfs", TMPFS]
    if spec.pids_limit > 0:
        argv += ["--pids-limit", str(spec.pids_limit)]
    user = spec.resolved_user()
    if user:
        argv += ["--user", user]
        if spec.engine_name == "podman" and spec.user is None and os.getuid() != 0:
            # rootless podman maps container uids to sub-uids; keep-id maps ours to ours
            argv += ["--userns=keep-id"]
    argv += ["-e", f"HOME={CONTAINER_HOME}"]
    for key, value in sorted((extra_env or {}).items()):
        argv += ["-e", f"{key}={value}"]
    for item in spec.env:
        argv += ["-e", item]
    if not no_limit(spec.memory):
        argv += ["--memory", str(spec.memory)]
    if spec.gpus:
        argv += ["--gpus", spec.gpus]
    argv += tree_mounts(spec)
    if runtime_dir:
        argv += ["-v", f"{runtime_dir}:{runtime_dir}"]
    for volume in spec.volumes:
        argv += ["-v", volume]
    argv += ["-w", spec.container_path(cwd) if cwd else spec.mount_target]
    return [*argv, spec.image, *command]


def tree_mounts(spec: ContainerSpec) -> list[str]:
    """``-v`` flags for the work tree: its copy, or itself read-only or read-write, and
    an empty, read-only ``.git`` over the real one (hooks and credentials live there)."""
    if spec.tree == "copy":
        if not spec.scratch:
            raise UsageError("internal: tree copy requested but none was made")
        return ["-v", f"{spec.scratch}:{spec.mount_target}"]
    suffix = "" if spec.tree == "writable" else ":ro"
    flags = ["-v", f"{spec.work_tree}:{spec.mount_target}{suffix}"]
    git = os.path.join(spec.work_tree, ".git")
    if os.path.lexists(git):
        empty = _empty(directory=os.path.isdir(git) and not os.path.islink(git))
        flags += ["-v", f"{empty}:{spec.mount_target.rstrip('/')}/.git:ro"]
    return flags


_EMPTY: dict[bool, str] = {}


def _empty(*, directory: bool) -> str:
    """An empty folder or file (made once per process) to mount over ``.git``."""
    if directory not in _EMPTY:
        import atexit
        import shutil
        import tempfile

        base = tempfile.mkdtemp(prefix="nbtools-empty-")
        os.chmod(base, 0o755)
        atexit.register(shutil.rmtree, base, True)
        path = os.path.join(base, "git")
        if directory:
            os.mkdir(path, 0o555)
        else:
            with open(path, "w", encoding="utf-8"):
                pass
            os.chmod(path, 0o444)
        _EMPTY[directory] = path
    return _EMPTY[directory]


def spec_from_options(
    options: dict[str, Any], engine: str, work_tree: str, labels: dict[str, str] | None = None
) -> ContainerSpec:
    """A ContainerSpec from resolved command options (CLI + config + defaults)."""
    memory = options.get("memory", DEFAULT_MEMORY)
    if not no_limit(memory):
        parse_memory(str(memory))  # reject nonsense before starting anything
    tree = options.get("tree") or "copy"
    if tree not in TREE_MODES:
        raise UsageError(f"tree {tree!r}: expected one of {', '.join(TREE_MODES)}")
    pids = options.get("pids_limit")
    mount_at = options.get("mount_at") or "same"
    if mount_at != "same" and not mount_at.startswith("/"):
        raise UsageError(f"--mount-at {mount_at!r}: expected an absolute container path")
    network = options.get("network") or "none"
    if network not in ("none", "host"):
        raise UsageError(f"network {network!r}: expected none or host")
    return ContainerSpec(
        image=options["image"],
        engine=engine,
        work_tree=os.path.abspath(work_tree),
        mount_at=mount_at,
        user=options.get("container_user"),
        memory=None if no_limit(memory) else str(memory),
        pids_limit=DEFAULT_PIDS if pids is None else int(pids),
        tree=tree,
        gpus=options.get("gpus"),
        volumes=tuple(options.get("container_volumes") or ()),
        network=network,
        timeout=int(options.get("container_timeout") or 3600),
        labels=dict(labels or {}),
    )
