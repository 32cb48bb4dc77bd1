"""One JSON object per run: summary, files, findings and command-specific sections."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from nbtools import __version__

if TYPE_CHECKING:
    from nbtools.console import Console
    from nbtools.report import Report


def to_data(report: Report) -> dict[str, Any]:
    data: dict[str, Any] = {
        "tool": "nbtools",
        "version": __version__,
        "command": report.command,
        "exit_code": int(report.exit_code),
        "summary": report.counts(),
        "files": [f.to_dict() for f in report.files],
        "findings": [f.to_dict() for f in report.findings],
    }
    for key, value in report.sections.items():
        if key != "text_lines":
            data[key] = value
    return data


def render(report: Report, console: Console) -> str:
    return json.dumps(to_data(report), indent=2, ensure_ascii=False, default=str) + "\n"
