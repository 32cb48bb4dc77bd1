"""One verdict per notebook from its static analysis and one or two fresh runs.

* ``fail_error``: a fresh run raised in a cell not tagged ``raises-exception`` (or
  the kernel died or timed out);
* ``fail_mismatch``: the run completed, but a cell's stored outputs are not
  reproduced, and (with two runs) the fresh runs agree with each other;
* ``nondeterministic``: the only cells that differ from the stored outputs also
  differ between the two fresh runs, or differ only in addresses, timestamps or ids;
* ``pass_with_warnings``: everything reproduced, but the stored execution counts
  show cells run out of order or never run;
* ``pass``: everything reproduced.

With a single run a differing cell cannot be told apart from a nondeterministic
one, so it counts as a mismatch; :func:`needs_second_run` says when a second
fresh run would settle it. The evidence comes from :mod:`~nbtools.hidden_state.judge`
(each cell against its stored outputs) and :mod:`~nbtools.hidden_state.explain` (why
the static analysis points at kernel state); this module weighs it and says why.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Sequence

from nbtools.findings import Severity
from nbtools.hidden_state.compare import has_reference
from nbtools.hidden_state.explain import explain
from nbtools.hidden_state.judge import ENVIRONMENT_ERRORS, CellVerdict, judge_cells
from nbtools.notebook import iter_cells
from nbtools.runs import CellRun, CellStatus, NotebookRun

if TYPE_CHECKING:
    from nbtools.hidden_state.static import StaticAnalysis


class Verdict(str, enum.Enum):
    """A notebook's verdict. A ``str``, so reports carry the word and a verdict equals
    it (``Verdict.PASS == "pass"``) for callers that hold the word from a report."""

    PASS = "pass"
    PASS_WITH_WARNINGS = "pass_with_warnings"
    FAIL_ERROR = "fail_error"
    FAIL_MISMATCH = "fail_mismatch"
    NONDETERMINISTIC = "nondeterministic"

    def __str__(self) -> str:  # the word on every Python (``str()`` of a str enum varies)
        return self.value

    @property
    def finding(self) -> tuple[str, Severity] | None:
        """The rule and severity of the finding that reports this verdict on the first
        divergent cell; None where the verdict adds none: a pass, and ``fail_error``,
        which the failing cell's own finding reports (``run/error``, ``run/timeout``...)."""
        return _FINDINGS.get(self)


#: the one mapping from a verdict to its finding (the rules are ``nbtools run``'s)
_FINDINGS = {
    Verdict.FAIL_MISMATCH: ("run/mismatch", Severity.ERROR),
    Verdict.NONDETERMINISTIC: ("run/nondeterministic", Severity.WARNING),
}
_NAME_ERROR_RE = re.compile(r"name '([^']+)' is not defined")


@dataclass
class NotebookVerdict:
    """The verdict on one notebook, with the first cell that went wrong and why."""

    path: str
    verdict: Verdict
    first_divergent_cell: int | None
    reason: str
    first_hidden_state_cell: int | None = None
    first_divergent_cell_id: str | None = None
    warnings: list[str] = field(default_factory=list)
    runs: int = 1
    #: the failing cell's NameError is explained by the static analysis (kernel state)
    error_from_state: bool = False
    cells: list[CellVerdict] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "verdict": self.verdict.value,
            "first_divergent_cell": self.first_divergent_cell,
            "first_divergent_cell_id": self.first_divergent_cell_id,
            "first_hidden_state_cell": self.first_hidden_state_cell,
            "reason": self.reason,
            "warnings": self.warnings,
            "runs": self.runs,
            "cells": [cell.to_dict() for cell in self.cells],
        }


def needs_second_run(nb: dict[str, Any], static: StaticAnalysis, run: NotebookRun) -> bool:
    """Whether a second fresh run could change the verdict of this first run.

    True when the run completed but some cell differs from its stored outputs in
    a way a single run cannot tell from nondeterminism. (``static`` is accepted so
    that callers need not care which evidence decides; counts do not matter here.)
    """
    del static
    if run.failure is not None or run.first_error is not None:
        return False
    return any(cell.differs for cell in judge_cells(nb, [run]))


def decide(
    nb: dict[str, Any], path: str, static: StaticAnalysis, runs: Sequence[NotebookRun]
) -> NotebookVerdict:
    """The verdict on a notebook from its static analysis and one or two fresh runs."""
    if not runs:
        raise ValueError("decide() needs at least one fresh run")
    cells = list(iter_cells(nb))
    judged = judge_cells(nb, runs)
    divergent = [c for c in judged if c.divergent]
    differing = [c for c in judged if c.differs]
    for cell in differing:
        # kernel state where the static evidence says so, or where two fresh runs agree
        # on a difference; an output that differs only where the environment decides (a
        # version, a path, a repr's module) is a plain mismatch unless the counts prove it
        explanation, certain = explain(cell.index, static)
        cell.hidden_state = (bool(explanation) and (certain or not cell.environment)) or (
            len(runs) > 1 and not cell.environment
        )
    hidden = [c for c in judged if c.hidden_state]
    failed_run = next((r for r in runs if r.failure is not None or r.first_error), None)

    def result(verdict: Verdict, first: CellVerdict | None, reason: str) -> NotebookVerdict:
        index = first.index if first is not None else None
        return NotebookVerdict(
            path=path,
            verdict=verdict,
            first_divergent_cell=index,
            first_divergent_cell_id=first.cell_id if first is not None else None,
            first_hidden_state_cell=hidden[0].index if hidden else None,
            reason=reason,
            warnings=static.warnings,
            runs=len(runs),
            cells=judged,
        )

    if failed_run is not None:
        error = failed_run.first_error
        error_cell = next((c for c in judged if error and c.index == error.index), None)
        first = error_cell
        if divergent and (first is None or divergent[0].index < first.index):
            first = divergent[0]
        reason = _error_reason(failed_run, runs, error, cells, static)
        if first is not None and error_cell is not None and first is not error_cell:
            reason += f" (cell {first.index + 1} already differed from its stored output)"
        decided = result(Verdict.FAIL_ERROR, first, reason)
        decided.error_from_state = _error_from_state(error, cells)
        return decided
    shell = [
        (c.index, command, happened)
        for c in runs[0].cells.values()
        for command, happened in c.shell_failures
    ]
    if shell and (not differing or min(shell)[0] <= differing[0].index):
        # a failed command explains what differs after it
        index, command, happened = min(shell)
        listed = f"`{_short(command)}` in cell {index + 1} {happened}"
        more = f" (and {len(shell) - 1} more shell command(s))" if len(shell) > 1 else ""
        if _only_shell_work(runs[0]):
            return result(
                Verdict.FAIL_ERROR,
                _cell(judged, index),
                f"every cell that did work ran shell commands, and they failed: {listed}{more}",
            )
        return result(Verdict.PASS_WITH_WARNINGS, _cell(judged, index), f"{listed}{more}")
    if hidden:
        reason = _mismatch_reason(hidden[0], static, len(runs))
        return result(Verdict.FAIL_MISMATCH, divergent[0], reason)
    if differing and not differing[0].environment:
        # one run and no static evidence: unproven either way (a caller runs it again)
        return result(
            Verdict.FAIL_MISMATCH, divergent[0], _mismatch_reason(differing[0], static, 1)
        )
    if differing:
        cell = differing[0]
        reason = (
            f"cell {cell.index + 1} does not reproduce its stored output (stored "
            f"`{cell.stored}`, fresh `{cell.fresh}`): they differ only in versions, paths "
            "or reprs, which the environment decides, and nothing points at kernel state"
        )
        return result(Verdict.FAIL_MISMATCH, divergent[0], reason)
    if divergent:
        return result(
            Verdict.NONDETERMINISTIC, divergent[0], _nondeterministic_reason(divergent[0])
        )
    if static.warnings:
        what = []
        if static.out_of_order:
            what.append(f"cells ran out of order (counts {static.count_pattern()})")
        if static.unexecuted:
            listed = ", ".join(str(i + 1) for i in static.unexecuted)
            plural = "s" if len(static.unexecuted) > 1 else ""
            what.append(f"cell{plural} {listed} never ran")
        reason = (
            "every cell reproduced its stored output on a fresh kernel, but the stored "
            f"notebook shows that {' and '.join(what)}"
        )
        return result(Verdict.PASS_WITH_WARNINGS, None, reason)
    if any(c.reproduced for c in judged):
        return result(Verdict.PASS, None, "every cell ran and reproduced its stored output")
    return result(
        Verdict.PASS, None, "every cell ran on a fresh kernel (no stored outputs to compare)"
    )


def _error_reason(
    run: NotebookRun,
    runs: Sequence[NotebookRun],
    error: CellRun | None,
    cells: list[dict[str, Any]],
    static: StaticAnalysis,
) -> str:
    which = ""
    if len(runs) > 1 and run is not runs[0]:
        which = f" in fresh run {list(runs).index(run) + 1} only (flaky)"
    if error is None and run.kernel_unavailable:
        return f"not run: {run.kernel_unavailable}"
    if error is None:
        return f"the notebook failed on a fresh kernel{which}: {run.failure}"
    where = f"cell {error.index + 1}"
    if error.status is CellStatus.OUTPUT_LIMIT:
        return f"{run.failure or where + ' passed the output cap'}{which}"
    if error.status is CellStatus.KERNEL_DIED:
        said = f"the kernel died while running {where}"
        failure = run.failure or ""
        if failure.startswith(said):  # the executor's own words, then the kernel's stderr
            detail = failure[len(said) :]
        else:
            detail = f": {failure}" if failure else ""
        return f"{said}{which}{detail}"
    if error.status is CellStatus.TIMEOUT:
        return f"{where} timed out{which}"
    evalue = " ".join((error.evalue or "").split())
    evalue = evalue if len(evalue) <= 80 else evalue[:79] + "…"
    base = (
        f"{where} raised {error.ename} ({evalue}){which}"
        if evalue
        else f"{where} raised {error.ename}{which}"
    )
    cell = cells[error.index] if error.index < len(cells) else {}
    stored = [o for o in cell.get("outputs") or [] if o.get("output_type") == "error"]
    if any(o.get("ename") == error.ename for o in stored):
        # committed broken (or demonstrating the error): not the kernel's state
        return (
            base
            + "; the stored output shows the same error: tag the cell `raises-exception` if it is expected"
        )
    match = _NAME_ERROR_RE.search(error.evalue or "")
    if error.ename in ("NameError", "UnboundLocalError") and match:
        return base + _name_reason(error.index, match.group(1), static)
    if has_reference(cell) and error.ename not in ENVIRONMENT_ERRORS:
        return base + "; the stored outputs show no error"
    return base


def _error_from_state(error: CellRun | None, cells: list[dict[str, Any]]) -> bool:
    """A NameError the static analysis explains (its stored output shows no such error)."""
    if error is None or error.ename not in ("NameError", "UnboundLocalError"):
        return False
    if not _NAME_ERROR_RE.search(error.evalue or ""):
        return False
    cell = cells[error.index] if error.index < len(cells) else {}
    return not any(
        o.get("output_type") == "error" and o.get("ename") == error.ename
        for o in cell.get("outputs") or []
    )


def _name_reason(index: int, name: str, static: StaticAnalysis) -> str:
    problem = static.problem_for(index, name)
    via = ""
    if problem is not None and problem.via:
        via = f", needed by `{problem.via}` from cell {(problem.via_cell or 0) + 1}"
    if problem is None:
        return f": no cell above defines `{name}`; it came from the kernel's state"
    if problem.defined_in is not None and problem.defined_in == index:
        return f": `{name}` is defined later in the same cell, so it only worked when the cell ran twice"
    if problem.defined_in is not None:
        order = f" (counts {static.count_pattern()})" if static.counts else ""
        return (
            f": `{name}`{via} is only defined by cell {problem.defined_in + 1} below, "
            f"which must have run first{order}"
        )
    if problem.deleted_in is not None:
        return f": `{name}`{via} is deleted by cell {problem.deleted_in + 1} above"
    return (
        f": no cell defines `{name}`{via}; it lived in the kernel, "
        "likely from a deleted, renamed or edited cell"
    )


def _mismatch_reason(cell: CellVerdict, static: StaticAnalysis, runs: int) -> str:
    where = f"cell {cell.index + 1}"
    base = f"{where} does not reproduce its stored output (stored `{cell.stored}`, fresh `{cell.fresh}`)"
    explanation, certain = explain(cell.index, static)
    explanation = (
        explanation or "the stored output came from kernel state the notebook no longer reproduces"
    )
    # one run cannot tell hidden state from nondeterminism unless the counts say so
    tail = (
        "" if runs > 1 or certain else " (one fresh run only: run twice to rule out nondeterminism)"
    )
    return f"{base}: {explanation}{tail}"


def _nondeterministic_reason(cell: CellVerdict) -> str:
    where = f"cell {cell.index + 1}"
    if cell.reproduced:
        return (
            f"{where} differs from its stored output only in addresses, times, ids or progress "
            f"(stored `{cell.stored}`, fresh `{cell.fresh}`): nondeterministic, not hidden state"
        )
    return (
        f"{where} differs from its stored output and between two fresh runs "
        f"(stored `{cell.stored}`, fresh `{cell.fresh}`): nondeterministic "
        "(randomness, time or hash order), not hidden state"
    )


def _short(command: str, limit: int = 70) -> str:
    command = " ".join(command.split())
    return command if len(command) <= limit else command[: limit - 1] + "…"


def _cell(judged: list[CellVerdict], index: int) -> CellVerdict | None:
    return next((c for c in judged if c.index == index), None)


def _only_shell_work(run: NotebookRun) -> bool:
    """Every cell that ran and did something was a shell command that failed (a
    notebook that only installs and clones, and all of it failed, did nothing)."""
    worked = [c for c in run.cells.values() if c.status is CellStatus.OK]
    return bool(worked) and all(c.shell_failures for c in worked)
