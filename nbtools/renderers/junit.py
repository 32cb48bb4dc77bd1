"""JUnit XML: one test case per notebook (or file), the failing cell in the failure message.

Each run is one ``<testsuite>`` named after the command and, for a sharded run, the
shard (``nbtools run [shard 2/4]``), and each test case is named by its path; so the
files of several shards merge in CI tools (GitHub test reporters, GitLab, Jenkins)
without clashing. :func:`merge` combines shard files into one document as well.
"""

from __future__ import annotations

import datetime
import re
import socket
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING, Iterable

from nbtools.renderers.verdicts import ERROR, FAIL, SKIPPED, file_verdicts, headline, shard_label

if TYPE_CHECKING:
    import os

    from nbtools.console import Console
    from nbtools.findings import Finding
    from nbtools.renderers.verdicts import FileVerdict
    from nbtools.report import Report

_COUNTS = ("tests", "failures", "errors", "skipped")
# XML 1.0 cannot hold most control characters; tracebacks carry ANSI colour codes
_ANSI_RE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_INVALID_XML_RE = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def clean(text: str) -> str:
    """``text`` without ANSI escapes and characters XML 1.0 cannot represent."""
    return _INVALID_XML_RE.sub("?", _ANSI_RE.sub("", text))


def suite_name(report: Report) -> str:
    shard = shard_label(report)
    return f"nbtools {report.command}" + (f" [shard {shard}]" if shard else "")


def _line(verdict: FileVerdict) -> int | None:
    first = verdict.first
    if first is None:
        return None
    if first.json_line is not None:
        return first.json_line
    return first.line if first.cell_index is None else None


def _details(findings: Iterable[Finding]) -> str:
    lines = []
    for f in findings:
        text = f"{f.location}: {f.rule} [{f.severity.value}] {f.message}"
        if f.masked:
            text += f" [{f.masked}]"
        lines.append(text)
    return "\n".join(lines)


def _testcase(suite: ET.Element, verdict: FileVerdict, classname: str) -> None:
    case = ET.SubElement(suite, "testcase", name=clean(verdict.path), classname=classname)
    case.set("file", clean(verdict.path))
    line = _line(verdict)
    if line is not None:
        case.set("line", str(line))
    case.set("time", f"{verdict.duration_s or 0.0:.3f}")
    if verdict.verdict == ERROR:
        node = ET.SubElement(case, "error", message=clean(headline(verdict)), type="input-error")
        node.text = clean(verdict.message)
    elif verdict.verdict == FAIL:
        first = verdict.first
        node = ET.SubElement(
            case,
            "failure",
            message=clean(headline(verdict)),
            type=first.rule if first else verdict.status,
        )
        node.text = clean(_details(verdict.findings) or verdict.message)
    elif verdict.verdict == SKIPPED:
        ET.SubElement(case, "skipped", message=clean(verdict.message or "skipped"))
    if verdict.notes:
        ET.SubElement(case, "system-out").text = clean(_details(verdict.notes))


def to_element(report: Report) -> ET.Element:
    """The ``<testsuites>`` element of ``report``."""
    root = ET.Element("testsuites", name="nbtools")
    name = suite_name(report)
    suite = ET.SubElement(root, "testsuite", name=name)
    verdicts = file_verdicts(report)
    for verdict in verdicts:
        _testcase(suite, verdict, f"nbtools.{report.command}")
    counts = {
        "tests": len(verdicts),
        "failures": sum(v.verdict == FAIL for v in verdicts),
        "errors": sum(v.verdict == ERROR for v in verdicts),
        "skipped": sum(v.verdict == SKIPPED for v in verdicts),
    }
    total = sum(v.duration_s or 0.0 for v in verdicts)
    for key, value in counts.items():
        suite.set(key, str(value))
        root.set(key, str(value))
    suite.set("time", f"{total:.3f}")
    root.set("time", f"{total:.3f}")
    suite.set("timestamp", datetime.datetime.now().replace(microsecond=0).isoformat())
    suite.set("hostname", socket.gethostname())
    return root


def _serialise(root: ET.Element) -> str:
    if hasattr(ET, "indent"):  # Python 3.9+
        ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def render(report: Report, console: Console) -> str:
    return _serialise(to_element(report))


def merge(paths: Iterable[str | os.PathLike[str]]) -> str:
    """One ``<testsuites>`` document holding every suite of the given JUnit files."""
    merged = ET.Element("testsuites", name="nbtools")
    totals = dict.fromkeys(_COUNTS, 0)
    time = 0.0
    for path in paths:
        root = ET.parse(path).getroot()
        suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
        for suite in suites:
            merged.append(suite)
            for key in _COUNTS:
                totals[key] += int(suite.get(key, "0"))
            time += float(suite.get("time", "0") or 0)
    for key, value in totals.items():
        merged.set(key, str(value))
    merged.set("time", f"{time:.3f}")
    return _serialise(merged)
