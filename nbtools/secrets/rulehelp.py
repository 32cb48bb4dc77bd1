"""What findings and reports say about a secret rule: the advice in a finding's message, and
the help, precision, tags and security severity of the rule in reports (SARIF, GitHub).

Every field has a default derived from the rule itself, so a new provider row gets complete
help without writing any; a rule's own ``help``, ``precision``, ``security_severity`` or
``rotate`` replaces the default.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nbtools.findings import Rule, Severity

if TYPE_CHECKING:
    from nbtools.secrets.ruledef import SecretRule

_SECURITY_SEVERITY = {Severity.ERROR: 8.0, Severity.WARNING: 5.5, Severity.NOTE: 3.0}
_CREDENTIAL_TAGS = ("secret", "external/cwe/cwe-798")
_CONFIGURATION_TAGS = ("configuration", "jupyter", "external/cwe/cwe-306")
_KEPT = "deleting it here is not enough: it stays in git history and in clones"


def _credential_help(rule: SecretRule) -> str:
    issuer = rule.provider or f"the service that issued the {rule.summary}"
    rotate = rule.rotate or f"revoke it (or rotate it) with {issuer}"
    return (
        f"This notebook or file holds a credential ({rule.summary}). Whoever can read the "
        "repository, its history, a fork or a copy of the notebook can use it until it is "
        "revoked; removing it from the file does not make it safe.\n\n"
        f"**Fix**: first {rotate}. Then remove it from the notebook (outputs too: "
        "`nbtools scan --fix` removes outputs that hold it) and, if it was committed, from the "
        "git history. Read credentials from the environment (`os.environ[...]`), a `.env` "
        "file kept out of git, or a secrets manager."
    )


def as_rule(rule: SecretRule) -> Rule:
    """The report rule of a detector: help, precision, tags and security severity from the
    detector's fields where it gives them, else derived from it."""
    # a warning-level detector is one that guesses more: code scanning orders alerts by it
    precision = "high" if rule.severity is Severity.ERROR else "medium"
    configuration = rule.kind == "configuration"
    return Rule(
        rule.id,
        rule.id.split("/", 1)[1],
        rule.summary,
        rule.help or _credential_help(rule),
        severity=rule.severity,
        precision=rule.precision or precision,
        tags=_CONFIGURATION_TAGS if configuration else _CREDENTIAL_TAGS,
        security_severity=rule.security_severity
        if rule.security_severity is not None
        else _SECURITY_SEVERITY[rule.severity],
    )


def advice(rule: SecretRule) -> str:
    """What to do about a finding: rotate the credential where it was issued."""
    if rule.kind == "configuration":
        return ""
    if rule.provider:
        return f"rotate it at {rule.provider}; {_KEPT}"
    if rule.severity is Severity.WARNING:
        return f"if it is a credential, rotate it where it was issued; {_KEPT}"
    return f"rotate it where it was issued; {_KEPT}"
