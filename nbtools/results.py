"""The typed results commands add to their reports, beyond files and findings.

One small dataclass per command that has one; each is data only, shown by the command's
view (:mod:`nbtools.renderers.views`), which words the summary and text lines and lays
out the JSON sections.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from nbtools.report import CommandResult, FileStatus

if TYPE_CHECKING:
    from nbtools.container.doctor import Check
    from nbtools.gitsetup import Action


@dataclass
class CheckResult(CommandResult):
    """``nbtools check``: the checks that ran, in order."""

    checks: list[str]


@dataclass
class DoctorResult(CommandResult):
    """``nbtools doctor``: every check's outcome (ok ones included)."""

    checks: list[Check]


@dataclass
class InstallResult(CommandResult):
    """``nbtools install``: the repository's work tree and each piece's state or change."""

    repository: str
    actions: list[Action] = field(default_factory=list)
    #: ``--uninstall`` found no piece to remove
    nothing_to_remove: bool = False


@dataclass
class BaselineUpdate:
    """``scan --update-baseline``: the baseline file, the findings it accepts, and whether
    its content changed (False: it already said the same)."""

    path: str
    findings: int
    written: bool


@dataclass
class ScanResult(CommandResult):
    """``nbtools scan``: where in git it looked (``--staged``, ``--history``), the baseline
    it wrote, or how many findings the baseline accepted."""

    git: dict[str, object] | None = None  # as nbtools.secrets.gitscan.scan_git describes it
    baseline: BaselineUpdate | None = None
    baselined: int | None = None  # set when a non-empty baseline was read


@dataclass
class SyncResult(CommandResult):
    """``nbtools sync``: its pairs (and the files it found unpaired) by status, as its
    summary counts them; a path named on the command line that does not exist is no pair."""

    pairs: dict[FileStatus, int]


@dataclass
class FilterResult(CommandResult):
    """``nbtools filter --process``: the capabilities agreed with git and files served per
    command (``clean``, ``smudge``)."""

    capabilities: list[str]
    served: dict[str, int]


@dataclass
class ChangedSince:
    """``run --changed-since REF``: the notebooks a change since REF can affect (each with
    why) and how many were left out."""

    ref: str
    selected: dict[str, str]
    unchanged: int


@dataclass
class CacheUse:
    """``run --cache``: notebooks a stored result answered, and results stored."""

    served: int
    stored: int


@dataclass
class RunResult(CommandResult):
    """``nbtools run``, or ``report merge`` of its shards' reports: each notebook's entry
    (verdict, cause, cells...), what the run was over and on, and why notebooks failed."""

    notebooks: list[dict[str, Any]] = field(default_factory=list)
    shard: tuple[int, int] | None = None  # ``--shard K/N``: (K, N)
    changed_since: ChangedSince | None = None
    #: which interpreter or image ran the kernels, and why (``Interpreter.to_dict()``, or
    #: the configured kernel or image)
    interpreter: dict[str, Any] | None = None
    cache: CacheUse | None = None
    elapsed_s: float = 0.0  # the run's wall time; merged: the longest shard's
    #: what the text report shows of each failed notebook (its cell, traceback, outputs)
    explanations: list[str] = field(default_factory=list)
    #: merged: how many shard reports (None: the run itself)
    merged_shards: int | None = None
    #: merged: the shards' other sections, copied as they were (lists joined)
    extra: dict[str, Any] = field(default_factory=dict)
