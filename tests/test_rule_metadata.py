"""Every rule carries what code scanning shows: help (meaning, fix, suppression), precision,
tags, and a security severity for security rules; the metadata lives on the rule definition."""

from __future__ import annotations

import pytest

from nbtools.findings import PRECISIONS, Finding, Rule, all_rules
from nbtools.renderers.sarif import MAX_TAGS, to_sarif
from nbtools.report import Report
from nbtools.secrets.ruledef import SecretRule
from nbtools.secrets.rulehelp import as_rule
from nbtools.secrets.rules import SECRET_RULES
from nbtools.suppress import rule_markdown

RULES = all_rules()
#: families whose rules are about credentials or container/SSH/Jupyter configuration
SECURITY = ("scan/", "strip/credential-in-output", "filter/stripped-secret")


def problems(rule: Rule) -> list[str]:
    """What a rule lacks for code scanning (empty when complete)."""
    found = []
    if len(rule.summary) < 5:
        found.append("summary too short")
    if len(rule.help) < 40:
        found.append("no help (what it means and how to fix it)")
    if "**Suppress" not in rule_markdown(rule):
        found.append("no suppression help")
    if rule.precision not in PRECISIONS:
        found.append(f"precision {rule.precision!r}")
    if not rule.all_tags or len(rule.all_tags) > MAX_TAGS:
        found.append("tags")
    severity = rule.security_severity
    if severity is not None and not 0.0 < severity <= 10.0:
        found.append("security severity out of range")
    if rule.id.startswith(SECURITY) != (severity is not None):
        found.append("security rules, and only they, have a security severity")
    if rule.per_file and rule.per_file not in RULES:
        found.append(f"per_file names an unknown rule {rule.per_file}")
    return found


def test_every_family_is_registered() -> None:
    families = {rule_id.split("/")[0] for rule_id in RULES}
    assert {"scan", "hidden-state", "strip", "sync", "run", "filter", "install", "doctor"} <= (
        families
    )
    assert all(f"scan/{r.id.split('/', 1)[1]}" in RULES for r in SECRET_RULES)


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_every_rule_is_complete(rule_id: str) -> None:
    assert problems(RULES[rule_id]) == []


def test_a_rule_without_help_is_caught() -> None:
    assert "no help (what it means and how to fix it)" in problems(
        Rule("scan/new-thing", "new-thing", "A new kind of finding")
    )


def test_a_new_provider_rule_gets_complete_help_from_its_fields() -> None:
    """Provider rules added to the table need no help text of their own."""
    plain = as_rule(SecretRule("scan/acme-token", "Acme API token", r"(?P<s>acme_\w+)", ("acme_",)))
    assert problems(plain) == []
    assert "Acme API token" in plain.help and plain.all_tags[0] == "security"
    named = as_rule(
        SecretRule(
            "scan/acme-token",
            "Acme API token",
            r"(?P<s>acme_\w+)",
            ("acme_",),
            provider="Acme",
            rotate="delete it under Acme > Settings > API tokens",
        )
    )
    assert "delete it under Acme > Settings > API tokens" in named.help


def test_sarif_rule_descriptors_carry_the_metadata() -> None:
    report = Report("scan")
    report.add_findings(
        [
            Finding("a.ipynb", "scan/private-key", "key", cell_index=0, json_line=3),
            Finding("a.ipynb", "hidden-state/undefined-name", "x", cell_index=1, json_line=9),
        ]
    )
    rules = {
        r["id"]: r for r in to_sarif(report, provenance=False)["runs"][0]["tool"]["driver"]["rules"]
    }
    key = rules["scan/private-key"]
    assert key["properties"]["tags"][0] == "security"
    assert float(key["properties"]["security-severity"]) >= 7.0
    assert key["properties"]["precision"] in PRECISIONS
    assert "nbtools: allow[scan/private-key]" in key["help"]["markdown"]
    assert len(key["fullDescription"]["text"]) <= 1000
    state = rules["hidden-state/undefined-name"]
    assert "security-severity" not in state["properties"]
    assert state["properties"]["problem.severity"] == "error"
    assert "nbtools-allow:hidden-state/undefined-name" in state["help"]["markdown"]


def test_every_module_that_defines_rules_is_listed() -> None:
    """all_rules() (and rule_for's lookup) import RULE_MODULES: a module left out would leave
    its rules without help whenever it is not imported by the command that reports them."""
    from pathlib import Path

    from nbtools.findings import RULE_MODULES

    package = Path(__file__).resolve().parent.parent / "nbtools"
    defining = {
        "nbtools." + ".".join(path.relative_to(package).with_suffix("").parts)
        for path in package.rglob("*.py")
        if "register_rules(" in path.read_text(encoding="utf-8") and path.name != "findings.py"
    }
    assert defining == set(RULE_MODULES)
