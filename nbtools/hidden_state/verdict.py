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
fresh run would settle it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Sequence

from nbtools.findings import Finding, Rule, Severity, Where, register_rules
from nbtools.hidden_state.compare import (
    Items,
    Match,
    OutputDiff,
    compare_items,
    has_reference,
    output_items,
)
from nbtools.notebook import iter_cells, tags_of
from nbtools.runs import FAILED, CellRun, CellStatus, NotebookRun

if TYPE_CHECKING:
    from nbtools.hidden_state.static import StaticAnalysis

PASS = "pass"
PASS_WITH_WARNINGS = "pass_with_warnings"
FAIL_ERROR = "fail_error"
FAIL_MISMATCH = "fail_mismatch"
NONDETERMINISTIC = "nondeterministic"
VERDICTS = (PASS, PASS_WITH_WARNINGS, FAIL_ERROR, FAIL_MISMATCH, NONDETERMINISTIC)

_VERDICT_RULES = {
    FAIL_ERROR: Rule(
        "hidden-state/fresh-run-error",
        "fails on a fresh kernel",
        "A cell raised when the notebook ran top to bottom on a fresh kernel.",
        "The notebook works only with state left behind in the author's kernel. Fix the "
        "cell, or tag it `raises-exception` if the error is intended.",
        Severity.ERROR,
        precision="very-high",
        tags=("reproducibility", "correctness"),
    ),
    FAIL_MISMATCH: Rule(
        "hidden-state/not-reproduced",
        "stored outputs not reproduced",
        "A fresh top-to-bottom run gives other outputs than the stored ones: hidden state.",
        "Restart the kernel, run all cells and save; fix cells that depend on run order.",
        Severity.ERROR,
        precision="high",
        tags=("reproducibility", "correctness"),
    ),
    NONDETERMINISTIC: Rule(
        "hidden-state/nondeterministic",
        "nondeterministic output",
        "A cell's output changes from run to run (randomness, time, addresses, hash order).",
        "Seed random generators or avoid printing volatile values if outputs should reproduce.",
        Severity.NOTE,
        precision="high",
        tags=("reproducibility",),
    ),
}
register_rules(*_VERDICT_RULES.values())

_FAILED = FAILED
_COMPARED = (CellStatus.OK, CellStatus.EXPECTED_ERROR, CellStatus.ERROR)
_NAME_ERROR_RE = re.compile(r"name '([^']+)' is not defined")


@dataclass
class CellVerdict:
    """How one code cell fared against its stored outputs."""

    index: int
    cell_id: str | None
    status: str
    execution_count: int | None
    reproduced: bool | None = None  # None: not compared (no reference, not run)
    nondeterministic: bool = False
    hidden_state: bool = False  # differs, and the static analysis points at kernel state
    differs: bool = False  # differs from its stored output the same way in every fresh run
    environment: bool = False  # ... in what the environment decides (versions, paths)
    stored: str | None = None  # the first differing item, shortened
    fresh: str | None = None
    ename: str | None = None
    evalue: str | None = None
    duration_s: float = 0.0

    @property
    def divergent(self) -> bool:
        return self.reproduced is False or (self.reproduced is True and self.nondeterministic)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "index": self.index,
            "cell_id": self.cell_id,
            "status": self.status,
            "execution_count": self.execution_count,
            "reproduced": self.reproduced,
            "nondeterministic": self.nondeterministic,
            "hidden_state": self.hidden_state,
            "duration_s": round(self.duration_s, 3),
        }
        if self.stored is not None:
            data["stored"] = self.stored
            data["fresh"] = self.fresh
        if self.ename is not None:
            data["ename"] = self.ename
            data["evalue"] = self.evalue
        return data


@dataclass
class NotebookVerdict:
    """The verdict on one notebook, with the first cell that went wrong and why."""

    path: str
    verdict: str
    first_divergent_cell: int | None
    reason: str
    first_hidden_state_cell: int | None = None
    first_divergent_cell_id: str | None = None
    warnings: list[str] = field(default_factory=list)
    runs: int = 1
    #: the failing cell's NameError is explained by the static analysis (kernel state)
    error_from_state: bool = False
    cells: list[CellVerdict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.verdict in (PASS, PASS_WITH_WARNINGS)

    def to_finding(self) -> Finding | None:
        """The verdict as a finding on its first divergent cell (None for a pass)."""
        rule = _VERDICT_RULES.get(self.verdict)
        if rule is None:
            return None
        index = self.first_divergent_cell
        return Finding(
            self.path,
            rule.id,
            self.reason,
            rule.severity,
            cell_index=index,
            cell_id=self.first_divergent_cell_id,
            where=Where.OUTPUT if self.verdict != FAIL_ERROR else Where.SOURCE,
            line=1 if index is not None and self.verdict == FAIL_ERROR else None,
            extra={"verdict": self.verdict},
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "verdict": self.verdict,
            "first_divergent_cell": self.first_divergent_cell,
            "first_divergent_cell_id": self.first_divergent_cell_id,
            "first_hidden_state_cell": self.first_hidden_state_cell,
            "reason": self.reason,
            "warnings": self.warnings,
            "runs": self.runs,
            "cells": [cell.to_dict() for cell in self.cells],
        }


def _fresh_items(cell_run: CellRun | None) -> Items | None:
    if cell_run is None or cell_run.status not in _COMPARED:
        return None
    return output_items(cell_run.outputs)


def _judge_cell(index: int, cell: dict[str, Any], runs: Sequence[NotebookRun]) -> CellVerdict:
    cell_runs = [run.cells.get(index) for run in runs]
    first = next((c for c in cell_runs if c is not None and c.status in _FAILED), cell_runs[0])
    count = cell.get("execution_count")
    verdict = CellVerdict(
        index=index,
        cell_id=cell.get("id"),
        status=(first.status.value if first is not None else CellStatus.NOT_RUN.value),
        execution_count=count if isinstance(count, int) else None,
        duration_s=first.duration_s if first is not None else 0.0,
    )
    if first is not None and first.status in (CellStatus.ERROR, CellStatus.EXPECTED_ERROR):
        verdict.ename, verdict.evalue = first.ename, first.evalue
    fresh = [items for items in map(_fresh_items, cell_runs) if items is not None]
    if len(fresh) < len(cell_runs) or not fresh:
        return verdict  # not run (or not comparable) in every run
    runs_differ = any(compare_items(fresh[0], other) is not Match.SAME for other in fresh[1:])
    verdict.nondeterministic = runs_differ
    if not has_reference(cell):
        return verdict
    stored = output_items(cell.get("outputs") or [])
    matches = [compare_items(stored, items) for items in fresh]
    if Match.SAME in matches:
        verdict.reproduced = True
        return verdict
    verdict.reproduced = Match.VOLATILE in matches
    verdict.nondeterministic = runs_differ or verdict.reproduced
    verdict.differs = not verdict.reproduced and not runs_differ
    verdict.environment = verdict.differs and environmental(stored, fresh[0])
    diff = OutputDiff.between(stored, fresh[0])
    verdict.stored, verdict.fresh = diff.stored, diff.fresh
    return verdict


def judge_cells(nb: dict[str, Any], runs: Sequence[NotebookRun]) -> list[CellVerdict]:
    """Per code cell: run status, and whether the stored outputs were reproduced."""
    return [
        _judge_cell(index, cell, runs)
        for index, cell in enumerate(iter_cells(nb))
        if cell.get("cell_type") == "code"
    ]


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
        explanation, certain = _explain(cell.index, static)
        cell.hidden_state = (bool(explanation) and (certain or not cell.environment)) or (
            len(runs) > 1 and not cell.environment
        )
    hidden = [c for c in judged if c.hidden_state]
    failed_run = next((r for r in runs if r.failure is not None or r.first_error), None)

    def result(verdict: str, first: CellVerdict | None, reason: str) -> NotebookVerdict:
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
        decided = result(FAIL_ERROR, first, reason)
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
                FAIL_ERROR,
                _cell(judged, index),
                f"every cell that did work ran shell commands, and they failed: {listed}{more}",
            )
        return result(PASS_WITH_WARNINGS, _cell(judged, index), f"{listed}{more}")
    if hidden:
        reason = _mismatch_reason(hidden[0], static, len(runs))
        return result(FAIL_MISMATCH, divergent[0], reason)
    if differing and not differing[0].environment:
        # one run and no static evidence: unproven either way (a caller runs it again)
        return result(FAIL_MISMATCH, divergent[0], _mismatch_reason(differing[0], static, 1))
    if differing:
        cell = differing[0]
        reason = (
            f"cell {cell.index + 1} does not reproduce its stored output (stored "
            f"`{cell.stored}`, fresh `{cell.fresh}`): they differ only in versions, paths "
            "or reprs, which the environment decides, and nothing points at kernel state"
        )
        return result(FAIL_MISMATCH, divergent[0], reason)
    if divergent:
        return result(NONDETERMINISTIC, divergent[0], _nondeterministic_reason(divergent[0]))
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
        return result(PASS_WITH_WARNINGS, None, reason)
    if any(c.reproduced for c in judged):
        return result(PASS, None, "every cell ran and reproduced its stored output")
    return result(PASS, None, "every cell ran on a fresh kernel (no stored outputs to compare)")


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
        detail = f": {run.failure}" if run.failure else ""
        return f"the kernel died while running {where}{which}{detail}"
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
    if has_reference(cell) and error.ename not in _ENVIRONMENT_ERRORS:
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
    explanation, certain = _explain(cell.index, static)
    explanation = (
        explanation or "the stored output came from kernel state the notebook no longer reproduces"
    )
    # one run cannot tell hidden state from nondeterminism unless the counts say so
    tail = (
        "" if runs > 1 or certain else " (one fresh run only: run twice to rule out nondeterminism)"
    )
    return f"{base}: {explanation}{tail}"


def _upstream(index: int, static: StaticAnalysis) -> list[tuple[int, str | None]]:
    """The cell and the cells above it that it depends on (nearest first), each with
    the name through which the dependency goes."""
    found: list[tuple[int, str | None]] = [(index, None)]
    seen = {index}
    frontier = [index]
    while frontier:
        cell = frontier.pop(0)
        for name in sorted(static.uses.get(cell, set())):
            sources = [c for c in static.definers.get(name, []) if c < cell]
            if sources and sources[-1] not in seen:
                seen.add(sources[-1])
                frontier.append(sources[-1])
                found.append((sources[-1], name))
    return found


def _explain(index: int, static: StaticAnalysis) -> tuple[str, bool]:
    """Why a cell's stored output came from hidden state, from the static evidence,
    and whether the execution counts make that explanation firm."""
    counts = static.counts
    chain = [(cell, via) for cell, via in _upstream(index, static) if cell in counts]

    def subject(cell: int, via: str | None) -> str:
        if cell == index:
            return "it"
        return f"it reads `{via}` from cell {cell + 1}, which"

    for cell, via in chain:  # ran after a cell below that changed what it reads
        count, uses = counts[cell], static.uses.get(cell, set())
        for later in sorted(c for c in counts if c > cell and counts[c] < count):
            changed = uses & (static.defines.get(later, set()) | static.mutates.get(later, set()))
            if changed:
                return (
                    f"{subject(cell, via)} last ran after cell {later + 1} below, which changes "
                    f"`{sorted(changed)[0]}` (counts {count} and {counts[later]})"
                ), True
    for cell, via in chain:  # a count gap: run more than once, or a cell gone
        count = counts[cell]
        above = [counts[c] for c in counts if c < cell and counts[c] < count]
        if not above or count <= max(above) + 1:
            continue
        jump = f"execution count jumps from {max(above)} to {count}"
        rereads = sorted(static.rereads.get(cell, set()))
        if rereads and cell == index:
            return (
                f"it updates `{rereads[0]}`, which it also reads, and its {jump}: it probably "
                "ran more than once, or a cell that ran in between is gone"
            ), True
        if rereads:
            return (
                f"{subject(cell, via)} updates `{rereads[0]}` from its own value and whose "
                f"{jump}: that cell probably ran more than once"
            ), True
        if cell == index:
            return f"its {jump}: a cell that ran in between was deleted or edited", True
    if len(chain) > 1:
        cell, via = chain[1]
        return (
            f"it reads `{via}` from cell {cell + 1}, which was probably edited "
            f"after cell {index + 1} ran"
        ), False
    return "", False


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


#: errors that say the environment lacks something, not that the kernel's state did
_ENVIRONMENT_ERRORS = (
    "ModuleNotFoundError",
    "ImportError",
    "FileNotFoundError",
    "ConnectionError",
    "URLError",
    "gaierror",
)
_VERSION_RE = re.compile(r"\bv?\d+(?:\.\d+){2,3}(?:[-+.]?(?:rc|a|b|post|dev|cpu|cu)\w*)?\b")
#: reprs that name where a class lives (``<keras.src.layers.Dense object at ...>``)
_REPR_RE = re.compile(
    r"<(?:class |module |function )?'?[\w.]+'?(?: object| from '[^']*')?(?: at [^>]*)?>"
)
_PATH_RE = re.compile(r"(?:[A-Za-z]:)?(?:[/\\][\w.+@~-]+){2,}[/\\]?")


def environmental(stored: Items, fresh: Items) -> bool:
    """Whether two outputs differ only in what the environment decides: versions, paths
    (site-packages, home folders), or a fresh error saying something is missing."""
    if any(kind == "error" and name in _ENVIRONMENT_ERRORS for kind, name, _ in fresh):
        return True

    def mask(items: Items) -> Items:
        masked = []
        for kind, name, text in items:
            plain = _REPR_RE.sub("<repr>", text)
            masked.append((kind, name, _VERSION_RE.sub("<version>", _PATH_RE.sub("<path>", plain))))
        return masked

    return mask(stored) == mask(fresh)


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


def expects_error(cell: dict[str, Any]) -> bool:
    """Whether a cell may raise (Jupyter's ``raises-exception`` tag)."""
    return "raises-exception" in tags_of(cell)
