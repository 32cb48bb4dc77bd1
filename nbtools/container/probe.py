"""Look inside an image: Python, ipykernel, TensorFlow, GPUs, the mount, the memory limit.

One short-lived container with the same mounts, user and limits as a kernel
container; the preflight check of ``nbtools run --image`` and ``nbtools doctor``
both read its answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from nbtools.container import cleanup
from nbtools.container.engine import (
    ContainerError,
    explain_run_failure,
    last_line,
    run_engine,
)
from nbtools.container.options import ContainerSpec, run_argv

# runs in the image's own python3 (any 3.x); prints one JSON line
PROBE = """\
import json, os, sys, tempfile
out = {"python": sys.version.split()[0], "uid": os.getuid() if hasattr(os, "getuid") else None}
try:
    os.listdir(os.getcwd())
    out["readable"] = True
except OSError as exc:
    out["readable"] = False
    out["readable_error"] = "%s: %s" % (os.getcwd(), exc.strerror)
status = {}
try:
    with open("/proc/self/status") as handle:
        for line in handle:
            key, _, value = line.partition(":")
            status[key] = value.strip()
except OSError:
    pass
out["cap_eff"] = status.get("CapEff")
out["no_new_privs"] = status.get("NoNewPrivs")
try:
    fd, name = tempfile.mkstemp(dir="/usr")
    os.close(fd)
    os.remove(name)
    out["root_writable"] = True
except OSError:
    out["root_writable"] = False
try:
    import ipykernel
    out["ipykernel"] = ipykernel.__version__
except Exception as exc:
    out["ipykernel"] = None
    out["ipykernel_error"] = repr(exc)
try:
    fd, name = tempfile.mkstemp(prefix=".nbtools-probe-", dir=os.getcwd())
    os.close(fd)
    os.remove(name)
    out["writable"] = True
except OSError as exc:
    out["writable"] = False
    out["writable_error"] = "%s: %s" % (os.getcwd(), exc.strerror)
limit = None
for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
    try:
        with open(path) as handle:
            text = handle.read().strip()
    except OSError:
        continue
    limit = None if text == "max" or int(text) >= 1 << 60 else int(text)
    break
out["memory_limit"] = limit
try:
    out["memory_total"] = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
except (ValueError, OSError, AttributeError):
    out["memory_total"] = None
if "--tf" in sys.argv:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        import tensorflow as tf
        out["tensorflow"] = tf.__version__
        if "--gpus" in sys.argv:
            out["gpus"] = [d.name for d in tf.config.list_physical_devices("GPU")]
    except Exception as exc:
        out["tensorflow"] = None
        out["tensorflow_error"] = repr(exc)
print(json.dumps(out))
"""


@dataclass
class ProbeResult:
    """What the probe container reported (see PROBE)."""

    python: str
    ipykernel: str | None
    writable: bool
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def readable(self) -> bool:
        return bool(self.data.get("readable", True))

    def sandbox_breaches(self) -> list[str]:
        """What the probe saw that the sandbox should have prevented (empty: none)."""
        seen = []
        if self.data.get("uid") == 0:
            seen.append("runs as root")
        cap = self.data.get("cap_eff")
        if cap is not None and int(str(cap), 16) != 0:
            seen.append(f"has capabilities (CapEff {cap})")
        if self.data.get("no_new_privs") not in (None, "1"):
            seen.append("may gain privileges (NoNewPrivs 0)")
        if self.data.get("root_writable"):
            seen.append("can write the image's /usr")
        return seen

    @property
    def tensorflow(self) -> str | None:
        value = self.data.get("tensorflow")
        return str(value) if value else None

    @property
    def gpus(self) -> list[str]:
        return [str(g) for g in self.data.get("gpus") or []]


def probe(
    spec: ContainerSpec,
    *,
    cwd: str | None = None,
    tensorflow: bool = False,
    gpus: bool = False,
    timeout: float = 300,
) -> ProbeResult:
    """Run PROBE in a container started like a kernel container; ContainerError if it fails."""
    name = cleanup.new_name()
    flags = [*(["--tf"] if tensorflow else []), *(["--gpus"] if gpus else [])]
    labelled = spec if spec.labels else _labelled(spec)
    argv = run_argv(labelled, name, ["python3", "-c", PROBE, *flags], cwd=cwd)
    cleanup.track(name, spec.engine)
    try:
        proc = run_engine(
            argv,
            timeout,
            f"probing {spec.image} took more than {timeout:.0f} s; check `{spec.engine} ps`",
        )
    finally:
        cleanup.remove(spec.engine, name)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        reason = explain_run_failure(proc.stderr, spec.image, spec.work_tree)
        raise ContainerError(
            reason or f"cannot start a container of {spec.image}: {last_line(proc.stderr)}"
        )
    try:
        data = json.loads(lines[-1])
    except ValueError:
        raise ContainerError(f"unexpected answer from {spec.image}: {lines[-1][:200]}") from None
    return ProbeResult(
        python=str(data.get("python", "")),
        ipykernel=data.get("ipykernel"),
        writable=bool(data.get("writable")),
        data=data,
    )


def _labelled(spec: ContainerSpec) -> ContainerSpec:
    from dataclasses import replace

    return replace(spec, labels=cleanup.owner_labels())


def preflight(spec: ContainerSpec, *, cwd: str | None = None) -> ProbeResult:
    """Before running notebooks: engine up, image present, ipykernel inside, mount usable."""
    from nbtools.container.engine import Engine, require_image

    cleanup.sweep(spec.engine)
    require_image(Engine(spec.engine_name, spec.engine), spec.image)
    result = probe(spec, cwd=cwd)
    if not result.ipykernel:
        raise ContainerError(
            f"image {spec.image} has no ipykernel (Python {result.python}); derive an image "
            "with `RUN python3 -m pip install ipykernel` (see docker/Dockerfile)"
        )
    if not result.readable:
        raise ContainerError(unreadable_message(spec, result))
    return result


def unreadable_message(spec: ContainerSpec, result: ProbeResult) -> str:
    user = spec.resolved_user() or "the image's user"
    return (
        f"the container's user ({user}) cannot read the work tree "
        f"({result.data.get('readable_error', '')}); make it readable by others "
        "(chmod -R o+rX), or use the default --tree copy"
    )
