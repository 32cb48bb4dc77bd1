"""Readable terminal text: one line per finding or changed file (ruff-style locations)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nbtools.console import Console
    from nbtools.report import Report

_VERBS = {"changed": "fixed", "would_change": "would fix"}


def render(report: Report, console: Console) -> str:
    lines: list[str] = []
    for result in report.files:
        verb = result.details.get("verb") or _VERBS.get(result.status)
        if verb:
            text = f"{verb} {result.path}"
            if result.message:
                text += f" ({result.message})"
            lines.append(text)
    for finding in report.findings:
        loc = console.style(finding.location, "bold")
        rule = console.style(finding.rule, "red" if finding.severity.value == "error" else "yellow")
        text = f"{loc}: {rule} {finding.message}"
        if finding.masked:
            text += f" [{finding.masked}]"
        lines.append(text)
    for extra in report.sections.get("text_lines", []):
        lines.append(str(extra))
    lines.extend(report.diffs)
    return "\n".join(lines) + ("\n" if lines else "")
