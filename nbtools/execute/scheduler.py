"""Run many notebooks in parallel (``-j N``), each on a fresh kernel started ahead of time.

Each worker takes its next notebook and starts that notebook's kernel *before* running
the current one, so kernel start-up overlaps cell work; a kernel serves exactly one
notebook and is killed after it. Results are yielded as notebooks finish. Leaving the
iteration early (an error, Ctrl-C) kills every kernel that is still alive.
"""

from __future__ import annotations

import os
import queue
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Iterator, Optional, Tuple

from nbtools.execute.executor import ExecOptions, execute_notebook
from nbtools.execute.process import KernelRequest, KernelStarter, StartedKernel
from nbtools.runs import FailureKind, NotebookRun


@dataclass
class Job:
    """One execution of one notebook."""

    key: Any  # the caller's handle (e.g. (path, repeat))
    nb: dict[str, Any]
    kernel_name: str
    cwd: str
    env: dict[str, str]
    fresh_parent: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def default_jobs() -> int:
    """Workers by default: the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


_Pending = Optional[Tuple[Job, "Future[StartedKernel]"]]


class _Batch:
    def __init__(self, jobs: list[Job], factory: KernelStarter, options: ExecOptions) -> None:
        self.todo = list(jobs)
        self.factory = factory
        self.options = options
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.results: queue.Queue[tuple[Job, NotebookRun] | None] = queue.Queue()
        self.starter = ThreadPoolExecutor(max_workers=4, thread_name_prefix="nbtools-start")
        self.started: list[Future[StartedKernel]] = []

    def take(self) -> _Pending:
        with self.lock:
            if self.stop.is_set() or not self.todo:
                return None
            job = self.todo.pop(0)
            request = KernelRequest(
                job.kernel_name, job.cwd, dict(job.env), fresh_parent=job.fresh_parent
            )
            future = self.starter.submit(self.factory, request)
            self.started.append(future)
            return job, future

    def work(self) -> None:
        pending = self.take()
        try:
            while pending is not None and not self.stop.is_set():
                job, future = pending
                pending = self.take()  # its kernel starts while this notebook runs
                self.results.put((job, self.run_one(job, future)))
        finally:
            self.results.put(None)

    def run_one(self, job: Job, future: Future[StartedKernel]) -> NotebookRun:
        try:
            kernel = future.result()
        except Exception as exc:  # noqa: BLE001 - a failure of this notebook only
            message = f"the kernel failed to start: {exc}"
            return NotebookRun(failure=message, failure_kind=FailureKind.START_FAILED)
        if self.stop.is_set():
            kernel.kill()
            return NotebookRun(failure="interrupted", failure_kind=FailureKind.INTERRUPTED)
        return execute_notebook(job.nb, kernel, self.options)

    def kill_all(self) -> None:
        """Kill every kernel started for this batch (executed ones are already dead)."""
        self.stop.set()
        with self.lock:
            futures = list(self.started)
        for future in futures:
            try:
                future.result(timeout=60).kill()
            except Exception:  # noqa: BLE001 - failed starts left nothing to kill
                pass


def run_jobs(
    jobs: list[Job], factory: KernelStarter, options: ExecOptions, workers: int
) -> Iterator[tuple[Job, NotebookRun]]:
    """Execute ``jobs`` on ``workers`` threads; yield ``(job, run)`` as each finishes."""
    if not jobs:
        return
    batch = _Batch(jobs, factory, options)
    count = max(1, min(workers, len(jobs)))
    threads = [
        threading.Thread(target=batch.work, name=f"nbtools-run-{i}", daemon=True)
        for i in range(count)
    ]
    for thread in threads:
        thread.start()
    finished = 0
    try:
        while finished < count:
            item = batch.results.get()
            if item is None:
                finished += 1
                continue
            yield item
    finally:
        if finished < count:
            batch.kill_all()  # interrupted: stop the kernels so the workers return
        for thread in threads:
            thread.join()
        batch.kill_all()
        batch.starter.shutdown(wait=True)
