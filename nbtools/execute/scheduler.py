"""Run many notebooks in parallel (``-j N``), each on a fresh kernel started ahead of time.

The kernels of the next notebooks start ahead of time (as many as there are workers), so
kernel start-up overlaps cell work; whichever worker is free takes the next of them, so no
notebook waits behind a busy worker while another is idle. A kernel serves exactly one
notebook and is killed after it. Results are yielded as notebooks finish. Leaving the
iteration early (an error, Ctrl-C) kills every kernel that is still alive.
"""

from __future__ import annotations

import collections
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
    def __init__(
        self, jobs: list[Job], factory: KernelStarter, options: ExecOptions, ahead: int
    ) -> None:
        self.todo = collections.deque(jobs)
        self.factory = factory
        self.options = options
        #: jobs whose kernels are starting, oldest first; any free worker takes the next
        #: (a worker that kept its own next job made an idle worker wait behind it)
        self.ready: collections.deque[tuple[Job, Future[StartedKernel]]] = collections.deque()
        self.ahead = ahead
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.results: queue.Queue[tuple[Job, NotebookRun] | None] = queue.Queue()
        self.starter = ThreadPoolExecutor(max_workers=4, thread_name_prefix="nbtools-start")
        self.started: list[Future[StartedKernel]] = []

    def take(self) -> _Pending:
        """The next job and its starting kernel; kernels for the ones after it start now."""
        with self.lock:
            if self.stop.is_set():
                return None
            self._start_ahead(self.ahead + 1)  # the one taken, and ``ahead`` after it
            return self.ready.popleft() if self.ready else None

    def _start_ahead(self, count: int) -> None:
        while len(self.ready) < count and self.todo:
            job = self.todo.popleft()
            request = KernelRequest(
                job.kernel_name, job.cwd, dict(job.env), fresh_parent=job.fresh_parent
            )
            future = self.starter.submit(self.factory, request)
            self.started.append(future)
            self.ready.append((job, future))

    def work(self) -> None:
        try:
            while (pending := self.take()) is not None:
                job, future = pending
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
    count = max(1, min(workers, len(jobs)))
    batch = _Batch(jobs, factory, options, ahead=count)
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
