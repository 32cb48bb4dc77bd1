"""One credential rule: a regex whose group ``s`` is the secret, gated by literal anchors.

Kept apart from the tables (``core_rules``, ``providers``, ``context``) so each table module
can build rows without importing the others.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Pattern

from nbtools.findings import Severity

Validator = Callable[["re.Match[str]", str], bool]


@dataclass(frozen=True)
class SecretRule:
    """One detector: a regex whose group ``s`` is the secret, gated by literal anchors."""

    id: str
    summary: str
    pattern: str
    anchors: tuple[str, ...]
    severity: Severity = Severity.ERROR
    priority: int = 10  # lower wins when two rules match overlapping text
    validate: Validator | None = None
    ignore_case: bool = False  # anchors are lower case and looked up case-insensitively
    back: str = ""  # characters to walk back over from an anchor to the match start
    start: str = ""  # after walking back, the match starts at the last ``start`` literal
    anchor_regex: str = ""  # a regex anchor (ASCII, hyperscan-compatible) besides literals
    #: for the raw-file prefilter: a regex that matches the notebook's JSON text wherever the
    #: rule can match one of its parts (escapes and list breaks included); default: anchors
    raw_anchor: str = ""
    raw_min_length: int = 0  # shortest match of ``raw_anchor`` that counts
    flags: int = 0
    # what reports say (see :func:`nbtools.secrets.rulehelp.as_rule`); every field has a default
    # derived from the rule itself, so a new provider rule gets complete help without writing any
    provider: str = ""  # who issued the credential ("AWS", "GitHub"): findings say rotate there
    rotate: str = ""  # how to revoke it, when the provider has a specific place for that
    kind: str = "credential"  # or "configuration" (an insecure setting, no secret)
    help: str = ""  # replaces the generated help
    precision: str = ""  # default: high, medium below errors; "low"/"medium" when it guesses
    security_severity: float | None = None  # default: from the severity
    #: the documented shape as a fake template (``{a36}``: 36 random letters and digits,
    #: see ``tests/secret_samples.py``); every provider row has one
    sample: str = ""
    #: the regex can match only where its anchor follows a character outside
    #: ``[A-Za-z0-9_-]`` (a token's start): the pure path looks only there
    boundary: bool = False
    #: a regex the lower-cased text must contain before the rule is tried at its anchors (a
    #: cheap test for rules whose anchor is common, like ``<td``)
    requires: str = ""

    def compile(self) -> Pattern[str]:
        return re.compile(self.pattern, self.flags)
