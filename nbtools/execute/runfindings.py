"""The findings of a notebook's run (``run/*`` rules), located in the notebook's JSON or in
its paired script."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from nbtools.execute.rules import STATUS_RULES
from nbtools.findings import Finding, Severity, Where
from nbtools.hidden_state.verdict import Verdict
from nbtools.runs import CellRun, CellStatus, FailureKind, NotebookRun

if TYPE_CHECKING:
    from nbtools.execute.source import Source

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_CELL_LINE = re.compile(
    r"(?:Cell In\s*\[[^\]]*\],\s*line|<ipython-input-[^>]*> in <module>\(\)\s*\n\s*-*>\s*)\s*(\d+)"
)


def line_in_cell(cell: CellRun) -> int | None:
    """The failing line of the cell, from the top frame of its traceback."""
    text = ANSI.sub("", "\n".join(cell.traceback))
    found = _CELL_LINE.findall(text)
    return int(found[0]) if found else None  # the top frame is always this cell's


def run_findings(
    source: Source, run: NotebookRun, verdict: str, divergent: int | None, reason: str | None
) -> list[Finding]:
    """The findings of one notebook's run: its failed cells, a failure before any cell, its
    failed shell commands, and a mismatch or nondeterminism the verdict found."""
    findings: list[Finding] = []
    for index, cell in sorted(run.cells.items()):
        rule = STATUS_RULES.get(cell.status)
        if rule is None:
            continue
        message = (
            f"{cell.ename}: {cell.evalue}"
            if cell.status is CellStatus.ERROR
            else run.failure or rule
        )
        if index == divergent and reason:
            message = reason  # the analysis says why, e.g. which cell below defines the name
        findings.append(finding(source, rule, message.splitlines()[0], index, line_in_cell(cell)))
    if not findings and run.failure:
        started = run.failure_kind not in (
            FailureKind.START_FAILED,
            FailureKind.KERNEL_UNAVAILABLE,
        )
        rule = "run/timeout" if started else "run/start-failed"
        message = reason if reason else run.failure
        findings.append(finding(source, rule, message.splitlines()[0], None, None))
    for index, cell in sorted(run.cells.items()):
        for command, what in cell.shell_failures:
            severity = Severity.ERROR if verdict == "fail_error" else Severity.WARNING
            message = f"`{command}` {what} [shell-command]"
            findings.append(finding(source, "run/shell-command", message, index, None, severity))
    reported = Verdict(verdict).finding
    if reported is not None:
        rule, severity = reported
        findings.append(
            finding(source, rule, reason or "outputs differ", divergent, None, severity)
        )
    return findings


def finding(
    source: Source,
    rule: str,
    message: str,
    index: int | None,
    line: int | None,
    severity: Severity = Severity.ERROR,
) -> Finding:
    """A finding at cell ``index`` (line ``line``) of ``source``: in its paired script when
    the script is what ran, else with the line in the notebook's JSON."""
    cells = source.nb.get("cells") or []
    cell = cells[index] if index is not None and index < len(cells) else {}
    json_line = None
    path = source.path
    if source.script and index is not None and index in source.script_lines:
        path = source.script
        json_line = source.script_lines[index] + (line - 1 if line else 0)
    elif source.nbfile is not None and index is not None and source.script is None:
        from nbtools.notebook.positions import LineMap

        json_line = LineMap(source.nbfile.text).source_line(index, line or 1)
    return Finding(
        path=path,
        rule=rule,
        message=message,
        severity=severity,
        cell_index=index,
        cell_id=cell.get("id") if isinstance(cell, dict) else None,
        where=Where.SOURCE if index is not None else Where.NOTEBOOK,
        line=line,
        json_line=json_line,
    )
