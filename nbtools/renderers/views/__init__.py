"""How each command's own result reads, in every format that shows it, and the summary
line of every command that words none of its own (files by status, findings by severity).

A command whose report holds more than files and findings (a typed
:class:`~nbtools.report.CommandResult`, or a summary worded its own way) has a view here:
a :class:`View` subclass in ``nbtools.renderers.views.<command>``, named in :data:`VIEWS`
and loaded only when that command's report is rendered. The text renderer adds the view's
lines and the CLI prints its summary; the JSON renderer appends its sections after
``findings``, in the order the view gives them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from nbtools.findings import Severity
from nbtools.report import FileStatus

if TYPE_CHECKING:
    from nbtools.report import Report

#: command -> module whose ``VIEW`` shows that command's result
VIEWS = {
    "check": "nbtools.renderers.views.check",
    "doctor": "nbtools.renderers.views.doctor",
    "filter": "nbtools.renderers.views.filter",
    "install": "nbtools.renderers.views.install",
    "run": "nbtools.renderers.views.run",
    "scan": "nbtools.renderers.views.scan",
    "sync": "nbtools.renderers.views.sync",
}


#: how a file status reads after its count ("2 clean", "1 with findings", "1 would change"),
#: in the order statuses are listed
STATUS_PHRASES = {
    FileStatus.CLEAN: "clean",
    FileStatus.UNCHANGED: "unchanged",
    FileStatus.CHANGED: "changed",
    FileStatus.WOULD_CHANGE: "would change",
    FileStatus.FINDINGS: "with findings",
    FileStatus.EXCLUDED: "excluded",
    FileStatus.SKIPPED: "skipped",
    FileStatus.ERROR: "file error",
    FileStatus.ADDED: "added",
    FileStatus.CONFLICT: "conflict",
    FileStatus.INSTALLED: "installed",
    FileStatus.REMOVED: "removed",
    FileStatus.UPDATED: "updated",
}
#: phrases that are nouns, and so take a plural ("2 file errors")
_NOUNS = frozenset({FileStatus.ERROR})
#: suppression sources named one by one; the rest are counted together
_ORIGINS_SHOWN = 5


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def status_phrase(status: FileStatus, n: int) -> str:
    """``n`` files of ``status``, in words."""
    phrase = STATUS_PHRASES[status]
    return plural(n, phrase) if status in _NOUNS else f"{n} {phrase}"


def headline(report: Report) -> str:
    """The one line for people that ``nbtools <command>:`` prints on stderr, as the
    command's view words it (by default :func:`summary_line`)."""
    return view_for(report).summary(report)


def summary_line(report: Report) -> str:
    """Files by status, findings by severity, suppressions by source."""
    files: dict[FileStatus, int] = {}
    for f in report.files:
        files[f.status] = files.get(f.status, 0) + 1
    ranked = [status for status in STATUS_PHRASES if status in files]
    line = ", ".join(status_phrase(s, files[s]) for s in ranked) if ranked else "no files"
    severities: dict[Severity, int] = {}
    for finding in report.findings:
        severities[finding.severity] = severities.get(finding.severity, 0) + 1
    found = [
        plural(severities[s], s.value)
        for s in (Severity.ERROR, Severity.WARNING, Severity.NOTE)
        if s in severities
    ]
    if found:
        line += "; findings: " + ", ".join(found)
    if report.suppressed:
        line += f"; {len(report.suppressed)} suppressed ({_origins(report)})"
    return line


def _origins(report: Report) -> str:
    by_origin: dict[str, int] = {}
    for finding in report.suppressed:
        assert finding.suppression is not None
        origin = finding.suppression.origin
        by_origin[origin] = by_origin.get(origin, 0) + 1
    shown = sorted(by_origin.items(), key=lambda item: (-item[1], item[0]))
    detail = ", ".join(f"{n} by {origin}" for origin, n in shown[:_ORIGINS_SHOWN])
    if len(shown) > _ORIGINS_SHOWN:
        detail += f", {sum(n for _, n in shown[_ORIGINS_SHOWN:])} more"
    return detail


class View:
    """A command with no result of its own: the common summary (:func:`summary_line`), no
    more lines or sections."""

    def summary(self, report: Report) -> str:
        """The line after ``nbtools <command>:``."""
        return summary_line(report)

    def text_lines(self, report: Report) -> list[str]:
        """Lines the text report prints after the findings."""
        return []

    def json_sections(self, report: Report) -> dict[str, Any]:
        """Keys the JSON report adds after ``findings``, in order."""
        return {}


def suppression_sections(report: Report) -> dict[str, Any]:
    """``suppressed`` (each finding) and ``suppressions`` (counts by source), when any."""
    if not report.suppressed:
        return {}
    from nbtools.suppress import summarize

    return {
        "suppressed": [f.to_dict() for f in report.suppressed],
        "suppressions": summarize(report.suppressed),
    }


_DEFAULT = View()


def view_for(report: Report) -> View:
    """The view of ``report``'s command."""
    name = VIEWS.get(report.command)
    if name is None:
        return _DEFAULT
    view: View = importlib.import_module(name).VIEW
    return view
