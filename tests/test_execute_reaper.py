"""Nothing a notebook starts survives it (#17.6): setsid and double-forked daemons, kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import pytest
from conftest import make_cell, make_nb, write_nb

from nbtools.execute.executor import ExecOptions, execute_notebook
from nbtools.execute.kernels import LocalKernelFactory
from nbtools.execute.process import KernelRequest, kernel_environment
from nbtools.execute.reaper import become_subreaper, sweep_temp

pytestmark = [
    pytest.mark.kernel,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="subreapers are Linux"),
]


def daemon_cell(marker: str) -> dict[str, Any]:
    """A cell that leaves a `sleep` behind in its own session, twice removed from the kernel."""
    return make_cell(
        source=(
            "import os, subprocess\n"
            f"subprocess.run(['setsid', 'sh', '-c', 'sleep {marker} &'])\n"
            "if os.fork() == 0:\n"
            "    os.setsid()\n"
            "    if os.fork() == 0:\n"
            f"        os.execvp('sleep', ['sleep', '{marker}'])\n"
            "    os._exit(0)\n"
            "os.wait()\n"
        )
    )


def running(marker: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                argv = handle.read().split(b"\0")
            with open(f"/proc/{entry}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        if marker.encode() in argv and stat[stat.rfind(b")") + 2 :][:1] not in (b"Z", b"X"):
            found.append(int(entry))
    return found


def wait_for(predicate: Any, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture(params=["fork", "launch"])
def factory(request: Any) -> Iterator[LocalKernelFactory]:
    with LocalKernelFactory(use_forkserver=request.param == "fork") as made:
        made.expect(3 if request.param == "fork" else 1)
        yield made


def test_setsid_and_double_forked_daemons_die_with_the_kernel(
    factory: LocalKernelFactory,
) -> None:
    marker = f"30{os.getpid() % 1000}.{time.monotonic_ns() % 10**6}"
    kernel = factory(KernelRequest("python3", "/", kernel_environment()))
    run = execute_notebook(make_nb([daemon_cell(marker)]), kernel, ExecOptions())
    assert run.failure is None, run.cells[0].traceback
    assert not kernel.is_alive()
    assert wait_for(lambda: not running(marker), 5.0), running(marker)


def test_run_leaves_no_daemon_behind(tmp_path: Path) -> None:
    from nbtools.cli import main

    marker = f"31{os.getpid() % 1000}.{time.monotonic_ns() % 10**6}"
    for i in range(3):  # three notebooks: forked kernels
        write_nb(tmp_path / f"d{i}.ipynb", make_nb([daemon_cell(f"{marker}{i}")]))
    assert main(["run", "-q", str(tmp_path)]) == 0
    assert main(["run", "-q", "--no-fork", str(tmp_path / "d0.ipynb")]) == 0
    assert not [running(f"{marker}{i}") for i in range(3) if running(f"{marker}{i}")]


def _is_subreaper() -> bool:
    """What the kernel says (prctl PR_GET_CHILD_SUBREAPER), not what the call returned."""
    import ctypes

    flag = ctypes.c_int(-1)
    assert ctypes.CDLL(None, use_errno=True).prctl(37, ctypes.byref(flag), 0, 0, 0) == 0
    return flag.value != 0


def test_become_subreaper_turns_the_flag_on_and_off() -> None:
    assert not _is_subreaper()
    try:
        assert become_subreaper()
        assert _is_subreaper()
    finally:
        assert become_subreaper(False)
    assert not _is_subreaper()


def test_only_leftovers_of_dead_nbtools_are_swept(tmp_path: Path) -> None:
    dead = subprocess.Popen(["true"])
    dead.wait()
    gone = tmp_path / f"nbtools-kernel-{dead.pid}-abc"
    alive = tmp_path / f"nbtools-fork-{os.getppid()}-abc"
    mine = tmp_path / f"nbtools-kernel-{os.getpid()}-abc"
    other = tmp_path / f"something-{dead.pid}-abc"
    for folder in (gone, alive, mine, other):
        folder.mkdir()
        (folder / "kernel.json").write_text("{}")
    assert sweep_temp(str(tmp_path)) == [str(gone)]
    assert not gone.exists() and alive.exists() and mine.exists() and other.exists()


@pytest.mark.slow
def test_kill_9_loop_leaves_no_process_and_no_temp_folder(tmp_path: Path) -> None:
    """kill -9 nbtools mid-run a few times, then run again: nothing is left."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    notebooks = tmp_path / "nbs"
    marker = f"32{os.getpid() % 1000}.{time.monotonic_ns() % 10**6}"
    for i in range(3):
        cells = [daemon_cell(f"{marker}{i}"), make_cell(source="import time; time.sleep(300)")]
        write_nb(notebooks / f"k{i}.ipynb", make_nb(cells))
    env = {**os.environ, "TMPDIR": str(tmp)}
    markers = [f"{marker}{i}" for i in range(3)]
    for round_ in range(3):
        argv = [sys.executable, "-m", "nbtools", "run", "-j", "3", str(notebooks)]
        if round_ == 1:
            argv.append("--no-fork")
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            # two notebooks run (the third waits for a worker): their daemons are up
            assert wait_for(lambda: sum(len(running(m)) >= 2 for m in markers) >= 2, 60.0)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        assert wait_for(lambda: not any(running(m) for m in markers), 10.0), [
            running(m) for m in markers
        ]
    assert [p.name for p in tmp.iterdir() if p.name.startswith("nbtools-")]  # left behind
    quick = tmp_path / "quick.ipynb"
    write_nb(quick, make_nb([make_cell(source="1 + 1")]))
    done = subprocess.run(
        [sys.executable, "-m", "nbtools", "run", "-q", str(quick)], env=env, check=False
    )
    assert done.returncode == 0
    assert not [p.name for p in tmp.iterdir() if p.name.startswith("nbtools-")]
    assert not any(running(m) for m in markers)


def test_kernels_nbtools_does_not_launch_itself_are_covered_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A kernelspec with its own env goes through jupyter_client: not a subreaper itself,
    so its daemons are re-parented to `nbtools run`, which kills them at the end."""
    import json

    from nbtools.cli import main

    spec = tmp_path / "jupyter" / "kernels" / "withenv"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "language": "python", "env": {"WITH_ENV": "1"}})
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    marker = f"33{os.getpid() % 1000}.{time.monotonic_ns() % 10**6}"
    kernelspec = {"name": "withenv", "display_name": "with env", "language": "python"}
    path = write_nb(
        tmp_path / "m.ipynb", make_nb([daemon_cell(marker)], metadata={"kernelspec": kernelspec})
    )
    assert main(["run", "-q", str(path)]) == 0
    assert wait_for(lambda: not running(marker), 5.0), running(marker)
