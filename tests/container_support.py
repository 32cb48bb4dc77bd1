"""Helpers for the container tests: the engines and the TF 2.9 image, skipped when absent.

``NBTOOLS_TEST_IMAGE`` names the image (default: the local stand-in built by
``../shared/tools/build-tf29-image.sh``); the docker CLI is tested against whatever
``DOCKER_HOST`` points at (in CI: podman's API service, see .ci/setup-container).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from dataclasses import replace
from typing import Iterator

import pytest

from nbtools.container import cleanup
from nbtools.container.options import SANDBOX_USER, ContainerSpec
from nbtools.container.tree import copy_tree, remove_copy

IMAGE = os.environ.get("NBTOOLS_TEST_IMAGE", "localhost/tensorflow:2.9.0-jupyter-local")
ENGINES = ("podman", "docker")


#: the uid a kernel runs as by default: ours, or a fixed non-root one when we are root
KERNEL_UID = int(SANDBOX_USER.split(":")[0]) if os.getuid() == 0 else os.getuid()


@contextlib.contextmanager
def tree_copy(spec: ContainerSpec) -> Iterator[ContainerSpec]:
    """``spec`` seeing a private copy of its work tree (``--tree copy``, as ``run`` does)."""
    copy = copy_tree(spec.work_tree, spec.resolved_user())
    try:
        yield replace(spec, tree="copy", scratch=copy)
    finally:
        remove_copy(copy)


def _ok(argv: list[str]) -> bool:
    try:
        return subprocess.run(argv, capture_output=True, timeout=60, check=False).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


_usable: dict = {}


def usable(engine: str) -> str:
    """Why ``engine`` cannot run the test image, or '' when it can."""
    if engine not in _usable:
        if shutil.which(engine) is None:
            _usable[engine] = f"{engine} not installed"
        elif not _ok([engine, "version"]):
            _usable[engine] = (
                f"{engine} not running (docker: set DOCKER_HOST, see .ci/setup-container)"
            )
        elif not _ok([engine, "image", "inspect", IMAGE]):
            _usable[engine] = f"image {IMAGE} missing (../shared/tools/build-tf29-image.sh all)"
        else:
            _usable[engine] = ""
    return _usable[engine]


def require(engine: str) -> str:
    reason = usable(engine)
    if reason:
        pytest.skip(reason)
    return engine


def leftovers(engine: str) -> list[str]:
    """nbtools containers owned by this process, or by a process that is gone."""
    mine = str(os.getpid())
    return [
        name
        for name, labels in cleanup.list_containers(engine)
        if labels.get(cleanup.LABEL_PID) == mine or not cleanup.owner_alive(labels)
    ]


@pytest.fixture(params=ENGINES, name="engine")
def container_engine(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """Each container test runs with the podman and the docker CLI, and must leave nothing."""
    name = require(request.param)
    cleanup.sweep(name)  # garbage of earlier, killed runs is not this test's
    yield name
    left = leftovers(name)
    cleanup.remove(name, *left)
    assert left == [], f"containers left behind: {left}"


@pytest.fixture(name="podman")
def podman_engine():  # type: ignore[no-untyped-def]
    """podman alone (for engine-independent checks); must leave nothing behind either."""
    name = require("podman")
    cleanup.sweep(name)
    yield name
    left = leftovers(name)
    cleanup.remove(name, *left)
    assert left == [], f"containers left behind: {left}"


NO_IPYKERNEL = "localhost/nbtools-test-no-ipykernel"


@pytest.fixture(scope="session", name="image_without_ipykernel")
def image_without_ipykernel_fixture() -> str:
    """The test image with ipykernel uninstalled (built once with podman, a few seconds)."""
    require("podman")
    if not _ok(["podman", "image", "inspect", NO_IPYKERNEL]):
        containerfile = f"FROM {IMAGE}\nRUN python3 -m pip uninstall -y -q ipykernel\n"
        subprocess.run(
            ["podman", "build", "-q", "-t", NO_IPYKERNEL, "-f", "-", os.devnull.rsplit("/", 1)[0]],
            input=containerfile.encode(),
            capture_output=True,
            check=True,
            timeout=600,
        )
    return NO_IPYKERNEL
