"""``nbtools doctor``'s checks: is this machine ready to run notebooks in the image?

Each check says what it found; a problem comes with the fix in one line. The checks
stop at the first one the rest depend on (no engine: nothing else can be looked at).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Any

from nbtools.container.engine import (
    ContainerError,
    detect_engine,
    engine_version,
    image_present,
    missing_image_message,
)
from nbtools.container.options import (
    DEFAULT_MEMORY,
    ContainerSpec,
    no_limit,
    parse_memory,
    spec_from_options,
)
from nbtools.container.probe import ProbeResult, probe, unreadable_message
from nbtools.container.tree import copy_tree, remove_copy

#: below this, importing TensorFlow and fitting a small Keras model gets OOM-killed
MIN_TF_MEMORY = 2 * 1024**3


@dataclass
class Check:
    """One check's outcome: ``status`` is ok, warning or error."""

    name: str
    status: str
    message: str
    fix: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"check": self.name, "status": self.status, "message": self.message, "fix": self.fix}


def run_checks(options: dict[str, Any], work_tree: str) -> list[Check]:
    """All checks for ``options`` (the run command's container options)."""
    checks: list[Check] = []
    image = options.get("image")
    try:
        engine = detect_engine(options.get("engine"))
    except ContainerError as exc:
        return [Check("engine", "error", *_split(str(exc)))]
    try:
        version = engine_version(engine)
    except ContainerError as exc:
        return [Check("engine", "error", *_split(str(exc)))]
    checks.append(Check("engine", "ok", f"{engine.name} {version} ({engine.path})"))
    if not image:
        checks.append(
            Check(
                "image",
                "error",
                "no image given",
                "pass --image tensorflow/tensorflow:2.9.0-jupyter or set [tool.nbtools.run] image",
            )
        )
        return checks
    if not image_present(engine, image):
        checks.append(Check("image", "error", *_split(missing_image_message(image))))
        return checks
    checks.append(Check("image", "ok", f"{image} present"))
    spec = spec_from_options(options, engine.path, work_tree)
    try:
        if spec.tree == "copy":  # the probe sees exactly what a kernel would
            spec = replace(spec, scratch=copy_tree(spec.work_tree, spec.resolved_user()))
        result = probe(spec, tensorflow=True, gpus=bool(spec.gpus))
    except ContainerError as exc:
        checks.append(Check("container", "error", *_split(str(exc))))
        return checks
    finally:
        remove_copy(spec.scratch)
    checks += _image_checks(spec, result)
    checks.append(_memory_check(spec, result))
    checks.append(sandbox_check(spec, result))
    return checks


def sandbox_check(spec: ContainerSpec, result: ProbeResult) -> Check:
    """The effective sandbox: what the kernel's container gets, as the probe saw it."""
    box = spec.sandbox()
    tree = {
        "copy": "a private copy of the tree (writes discarded)",
        "readonly": "the tree read-only",
        "writable": "the tree READ-WRITE",
    }[spec.tree]
    parts = [
        f"uid {result.data.get('uid')}",
        f"CapEff {result.data.get('cap_eff')}",
        f"NoNewPrivs {result.data.get('no_new_privs')}",
        "read-only root, tmpfs /tmp",
        f"network {spec.network}",
        f"memory {box['memory'] or 'unlimited'}",
        f"pids {box['pids_limit'] or 'unlimited'}",
        f"{tree}, .git hidden",
    ]
    message = "; ".join(parts)
    breaches = result.sandbox_breaches()
    if breaches:
        return Check(
            "sandbox",
            "error",
            f"{message}: the kernel {', '.join(breaches)}",
            "check the engine honours --user, --cap-drop and --security-opt",
        )
    widened = [
        text
        for on, text in (
            (spec.network != "none", f"--network {spec.network}"),
            (spec.tree == "writable", "--writable-tree"),
            (spec.user is not None, f"--container-user {spec.user}"),
            (bool(spec.volumes), "--container-volume " + " ".join(spec.volumes)),
            (bool(spec.gpus), f"--gpus {spec.gpus}"),
            (box["memory"] is None, "--memory none"),
            (box["pids_limit"] is None, "--pids-limit 0"),
        )
        if on
    ]
    if widened:
        return Check(
            "sandbox",
            "warning",
            f"{message}; widened by {', '.join(widened)}",
            "drop these options to run untrusted notebooks",
        )
    return Check("sandbox", "ok", message)


def _image_checks(spec: ContainerSpec, result: ProbeResult) -> list[Check]:
    checks = []
    if result.ipykernel:
        checks.append(
            Check("ipykernel", "ok", f"ipykernel {result.ipykernel} (Python {result.python})")
        )
    else:
        checks.append(
            Check(
                "ipykernel",
                "error",
                f"no ipykernel in {spec.image} (Python {result.python})",
                "derive an image with `RUN python3 -m pip install ipykernel` "
                "(see docker/Dockerfile)",
            )
        )
    if result.tensorflow:
        checks.append(Check("tensorflow", "ok", f"tensorflow {result.tensorflow}"))
    else:
        error = result.data.get("tensorflow_error", "not installed")
        checks.append(
            Check(
                "tensorflow",
                "warning",
                f"tensorflow cannot be imported in {spec.image}: {error}",
                "use a tensorflow/tensorflow image, or ignore this for non-TF notebooks",
            )
        )
    if spec.gpus:
        if result.gpus:
            checks.append(
                Check("gpus", "ok", f"{len(result.gpus)} GPU(s): {', '.join(result.gpus)}")
            )
        else:
            checks.append(
                Check(
                    "gpus",
                    "error",
                    "--gpus given but TensorFlow sees no GPU in the container",
                    "use a -gpu image (tensorflow/tensorflow:2.9.0-gpu-jupyter) and install "
                    "the NVIDIA container toolkit on the host",
                )
            )
    user = spec.resolved_user() or "the image's user"
    if not result.readable:
        checks.append(Check("mount", "error", *_split(unreadable_message(spec, result))))
    elif spec.tree == "readonly":
        checks.append(Check("mount", "ok", f"{spec.work_tree} readable (read-only) as {user}"))
    elif result.writable:
        where = "a copy of " if spec.tree == "copy" else ""
        checks.append(Check("mount", "ok", f"{where}{spec.work_tree} writable as {user}"))
    else:
        checks.append(
            Check(
                "mount",
                "error",
                f"{spec.work_tree} is not writable as {user} in the container "
                f"({result.data.get('writable_error', '')})",
                "run as the folder's owner (--container-user UID:GID) or make it writable "
                "(SELinux: add :z to the volume)",
            )
        )
    return checks


def _memory_check(spec: ContainerSpec, result: ProbeResult) -> Check:
    total = result.data.get("memory_total")
    seen = result.data.get("memory_limit")
    if no_limit(spec.memory):
        host = f" of the host's {_gib(total)}" if total else ""
        return Check(
            "memory",
            "warning",
            f"no memory limit: a runaway notebook can use all{host}",
            f"drop --memory none (the default is {DEFAULT_MEMORY})",
        )
    asked = parse_memory(str(spec.memory))
    if asked < MIN_TF_MEMORY:
        return Check(
            "memory",
            "warning",
            f"--memory {spec.memory} is below the ~2 GiB TensorFlow needs",
            "raise it, e.g. --memory 4g",
        )
    if total and asked > total:
        return Check(
            "memory",
            "warning",
            f"--memory {spec.memory} is more than the machine has ({_gib(total)})",
            f"use at most {_gib(total)}",
        )
    if seen is None:
        return Check(
            "memory",
            "warning",
            f"--memory {spec.memory} is not enforced inside the container",
            "enable the memory cgroup controller for the engine (cgroups v2)",
        )
    return Check("memory", "ok", f"limit {_gib(seen)} enforced")


def _gib(value: Any) -> str:
    return f"{int(value) / 1024**3:.1f} GiB"


def _split(message: str) -> tuple[str, str]:
    """ContainerError messages end with '; <fix>': keep the fix separate."""
    head, sep, fix = message.rpartition("; ")
    return (head, fix) if sep else (message, "")


def default_work_tree(paths: list[str]) -> str:
    """The folder mounted for the checks: the given path, else the current one."""
    return os.path.abspath(paths[0]) if paths else os.getcwd()
