"""Project rules and allowlists from ``[tool.nbtools.scan]``.

::

    [[tool.nbtools.scan.rules]]
    id = "acme-api-key"                       # reported as scan/acme-api-key
    regex = 'acme_(?P<secret>[A-Za-z0-9]{32})' # (?P<secret>...) marks the secret, else all
    keywords = ["acme_"]                      # literal anchors (case-insensitive), required
    severity = "error"                        # error | warning | note
    provider = "Acme"                         # findings say: rotate it at Acme
    entropy = 3.0                             # optional: minimum bits per character

    [[tool.nbtools.scan.allowlist]]
    paths = ["tests/fixtures/**"]             # globs, relative to the pyproject.toml
    rules = ["scan/high-entropy-string"]      # rule ids
    regexes = ['^dev-only-']                  # searched in the secret value
    description = "fake keys in test fixtures"

An allowlist entry accepts a finding when every condition it names holds: ``paths`` (all
rules in those files), ``paths`` with ``rules``, ``rules`` alone, or ``regexes`` (alone or
with ``rules``: the values they match). Findings accepted by paths or rules are reported as
suppressed (source ``allowlist``), like ``ignore_rules``: configuration found in the tree
never hides a file from the scan. Values matching a regex are not findings at all, like
documented example keys. Keywords keep the anchor pre-filter fast: a project rule is tried
only on the lines where one of them occurs, so its regex is searched in the line (it does
not need to start at the keyword).
"""

from __future__ import annotations

import dataclasses
import fnmatch
import os
import re
import string
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Sequence

from nbtools.errors import ConfigError
from nbtools.findings import Severity, Suppression, register_rules
from nbtools.secrets.ruledef import SecretRule
from nbtools.secrets.rulehelp import advice, as_rule
from nbtools.secrets.rules import SECRET_RULES
from nbtools.secrets.values import entropy, is_placeholder
from nbtools.suppress import EXTERNAL, shown_path

if TYPE_CHECKING:
    from nbtools.config import Config
    from nbtools.findings import Finding

_ID_RE = re.compile(r"[a-z0-9][a-z0-9_\-/]{0,80}")
#: walking back from a keyword to the start of its line (the separator ``\x00`` stops it)
_LINE_CHARS = "".join(ch for ch in string.printable if ch not in "\n\r\x0b\x0c") + "\u00a0"


@dataclass
class Allow:
    """One allowlist entry: every condition it names must hold."""

    paths: tuple[str, ...] = ()
    rules: frozenset[str] = frozenset()
    regexes: tuple[re.Pattern[str], ...] = ()
    description: str = ""


@dataclass
class ProjectScan:
    """What ``[tool.nbtools.scan]`` adds: rules, and what the allowlists accept."""

    rules: tuple[SecretRule, ...] = ()
    allow: tuple[Allow, ...] = ()
    root: str = "."
    config_path: str = ""  # the pyproject.toml, named by suppressed findings
    allowed: int = field(default=0)  # findings the allowlists accepted in this run

    def _path_matches(self, path: str, globs: Sequence[str]) -> bool:
        rel = os.path.relpath(os.path.abspath(path), self.root).replace(os.sep, "/")
        return any(fnmatch.fnmatch(rel, g) or fnmatch.fnmatch(rel, g.rstrip("/") + "/*")
                   for g in globs)  # fmt: skip

    def value_allows(self) -> tuple[tuple[frozenset[str], re.Pattern[str]], ...]:
        """(rules, value regex) pairs: checked on the engine's hits, where the value is
        still known (a report only has it masked)."""
        return tuple((a.rules, p) for a in self.allow for p in a.regexes)

    def accepts(self, finding: Finding) -> Allow | None:
        """The entry with paths and/or rules that accepts the finding (value regexes are
        the engine's)."""
        for entry in self.allow:
            if entry.regexes:
                continue
            if entry.paths and not self._path_matches(finding.path, entry.paths):
                continue
            if not entry.rules or finding.rule in entry.rules:
                return entry
        return None

    def suppress(self, findings: Sequence[Finding]) -> None:
        """Mark what the allowlists accept as suppressed (reported, not counted), like
        ``ignore_rules``: configuration in the tree never hides a file from the scan."""
        for finding in findings:
            if finding.suppression is not None:
                continue
            entry = self.accepts(finding)
            if entry is not None:
                self.allowed += 1
                finding.suppression = Suppression(
                    EXTERNAL, "allowlist", self.config_path, entry.description
                )


def _strings(value: Any, where: str, config: Config) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{config.path}: {where} must be a list of strings")
    return tuple(value)


def _regex(pattern: str, where: str, config: Config) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ConfigError(f"{config.path}: {where}: invalid regex: {exc}") from None


def _rule(raw: Any, index: int, config: Config, taken: set[str]) -> SecretRule:
    where = f"tool.nbtools.scan.rules[{index}]"
    if not isinstance(raw, dict):
        raise ConfigError(f"{config.path}: {where} must be a table")
    unknown = set(raw) - {"id", "regex", "keywords", "severity", "provider", "description",
                          "entropy"}  # fmt: skip
    if unknown:
        raise ConfigError(f"{config.path}: {where}: unknown keys {sorted(unknown)}")
    rule_id = raw.get("id")
    bare = rule_id[5:] if isinstance(rule_id, str) and rule_id.startswith("scan/") else rule_id
    if not isinstance(bare, str) or not _ID_RE.fullmatch(bare):
        raise ConfigError(f"{config.path}: {where}.id must be lower-case letters, digits, -_/")
    full_id = f"scan/{bare}"
    if full_id in taken:
        raise ConfigError(f"{config.path}: {where}.id {full_id} is already a rule")
    taken.add(full_id)
    pattern = raw.get("regex")
    if not isinstance(pattern, str) or not pattern:
        raise ConfigError(f"{config.path}: {where}.regex must be a non-empty string")
    _regex(pattern, f"{where}.regex", config)
    keywords = _strings(raw.get("keywords", []), f"{where}.keywords", config)
    if not keywords or not all(k.isascii() and k.strip() for k in keywords):
        raise ConfigError(
            f"{config.path}: {where}.keywords: name at least one ASCII keyword (the anchor)"
        )
    severity = raw.get("severity", "error")
    try:
        level = Severity(severity)
    except ValueError:
        raise ConfigError(
            f"{config.path}: {where}.severity must be error, warning or note"
        ) from None
    minimum = raw.get("entropy", 0.0)
    if not isinstance(minimum, (int, float)) or isinstance(minimum, bool):
        raise ConfigError(f"{config.path}: {where}.entropy must be a number")
    if "(?P<secret>" in pattern:
        body = pattern.replace("(?P<secret>", "(?P<s>")
    elif "(?P<s>" in pattern:
        body = pattern
    else:
        body = f"(?P<s>{pattern})"
    provider = raw.get("provider", "")
    summary = raw.get("description") or f"project rule {full_id.split('/', 1)[1]}"

    def check(match: re.Match[str], _text: str, _min: float = float(minimum)) -> bool:
        value = match.group("s")
        return bool(value) and not is_placeholder(value) and entropy(value) >= _min

    return SecretRule(
        full_id,
        str(summary),
        rf"[^\n\x00]*?(?:{body})",
        tuple(k.lower() for k in keywords),
        severity=level,
        priority=2,
        validate=check,
        ignore_case=True,
        back=_LINE_CHARS,
        provider=str(provider) if isinstance(provider, str) else "",
    )


def _allow(raw: Any, index: int, config: Config) -> Allow:
    where = f"tool.nbtools.scan.allowlist[{index}]"
    if not isinstance(raw, dict):
        raise ConfigError(f"{config.path}: {where} must be a table")
    unknown = set(raw) - {"paths", "rules", "regexes", "description"}
    if unknown:
        raise ConfigError(f"{config.path}: {where}: unknown keys {sorted(unknown)}")
    entry = Allow(
        paths=_strings(raw.get("paths", []), f"{where}.paths", config),
        rules=frozenset(_strings(raw.get("rules", []), f"{where}.rules", config)),
        regexes=tuple(
            _regex(p, f"{where}.regexes", config)
            for p in _strings(raw.get("regexes", []), f"{where}.regexes", config)
        ),
        description=str(raw.get("description", "")),
    )
    if not (entry.paths or entry.rules or entry.regexes):
        raise ConfigError(f"{config.path}: {where} names no paths, rules or regexes")
    if entry.paths and entry.regexes:
        raise ConfigError(
            f"{config.path}: {where}: use paths or regexes in one entry, not both "
            "(regexes may be combined with rules)"
        )
    return entry


def load_project_scan(
    config: Config, rules: Any, allowlist: Any, builtin_ids: Sequence[str]
) -> ProjectScan:
    """Parse the ``rules`` and ``allowlist`` keys of ``[tool.nbtools.scan]``."""
    if isinstance(rules, dict):
        rules = [rules]
    if isinstance(allowlist, dict):
        allowlist = [allowlist]
    if not isinstance(rules, list):
        raise ConfigError(f"{config.path}: tool.nbtools.scan.rules must be an array of tables")
    if not isinstance(allowlist, list):
        raise ConfigError(f"{config.path}: tool.nbtools.scan.allowlist must be tables")
    taken = set(builtin_ids)
    defined = [_rule(raw, i, config, taken) for i, raw in enumerate(rules)]
    project = ProjectScan(
        rules=tuple(dataclasses.replace(r, summary=f"{r.summary} ({advice(r)})") for r in defined),
        allow=tuple(_allow(raw, i, config) for i, raw in enumerate(allowlist)),
        root=config.root_dir,
        config_path=shown_path(config.path) if config.path else "",
    )
    register_rules(*(as_rule(r) for r in defined))
    return project


def use_project_scan(
    config: Config, rules: Any, allowlist: Any, warn: Callable[[str], None]
) -> ProjectScan:
    """Load ``[tool.nbtools.scan]``'s rules and allowlists and hand them to the engines this
    process builds from now on: every command that scans (scan, check) calls this first, so
    one command's project never leaks into the next one's engine in the same process."""
    from nbtools.secrets.engine import configure

    project = load_project_scan(config, rules, allowlist, [r.id for r in SECRET_RULES])
    allows = project.value_allows()
    if allows and not config.trusted:
        # a value regex drops findings unseen: a pyproject.toml in the tree (which a pull
        # request controls) may not do that, only a --config file may
        warn(
            f"{config.path}: tool.nbtools.scan.allowlist regexes apply only with "
            "--config (a configuration found in the tree cannot hide findings); ignored"
        )
        allows = ()
    configure(project.rules, allows)
    return project
