"""A report accumulates what a command did; it alone decides the exit code.

It holds data only: what happened to each file (:class:`FileStatus`), the findings, and
the command's own typed result (a :class:`CommandResult`); the renderers
(:mod:`nbtools.renderers`) decide how any of it reads.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from nbtools.errors import ExitCode
from nbtools.findings import Finding, Severity, at_or_above


class FileStatus(str, enum.Enum):
    """What happened to one input file; the value is what the JSON report says.

    A ``str`` enum, so a status still equals its value (``== "changed"``) and reads as it
    in text (``str()``, f-strings), whatever the Python version.
    """

    CLEAN = "clean"
    UNCHANGED = "unchanged"
    CHANGED = "changed"  # written
    WOULD_CHANGE = "would_change"  # --check
    FINDINGS = "findings"
    EXCLUDED = "excluded"  # left out by the tree's configuration (scanned for credentials)
    SKIPPED = "skipped"
    ERROR = "error"  # unreadable or invalid input
    CONFLICT = "conflict"  # sync: both sides changed, nothing written
    # install: a piece of the git integration
    ADDED = "added"
    INSTALLED = "installed"
    REMOVED = "removed"
    UPDATED = "updated"

    def __str__(self) -> str:
        return self.value


#: statuses that fail a run as a change (written, or would be)
CHANGED_STATUSES = frozenset({FileStatus.CHANGED, FileStatus.WOULD_CHANGE})


class Verb(str, enum.Enum):
    """What a command did to a file, when its status alone does not say it (a sync, a
    pairing, a piece of the git integration kept). The value is the word the text report
    lists the file with, and the JSON report's ``verb``."""

    SYNCED = "synced"
    OUT_OF_SYNC = "out of sync:"
    CONFLICT = "conflict:"
    SKIPPED = "skipped"
    PAIRED = "paired"
    PAIRED_NOT_SYNCED = "paired, not synced:"
    UNPAIRED = "unpaired"
    ADDED = "added"
    UPDATED = "updated"
    REMOVED = "removed"
    KEPT = "kept"
    INSTALLED = "installed"

    def __str__(self) -> str:
        return self.value


@dataclass(init=False)
class FileResult:
    """What happened to one input file.

    ``script``, ``action``, ``stripped`` and ``verb`` are the typed facts some commands add
    (sync and pair: the paired script; sync: the plan's action; a filter or stdin: whether
    the notebook was stripped). ``run`` adds how long a notebook took (``duration_s``),
    then either the cause of its verdict (none for a pass) or that the cache served it.
    """

    path: str
    status: FileStatus
    message: str
    script: str | None
    action: str | None
    stripped: bool | None
    verb: Verb | None
    duration_s: float | None
    cause: str | None
    cached: bool

    def __init__(
        self,
        path: str,
        status: FileStatus,
        message: str = "",
        *,
        script: str | None = None,
        action: str | None = None,
        stripped: bool | None = None,
        verb: Verb | None = None,
        duration_s: float | None = None,
        cause: str | None = None,
        cached: bool = False,
    ) -> None:
        self.path = path
        self.status = status
        self.message = message
        self.script = script
        self.action = action
        self.stripped = stripped
        self.verb = verb
        self.duration_s = duration_s
        self.cause = cause
        self.cached = cached


class CommandResult:
    """What a command found beyond files and findings (doctor's checks, install's actions):
    a dataclass per command (:mod:`nbtools.results`), shown by the command's view
    (:mod:`nbtools.renderers.views`)."""


@dataclass
class Report:
    """Results of one command over a batch of files."""

    command: str
    files: list[FileResult] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    #: findings a comment, tag, configuration or baseline suppresses: not counted as
    #: findings, but reported by source (summary, JSON ``suppressed``, SARIF suppressions)
    suppressed: list[Finding] = field(default_factory=list)
    #: the command's own typed result, if it has one
    result: CommandResult | None = None
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
        self.files.append(FileResult(path, FileStatus.ERROR, reason))

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
        if other.result is not None:
            self.result = other.result
        self.internal_error = self.internal_error or other.internal_error

    @property
    def errors(self) -> list[FileResult]:
        return [f for f in self.files if f.status is FileStatus.ERROR]

    @property
    def changed(self) -> list[FileResult]:
        return [f for f in self.files if f.status in CHANGED_STATUSES]

    def counts(self) -> dict[str, int]:
        """Files per status, and findings per severity."""
        out: dict[str, int] = {}
        for f in self.files:
            out[f.status.value] = out.get(f.status.value, 0) + 1
        for finding in self.findings:
            key = f"findings_{finding.severity.value}"
            out[key] = out.get(key, 0) + 1
        if self.suppressed:
            out["suppressed"] = len(self.suppressed)
        return out

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
        if self.fail_on is None and any(f.status is FileStatus.FINDINGS for f in self.files):
            return ExitCode.FINDINGS
        return ExitCode.OK
