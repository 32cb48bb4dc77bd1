"""The one finding model that every command produces and every renderer consumes."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from dataclasses import field as _field
from typing import Any

from nbtools.options import Option


class Severity(str, enum.Enum):
    """How bad a finding is (maps onto SARIF levels)."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


class Where(str, enum.Enum):
    """The part of a notebook (or file) a finding points into."""

    SOURCE = "source"  # a code cell's source
    MARKDOWN = "markdown"  # a markdown cell's source
    RAW = "raw"  # a raw cell's source
    OUTPUT = "output"
    METADATA = "metadata"  # cell or notebook metadata
    ATTACHMENT = "attachment"
    NOTEBOOK = "notebook"  # the notebook as a whole
    FILE = "file"  # a plain text file (script, config, Dockerfile)


#: severities from the least to the most serious
SEVERITY_RANK = {Severity.NOTE: 0, Severity.WARNING: 1, Severity.ERROR: 2}
#: the level at and above which findings fail a run when nothing else is configured
DEFAULT_FAIL_ON = Severity.ERROR
FAIL_ON_CHOICES = tuple(s.value for s in Severity)


def at_or_above(severity: Severity, level: Severity) -> bool:
    """Whether a finding of ``severity`` reaches ``level`` (``fail_on``)."""
    return SEVERITY_RANK[severity] >= SEVERITY_RANK[level]


#: ``--fail-on`` and ``fail_on``: the same option for every command whose findings decide
#: its exit code (its own table first, then the top of ``[tool.nbtools]``)
FAIL_ON = Option(
    str,
    None,
    "findings at or above this level fail the run (default: error; [tool.nbtools] fail_on)",
    choices=FAIL_ON_CHOICES,
)


def fail_level(value: str | None) -> Severity:
    """The resolved ``fail_on`` as a severity (default ``error``): findings at or above it
    fail the run (exit 1); below it they are reported and the run passes."""
    return DEFAULT_FAIL_ON if value is None else Severity(value)


#: SARIF ``precision`` values: how often a rule's findings are real
PRECISIONS = ("very-high", "high", "medium", "low")


@dataclass(frozen=True)
class Rule:
    """A rule's stable id and everything a report says about it: the one home of a rule's
    metadata (code scanning shows ``summary``, the Markdown help, ``tags``, ``precision`` and,
    for security rules, ``security_severity``).

    ``help`` says what a finding means and how to fix it (Markdown); how to suppress it is
    added from :mod:`nbtools.suppress` (:func:`~nbtools.suppress.rule_markdown`). A rule with ``security_severity``
    (0.0-10.0; 9+ critical, 7+ high, 4+ medium) is a security rule, tagged ``security``.
    """

    id: str
    name: str
    summary: str
    help: str = ""
    severity: Severity = Severity.ERROR
    #: SARIF reports this rule's findings as one result per file under the rule with this id
    #: (strip's removed outputs, a sync conflict's cells): code scanning wants one alert for
    #: "this notebook is not clean", not one per output
    per_file: str = ""
    precision: str = "high"
    tags: tuple[str, ...] = ()
    security_severity: float | None = None

    @property
    def all_tags(self) -> list[str]:
        """``tags``, with ``security`` first for a security rule."""
        extra = ["security"] if self.security_severity is not None else []
        return [*extra, *(t for t in self.tags if t not in extra)]


@dataclass(frozen=True)
class Suppression:
    """Why a finding is not counted: it is still reported, as suppressed, with its source.

    ``kind`` is SARIF's: ``inSource`` (a comment, a cell tag or cell metadata in the file
    itself) or ``external`` (configuration, a baseline, the command line).
    """

    kind: str
    source: str  # "comment", "cell tag", "cell metadata", "ignore_rules", "exclude", "baseline"
    location: str  # where the suppression is written: "pyproject.toml:12", "nb.ipynb:cell 3:2"
    justification: str = ""

    @property
    def origin(self) -> str:
        """``source`` and ``location`` as one label, e.g. ``baseline .b.json``."""
        return f"{self.source} {self.location}" if self.location else self.source

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "source": self.source,
            "location": self.location,
            "justification": self.justification,
        }


@dataclass
class Finding:
    """One thing a command found, located in a notebook or a file.

    ``line`` is 1-based within the cell source or output text; ``json_line`` is the
    1-based line in the file on disk (for a ``.py`` both are the same).
    """

    path: str
    rule: str
    message: str
    severity: Severity = Severity.ERROR
    cell_index: int | None = None
    cell_id: str | None = None
    where: Where | None = None
    output_index: int | None = None
    field: str | None = None
    line: int | None = None
    json_line: int | None = None
    column: int | None = None
    masked: str | None = None
    fingerprint: str | None = None
    extra: dict[str, Any] = _field(default_factory=dict)
    #: fingerprints the same finding had in older baselines (not reported)
    aliases: tuple[str, ...] = ()
    #: set when a comment, tag, configuration or baseline suppresses the finding
    suppression: Suppression | None = None
    #: a digest of the matched content (:func:`content_digest`; never the content itself):
    #: tells apart two findings of one rule in one cell (SARIF fingerprints)
    content_hash: str | None = None

    @property
    def location(self) -> str:
        """A ruff-style location: ``nb.ipynb:cell 3:2`` (1-based cell) or ``file.py:12``."""
        if self.cell_index is not None:
            loc = f"{self.path}:cell {self.cell_index + 1}"
            if self.where is Where.OUTPUT and self.output_index is not None:
                loc += f":output {self.output_index + 1}"
            return f"{loc}:{self.line}" if self.line is not None else loc
        line = self.json_line if self.json_line is not None else self.line
        return f"{self.path}:{line}" if line is not None else self.path

    def stable_fingerprint(self) -> str:
        """A fingerprint independent of line numbers (baselines, SARIF)."""
        if self.fingerprint:
            return self.fingerprint
        import hashlib  # lazily: most runs never fingerprint, and it loads OpenSSL

        key = "\0".join(
            str(part)
            for part in (
                self.path,
                self.rule,
                self.cell_id or self.cell_index,
                self.where,
                self.field,
            )
        )
        return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:32]

    def matches(self, accepted: set[str] | frozenset[str]) -> bool:
        """Whether a baseline accepts this finding (by its fingerprint or an older one)."""
        return self.stable_fingerprint() in accepted or any(a in accepted for a in self.aliases)

    def to_dict(self) -> dict[str, Any]:
        """The finding as JSON-ready data; absent keys are ``None``."""
        data: dict[str, Any] = {
            "path": self.path,
            "cell_index": self.cell_index,
            "cell_id": self.cell_id,
            "where": self.where.value if self.where else None,
            "output_index": self.output_index,
            "field": self.field,
            "line": self.line,
            "json_line": self.json_line,
            "column": self.column,
            "rule": self.rule,
            "severity": self.severity.value,
            "message": self.message,
            "masked": self.masked,
            "fingerprint": self.stable_fingerprint(),
        }
        if self.suppression is not None:
            data["suppression"] = self.suppression.to_dict()
        data.update(self.extra)
        return data


def content_digest(text: str) -> str:
    """A short digest of matched content, whitespace-normalised, so that a secret or a
    configuration line can tell findings apart without being stored."""
    import hashlib  # lazily: most runs never fingerprint, and it loads OpenSSL

    normal = " ".join(text.split())
    return hashlib.sha256(
        ("nbtools-content\0" + normal).encode("utf-8", "surrogateescape")
    ).hexdigest()[:16]


_RULES: dict[str, Rule] = {}

#: every module that defines rules: :func:`rule_for` imports them when it meets an id no
#: imported module registered (``check`` reports ``sync/conflict`` without importing the sync
#: command), and :func:`all_rules` for documentation and tests
RULE_MODULES = (
    "nbtools.strip",
    "nbtools.checks",
    "nbtools.commands.sync",
    "nbtools.execute.rules",
    "nbtools.commands.filter",
    "nbtools.commands.install",
    "nbtools.commands.doctor",
    "nbtools.hidden_state.static",
    "nbtools.hidden_state.names",
    "nbtools.secrets.rules",
    "nbtools.secrets.notebook_scan",
    "nbtools.secrets.envfiles",
    "nbtools.secrets.project",  # registers a project's own rules when scan loads them
)
_LOADED: list[bool] = []  # set once every rule module is imported


def register_rules(*rules: Rule) -> None:
    """Make rules known to renderers (SARIF rule help, GitHub titles)."""
    for rule in rules:
        _RULES[rule.id] = rule


def _load_all() -> None:
    if not _LOADED:
        import importlib

        for module in RULE_MODULES:
            importlib.import_module(module)
        _LOADED.append(True)


def rule_for(rule_id: str) -> Rule:
    """The registered rule, or a plain stand-in for an unknown id."""
    rule = _RULES.get(rule_id)
    if rule is None and not _LOADED:
        _load_all()
        rule = _RULES.get(rule_id)
    return rule or Rule(rule_id, rule_id, rule_id)


def known_rules() -> dict[str, Rule]:
    """All rules registered so far."""
    return dict(_RULES)


def all_rules() -> dict[str, Rule]:
    """Every rule nbtools defines (imports each module of :data:`RULE_MODULES`)."""
    _load_all()
    return dict(_RULES)
