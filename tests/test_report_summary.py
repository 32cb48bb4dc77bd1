"""The summary line reads as English: "1 file error", "findings: 3 errors", suppressions by source."""

from __future__ import annotations

from nbtools.findings import Finding, Severity, Suppression
from nbtools.renderers.views import headline
from nbtools.report import FileResult, FileStatus, Report


def _finding(
    severity: Severity = Severity.ERROR, suppression: Suppression | None = None
) -> Finding:
    return Finding("nb.ipynb", "scan/x", "m", severity, suppression=suppression)


def test_counts_and_plurals() -> None:
    report = Report("scan")
    report.add_file(FileResult("a.ipynb", FileStatus.FINDINGS))
    report.add_file(FileResult("b.ipynb", FileStatus.CLEAN))
    report.add_file(FileResult("c.ipynb", FileStatus.CLEAN))
    report.add_error("d.ipynb", "invalid JSON")
    report.add_findings([_finding(), _finding(), _finding(), _finding(Severity.WARNING)])
    assert headline(report) == (
        "2 clean, 1 with findings, 1 file error; findings: 3 errors, 1 warning"
    )
    one = Report("check")
    one.add_error("d.ipynb", "invalid JSON")
    one.add_findings([_finding(Severity.NOTE)])
    assert headline(one) == "1 file error; findings: 1 note"
    assert headline(Report("strip")) == "no files"


def test_suppressions_are_counted_by_source() -> None:
    report = Report("scan")
    report.add_file(FileResult("a.ipynb", FileStatus.CLEAN))
    baseline = Suppression("external", "baseline", ".b.json")
    comment = Suppression("inSource", "comment", "nb.ipynb:cell 2:1")
    report.add_findings([_finding(suppression=baseline)] * 2 + [_finding(suppression=comment)])
    assert report.findings == [] and len(report.suppressed) == 3
    assert headline(report) == (
        "1 clean; 3 suppressed (2 by baseline .b.json, 1 by comment nb.ipynb:cell 2:1)"
    )
    assert report.exit_code == 0
