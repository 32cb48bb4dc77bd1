"""One JSON object per run: summary, files, findings and the command's own sections."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from nbtools import __version__
from nbtools.renderers.views import view_for

if TYPE_CHECKING:
    from nbtools.console import Console
    from nbtools.report import FileResult, Report

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
        "files": [file_data(f) for f in report.files],
        "findings": [f.to_dict() for f in report.findings],
    }
    data.update(view_for(report).json_sections(report))
    return data


def file_data(result: FileResult) -> dict[str, Any]:
    """A file's entry: path, status, then what is set of message and the typed facts.

    A notebook ``run`` ran says its time, then either that the cache served it or the
    cause of its verdict, ``null`` when there is none (a pass).
    """
    data: dict[str, Any] = {"path": result.path, "status": result.status.value}
    if result.message:
        data["message"] = result.message
    facts = {
        "script": result.script,
        "action": result.action,
        "stripped": result.stripped,
        "verb": None if result.verb is None else result.verb.value,
        "duration_s": result.duration_s,
    }
    data.update((key, value) for key, value in facts.items() if value is not None)
    if result.cached:
        data["cached"] = True
    elif result.duration_s is not None:
        data["cause"] = result.cause
    return data


def render(report: Report, console: Console) -> str:
    return json.dumps(to_data(report), indent=2, ensure_ascii=False, default=str) + "\n"
