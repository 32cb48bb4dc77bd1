"""GitHub Actions: workflow-command annotations, log groups and a Markdown job summary.

The runner shows at most 10 error and 10 warning annotations per step (and 10 notices),
so the tenth of each kind says how many more there are; every finding still appears as
a plain log line inside its notebook's ``::group::``. The job summary (a table of
notebooks and verdicts) is appended to ``$GITHUB_STEP_SUMMARY`` when that is set
(``NBTOOLS_JOB_SUMMARY=0`` turns it off).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from nbtools.escape import defuse, visible
from nbtools.findings import Severity, rule_for
from nbtools.renderers.verdicts import (
    ERROR,
    FAIL,
    PASS,
    SKIPPED,
    FileVerdict,
    file_verdicts,
    headline,
)

if TYPE_CHECKING:
    from nbtools.console import Console
    from nbtools.findings import Finding
    from nbtools.report import Report

#: annotations the runner shows per step, per kind
ANNOTATION_LIMIT = 10
#: GitHub refuses a step summary over 1 MiB; stay well under it
SUMMARY_LIMIT = 1024 * 1024 - 16 * 1024

_COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "notice"}
#: a file that passes with warnings (e.g. a nondeterministic notebook): not a plain pass
WARNED = "warning"
_ICONS = {
    PASS: "✅ pass",
    WARNED: "🟡 warning",
    FAIL: "❌ fail",
    ERROR: "⚠️ error",
    SKIPPED: "⏭️ skipped",
}
_ORDER = {FAIL: 0, ERROR: 0, WARNED: 1, SKIPPED: 2, PASS: 3}


def escape_data(text: str) -> str:
    """Escape a workflow command's message (as @actions/core's ``escapeData``).

    Control characters and undecodable bytes are spelled out first (see
    :func:`~nbtools.escape.visible`): the runner would pass them to the log as they are.
    The older command form ``##[`` is escaped wherever it appears (the runner has no
    escape for it, so a file name holding it is not matched to the file: a price only
    such names pay).
    """
    text = visible(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace("##[", "##%5B")


def escape_property(text: str) -> str:
    """Escape a workflow command's property value (as @actions/core's ``escapeProperty``)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_command(command: str, message: str, **properties: object) -> str:
    """``::command key=value,...::message`` with every part escaped."""
    props = ",".join(
        f"{key}={escape_property(str(value))}"
        for key, value in properties.items()
        if value is not None
    )
    return f"::{command}{' ' + props if props else ''}::{escape_data(message)}"


def annotation_path(path: str, root: str | None = None) -> str:
    """A path relative to the repository root (where GitHub resolves annotation files, and
    what the SARIF report uses), whatever folder nbtools ran in; outside it, as given."""
    from nbtools.repo import relative_to_root, repo_root

    rel = relative_to_root(path, root or repo_root())
    return rel if rel is not None else path.replace(os.sep, "/")


def annotation(finding: Finding, root: str | None = None) -> str:
    """The annotation of one finding, on the finding's line of the file on disk."""
    line = finding.json_line
    if line is None and finding.cell_index is None:
        line = finding.line
    col = finding.column if finding.cell_index is None and line is not None else None
    message = finding.message
    if finding.cell_index is not None:
        message = f"cell {finding.cell_index + 1}: {message}"
    if finding.masked:
        message += f" [{finding.masked}]"
    return workflow_command(
        _COMMANDS[finding.severity],
        message,
        file=annotation_path(finding.path, root),
        line=line,
        col=col,
        title=f"{finding.rule}: {rule_for(finding.rule).summary}",
    )


def log_text(text: str) -> str:
    """A plain log line that the runner cannot take for a workflow command.

    The runner reads a line as a command when, trimmed, it starts with ``::`` (or holds
    the older ``##[`` form): line breaks are escaped so that text from the tree stays on
    its line, and such a start is escaped too.
    """
    return defuse(escape_data(text))


def _log_line(finding: Finding) -> str:
    text = f"{finding.location}: {finding.rule} [{finding.severity.value}] {finding.message}"
    return log_text(text + (f" [{finding.masked}]" if finding.masked else ""))


def annotation_lines(report: Report) -> tuple[list[str], dict[str, list[str]]]:
    """(annotations within the runner's limits, log lines per path)."""
    shown: dict[Severity, int] = {}
    total: dict[Severity, int] = {}
    for finding in report.findings:
        total[finding.severity] = total.get(finding.severity, 0) + 1
    out: list[str] = []
    logs: dict[str, list[str]] = {}
    from nbtools.repo import repo_root

    root = repo_root()
    for finding in report.findings:
        logs.setdefault(finding.path, []).append(_log_line(finding))
        kind = finding.severity
        count = shown.get(kind, 0)
        if count < ANNOTATION_LIMIT - 1 or total[kind] <= ANNOTATION_LIMIT:
            out.append(annotation(finding, root))
        elif count == ANNOTATION_LIMIT - 1:
            rest = total[kind] - count
            out.append(
                workflow_command(
                    _COMMANDS[kind],
                    f"{rest} more {kind.value} finding(s) not annotated; "
                    "see the job log and summary",
                    title=f"nbtools {report.command}: {rest} more",
                )
            )
        shown[kind] = count + 1
    return out, logs


def render(report: Report, console: Console) -> str:
    lines, logs = annotation_lines(report)
    for error in report.errors:
        lines.append(
            workflow_command(
                "error",
                error.message,
                file=annotation_path(error.path),
                title=f"nbtools {report.command}: unreadable input",
            )
        )
    for verdict in file_verdicts(report):
        lines.append(f"::group::{escape_data(verdict.path)}: {verdict.verdict}")
        lines.extend(logs.get(verdict.path, []) or [log_text(headline(verdict))])
        lines.append("::endgroup::")
    summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_file and os.environ.get("NBTOOLS_JOB_SUMMARY") != "0":
        write_summary(report, summary_file)
    return "\n".join(lines) + ("\n" if lines else "")


#: what could turn plain text into markup (emphasis, links, images, HTML, code, cells)
_MARKDOWN_SPECIALS = {
    **{ord(c): "\\" + c for c in "\\`*_[]|!~"},
    ord("&"): "&amp;",
    ord("<"): "&lt;",
    ord(">"): "&gt;",
}


def _cell(text: str, limit: int | None = None) -> str:
    """Literal text inside a Markdown table cell: nothing from the tree becomes markup.

    Whitespace (line breaks included) is collapsed, HTML's specials become entities and
    the characters that open emphasis, links, images, code or a new cell are
    backslash-escaped. ``limit`` cuts the text before it is escaped.
    """
    text = " ".join(visible(text).split())
    if limit is not None:
        text = text[:limit]
    return text.translate(_MARKDOWN_SPECIALS)


def _code(text: str) -> str:
    """A code span (in a table cell) that shows ``text`` literally, whatever it holds.

    A code span ends only at a run of backticks as long as its opening one, so the fence
    is one longer than the longest run inside; pipes are escaped for the table.
    """
    text = " ".join(visible(text).split()).replace("|", "\\|")
    longest = max((len(m) for m in _BACKTICKS_RE.findall(text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


_BACKTICKS_RE = re.compile("`+")


def _warning(verdict: FileVerdict) -> Finding | None:
    """The first warning of a passing file (nondeterministic outputs, say), if any."""
    if verdict.verdict != PASS:
        return None
    return next((n for n in verdict.notes if n.severity is Severity.WARNING), None)


def _kind(verdict: FileVerdict) -> str:
    return WARNED if _warning(verdict) is not None else verdict.verdict


def job_summary(report: Report, limit: int = SUMMARY_LIMIT) -> str:
    """A Markdown summary: counts, then a table of notebooks and verdicts (cut at ``limit``).

    A file that passed with a warning (a ``nondeterministic`` notebook) is shown as a
    warning with its rule and message, never as a plain pass.
    """
    verdicts = file_verdicts(report)
    counts = {kind: sum(_kind(v) == kind for v in verdicts) for kind in _ICONS}
    head = [
        f"## nbtools {report.command}",
        "",
        ", ".join(f"{n} {kind}" for kind, n in counts.items() if n) or "no files",
        "",
        "| notebook | verdict | details |",
        "| --- | --- | --- |",
    ]
    text = "\n".join(head) + "\n"
    size = len(text.encode("utf-8"))
    # failures first: they are what the reader came for; then warnings
    order = sorted(verdicts, key=lambda v: _ORDER.get(_kind(v), 0))
    for index, verdict in enumerate(order):
        warning = _warning(verdict)
        label = ""
        if warning is not None:
            details = _cell(f"{warning.location}: {warning.rule} {warning.message}", 500)
            label = rule_for(warning.rule).name
        else:
            details = "" if verdict.verdict == PASS else _cell(headline(verdict), 500)
        shown = _ICONS[_kind(verdict)] + (f" {_code(label)}" if label else "")
        row = f"| {_code(verdict.path)} | {shown} | {details} |\n"
        row_size = len(row.encode("utf-8"))
        if size + row_size + 200 > limit:
            text += f"\n_{len(order) - index} more file(s) not listed (summary size limit)._\n"
            break
        text += row
        size += row_size
    return text


def write_summary(report: Report, path: str) -> None:
    """Append the job summary to ``path``, keeping the file under GitHub's 1 MiB limit."""
    target = Path(path)
    try:
        used = target.stat().st_size
    except OSError:
        used = 0
    budget = SUMMARY_LIMIT - used
    if budget < 1024:
        return  # an earlier step filled the summary; the log still has everything
    with target.open("a", encoding="utf-8") as handle:
        handle.write(job_summary(report, budget) + "\n")
