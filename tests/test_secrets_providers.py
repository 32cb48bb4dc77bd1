"""The provider rule table, row by row: a fake built from each rule's documented shape is
found, and near misses built from the same shape (placeholder, truncated, without the
prefix or the provider's name) are not.

Every value here is FAKE and generated at run time from the row's ``sample`` template.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import nbformat
import pytest
from secret_samples import expand, in_context

from nbtools.findings import Where
from nbtools.secrets.engine import Engine
from nbtools.secrets.providers import PROVIDER_RULES
from nbtools.secrets.ruledef import SecretRule
from nbtools.secrets.rules import SECRET_RULES
from nbtools.secrets.scanner import scan_path
from nbtools.secrets.tokens import base62_crc32, crc32_token_ok

ENGINE = Engine(SECRET_RULES, accelerate=False)


def rule_ids(text: str) -> list[str]:
    return [hit.rule.id for hit in ENGINE.scan([text])]


ROWS = [pytest.param(rule, id=rule.id.split("/", 1)[1]) for rule in PROVIDER_RULES]


@pytest.mark.parametrize("rule", ROWS)
def test_a_fake_in_the_documented_format_is_found(rule: SecretRule) -> None:
    text = in_context(rule, expand(rule.sample, rule.id))
    assert rule.id in rule_ids(text), text


@pytest.mark.parametrize("rule", ROWS)
def test_a_placeholder_in_the_same_format_is_not(rule: SecretRule) -> None:
    text = in_context(rule, expand(rule.sample, rule.id, "placeholder"))
    assert rule.id not in rule_ids(text), text


@pytest.mark.parametrize("rule", ROWS)
def test_a_truncated_value_is_not(rule: SecretRule) -> None:
    text = in_context(rule, expand(rule.sample, rule.id, "short"))
    assert rule.id not in rule_ids(text), text


@pytest.mark.parametrize("rule", ROWS)
def test_without_its_prefix_or_provider_name_it_is_not(rule: SecretRule) -> None:
    fake = expand(rule.sample, rule.id)
    if rule.ignore_case:  # keyed: the provider's name is what makes the value a credential
        text = re.sub("|".join(re.escape(k) for k in rule.anchors), "weather", fake, flags=re.I)
    else:
        anchor = next(a for a in rule.anchors if a in fake)
        text = fake.replace(anchor, "", 1)
    assert rule.id not in rule_ids(in_context(rule, text)), text


def _starts_a_word(rule: SecretRule) -> bool:
    """Prefixed tokens that stand alone (keyed rows and URLs start at a name or a scheme)."""
    fake = expand(rule.sample, rule.id)
    return not (
        rule.ignore_case
        or not fake[:1].isalnum()
        or "://" in fake
        or in_context(rule, fake) == fake
    )


@pytest.mark.parametrize("rule", [p for p in ROWS if _starts_a_word(p.values[0])])
def test_glued_to_a_longer_word_it_is_not(rule: SecretRule) -> None:
    fake = expand(rule.sample, rule.id)
    assert rule.id not in rule_ids(f'value = "Zq{fake}"'), fake


def test_the_table_is_broad_and_every_row_is_complete() -> None:
    assert len(PROVIDER_RULES) >= 150
    for rule in PROVIDER_RULES:
        assert rule.provider and rule.sample and rule.anchors, rule.id
    providers = {rule.provider.split(" (")[0] for rule in PROVIDER_RULES}
    families = {
        "Shopify", "Mailgun", "Twilio", "Heroku", "Doppler", "Pulumi", "Discord", "Telegram",
        "Mapbox", "Dropbox", "Square", "Sentry", "Weights & Biases", "Cohere", "Replicate",
        "Groq", "Mistral AI", "LangSmith", "Tavily", "Pinecone", "Azure OpenAI", "Atlassian",
        "Linear", "Notion", "Airtable", "Postman", "DigitalOcean", "Fly.io", "Vercel",
        "Netlify", "Cloudflare", "Okta", "Twitch", "Meta", "X", "Snowflake", "Confluent",
        "Grafana", "New Relic", "Datadog", "PagerDuty",
    }  # fmt: skip
    assert families <= providers, families - providers


def test_shopify_families_each_have_a_rule() -> None:
    for prefix in ("shpat_", "shpss_", "shpca_", "shppa_"):
        token = expand(prefix + "{h32}", prefix)
        assert any(i.startswith("scan/shopify") for i in rule_ids(f"t = '{token}'")), prefix


def test_twilio_sid_with_its_token_is_one_finding_naming_the_pair() -> None:
    rng = random.Random(3)
    sid = "AC" + "".join(rng.choice("0123456789abcdef") for _ in range(32))
    token = "".join(rng.choice("0123456789abcdef") for _ in range(32))
    hits = ENGINE.scan([f"client = Client('{sid}', '{token}')"])
    assert [(h.rule.id, h.value) for h in hits] == [("scan/twilio-credential-pair", token)]


def test_github_checksum_proves_a_token_whatever_its_entropy() -> None:
    body = "abababababababababababababab12"  # low entropy: the shape check alone rejects it
    token = "ghp_" + body + base62_crc32(body)
    assert crc32_token_ok(token)
    assert rule_ids(f"t = '{token}'") == ["scan/github-token"]
    wrong = "ghp_" + body + "000000"
    assert not crc32_token_ok(wrong)
    assert "scan/github-token" not in rule_ids(f"t = '{wrong}'")


def test_documented_example_keys_are_not_findings() -> None:
    examples = [
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "sk_test_4eC39HqLyjWDarjtT1zdp7dc_EXAMPLE",
        "SG.EXAMPLEEXAMPLEEXAMPLE.EXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXA",
    ]
    for example in examples:
        assert rule_ids(f"key = '{example}'") == [], example


def test_a_finding_says_to_rotate_the_key_at_its_provider(tmp_path: Path) -> None:
    fake = expand("shpat_{h32}", "advice")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(f"TOKEN = '{fake}'")])
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, str(path))
    [finding] = scan_path(str(path)).findings
    assert finding.rule == "scan/shopify-access-token" and finding.where is Where.SOURCE
    assert "rotate it at Shopify" in finding.message
    assert "git history" in finding.message


def test_the_raw_prefilter_lets_every_fake_through() -> None:
    """With hyperscan, a notebook is walked only if its raw JSON matches some raw anchor:
    each row's fake, as Jupyter stores it in a source and in an output, must pass."""
    pytest.importorskip("hyperscan")
    fast = Engine(SECRET_RULES, accelerate=True)
    for rule in PROVIDER_RULES:
        text = in_context(rule, expand(rule.sample, rule.id))
        cell = nbformat.v4.new_code_cell(text)
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text + "\n")]
        raw = nbformat.writes(nbformat.v4.new_notebook(cells=[cell])).encode()
        assert fast.may_match(raw), rule.id
        assert rule.id in [h.rule.id for h in fast.scan([text])], rule.id


def test_pure_and_hyperscan_paths_agree_on_every_row() -> None:
    """The pure path looks for prefixed tokens at token starts only; hyperscan everywhere:
    the hits must be the same (fakes, near misses, fakes glued to words)."""
    pytest.importorskip("hyperscan")
    fast = Engine(SECRET_RULES, accelerate=True)
    texts = []
    for rule in PROVIDER_RULES:
        fake = expand(rule.sample, rule.id)
        texts += [in_context(rule, fake), f"x{fake}", f"-{fake}", f"_{fake} {fake}"]
        texts.append(in_context(rule, expand(rule.sample, rule.id, "short")))

    def hits(engine: Engine) -> list[tuple[int, str, int, str]]:
        return [(h.part, h.rule.id, h.start, h.value) for h in engine.scan(texts)]

    assert hits(ENGINE) == hits(fast)
