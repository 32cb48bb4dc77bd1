"""Find docker or podman, and explain clearly when it, or the image, is not usable."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass

from nbtools.errors import NbtoolsError

ENGINES = ("docker", "podman")


class ContainerError(NbtoolsError):
    """A container problem the user can fix; the message ends with the fix."""


@dataclass(frozen=True)
class Engine:
    """A container engine's CLI: ``name`` is docker or podman, ``path`` the executable."""

    name: str
    path: str


def detect_engine(preferred: str | None = None) -> Engine:
    """The engine to use: ``preferred`` (a name or a path), else the one that is installed.

    With both installed, docker wins where a docker daemon is configured (DOCKER_HOST
    or /var/run/docker.sock), podman otherwise: a docker CLI without a daemon is common
    on machines that run podman.
    """
    if preferred:
        path = shutil.which(preferred)
        if path is None:
            raise ContainerError(
                f"container engine {preferred!r} not found on PATH; install it or pass "
                f"--engine {' / '.join(ENGINES)}"
            )
        base = os.path.basename(path)
        return Engine("podman" if "podman" in base else "docker", path)
    found = {name: shutil.which(name) for name in ENGINES}
    docker, podman = found["docker"], found["podman"]
    if docker and podman:
        daemon = os.environ.get("DOCKER_HOST") or os.path.exists("/var/run/docker.sock")
        return Engine("docker", docker) if daemon else Engine("podman", podman)
    if docker:
        return Engine("docker", docker)
    if podman:
        return Engine("podman", podman)
    raise ContainerError(
        "no container engine found: install podman (apt-get install podman) or docker "
        "(https://docs.docker.com/engine/install/), or run without --image"
    )


def run_engine(
    argv: list[str], timeout: float = 60, timeout_message: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run an engine command (no stdin, output captured); ContainerError on time-out or OSError."""
    try:
        return subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ContainerError(
            timeout_message
            or f"{' '.join(argv[:2])} did not answer within {timeout:.0f} s; "
            "check that the engine is healthy (e.g. restart its service)"
        ) from None
    except OSError as exc:
        raise ContainerError(f"cannot run {argv[0]}: {exc.strerror or exc}") from None


def engine_version(engine: Engine) -> str:
    """The engine server's version; raises ContainerError when it is not running."""
    proc = run_engine([engine.path, "version", "--format", "{{json .}}"])
    if proc.returncode != 0:
        hint = (
            "start it (sudo systemctl start docker), or set DOCKER_HOST, or use --engine podman"
            if engine.name == "docker"
            else "check `podman info`; for the docker CLI start `podman system service`"
        )
        detail = last_line(proc.stderr)
        raise ContainerError(f"{engine.name} is installed but not running ({detail}); {hint}")
    try:
        data = json.loads(proc.stdout)
    except ValueError:
        return proc.stdout.strip()
    server = data.get("Server") or data.get("Client") or {}
    return str(server.get("Version", "")) if isinstance(server, dict) else ""


def image_present(engine: Engine, image: str) -> bool:
    return run_engine([engine.path, "image", "inspect", image]).returncode == 0


def missing_image_message(image: str) -> str:
    fix = f"pull it: docker pull {image} (or podman pull {image})"
    if "tensorflow/tensorflow:2.9" in image or image.startswith("localhost/tensorflow"):
        fix += (
            "; offline, build a local stand-in with ../shared/tools/build-tf29-image.sh all "
            "(ALIAS_OFFICIAL=1 also tags it as the official name)"
        )
    return f"image {image} is not present locally; {fix}"


def require_image(engine: Engine, image: str) -> None:
    """Engine running and image present, or a ContainerError saying how to fix it."""
    engine_version(engine)
    if not image_present(engine, image):
        raise ContainerError(missing_image_message(image))


def explain_run_failure(stderr: str, spec_image: str, mount: str) -> str | None:
    """A one-line diagnosis of a failed ``run`` from the engine's stderr, if recognised."""
    text = stderr.lower()
    if "mounts denied" in text or "not shared from the host" in text:
        return (
            f"mount denied: the engine may not share {mount}; add it to the engine's "
            "file sharing settings (Docker Desktop: Settings > Resources > File sharing)"
        )
    if ("statfs" in text or "mount" in text) and (
        "permission denied" in text or "no such file" in text
    ):
        return (
            f"mount denied for {mount}: {last_line(stderr)}; check the folder exists and "
            "is readable by the engine (SELinux: add :z to the volume)"
        )
    if "no module named ipykernel" in text or "no module named ipykernel_launcher" in text:
        return (
            f"image {spec_image} has no ipykernel; derive an image with "
            "`RUN python3 -m pip install ipykernel` (see docker/Dockerfile)"
        )
    if "python3" in text and ("not found" in text or "no such file" in text):
        return f"image {spec_image} has no python3 on PATH; use an image with Python and ipykernel"
    if "could not select device driver" in text or "nvidia" in text:
        return (
            "GPUs requested but the engine cannot pass them through; install the NVIDIA "
            "container toolkit, or drop --gpus"
        )
    return None


def last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no message"
