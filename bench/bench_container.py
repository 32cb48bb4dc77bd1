"""Container kernel benchmarks: what running the kernel in the TF 2.9 image costs.

    .venv/bin/python bench/bench_container.py [--repeat 3] [--image IMAGE]

(a) one kernel's life (start until ready, one trivial cell, shutdown and container removal)
    with podman and with the docker CLI (podman's API service, DOCKER_HOST), over unix
    sockets (``--network none``) and tcp (``--network host``), against the same Python 3.8
    interpreter and ipykernel launched directly on the host (the ``--kernel`` path);
(b) ``nbtools run --image`` on 6 one-cell notebooks with ``-j 1`` and ``-j 2``: wall time
    and per-notebook overhead (wall x workers / notebooks).
Medians of ``--repeat`` rounds; prints a markdown section for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parent.parent
IMAGE = os.environ.get("NBTOOLS_TEST_IMAGE", "localhost/tensorflow:2.9.0-jupyter-local")
PY38 = os.environ.get("NBTOOLS_PY38", "/var/tmp/nbtools-py38/bin/python")


def lifecycle(make_km: Callable[[], Any], cwd: str) -> tuple[float, float, float]:
    """(start until ready, one cell, shutdown) in seconds for one fresh kernel."""
    km = make_km()
    t0 = time.perf_counter()
    km.start_kernel(cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=120)
    t1 = time.perf_counter()
    reply = kc.execute_interactive("x = 1 + 1", timeout=60)
    assert reply["content"]["status"] == "ok"
    t2 = time.perf_counter()
    kc.stop_channels()
    km.shutdown_kernel()
    t3 = time.perf_counter()
    return t1 - t0, t2 - t1, t3 - t2


def container_km(engine: str, network: str, cwd: str) -> Callable[[], Any]:
    from nbtools.container.kernel import ContainerKernelManager
    from nbtools.container.options import ContainerSpec

    spec = ContainerSpec(image=IMAGE, engine=engine, work_tree=cwd, network=network)
    return lambda: ContainerKernelManager(spec)


def host_km() -> Any:
    from jupyter_client import KernelManager
    from jupyter_client.kernelspec import KernelSpec

    km = KernelManager()
    km._kernel_spec = KernelSpec(
        argv=[PY38, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        language="python",
        display_name="py38",
    )
    return km


def run_cli(args: list[str], cwd: str) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "nbtools", "run", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-2000:])
    return time.perf_counter() - t0


def main() -> None:
    global IMAGE
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--image", default=IMAGE)
    args = parser.parse_args()
    IMAGE = args.image
    work = tempfile.mkdtemp(prefix="nbtools-bench-container-")
    rows: list[tuple[str, list[tuple[float, float, float]]]] = []
    cases: list[tuple[str, Callable[[], Any]]] = [
        ("podman, unix sockets (--network none)", container_km("podman", "none", work)),
        ("podman, tcp (--network host)", container_km("podman", "host", work)),
    ]
    if os.environ.get("DOCKER_HOST"):
        cases += [
            ("docker CLI, unix sockets", container_km("docker", "none", work)),
            ("docker CLI, tcp", container_km("docker", "host", work)),
        ]
    if os.access(PY38, os.X_OK):
        cases.append(("host: Python 3.8 + ipykernel, no container", host_km))
    for label, make in cases:
        rows.append((label, [lifecycle(make, work) for _ in range(args.repeat)]))

    nbs = Path(work) / "nbs"
    nbs.mkdir()
    for i in range(6):
        nb = {
            "cells": [
                {
                    "cell_type": "code",
                    "execution_count": None,
                    "id": "c",
                    "metadata": {},
                    "outputs": [],
                    "source": f"print({i})",
                }
            ],
            "metadata": {
                "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
            },
            "nbformat": 4,
            "nbformat_minor": 5,
        }
        (nbs / f"nb{i}.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    runs = {}
    for jobs in (1, 2):
        runs[jobs] = statistics.median(
            run_cli(["--image", IMAGE, "--engine", "podman", "-j", str(jobs), str(nbs)], work)
            for _ in range(args.repeat)
        )

    def med(values: list[float]) -> str:
        return f"{statistics.median(values) * 1000:.0f} ms"

    print("| kernel | start until ready | one cell | shutdown + removal | total |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for label, samples in rows:
        start, cell, stop = zip(*samples)
        total = [a + b + c for a, b, c in samples]
        print(
            f"| {label} | {med(list(start))} | {med(list(cell))} | {med(list(stop))} | {med(total)} |"
        )
    print()
    print(
        "| `nbtools run --image` on 6 one-cell notebooks | wall (median) | per notebook (wall x workers / 6) |"
    )
    print("| --- | ---: | ---: |")
    for jobs, wall in runs.items():
        print(f"| -j {jobs} | {wall:.2f} s | {wall * jobs / 6:.2f} s |")
    load = os.getloadavg()[0]
    print(
        f"\n{args.repeat} rounds; 1-minute load average at the end: {load:.1f} on {os.cpu_count()} cores."
    )


if __name__ == "__main__":
    main()
