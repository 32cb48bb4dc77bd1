"""A report accumulates what a command did; it alone decides the exit code."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nbtools.errors import ExitCode
from nbtools.findings import Finding, Severity, at_or_above


@dataclass
class FileResult:
    """What happened to one input file.

    ``status`` is one of ``unchanged``, ``changed`` (written), ``would_change``
    (``--check``), ``clean``, ``findings``, ``skipped`` or ``error``.
    """

    path: str
    status: str
    message: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"path": self.path, "status": self.status}
        if self.message:
            data["message"] = self.message
        data.update(self.details)
        return data


CHANGED_STATUSES = frozenset({"changed", "would_change"})


@dataclass
class Report:
    """Results of one command over a batch of files."""

    command: str
    files: list[FileResult] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    #: findings a comment, tag, configuration or baseline suppresses: not counted as
    #: findings, but reported by source (summary, JSON ``suppressed``, SARIF suppressions)
    suppressed: list[Finding] = field(default_factory=list)
    sections: dict[str, Any] = field(default_factory=dict)
    diffs: list[str] = field(default_factory=list)
    stdout_payload: bytes | None = None  # filter mode: the document itself
    internal_error: bool = False
    fail_on_warnings: bool = True
    #: findings at or above this level fail the run, and only they (``--fail-on``); when
    #: unset, warnings fail unless ``fail_on_warnings`` is off, and so does a file whose
    #: status is ``findings``
    fail_on: Severity | None = None

    def add_file(self, result: FileResult) -> None:
        self.files.append(result)

    def add_error(self, path: str, reason: str) -> None:
        """An unreadable or invalid input: reported, and the batch goes on."""
        self.files.append(FileResult(path, "error", reason))

    def add_findings(self, findings: list[Finding]) -> None:
        for finding in findings:
            if finding.suppression is None:
                self.findings.append(finding)
            else:
                self.suppressed.append(finding)

    def merge(self, other: Report) -> None:
        """Fold another report (another command, another shard) into this one."""
        self.files.extend(other.files)
        self.findings.extend(other.findings)
        self.suppressed.extend(other.suppressed)
        self.diffs.extend(other.diffs)
        for key, value in other.sections.items():
            if isinstance(value, list) and isinstance(self.sections.get(key), list):
                self.sections[key].extend(value)
            else:
                self.sections[key] = value
        self.internal_error = self.internal_error or other.internal_error

    @property
    def errors(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "error"]

    @property
    def changed(self) -> list[FileResult]:
        return [f for f in self.files if f.status in CHANGED_STATUSES]

    def counts(self) -> dict[str, int]:
        """Files per status, and findings per severity."""
        out: dict[str, int] = {}
        for f in self.files:
            out[f.status] = out.get(f.status, 0) + 1
        for finding in self.findings:
            key = f"findings_{finding.severity.value}"
            out[key] = out.get(key, 0) + 1
        if self.suppressed:
            out["suppressed"] = len(self.suppressed)
        return out

    def summary_line(self) -> str:
        """One line for people: files by status, findings by severity, suppressions by source
        (``2 clean, 1 with findings, 1 file error; findings: 1 error, 2 warnings; 3 suppressed
        (2 by baseline .b.json, 1 by comment nb.ipynb:cell 2:1)``)."""
        files: dict[str, int] = {}
        for f in self.files:
            files[f.status] = files.get(f.status, 0) + 1
        order = {status: i for i, status in enumerate(_STATUS_ORDER)}
        ranked = sorted(files.items(), key=lambda item: (order.get(item[0], 99), item[0]))
        parts = [_status_phrase(status, n) for status, n in ranked]
        line = ", ".join(parts) if parts else "no files"
        severities: dict[Severity, int] = {}
        for finding in self.findings:
            severities[finding.severity] = severities.get(finding.severity, 0) + 1
        found = [
            _plural(severities[s], s.value)
            for s in (Severity.ERROR, Severity.WARNING, Severity.NOTE)
            if s in severities
        ]
        if found:
            line += "; findings: " + ", ".join(found)
        if self.suppressed:
            by_origin: dict[str, int] = {}
            for finding in self.suppressed:
                assert finding.suppression is not None
                origin = finding.suppression.origin
                by_origin[origin] = by_origin.get(origin, 0) + 1
            shown = sorted(by_origin.items(), key=lambda item: (-item[1], item[0]))
            detail = ", ".join(f"{n} by {origin}" for origin, n in shown[:5])
            if len(shown) > 5:
                detail += f", {sum(n for _, n in shown[5:])} more"
            line += f"; {len(self.suppressed)} suppressed ({detail})"
        return line

    def failing_findings(self) -> list[Finding]:
        if self.fail_on is not None:
            level = self.fail_on
            return [f for f in self.findings if at_or_above(f.severity, level)]
        if self.fail_on_warnings:
            return [f for f in self.findings if f.severity is not Severity.NOTE]
        return [f for f in self.findings if f.severity is Severity.ERROR]

    @property
    def exit_code(self) -> int:
        """3 internal error, 2 unreadable input, 1 findings or changes, else 0."""
        if self.internal_error:
            return ExitCode.INTERNAL
        if self.errors:
            return ExitCode.USAGE
        if self.changed or self.failing_findings():
            return ExitCode.FINDINGS
        if self.fail_on is None and any(f.status == "findings" for f in self.files):
            return ExitCode.FINDINGS
        return ExitCode.OK


#: the order statuses are listed in (others follow, alphabetically)
_STATUS_ORDER = (
    "clean",
    "unchanged",
    "changed",
    "would_change",
    "findings",
    "excluded",
    "skipped",
    "error",
)
#: how a file status reads after a count ("2 clean", "1 with findings", "1 would change")
_STATUS_WORDS = {
    "findings": "with findings",
    "would_change": "would change",
}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _status_phrase(status: str, n: int) -> str:
    if status == "error":
        return _plural(n, "file error")
    return f"{n} {_STATUS_WORDS.get(status, status.replace('_', ' '))}"
