"""``nbtools run --image``: whole notebooks, kernels in the TF 2.9 container, both engines."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import make_cell, make_nb, write_nb
from container_support import IMAGE, container_engine, podman_engine  # noqa: F401 - fixtures

from nbtools.cli import main
from nbtools.container import cleanup

pytestmark = [pytest.mark.container, pytest.mark.kernel]


def run(capsys: pytest.CaptureFixture[str], engine: str, *args: str) -> tuple[int, dict]:
    code = main(["run", "--engine", engine, "--image", IMAGE, "--format", "json", *args])
    captured = capsys.readouterr()
    return code, json.loads(captured.out) if captured.out.strip() else {"err": captured.err}


def notebook(path: Path, *sources: str) -> Path:
    return write_nb(path, make_nb([make_cell("code", s) for s in sources]))


def test_tf_notebook_passes_and_is_written(
    engine: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    nb = notebook(
        tmp_path / "nbs" / "tf.ipynb",
        "import os, sys, tensorflow as tf\n"
        "print(tf.__version__, sys.version_info[:2], os.environ.get('GREETING'))",
    )
    code, report = run(capsys, engine, "--env", "GREETING=hi", "--write", str(nb))
    assert code == 0, report
    assert report["notebooks"][0]["verdict"] == "pass"
    written = json.loads(nb.read_text(encoding="utf-8"))
    text = "".join(o.get("text", "") for o in written["cells"][0]["outputs"])
    assert text == "2.9.0 (3, 8) hi\n"


def test_parallel_runs_each_get_their_own_container(
    engine: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    paths = [
        notebook(tmp_path / f"nb{i}.ipynb", "import socket; print(socket.gethostname())")
        for i in range(3)
    ]
    code, report = run(capsys, engine, "-j", "2", "--write", *map(str, paths))
    assert code == 0, report
    hosts = {
        json.loads(p.read_text(encoding="utf-8"))["cells"][0]["outputs"][0]["text"] for p in paths
    }
    assert len(hosts) == 3  # three containers, never a reused kernel


@pytest.mark.parametrize(
    ("source", "args", "rule"),
    [
        ("raise ValueError('broken on purpose')", [], "run/error"),
        ("import time; time.sleep(120)", ["--timeout", "3"], "run/timeout"),
        ("import os; os._exit(3)", [], "run/kernel-died"),
    ],
)
def test_failures_are_reported_and_containers_removed(
    podman: str,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    source: str,
    args: list,
    rule: str,
) -> None:
    nb = notebook(tmp_path / "bad.ipynb", "x = 1", source, "print('after')")
    code, report = run(capsys, podman, *args, str(nb))
    assert code == 1
    entry = report["notebooks"][0]
    assert entry["verdict"] == "fail_error"
    assert entry["first_divergent_cell"] == 1
    assert rule in {f["rule"] for f in report["findings"]}


def test_missing_image_is_a_clear_error(
    podman: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    nb = notebook(tmp_path / "a.ipynb", "1")
    code = main(["run", "--engine", podman, "--image", "localhost/nbtools-absent:1", str(nb)])
    err = capsys.readouterr().err
    assert code == 2
    assert "image localhost/nbtools-absent:1 is not present locally; pull it" in err


def test_kernel_and_image_do_not_combine(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    nb = notebook(tmp_path / "a.ipynb", "1")
    code = main(["run", "--image", IMAGE, "--kernel", "python3", str(nb)])
    assert code == 2
    assert "--kernel cannot be combined with --image" in capsys.readouterr().err


def test_image_from_config(podman: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.nbtools.run]\nimage = "{IMAGE}"\nengine = "{podman}"\nmount_at = "/tf/notebooks"\n',
        encoding="utf-8",
    )
    nb = notebook(tmp_path / "cfg.ipynb", "import os; print(os.getcwd())")
    code = main(["run", "--write", "--format", "json", str(nb)])
    assert code == 0, capsys.readouterr()
    written = json.loads(nb.read_text(encoding="utf-8"))
    assert written["cells"][0]["outputs"][0]["text"] == "/tf/notebooks\n"


RUNNER = [sys.executable, "-m", "nbtools", "run", "--image", IMAGE]


def _wait_for_container(engine: str, proc: subprocess.Popen, deadline_s: float = 120) -> list:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline and proc.poll() is None:
        names = [
            n
            for n, labels in cleanup.list_containers(engine)
            if labels.get(cleanup.LABEL_PID) == str(proc.pid)
        ]
        if names:
            return names
        time.sleep(0.3)
    return []


def _gone(engine: str, names: list, deadline_s: float = 60) -> bool:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        left = {n for n, _ in cleanup.list_containers(engine)}
        if not left.intersection(names):
            return True
        time.sleep(0.5)
    return False


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGKILL])
def test_interrupted_or_killed_run_leaves_no_container(
    podman: str, tmp_path: Path, how: int
) -> None:
    nb = notebook(tmp_path / "slow.ipynb", "import time; time.sleep(600)")
    proc = subprocess.Popen(
        [*RUNNER, "--engine", podman, str(nb)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        names = _wait_for_container(podman, proc)
        assert names, "no kernel container appeared"
        time.sleep(1)  # the kernel is busy in the cell
    finally:
        proc.send_signal(how)
        _, err = proc.communicate(timeout=120)
    if how == signal.SIGINT:
        assert proc.returncode == 130, err.decode(errors="replace")[-2000:]
    assert _gone(podman, names), f"{names} outlived nbtools ({how!r})"
    # a container it was starting when it died (seen after the snapshot above) must go too
    owned = [
        n
        for n, labels in cleanup.list_containers(podman)
        if labels.get(cleanup.LABEL_PID) == str(proc.pid)
    ]
    assert _gone(podman, owned), f"{owned} outlived nbtools ({how!r})"
