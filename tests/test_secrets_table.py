"""The assembled secret rule table, pinned: where the rules are defined (one module or many)
must not change one rule, their order, or what the engine finds with them.

Order matters: the engine breaks ties between overlapping hits by priority and then by
table order, and reports list rules in it. A deliberate change to the table (a new row,
an edited regex) changes these digests: the failure message prints the new one, to be
pasted here in the same commit.
"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Iterable

import pytest
from secret_samples import expand, in_context

from nbtools.secrets.engine import Engine
from nbtools.secrets.providers import PROVIDER_RULES
from nbtools.secrets.ruledef import SecretRule
from nbtools.secrets.rulehelp import as_rule
from nbtools.secrets.rules import DEFINED_RULES, SECRET_RULES

#: fields that say what a rule reports; ``validate`` (a function) is pinned by its verdicts,
#: ``precision`` by the report rule it yields (see :func:`as_rule`)
_JUDGED_ELSEWHERE = ("validate", "precision")

#: builtin and context rules, one plain probe each, besides the provider samples (all FAKE)
_PROBES = (
    'key_id = "AKIA' + "Q7ZK2MXW4RT6PLBN" + '"',
    "AWS_SECRET_ACCESS_KEY=" + "q8Zr2Lk5Vt9Xw3Ny7Pb1Mc4Hd6Gf0Js2Ka5Qe8Wt",
    "gh = 'ghp_" + "Zq8Lr2Kv5Xt9Wn3Yp7Bm1Cd4Hf6Gj0Ss2Aa5Q" + "'",
    "stripe.api_key = 'sk_live_" + "Zq8Lr2Kv5Xt9Wn3Yp7Bm1Cd4" + "'",
    "mongodb+srv://app:" + "Zq8Lr2Kv5Xt9Wn" + "@cluster0.example.net/db",
    "db_password = 'Xq7!mP2#vL9$'",
    'requests.get(url, auth=("analyst", "Xq7!mP2#vL9$"))',
    "machine api.example.net\n  login me\n  password " + "Zq8Lr2Kv5Xt9",
    "http://127.0.0.1:8888/lab?token=" + "3f9a1c7e5b2d8046" * 3,
    "-H 'Authorization: Bearer " + "Zq8Lr2Kv5Xt9Wn3Yp7Bm1Cd4Hf6Gj0Ss2Aa5Qe8" + "'",
    "blob = '" + "aZ3kQ9xL2mW7pR4tV8nB1cD6fG0hJ5sE" + "'",
    "!sshpass -p " + "Tr0ub4dor&3x!q" + " ssh analyst@10.0.0.5",
    "!mysql -u root -p" + "Tr0ub4dor&3x!q" + " -h db.internal",
    "!curl -u analyst:" + "Tr0ub4dor&3x!q" + " https://api.example.com",
    "<tr><th>user</th><th>password</th></tr><tr><td>ana</td><td>Tr0ub4dor&amp;3x!q</td></tr>",
    "jupyter lab --ServerApp.token='' --ip=0.0.0.0",
    "key = 'AKIAIOSFODNN7EXAMPLE'",
)


def _digest(lines: Iterable[str]) -> str:
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def _definition(rule: SecretRule) -> str:
    fields = {
        f.name: getattr(rule, f.name)
        for f in dataclasses.fields(rule)
        if f.name not in _JUDGED_ELSEWHERE
    }
    fields["validated"] = rule.validate is not None
    return repr(sorted(fields.items())) + repr(as_rule(rule))


def _probes() -> list[str]:
    texts = list(_PROBES)
    for rule in PROVIDER_RULES:
        fake = expand(rule.sample, rule.id)
        texts += [in_context(rule, fake), f"x{fake}", f"_{fake} {fake}"]
        for shape in ("placeholder", "short"):
            texts.append(in_context(rule, expand(rule.sample, rule.id, shape)))
    return texts


PINNED_ORDER = "9d3550b5a5acb9c6766ff18ec42e27ae03a985dc4a8ea9047ed2d70a014e8fe9"
PINNED_DEFINITIONS = "2b5adb0f7adc0135b144087e80683fba3a5456fd7141fca69e2317c1cff871b8"
PINNED_VERDICTS = "f06f8fa06272158429a120c5ff61cb4a105343baf59a5772b4cfeb16bc2351a5"


def test_the_rules_keep_their_order() -> None:
    ids = [rule.id for rule in SECRET_RULES]
    assert len(ids) == len(set(ids)) == 304
    assert [rule.id for rule in DEFINED_RULES] == ids
    assert _digest(ids) == PINNED_ORDER, f"new order digest: {_digest(ids)}"


def test_every_rule_keeps_its_definition() -> None:
    found = _digest(
        [_definition(rule) for rule in DEFINED_RULES]
        + [repr((rule.id, rule.summary)) for rule in SECRET_RULES]
    )
    assert found == PINNED_DEFINITIONS, f"new definitions digest: {found}"


@pytest.mark.parametrize("accelerate", [False, True], ids=["pure", "hyperscan"])
def test_the_engine_finds_the_same_hits(accelerate: bool) -> None:
    if accelerate:
        pytest.importorskip("hyperscan")
    texts = _probes()
    hits = Engine(SECRET_RULES, accelerate=accelerate).scan(texts)
    found = _digest(repr((h.part, h.rule.id, h.start, h.end, h.line, h.value)) for h in hits)
    assert len(hits) > len(PROVIDER_RULES)
    assert found == PINNED_VERDICTS, f"new verdicts digest: {found}"
