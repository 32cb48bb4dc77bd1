"""What one fresh execution of a notebook produced: the contract between the executor
(``nbtools.execute``) and the hidden-state analysis (``nbtools.hidden_state``)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class CellStatus(str, enum.Enum):
    OK = "ok"
    ERROR = "error"  # the cell raised (see ename/evalue)
    EXPECTED_ERROR = "expected_error"  # raised, but tagged raises-exception
    SKIPPED = "skipped"  # tagged skip-execution, or not a code cell
    NOT_RUN = "not_run"  # an earlier cell stopped the run
    TIMEOUT = "timeout"
    KERNEL_DIED = "kernel_died"
    OUTPUT_LIMIT = "output_limit"  # its output crossed the notebook's cap: nbtools stopped it


class FailureKind(str, enum.Enum):
    """Why a run stopped short, as data (``NotebookRun.failure`` says it in words); the
    values are the run's rule names (``run/<value>``) where one fits."""

    START_FAILED = "start-failed"  # the kernel did not start, or never answered
    KERNEL_UNAVAILABLE = "kernel-unavailable"  # no kernel for the notebook's language: not run
    TIMEOUT = "timeout"  # a cell, or the whole notebook, ran out of time
    KERNEL_DIED = "kernel-died"  # the kernel process ended while a cell ran
    OUTPUT_LIMIT = "output-limit"  # the outputs passed the cap: nbtools stopped the kernel
    EXECUTION_FAILED = "execution-failed"  # the execution itself raised (not the notebook)
    INTERRUPTED = "interrupted"  # the batch stopped before this notebook ran


#: statuses that fail a cell (and stop the run unless --keep-going and an error)
FAILED = (CellStatus.ERROR, CellStatus.TIMEOUT, CellStatus.KERNEL_DIED, CellStatus.OUTPUT_LIMIT)


@dataclass
class CellRun:
    """One code cell's fresh execution."""

    index: int  # 0-based index into nb.cells (markdown included)
    status: CellStatus
    outputs: list[dict[str, Any]] = field(default_factory=list)  # nbformat v4 output dicts
    ename: str | None = None
    evalue: str | None = None
    traceback: list[str] = field(default_factory=list)
    duration_s: float = 0.0
    #: shell commands (``!cmd``, ``%pip``, ``%%bash``) of this cell that failed, each as
    #: ``(command, what happened)``: a failed command is no exception, so it would pass
    shell_failures: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class NotebookRun:
    """One fresh-kernel execution of a whole notebook (top to bottom)."""

    cells: dict[int, CellRun] = field(default_factory=dict)  # by cell index
    failure: str | None = None  # kernel died, notebook timeout, output flood, start failure
    failure_kind: FailureKind | None = None  # the same as data (set with ``failure``)
    duration_s: float = 0.0
    executed_nb: dict[str, Any] | None = None  # the executed notebook (for --write/--html)
    audit: dict[str, Any] | None = None  # what the kernel read (run cache), when recorded
    #: what the kernel said about its environment after an import failed
    #: (``installed``: distribution names, lowercased; ``python``: its interpreter)
    environment: dict[str, Any] = field(default_factory=dict)
    #: set when the notebook was not run because no kernel speaks its language
    kernel_unavailable: str | None = None

    def fail(self, kind: FailureKind, message: str) -> None:
        """Record why the run stopped short, in words and as data."""
        self.failure, self.failure_kind = message, kind

    @property
    def first_error(self) -> CellRun | None:
        for index in sorted(self.cells):
            cell = self.cells[index]
            if cell.status in FAILED:
                return cell
        return None
