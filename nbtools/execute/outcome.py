"""From a notebook's fresh runs to its place in the report: the verdict (the hidden-state
analysis decides; its static part runs once per notebook), the cause, the findings, the
``--write``/``--html`` outputs and the entry of the JSON report's ``notebooks`` list.

Everything the report shows of a notebook is masked first (:mod:`nbtools.execute.redact`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from nbtools.execute.outputs import store_outputs, verdict_page
from nbtools.execute.redact import masked_run, redactor_for
from nbtools.execute.rules import NOT_FAILING, PASSING
from nbtools.execute.runfindings import ANSI, line_in_cell, run_findings
from nbtools.execute.specs import kernel_note, unavailable_language
from nbtools.notebook import source_text
from nbtools.renderers.verdicts import FailedNotebook, explain
from nbtools.report import FileResult, FileStatus

if TYPE_CHECKING:
    from nbtools.execute.causes import Cause
    from nbtools.execute.settings import RunSettings
    from nbtools.execute.source import Source
    from nbtools.hidden_state.static import StaticAnalysis
    from nbtools.hidden_state.verdict import NotebookVerdict
    from nbtools.report import Report
    from nbtools.results import RunResult
    from nbtools.runs import CellRun, NotebookRun


@dataclass
class NotebookTask:
    """One notebook of the run: where it comes from, its fresh runs so far, and its static
    analysis (made once, for the second-run decision and the verdict alike)."""

    source: Source
    runs: list[NotebookRun] = field(default_factory=list)
    _static: StaticAnalysis | None = field(default=None, repr=False)

    @property
    def static(self) -> StaticAnalysis:
        if self._static is None:
            from nbtools.hidden_state.static import analyze_notebook

            source = self.source
            text = source.nbfile.text if source.nbfile is not None and not source.script else None
            self._static = analyze_notebook(source.nb, source.path, text)
        return self._static

    def needs_second_run(self) -> bool:
        """Whether one run cannot tell hidden state from nondeterminism (ask again, from
        a different parent: hash seed, address layout)."""
        from nbtools.hidden_state.verdict import needs_second_run

        return needs_second_run(self.source.nb, self.static, self.runs[0])

    def decide(self) -> NotebookVerdict:
        """The hidden-state analysis's verdict (the only source of verdicts)."""
        from nbtools.hidden_state.verdict import decide

        return decide(self.source.nb, self.source.path, self.static, self.runs)


@dataclass(frozen=True)
class Judged:
    """A judged notebook: its JSON entry, and the text report's lines on why it failed
    (none when it did not)."""

    entry: dict[str, Any]
    explanation: list[str]


def finish(task: NotebookTask, settings: RunSettings, report: Report, result: RunResult) -> Judged:
    """Judge ``task``'s runs, report the notebook, and return its entry and explanation."""
    source, runs = task.source, task.runs
    redact = redactor_for(source.nb, runs)
    run = masked_run(runs[0], redact)
    decided = task.decide()
    verdict, divergent = decided.verdict, decided.first_divergent_cell
    cause = _cause(source, runs, decided, settings, result.interpreter or {})
    reason = decided.reason
    note = _kernel_note(source, settings)
    if note and verdict not in PASSING:
        reason = f"{reason} ({note})"
    if cause is not None:
        reason = f"{reason} [{cause.name}: {cause.message}]"
    reason = redact(reason) if reason else reason
    report.add_findings(run_findings(source, run, verdict, divergent, reason))
    entry: dict[str, Any] = {
        "path": source.path,
        "verdict": verdict,
        "cause": cause.name if cause is not None else None,
        "cause_message": redact(cause.message) if cause is not None else None,
        "first_divergent_cell": divergent,
        "reason": reason,
        "duration_s": run.duration_s,
        "failure": run.failure,
        "cells": [_cell_entry(source, c) for _, c in sorted(run.cells.items())],
    }
    if source.script:
        entry["script"] = source.script
        entry["script_line"] = source.script_lines.get(divergent) if divergent is not None else None
    analysis = redact.deep(decided.to_dict())
    entry["cells"] = _merge_cells(entry["cells"], analysis.pop("cells", []))
    for key in ("first_divergent_cell_id", "first_hidden_state_cell", "warnings", "runs"):
        entry[key] = analysis.get(key)
    if len(runs) > 1:
        entry["repeat_durations_s"] = [r.duration_s for r in runs]
    if note:
        entry["kernel_note"] = note
    store_outputs(source, runs[0], verdict, divergent, reason, settings, report, entry, redact)
    if settings.html:
        verdict_page(source, run, entry, settings.html, redact)
    ok = verdict in NOT_FAILING
    report.add_file(
        FileResult(
            source.path,
            FileStatus.CLEAN if ok else FileStatus.FINDINGS,
            "" if ok else verdict,
            duration_s=run.duration_s,
            cause=entry["cause"],
        )
    )
    if ok:
        return Judged(entry, [])
    failed = _failed(source, run, divergent, reason, entry["cells"])
    return Judged(entry, [redact(x) for x in explain(failed)])


def _kernel_note(source: Source, settings: RunSettings) -> str | None:
    """A python2 or custom kernelspec that ran as the image's python3 is said."""
    if unavailable_language(source.nb) is not None:
        return None
    return kernel_note(source.kernel_name, bool(settings.image))


def _cause(
    source: Source,
    runs: list[NotebookRun],
    decided: NotebookVerdict,
    settings: RunSettings,
    interpreter: dict[str, Any],
) -> Cause | None:
    """The cause of a verdict other than pass (:mod:`nbtools.execute.causes`), said of
    the Python that ran it (``interpreter``: the run's, as the report shows it)."""
    from nbtools.discovery import git_root
    from nbtools.execute.causes import Context, classify

    python = next((r.environment.get("python") for r in runs if r.environment), None)
    if settings.image:
        where = f"the image {settings.image}"
    else:
        where = str(
            python
            or interpreter.get("python")
            or interpreter.get("kernel")
            or "the kernel's Python"
        )
    context = Context(
        where=where,
        container=bool(settings.image),
        network=settings.network == "host",
        root=git_root(source.folder),
        folder=source.folder,
    )
    return classify(source.nb, runs, decided, context)


def _merge_cells(
    executed: list[dict[str, Any]], judged: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Per code cell: how it ran (executor) and whether it reproduced (hidden_state)."""
    by_index = {cell.get("index"): dict(cell) for cell in judged}
    merged = []
    for cell in executed:
        extra = by_index.get(cell["index"], {})
        merged.append({**extra, **cell})
    return merged


def _cell_entry(source: Source, cell: CellRun) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "index": cell.index,
        "status": cell.status.value,
        "duration_s": cell.duration_s,
    }
    if cell.ename is not None:
        entry["ename"] = cell.ename
        entry["evalue"] = cell.evalue
        entry["line"] = line_in_cell(cell)
    if source.script and cell.index in source.script_lines:
        entry["script_line"] = source.script_lines[cell.index]
    return entry


def _failed(
    source: Source,
    run: NotebookRun,
    divergent: int | None,
    reason: str | None,
    cell_entries: list[dict[str, Any]],
) -> FailedNotebook:
    """What the text report shows of a failed notebook: the failing cell's source and its
    traceback, or, for a mismatch, its stored and fresh outputs."""
    failed = FailedNotebook(source.path, reason or run.failure or "failed")
    first = run.first_error
    index = first.index if first is not None else divergent
    cells = source.nb.get("cells") or []
    if index is None or index >= len(cells):
        return failed
    failed.cell = index
    if source.script and index in source.script_lines:
        failed.script, failed.script_line = source.script, source.script_lines[index]
    failed.source = source_text(cells[index])
    if first is not None and first.traceback:
        failed.traceback = ANSI.sub("", "\n".join(first.traceback)).splitlines()
    elif first is None:
        judged = next((c for c in cell_entries if c.get("index") == index), {})
        failed.compared = {k: judged[k] for k in ("stored", "fresh") if judged.get(k) is not None}
    return failed
