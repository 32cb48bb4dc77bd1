"""SARIF 2.1.0 for code-scanning tools (GitHub code scanning, VS Code SARIF viewer).

Locations point at the line of the file on disk (``json_line``) so that annotations land
on the right line of the ``.ipynb``; the cell is given in the result's properties. Suppressed
findings are results too, with ``suppressions`` (code scanning shows them as dismissed). Only
the masked form of a secret ever appears (messages never carry the secret itself).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from nbtools import __version__
from nbtools.findings import Severity, Suppression, rule_for

if TYPE_CHECKING:
    from nbtools.console import Console
    from nbtools.findings import Finding
    from nbtools.report import Report

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://example.invalid/nbtools"
FINGERPRINT_KEY = "nbtools/v1"

_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "note"}


def artifact_uri(path: str, root: str | None = None) -> str:
    """A relative URI (forward slashes, percent-encoded) when ``path`` is under ``root``."""
    base = os.path.abspath(root or os.getcwd())
    full = os.path.abspath(path)
    try:
        rel = os.path.relpath(full, base)
    except ValueError:  # another drive
        rel = None
    if rel is None or rel == ".." or rel.startswith(".." + os.sep):
        return Path(full).as_uri()
    # a name that is not UTF-8 is percent-encoded as the bytes it has on disk
    return quote(rel.replace(os.sep, "/"), errors="surrogateescape")


def _rule_descriptor(rule_id: str) -> dict[str, Any]:
    rule = rule_for(rule_id)
    descriptor: dict[str, Any] = {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "defaultConfiguration": {"level": _LEVELS[rule.severity]},
    }
    if rule.help:
        descriptor["fullDescription"] = {"text": rule.help}
        descriptor["help"] = {"text": rule.help, "markdown": rule.help}
    return descriptor


def _region(finding: Finding) -> dict[str, Any] | None:
    line = finding.json_line
    if line is None and finding.cell_index is None:
        line = finding.line  # a plain text file: the line in the file is the line on disk
    if line is None:
        return None
    region: dict[str, Any] = {"startLine": max(1, int(line))}
    if finding.column is not None and finding.cell_index is None:
        region["startColumn"] = max(1, int(finding.column))
    return region


def _properties(finding: Finding) -> dict[str, Any]:
    props: dict[str, Any] = {}
    if finding.cell_index is not None:
        props["cell"] = finding.cell_index + 1  # 1-based, as the text report shows it
        props["cell_index"] = finding.cell_index
    for key in ("cell_id", "output_index", "field"):
        value = getattr(finding, key)
        if value is not None:
            props[key] = value
    if finding.where is not None:
        props["where"] = finding.where.value
    if finding.line is not None and finding.cell_index is not None:
        props["line_in_cell"] = finding.line
    if finding.masked:
        props["masked"] = finding.masked
    return props


def _result(finding: Finding, rule_index: int, root: str | None) -> dict[str, Any]:
    text = finding.message
    if finding.masked:
        text += f" [{finding.masked}]"
    physical: dict[str, Any] = {
        "artifactLocation": {"uri": artifact_uri(finding.path, root), "uriBaseId": "%SRCROOT%"}
    }
    region = _region(finding)
    if region is not None:
        physical["region"] = region
    if physical["artifactLocation"]["uri"].startswith("file:"):
        del physical["artifactLocation"]["uriBaseId"]
    location: dict[str, Any] = {"physicalLocation": physical}
    if finding.cell_index is not None:
        location["logicalLocations"] = [
            {"name": f"cell {finding.cell_index + 1}", "kind": "element"}
        ]
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": rule_index,
        "level": _LEVELS[finding.severity],
        "message": {"text": text},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT_KEY: finding.stable_fingerprint()},
    }
    props = _properties(finding)
    if props:
        result["properties"] = props
    if finding.suppression is not None:
        result["suppressions"] = [_suppression(finding.suppression, root)]
    return result


def _suppression(suppression: Suppression, root: str | None) -> dict[str, Any]:
    """A SARIF suppression: ``inSource`` (comment, cell tag or metadata) or ``external``
    (configuration, baseline), with where it is written."""
    data: dict[str, Any] = {
        "kind": suppression.kind,
        "status": "accepted",
        "justification": suppression.justification or suppression.origin,
        "properties": {"source": suppression.source, "location": suppression.location},
    }
    path, _, line = suppression.location.rpartition(":")
    if path and line.isdigit() and ":cell " not in suppression.location:
        uri = artifact_uri(path, root)
        artifact = (
            {"uri": uri} if uri.startswith("file:") else {"uri": uri, "uriBaseId": "%SRCROOT%"}
        )
        physical: dict[str, Any] = {
            "artifactLocation": artifact,
            "region": {"startLine": max(1, int(line))},
        }
        data["location"] = {"physicalLocation": physical}
    return data


def to_sarif(report: Report, root: str | None = None) -> dict[str, Any]:
    """The SARIF log of ``report`` (paths made relative to ``root``, default the cwd)."""
    everything = [*report.findings, *report.suppressed]
    rule_ids = sorted({f.rule for f in everything})
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    notifications = [
        {
            "level": "error",
            "message": {"text": f"{error.path}: {error.message}"},
            "locations": [
                {"physicalLocation": {"artifactLocation": {"uri": artifact_uri(error.path, root)}}}
            ],
        }
        for error in report.errors
    ]
    invocation: dict[str, Any] = {
        "executionSuccessful": not report.internal_error,
        "exitCode": int(report.exit_code),
    }
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "nbtools",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": INFORMATION_URI,
                "rules": [_rule_descriptor(rule_id) for rule_id in rule_ids],
            }
        },
        "automationDetails": {"id": f"nbtools/{report.command}/"},
        "invocations": [invocation],
        "originalUriBaseIds": {"%SRCROOT%": {"uri": Path(root or os.getcwd()).as_uri() + "/"}},
        "results": [_result(f, index[f.rule], root) for f in everything],
    }
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}


def render(report: Report, console: Console) -> str:
    return json.dumps(to_sarif(report), indent=2, ensure_ascii=False) + "\n"
