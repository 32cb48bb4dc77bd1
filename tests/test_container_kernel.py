"""Kernels in real containers (podman and the docker CLI), driven by nbclient on the host."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from container_support import (  # noqa: F401 - fixture
    IMAGE,
    KERNEL_UID,
    container_engine,
    leftovers,
    tree_copy,
)

from nbtools.container import cleanup
from nbtools.container.kernel import AsyncContainerKernelManager, ContainerKernelManager
from nbtools.container.options import ContainerSpec

pytestmark = [pytest.mark.container, pytest.mark.kernel]


def run_cells(spec: ContainerSpec, cwd: Path, *sources: str, timeout: int = 120) -> list:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    km = AsyncContainerKernelManager(spec)
    client = NotebookClient(
        nb, km=km, timeout=timeout, startup_timeout=120, resources={"metadata": {"path": str(cwd)}}
    )
    try:
        client.execute(env={**os.environ, "NBTOOLS_PROBE": "passed"})
    finally:
        asyncio.run(km.shutdown_kernel(now=True))
    return ["".join(o.get("text", "") for o in cell.outputs) for cell in nb.cells]


@pytest.mark.parametrize("network", ["none", "host"])
def test_notebook_runs_in_tf29_container(engine: str, network: str, tmp_path: Path) -> None:
    sub = tmp_path / "nbs"
    sub.mkdir()
    spec = ContainerSpec(image=IMAGE, engine=engine, work_tree=str(tmp_path), network=network)
    with tree_copy(spec) as copied:
        out = run_cells(
            copied,
            sub,
            "import os, sys; print(sys.version_info[:2], os.getcwd(), os.environ['HOME'])",
            "print(os.getuid(), os.environ.get('NBTOOLS_PROBE'))",
            "open('made.txt', 'w').write('x'); print(open('made.txt').read())",
        )
        made = Path(copied.scratch or "") / "nbs" / "made.txt"
        assert made.read_text(encoding="utf-8") == "x"  # notebooks may write next to them
    assert out[0] == f"(3, 8) {sub} /tmp\n"
    assert out[1] == f"{KERNEL_UID} passed\n"
    assert out[2] == "x\n"
    # ... into the copy only; HOME is not the tree: no .ipython/.keras/.local in it either
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["nbs"]


def test_writable_tree_keeps_what_the_notebook_writes(engine: str, tmp_path: Path) -> None:
    os.chown(tmp_path, KERNEL_UID, KERNEL_UID)
    spec = ContainerSpec(image=IMAGE, engine=engine, work_tree=str(tmp_path), tree="writable")
    run_cells(spec, tmp_path, "open('made.txt', 'w').write('x')")
    made = tmp_path / "made.txt"
    assert made.stat().st_uid == KERNEL_UID


def test_mounted_at_tf_notebooks(engine: str, tmp_path: Path) -> None:
    (tmp_path / "data.txt").write_text("hello", encoding="utf-8")
    spec = ContainerSpec(
        image=IMAGE, engine=engine, work_tree=str(tmp_path), mount_at="/tf/notebooks"
    )
    with tree_copy(spec) as copied:
        out = run_cells(copied, tmp_path, "import os; print(os.getcwd(), open('data.txt').read())")
    assert out == ["/tf/notebooks hello\n"]


def test_interrupt_reaches_the_kernel(engine: str, tmp_path: Path) -> None:
    spec = ContainerSpec(image=IMAGE, engine=engine, work_tree=str(tmp_path))
    km = ContainerKernelManager(spec)
    km.start_kernel(cwd=str(tmp_path))
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=120)
        msg_id = kc.execute("import time; time.sleep(600)")
        kc.get_iopub_msg(timeout=60)  # busy: the cell has started
        time.sleep(0.5)
        km.interrupt_kernel()
        while True:
            reply = kc.get_shell_msg(timeout=60)
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        assert reply["content"]["status"] == "error"
        assert reply["content"]["ename"] == "KeyboardInterrupt"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    assert spec.engine and km.container_name not in cleanup.tracked()


DRIVER = """
import sys, time
from nbtools.container.kernel import ContainerKernelManager
from nbtools.container.options import ContainerSpec
km = ContainerKernelManager(ContainerSpec(image=sys.argv[1], engine=sys.argv[2], work_tree=sys.argv[3]))
km.start_kernel(cwd=sys.argv[3])
kc = km.client()
kc.start_channels()
kc.wait_for_ready(timeout=120)
print("NAME=" + km.container_name, flush=True)
time.sleep(600)
"""


def _names(engine: str) -> list:
    return [name for name, _ in cleanup.list_containers(engine)]


def _wait_gone(engine: str, name: str, deadline_s: float = 60) -> bool:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if name not in _names(engine):
            return True
        time.sleep(0.5)
    return False


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_container_removed_when_nbtools_is_killed(engine: str, tmp_path: Path, how: int) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", DRIVER, IMAGE, engine, str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        name = next(line for line in proc.stdout if line.startswith("NAME="))[5:].strip()
        assert name.startswith("nbtools-")
        assert name in _names(engine)
    finally:
        proc.send_signal(how)
        proc.wait(timeout=60)
    # SIGTERM: atexit removes it; SIGKILL: the guard sees its stdin close
    assert _wait_gone(engine, name), f"{name} survived its owner"


def test_sweep_removes_containers_of_dead_owners(engine: str, tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    name = cleanup.new_name()
    labels = {
        cleanup.LABEL_PID: str(dead.pid),
        cleanup.LABEL_HOST: cleanup.owner_labels()[cleanup.LABEL_HOST],
        cleanup.LABEL_START: "1",
    }
    argv = [engine, "run", "-d", "--rm", "--name", name]
    for key, value in labels.items():
        argv += ["--label", f"{key}={value}"]
    subprocess.run([*argv, IMAGE, "sleep", "600"], check=True, capture_output=True)
    assert name in leftovers(engine)
    assert name in cleanup.sweep(engine)
    assert _wait_gone(engine, name)


def test_owner_alive_tells_live_from_dead() -> None:
    me = cleanup.owner_labels()
    assert cleanup.owner_alive(me)
    assert not cleanup.owner_alive({**me, cleanup.LABEL_START: "0"})  # pid reused
    assert cleanup.owner_alive({**me, cleanup.LABEL_HOST: "another-host"})
    assert not cleanup.owner_alive({**me, cleanup.LABEL_PID: "not-a-pid"})
