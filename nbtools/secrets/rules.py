"""The credential rule table as the engine runs it: the core rules, the provider table and
the context detectors, in that order, each guarded and advised.

Guarded: documented example keys and values glued into a base64 blob are never findings,
whatever the rule. Advised: a finding's message says what to do (rotate the key at its
provider, see :func:`nbtools.secrets.rulehelp.advice`). Reports describe the rules as
defined (:data:`DEFINED_RULES`, registered here).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from nbtools.findings import register_rules
from nbtools.secrets.context import CONTEXT_RULES, DOCUMENTED_EXAMPLES
from nbtools.secrets.core_rules import CORE_RULES
from nbtools.secrets.providers import PROVIDER_RULES
from nbtools.secrets.rulehelp import advice, as_rule
from nbtools.secrets.values import secret_value

if TYPE_CHECKING:
    import re

    from nbtools.secrets.ruledef import SecretRule, Validator

_BASE64_RUN = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_-")
#: a hit inside a longer base64 run (an image in a data URI, a pickled blob) is not a key
_GLUED = 64


def glued_into_blob(text: str, start: int, end: int) -> bool:
    """Does the value continue, on either side, into a long run of base64 characters?"""
    left = start
    while left > 0 and start - left <= _GLUED and text[left - 1] in _BASE64_RUN:
        left -= 1
    right = end
    while right < len(text) and right - end <= _GLUED and text[right] in _BASE64_RUN:
        right += 1
    return (start - left) + (right - end) >= _GLUED


def _guarded(validate: Validator | None) -> Validator:
    """Every rule: documented example keys (``AKIAIOSFODNN7EXAMPLE`` ...) and values glued
    into a base64 blob are never findings."""

    def check(match: re.Match[str], text: str) -> bool:
        value, begin = secret_value(match)
        if value is None or value in DOCUMENTED_EXAMPLES:
            return False
        if validate is not None and not validate(match, text):
            return False
        return not glued_into_blob(text, begin, begin + len(value))

    return check


def _advised(rule: SecretRule) -> SecretRule:
    """The rule as the engine uses it: guarded, and its finding message says what to do."""
    text = advice(rule)
    summary = f"{rule.summary} ({text})" if text else rule.summary
    # one replace per rule: at start-up it is the cost of building the table
    return dataclasses.replace(rule, validate=_guarded(rule.validate), summary=summary)


#: every built-in rule as defined (reports describe these; see :func:`as_rule`)
DEFINED_RULES: tuple[SecretRule, ...] = (*CORE_RULES, *PROVIDER_RULES, *CONTEXT_RULES)
#: the same rules as the engine runs them
SECRET_RULES: tuple[SecretRule, ...] = tuple(_advised(rule) for rule in DEFINED_RULES)

register_rules(*(as_rule(rule) for rule in DEFINED_RULES))
