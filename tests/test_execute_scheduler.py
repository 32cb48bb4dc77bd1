"""The parallel scheduler: every result comes back, kernels are never reused, the next kernel
is started before the current notebook finishes, no notebook waits while a worker is idle,
failures stay with their notebook."""

from __future__ import annotations

import os
import threading
from typing import Any

import pytest
from conftest import make_cell, make_nb
from test_execute_executor import descendants

from nbtools.execute.executor import ExecOptions
from nbtools.execute.kernels import LocalKernelFactory
from nbtools.execute.process import KernelRequest, StartedKernel, kernel_environment
from nbtools.execute.scheduler import Job, default_jobs, run_jobs
from nbtools.runs import FailureKind

pytestmark = pytest.mark.kernel


def _job(key: Any, source: str) -> Job:
    nb = make_nb([make_cell(source=source)])
    return Job(key, nb, "python3", "/", kernel_environment())


def test_results_for_every_job_with_failures_kept_apart() -> None:
    sources = ["import os; print(os.getpid())"] * 4 + ["import os; os._exit(3)", "1/0"]
    jobs = [_job(i, src) for i, src in enumerate(sources)]
    before = descendants(os.getpid())
    with LocalKernelFactory() as factory:
        results = {job.key: run for job, run in run_jobs(jobs, factory, ExecOptions(), 2)}
    assert sorted(results) == list(range(6))
    pids = {results[i].cells[0].outputs[0]["text"] for i in range(4)}
    assert len(pids) == 4  # a fresh kernel per notebook, never reused
    assert results[4].failure is not None and "kernel died" in results[4].failure
    assert results[4].failure_kind is FailureKind.KERNEL_DIED
    assert results[5].cells[0].ename == "ZeroDivisionError"
    assert descendants(os.getpid()) <= before


def test_next_kernel_starts_while_the_current_notebook_runs(tmp_path: Any) -> None:
    marker = tmp_path / "first-done"
    first = _job(0, f"import time; time.sleep(1.0); open({str(marker)!r}, 'w').close()")
    second = _job(1, "2")
    calls: list[bool] = []  # per kernel start: had the first notebook finished?
    lock = threading.Lock()
    with LocalKernelFactory() as factory:

        def call(request: KernelRequest) -> StartedKernel:
            with lock:
                calls.append(marker.exists())
            return factory(request)

        done = list(run_jobs([first, second], call, ExecOptions(), 1))
    assert [job.key for job, _ in done] == [0, 1]
    assert marker.exists() and all(run.failure is None for _, run in done)
    # one worker, two notebooks: both kernels were started before the first one finished
    assert calls == [False, False]


@pytest.mark.parametrize("count", [2, 3])
def test_as_many_notebooks_as_workers_all_run_at_once(tmp_path: Any, count: int) -> None:
    """Each notebook says it has started, then waits (up to 60 s) until all have: on a
    scheduler that let one worker keep the next notebook for itself while another worker
    sat idle, the first one waits in vain and raises."""
    wait = (
        "import pathlib, time\n"
        "here = pathlib.Path({folder!r})\n"
        "(here / '{me}').touch()\n"
        "deadline = time.monotonic() + 60\n"
        "while len(list(here.iterdir())) < {count}:\n"
        "    assert time.monotonic() < deadline, 'ran alone'\n"
        "    time.sleep(0.05)\n"
    )
    jobs = [
        _job(i, wait.format(folder=str(tmp_path), me=f"started-{i}", count=count))
        for i in range(count)
    ]
    with LocalKernelFactory() as factory:
        runs = [run for _, run in run_jobs(jobs, factory, ExecOptions(cell_timeout=120), count)]
    assert [run.cells[0].ename for run in runs] == [None] * count
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"started-{i}" for i in range(count)]


def test_leaving_early_kills_running_kernels() -> None:
    jobs = [_job(0, "1")] + [_job(i, "import time; time.sleep(1e6)") for i in (1, 2, 3)]
    before = descendants(os.getpid())
    with LocalKernelFactory() as factory:
        results = run_jobs(jobs, factory, ExecOptions(cell_timeout=None), 2)
        job, run = next(results)
        assert job.key == 0 and run.failure is None
        results.close()  # what Ctrl-C does to the loop in the command
    assert descendants(os.getpid()) <= before


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="CPU affinity is Linux's")
def test_default_jobs_is_the_usable_core_count() -> None:
    """The cores this process may use (a CI container's cpuset), not the machine's count."""
    usable = os.sched_getaffinity(0)
    try:
        os.sched_setaffinity(0, {min(usable)})
        assert default_jobs() == 1
    finally:
        os.sched_setaffinity(0, usable)
    assert default_jobs() == len(usable)


def test_a_kernel_that_cannot_start_fails_its_notebook_only() -> None:
    from nbtools.execute.process import KernelStartError

    def factory(request: KernelRequest) -> StartedKernel:
        raise KernelStartError(f"no kernel named {request.kernel_name!r}")

    [(_, run)] = list(run_jobs([_job(0, "1")], factory, ExecOptions(), 1))
    assert run.failure == "the kernel failed to start: no kernel named 'python3'"
    assert run.failure_kind is FailureKind.START_FAILED and run.cells == {}
