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
    duration_s: float = 0.0
    executed_nb: dict[str, Any] | None = None  # the executed notebook (for --write/--html)
    audit: dict[str, Any] | None = None  # what the kernel read (run cache), when recorded
    #: what the kernel said about its environment after an import failed
    #: (``installed``: distribution names, lowercased; ``python``: its interpreter)
    environment: dict[str, Any] = field(default_factory=dict)
    #: set when the notebook was not run because no kernel speaks its language
    kernel_unavailable: str | None = None

    @property
    def first_error(self) -> CellRun | None:
        for index in sorted(self.cells):
            cell = self.cells[index]
            if cell.status in FAILED:
                return cell
        return None
