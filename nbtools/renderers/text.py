"""Readable terminal text: one line per finding or changed file (ruff-style locations)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nbtools.console import one_line
from nbtools.escape import visible
from nbtools.renderers.views import view_for
from nbtools.report import FileStatus

if TYPE_CHECKING:
    from nbtools.console import Console
    from nbtools.report import Report

#: how a file is listed when its command gave no :class:`~nbtools.report.Verb`
_VERBS = {FileStatus.CHANGED: "fixed", FileStatus.WOULD_CHANGE: "would fix"}


#: what ``-q`` still shows: results that ask for the user's attention (``-qq``: nothing)
_ATTENTION = frozenset({FileStatus.WOULD_CHANGE, FileStatus.CONFLICT, FileStatus.FINDINGS})


def render(report: Report, console: Console) -> str:
    """One line per file acted on, finding, line of the command's view and diff.

    ``-q`` keeps only what needs attention (what would change, conflicts, findings,
    diffs): files fixed, paired or installed as asked are not listed. ``-qq`` prints
    nothing; the exit code and stderr's errors still tell.
    """
    if console.verbosity <= -2:
        return ""
    quiet = console.verbosity < 0
    lines: list[str] = []
    for result in report.files:
        verb = result.verb.value if result.verb is not None else _VERBS.get(result.status)
        if quiet and result.status not in _ATTENTION:
            continue
        if verb:
            text = f"{verb} {one_line(result.path)}"
            if result.message:
                text += f" ({one_line(result.message)})"
            lines.append(text)
    for finding in report.findings:
        loc = console.style(one_line(finding.location), "bold")
        rule = console.style(finding.rule, "red" if finding.severity.value == "error" else "yellow")
        text = f"{loc}: {rule} {one_line(finding.message)}"
        if finding.masked:
            text += f" [{one_line(finding.masked)}]"
        lines.append(text)
    lines.extend(visible(extra) for extra in view_for(report).text_lines(report))
    lines.extend(visible(diff) for diff in report.diffs)
    return "\n".join(lines) + ("\n" if lines else "")
