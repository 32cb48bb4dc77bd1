"""SARIF 2.1.0 for code-scanning tools (GitHub code scanning, VS Code SARIF viewer).

Locations point at the line of the file on disk (``json_line``) so that annotations land
on the right line of the ``.ipynb``; the cell is given in the result's properties. Paths are
relative to the repository root (``%SRCROOT%``), whatever folder nbtools ran in, and the run
names the repository, commit and branch (``versionControlProvenance``). Rules that describe a
whole file's state (strip, sync conflicts) give one result per file, not one per output.
Suppressed findings are results too, with ``suppressions`` (code scanning shows them as
dismissed). Only the masked form of a secret ever appears (messages never carry the secret).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from nbtools import __version__
from nbtools.findings import Finding, Severity, Suppression, Where, rule_for
from nbtools.repo import relative_to_root, repo_root, version_control
from nbtools.suppress import rule_markdown

if TYPE_CHECKING:
    from nbtools.console import Console
    from nbtools.report import Report

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://example.invalid/nbtools"
#: our own fingerprint, and GitHub's key: code scanning matches alerts across runs by
#: ``primaryLocationLineHash`` only, and ``upload-sarif`` would otherwise fill it with a hash
#: of the line's text (a notebook's JSON line), which moves with every edit
FINGERPRINT_KEY = "nbtools/v2"
GITHUB_FINGERPRINT_KEY = "primaryLocationLineHash"
SRCROOT = "%SRCROOT%"
#: code scanning shows 10 tags of a rule and rejects a rule with more than 20
MAX_TAGS = 10
#: code scanning rejects a run with more results (and keeps the 5,000 most severe)
MAX_RESULTS = 25_000

_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "note"}


def artifact_uri(path: str, root: str | None = None) -> str:
    """A relative URI (forward slashes, percent-encoded) when ``path`` is under ``root``
    (default: the repository root), else a ``file:`` URI."""
    rel = relative_to_root(path, root or repo_root())
    if rel is None:
        return Path(path).resolve().as_uri()
    # a name that is not UTF-8 is percent-encoded as the bytes it has on disk
    return quote(rel, errors="surrogateescape")


def _artifact(path: str, root: str | None) -> dict[str, Any]:
    uri = artifact_uri(path, root)
    return {"uri": uri} if uri.startswith("file:") else {"uri": uri, "uriBaseId": SRCROOT}


#: GitHub's ``problem.severity`` for rules that are not security rules
_PROBLEM_SEVERITY = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.NOTE: "recommendation",
}


def _rule_descriptor(rule_id: str) -> dict[str, Any]:
    """A ``reportingDescriptor`` with what code scanning shows: short and full description,
    Markdown help (meaning, fix, suppression), tags, precision and severities."""
    rule = rule_for(rule_id)
    markdown = rule_markdown(rule)
    full = " ".join(f"{rule.summary}. {rule.help}".split())
    properties: dict[str, Any] = {"precision": rule.precision}
    if rule.all_tags:
        properties["tags"] = rule.all_tags[:MAX_TAGS]
    if rule.security_severity is not None:
        properties["security-severity"] = f"{rule.security_severity:.1f}"
    else:
        properties["problem.severity"] = _PROBLEM_SEVERITY[rule.severity]
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": full if len(full) <= 1000 else full[:997] + "..."},
        "defaultConfiguration": {"level": _LEVELS[rule.severity]},
        "help": {"text": markdown, "markdown": markdown},
        "properties": properties,
    }


def _region(finding: Finding) -> dict[str, Any]:
    """The line on disk; line 1 when a finding is about the file as a whole (code scanning
    needs a ``startLine`` to show an alert at all)."""
    line = finding.json_line
    if line is None and finding.cell_index is None:
        line = finding.line  # a plain text file: the line in the file is the line on disk
    region: dict[str, Any] = {"startLine": max(1, int(line or 1))}
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
    if "counts" in finding.extra:  # a per-file result: findings per rule
        props["counts"] = finding.extra["counts"]
    return props


def _identity(finding: Finding, root: str) -> str:
    """What makes a finding itself, never its line: rule, repo-relative path, cell id (the
    index only when cells have no ids), part of the cell, and the matched content's digest
    (else the message with numbers left out: they name cells and counts that move)."""
    import hashlib
    import re

    path = relative_to_root(finding.path, root) or finding.path.replace("\\", "/")
    cell = finding.cell_id or ("" if finding.cell_index is None else f"#{finding.cell_index}")
    content = finding.content_hash or re.sub(r"\d+", "#", " ".join(finding.message.split()))
    parts = (
        "nbtools-sarif-v2",
        finding.rule,
        path,
        cell,
        finding.where.value if finding.where else "",
        "" if finding.output_index is None else str(finding.output_index),
        finding.field or "",
        content,
    )
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogateescape")).hexdigest()[:32]


def fingerprints(findings: list[Finding], root: str) -> list[str]:
    """One fingerprint per finding, unique in the run: the identity, then ``:N`` counting
    findings that share it (the same secret twice in a cell), in report order."""
    seen: dict[str, int] = {}
    out: list[str] = []
    for finding in findings:
        base = _identity(finding, root)
        seen[base] = seen.get(base, 0) + 1
        out.append(f"{base}:{seen[base]}")
    return out


def _result(
    finding: Finding, rule_index: int, root: str | None, fingerprint: str
) -> dict[str, Any]:
    text = finding.message
    if finding.masked:
        text += f" [{finding.masked}]"
    physical = {"artifactLocation": _artifact(finding.path, root), "region": _region(finding)}
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
        "partialFingerprints": {
            FINGERPRINT_KEY: fingerprint,
            GITHUB_FINGERPRINT_KEY: fingerprint[:16] + fingerprint[32:],
        },
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
        physical: dict[str, Any] = {
            "artifactLocation": _artifact(path, root),
            "region": {"startLine": max(1, int(line))},
        }
        data["location"] = {"physicalLocation": physical}
    return data


def per_file(findings: list[Finding]) -> list[Finding]:
    """Findings of per-file rules (:attr:`Rule.per_file`) folded into one per file and rule
    group, with the counts in the message; others unchanged, in their order."""
    out: list[Finding] = []
    groups: dict[tuple[str, str, bool], list[Finding]] = {}
    for finding in findings:
        group = rule_for(finding.rule).per_file
        if not group:
            out.append(finding)
            continue
        key = (finding.path, group, finding.suppression is not None)
        if key not in groups:
            groups[key] = []
            out.append(finding)  # a placeholder, replaced below
        groups[key].append(finding)
    folded = {id(members[0]): _fold(group, members) for (_, group, _), members in groups.items()}
    return [folded.get(id(f), f) for f in out]


def _fold(group: str, members: list[Finding]) -> Finding:
    counts: dict[str, int] = {}
    for member in members:
        counts[member.rule] = counts.get(member.rule, 0) + 1
    parts = ", ".join(f"{n} {rule_for(rule).name}" for rule, n in counts.items())
    cells = {m.cell_index for m in members if m.cell_index is not None}
    where = f" in {len(cells)} cell(s)" if cells else ""
    first = members[0]
    lines = [m.json_line for m in members if m.json_line is not None]
    return Finding(
        first.path,
        group,
        f"{rule_for(group).summary}: {len(members)} finding(s){where} ({parts})",
        _PER_FILE_SEVERITY,
        where=Where.NOTEBOOK,
        json_line=min(lines) if lines else None,
        suppression=first.suppression,
        extra={"counts": counts},
    )


def _within_limit(findings: list[Finding]) -> list[Finding]:
    """At most :data:`MAX_RESULTS`: errors first, suppressed ones last, else in order."""
    if len(findings) <= MAX_RESULTS:
        return findings
    rank = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.NOTE: 2}
    order = sorted(
        range(len(findings)),
        key=lambda i: (findings[i].suppression is not None, rank[findings[i].severity], i),
    )
    keep = sorted(order[:MAX_RESULTS])
    return [findings[i] for i in keep]


#: the level of a per-file result: the file's state needs attention (``strip --check`` and a
#: sync conflict fail the check), but it is not a defect at a line, which is what code
#: scanning's ``error`` stands for
_PER_FILE_SEVERITY = Severity.WARNING


def to_sarif(report: Report, root: str | None = None, provenance: bool = True) -> dict[str, Any]:
    """The SARIF log of ``report``, paths relative to ``root`` (default: the repository
    root, see :func:`nbtools.repo.repo_root`); ``provenance`` adds the repository, commit
    and branch."""
    root = root or repo_root()
    everything = per_file([*report.findings, *report.suppressed])
    total = len(everything)
    everything = _within_limit(everything)
    rule_ids = sorted({f.rule for f in everything})
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    notifications = [
        {
            "level": "error",
            "message": {"text": f"{error.path}: {error.message}"},
            "locations": [{"physicalLocation": {"artifactLocation": _artifact(error.path, root)}}],
        }
        for error in report.errors
    ]
    invocation: dict[str, Any] = {
        "executionSuccessful": not report.internal_error,
        "exitCode": int(report.exit_code),
    }
    if len(everything) < total:
        notifications.append(
            {
                "level": "warning",
                "message": {
                    "text": f"{total - len(everything)} of {total} results left out: code "
                    f"scanning takes at most {MAX_RESULTS} a run (the most severe are kept; "
                    "the JSON report has them all)"
                },
            }
        )
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
        "originalUriBaseIds": {SRCROOT: {"uri": Path(root).resolve().as_uri().rstrip("/") + "/"}},
        "results": [
            _result(f, index[f.rule], root, fp)
            for f, fp in zip(everything, fingerprints(everything, root))
        ],
    }
    if provenance:
        details = version_control(root, SRCROOT)
        if details:
            run["versionControlProvenance"] = details
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}


def render(report: Report, console: Console) -> str:
    return json.dumps(to_sarif(report), indent=2, ensure_ascii=False) + "\n"
