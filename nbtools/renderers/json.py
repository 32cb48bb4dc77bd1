"""One JSON object per run: summary, files, findings and command-specific sections."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from nbtools import __version__

if TYPE_CHECKING:
    from nbtools.console import Console
    from nbtools.report import Report

#: the version of ``nbtools/data/report.schema.json`` that the output follows: fields may
#: be added under one version; a field removed, renamed or retyped means a new version
SCHEMA_VERSION = 1


def to_data(report: Report) -> dict[str, Any]:
    data: dict[str, Any] = {
        "tool": "nbtools",
        "version": __version__,
        "schema_version": SCHEMA_VERSION,
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
