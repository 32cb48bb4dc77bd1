"""One verdict per input file, shared by the CI renderers (JUnit test cases, job summary),
and the text ``nbtools run`` shows of its notebooks (failures, log lines); its summary is
its view's (:mod:`nbtools.renderers.views.run`)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from nbtools.report import CHANGED_STATUSES
from nbtools.results import RunResult

if TYPE_CHECKING:
    from nbtools.findings import Finding
    from nbtools.report import Report

PASS = "pass"
FAIL = "fail"
ERROR = "error"
SKIPPED = "skipped"


@dataclass
class FileVerdict:
    """How one notebook (or file) fared, with the findings that point into it."""

    path: str
    verdict: str
    status: str = ""
    message: str = ""
    findings: list[Finding] = field(default_factory=list)  # the failing ones
    notes: list[Finding] = field(default_factory=list)  # findings that do not fail the run
    duration_s: float | None = None

    @property
    def first(self) -> Finding | None:
        """The finding to headline: the first one in a cell order (the failing cell)."""
        if not self.findings:
            return None
        return min(
            self.findings,
            key=lambda f: (f.cell_index if f.cell_index is not None else -1, f.line or 0),
        )


def file_verdicts(report: Report) -> list[FileVerdict]:
    """The files of ``report`` in order, then files known only from findings."""
    failing = {id(f) for f in report.failing_findings()}
    by_path: dict[str, FileVerdict] = {}
    for result in report.files:
        verdict = by_path.get(result.path)
        if verdict is None:
            verdict = by_path[result.path] = FileVerdict(result.path, PASS)
        verdict.status = result.status
        verdict.message = result.message
        if result.duration_s is not None:
            verdict.duration_s = float(result.duration_s)
    for finding in report.findings:
        verdict = by_path.get(finding.path)
        if verdict is None:
            # known only from findings (doctor's checks, say): the failing ones decide, so
            # a warning that does not fail the run is a passing case with a note, as the
            # exit code says
            verdict = by_path[finding.path] = FileVerdict(finding.path, PASS)
        (verdict.findings if id(finding) in failing else verdict.notes).append(finding)
    for verdict in by_path.values():
        verdict.verdict = _decide(verdict)
    return list(by_path.values())


def _decide(verdict: FileVerdict) -> str:
    if verdict.status == "error":
        return ERROR
    if verdict.findings or verdict.status in CHANGED_STATUSES or verdict.status == "findings":
        return FAIL
    if verdict.status == "skipped":
        return SKIPPED
    return PASS


def headline(verdict: FileVerdict) -> str:
    """One line saying why a file failed: the failing cell and its finding."""
    first = verdict.first
    if first is None:
        return verdict.message or verdict.status.replace("_", " ")
    text = f"{first.location}: {first.rule} {first.message}"
    if first.masked:
        text += f" [{first.masked}]"
    more = len(verdict.findings) - 1
    return text + (f" (and {more} more)" if more > 0 else "")


def shard_label(report: Report) -> str | None:
    """``K/N`` when the report covers one shard of a split run, else None.

    Taken from the run's shard (``--shard``), or from the ``NBTOOLS_SHARD`` environment
    variable that a CI matrix can set for any command.
    """
    result = report.result
    if isinstance(result, RunResult) and result.shard is not None:
        return "{}/{}".format(*result.shard)
    return os.environ.get("NBTOOLS_SHARD") or None


# --- nbtools run's own text: what failed, one line per notebook ----------------------


@dataclass
class FailedNotebook:
    """What the text report shows of a notebook that failed (gathered by the run)."""

    path: str
    reason: str  # the verdict's reason, else the run's failure
    cell: int | None = None  # the cell to show (0-based), None: no cell to point at
    script: str | None = None  # the paired script the cell came from, if it ran
    script_line: int | None = None  # the cell's first line in that script
    source: str = ""  # the cell's source
    traceback: list[str] = field(default_factory=list)  # its lines, without colours
    #: for a mismatch: what the notebook stored and what the fresh run printed
    compared: dict[str, Any] = field(default_factory=dict)


def explain(failed: FailedNotebook) -> list[str]:
    """The failing cell's source and traceback (or its stored and fresh outputs)."""
    lines = [f"--- {failed.path}: {failed.reason}"]
    if failed.cell is None:
        return lines
    where = f"cell {failed.cell + 1}"
    if failed.script and failed.script_line is not None:
        where += f" ({failed.script}:{failed.script_line})"
    lines.append(f"{where}:")
    lines.extend(f"    {line}" for line in failed.source.splitlines())
    lines.extend(failed.traceback)
    lines.extend(f"  {key}: {value}" for key, value in failed.compared.items())
    return lines


def notebook_line(entry: dict[str, Any], paint: Callable[[str, str], str]) -> str:
    """One notebook's line in a log: verdict, path, time and, unless it passed, why.
    ``paint(text, colour)`` colours the verdict."""
    from nbtools.execute.rules import NOT_FAILING, PASSING

    verdict = entry["verdict"]
    colour = "green" if verdict in PASSING else "yellow" if verdict in NOT_FAILING else "red"
    took = "cached" if entry.get("cached") else f"{entry['duration_s']:.2f} s"
    text = f"{paint(verdict, colour)} {entry['path']} ({took})"
    if verdict not in PASSING and entry.get("reason"):
        text += f": {entry['reason'].splitlines()[0]}"
    return text
