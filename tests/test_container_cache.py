"""``nbtools run --image --cache``: the kernel's reads are recorded inside the container
(its mount paths mapped back to the host tree), a hit starts no container, and another
image under the same tag reruns everything (#14)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import make_cell, make_nb, write_nb
from container_support import IMAGE, podman_engine  # noqa: F401 - fixtures

from nbtools.cli import main

pytestmark = [pytest.mark.container, pytest.mark.kernel]

TAG = "localhost/nbtools-cache-test:latest"


def _run(capsys: pytest.CaptureFixture[str], repo: Path, image: str, *args: str) -> set[str]:
    code = main(
        [
            *("run", "--engine", "podman", "--image", image, "--format", "json"),
            *("--cache", str(repo / ".cache"), "--mount-at", "/tf/notebooks", *args, str(repo)),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    entries: list[dict[str, Any]] = json.loads(out)["notebooks"]
    return {Path(e["path"]).name for e in entries if not e.get("cached")}


def _podman(*args: str) -> None:
    subprocess.run(["podman", *args], check=True, capture_output=True, timeout=600)


def test_container_reads_are_inputs_and_the_image_is_part_of_the_key(
    podman: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "helpers.py").write_text("SCALE = 2\n")
    (repo / "data.csv").write_text("1,2\n")
    for name, source in {
        "helper.ipynb": "import helpers\nprint(helpers.SCALE)",
        "data.ipynb": "import numpy as np\nprint(np.loadtxt('data.csv', delimiter=','))",
        "plain.ipynb": "import sys\nprint(sys.version_info[:2])",
    }.items():
        write_nb(repo / name, make_nb([make_cell("code", source)]))
    _podman("tag", IMAGE, TAG)
    try:
        assert _run(capsys, repo, TAG) == {"helper.ipynb", "data.ipynb", "plain.ipynb"}

        # a hit starts no container at all
        from nbtools.container import factory

        def no_container(*args: Any, **kwargs: Any) -> Any:
            raise AssertionError("a container was prepared for cached notebooks")

        with monkeypatch.context() as patched:
            patched.setattr(factory.ContainerKernelFactory, "from_options", no_container)
            assert _run(capsys, repo, TAG) == set()

        (repo / "helpers.py").write_text("SCALE = 3\n")
        assert _run(capsys, repo, TAG) == {"helper.ipynb"}
        (repo / "data.csv").write_text("3,4\n")
        assert _run(capsys, repo, TAG) == {"data.ipynb"}

        # the same tag, another image (rebuilt or pulled): everything reruns
        containerfile = f"FROM {IMAGE}\nLABEL nbtools.test=cache\n"
        subprocess.run(
            ["podman", "build", "-q", "-t", TAG, "-f", "-", str(tmp_path)],
            input=containerfile.encode(),
            check=True,
            capture_output=True,
            timeout=600,
        )
        assert _run(capsys, repo, TAG) == {"helper.ipynb", "data.ipynb", "plain.ipynb"}
        assert _run(capsys, repo, TAG) == set()
    finally:
        subprocess.run(["podman", "rmi", "-f", TAG], capture_output=True, check=False)
