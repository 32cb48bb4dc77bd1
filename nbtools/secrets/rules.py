"""The credential rule table: well-known token formats first, keyword-anchored rules last.

Every rule names literal anchors (a token's prefix, a keyword). The engine finds them
with plain substring search and tries the rule's regex only where one occurs (walking
back over ``back`` characters when the match starts before the anchor, e.g. the scheme
before ``://``); that is what keeps one pass cheap. The regex marks the secret with the
group ``s``; validators reject placeholders, hashes and other look-alikes, so the rules
stay general instead of knowing any particular corpus.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from nbtools.findings import Rule, Severity, register_rules
from nbtools.secrets.context import CONTEXT_RULES, DOCUMENTED_EXAMPLES, looks_like_host
from nbtools.secrets.providers import PROVIDER_RULES, crc32_token_ok
from nbtools.secrets.ruledef import SecretRule
from nbtools.secrets.values import (
    assignment_ok,
    high_entropy_ok,
    password_ok,
    pem_ok,
    real_value,
    secret_value,
    token_ok,
)

if TYPE_CHECKING:
    import re

    from nbtools.secrets.ruledef import Validator

__all__ = ["SECRET_RULES", "SecretRule", "advice", "as_rule"]


def _body(min_len: int = 16) -> Validator:
    def check(match: re.Match[str], _text: str) -> bool:
        return token_ok(match.group("s"), min_len)

    return check


def _checksummed(min_len: int) -> Validator:
    """A valid CRC32 checksum (GitHub, npm) proves a token whatever its entropy."""

    def check(match: re.Match[str], _text: str) -> bool:
        value = match.group("s")
        return crc32_token_ok(value) or token_ok(value, min_len)

    return check


def _password_group(match: re.Match[str], _text: str) -> bool:
    return password_ok(match.group("s"))


def _pem(match: re.Match[str], _text: str) -> bool:
    return pem_ok(match.group("body"))


def _auth_pair(match: re.Match[str], _text: str) -> bool:
    return real_value(match.group("s"), quoted=True)


def _assignment(match: re.Match[str], text: str) -> bool:
    return assignment_ok(match, text)


def _entropy(match: re.Match[str], text: str) -> bool:
    return not looks_like_host(match.group("s")) and high_entropy_ok(match, text)


_END = r"(?![A-Za-z0-9_\-])"  # a token ends where its alphabet ends
_Q = r"""['"]?"""

_SCHEME = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-"
_IDENT = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"
_URL = _SCHEME + "_:/@%=&~!$*,;[]"

# The entropy rule needs a quoted run of 32+ key characters with one outside hex digits and
# dashes (hex digests and UUIDs are never findings); in the raw JSON the quote may be \".
# The length (quote + 32) is hyperscan's min_length, see ``raw_min_length``.
_ENTROPY_RAW = r"""(?:\\"|')[0-9a-f_\-]*[g-zA-Z+/=.][A-Za-z0-9+/_\-=.]*"""

_BUILTIN_RULES: tuple[SecretRule, ...] = (
    SecretRule(
        "scan/private-key",
        "private key block (RSA, EC, DSA, OpenSSH, PKCS8, PGP)",
        r"(?P<s>-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----)"
        r"(?P<body>(?:\s|\\[nr])*(?:[A-Za-z0-9+/=:\-]{8,}|Proc-Type:)[\s\S]{0,40})",
        ("-----BEGIN ",),
        priority=1,
        validate=_pem,
    ),
    SecretRule(
        "scan/aws-access-key-id",
        "AWS access key ID",
        r"(?<![A-Za-z0-9])(?P<s>(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|ANPA|ANVA|APKA)[A-Z2-7]{16})"
        r"(?![A-Za-z0-9])",
        ("AKIA", "ASIA", "ABIA", "ACCA", "AGPA", "AIDA", "AROA", "ANPA", "ANVA", "APKA"),
        priority=2,
        validate=_body(16),
    ),
    SecretRule(
        "scan/aws-secret-access-key",
        "AWS secret access key",
        r"(?i:aws_?secret_?(?:access_?)?key)"
        + _Q
        + r"\]?\s*(?:=|:|=>)\s*"
        + _Q
        + r"(?P<s>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])",
        ("aws_secret", "awssecret"),
        priority=2,
        validate=_body(40),
        ignore_case=True,
    ),
    SecretRule(
        "scan/github-token",
        "GitHub token (classic personal access, OAuth, app or refresh token)",
        r"(?<![A-Za-z0-9_])(?P<s>gh[pousr]_[A-Za-z0-9]{36,251})" + _END,
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
        priority=2,
        validate=_checksummed(36),
    ),
    SecretRule(
        "scan/github-fine-grained-token",
        "GitHub fine-grained personal access token",
        r"(?<![A-Za-z0-9_])(?P<s>github_pat_[A-Za-z0-9_]{50,251})" + _END,
        ("github_pat_",),
        priority=2,
        validate=_body(50),
    ),
    SecretRule(
        "scan/gitlab-token",
        "GitLab token (personal, deploy, runner, pipeline trigger)",
        r"(?<![A-Za-z0-9_])(?P<s>gl(?:pat|dt|rt|ptt|cbt|oas|ft|imt|agent)-[A-Za-z0-9_\-]{20,64})"
        + _END,
        ("glpat-", "gldt-", "glrt-", "glptt-", "glcbt-", "gloas-", "glft-", "glimt-", "glagent-"),
        priority=2,
        validate=_body(20),
    ),
    SecretRule(
        "scan/slack-token",
        "Slack token",
        r"(?<![A-Za-z0-9])(?P<s>xox[abposre]-(?:\d+-)+[A-Za-z0-9]{16,64}"
        r"|xapp-\d-[A-Z0-9]+-\d+-[a-f0-9]{32,})" + _END,
        ("xox", "xapp-"),
        priority=2,
        validate=_body(20),
    ),
    SecretRule(
        "scan/slack-webhook",
        "Slack incoming webhook URL",
        r"(?P<s>https?://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_]+"
        r"/[A-Za-z0-9_]+/[A-Za-z0-9_/]+)",
        ("hooks.slack.com",),
        priority=2,
        validate=_body(30),
        back=_SCHEME + ":/",
        start="http",
    ),
    SecretRule(
        "scan/stripe-key",
        "Stripe secret or restricted key",
        r"(?<![A-Za-z0-9_])(?P<s>(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,247})" + _END,
        ("sk_live_", "sk_test_", "rk_live_", "rk_test_"),
        priority=2,
        validate=_body(16),
    ),
    SecretRule(
        "scan/openai-key",
        "OpenAI API key",
        r"(?<![A-Za-z0-9_\-])(?P<s>sk-(?:(?:proj|svcacct|admin|None)-)?[A-Za-z0-9_\-]{16,200}"
        r"T3BlbkFJ[A-Za-z0-9_\-]{16,200}|sk-(?:proj|svcacct|admin)-[A-Za-z0-9_\-]{40,250})" + _END,
        ("sk-",),
        priority=2,
        validate=_body(32),
    ),
    SecretRule(
        "scan/anthropic-key",
        "Anthropic API key",
        r"(?<![A-Za-z0-9_\-])(?P<s>sk-ant-(?:api|admin)\d\d-[A-Za-z0-9_\-]{80,120})" + _END,
        ("sk-ant-",),
        priority=1,
        validate=_body(40),
    ),
    SecretRule(
        "scan/huggingface-token",
        "Hugging Face access token",
        r"(?<![A-Za-z0-9_])(?P<s>(?:hf_|api_org_)[A-Za-z0-9]{30,40})" + _END,
        ("hf_", "api_org_"),
        priority=2,
        validate=_body(30),
    ),
    SecretRule(
        "scan/google-api-key",
        "Google API key",
        r"(?<![A-Za-z0-9_\-])(?P<s>AIza[A-Za-z0-9_\-]{35})" + _END,
        ("AIza",),
        priority=2,
        validate=_body(35),
    ),
    SecretRule(
        "scan/google-oauth-client-secret",
        "Google OAuth client secret",
        r"(?<![A-Za-z0-9_\-])(?P<s>GOCSPX-[A-Za-z0-9_\-]{28})" + _END,
        ("GOCSPX-",),
        priority=2,
        validate=_body(28),
    ),
    SecretRule(
        "scan/azure-storage-key",
        "Azure storage or Service Bus key (connection string)",
        r"(?i:AccountKey|SharedAccessKey)=(?P<s>[A-Za-z0-9+/]{40,100}={0,2})",
        ("accountkey=", "sharedaccesskey="),
        priority=2,
        validate=_body(40),
        ignore_case=True,
    ),
    SecretRule(
        "scan/azure-sas-token",
        "Azure shared access signature",
        r"(?:SharedAccessSignature=|(?<=[?&;])sig=)(?P<s>[A-Za-z0-9%+/]{30,120}(?:%3D|=){0,2})",
        ("SharedAccessSignature=", "sig="),
        priority=3,
        validate=_body(30),
    ),
    SecretRule(
        "scan/sendgrid-key",
        "SendGrid API key",
        r"(?<![A-Za-z0-9_])(?P<s>SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43})" + _END,
        ("SG.",),
        priority=2,
        validate=_body(40),
    ),
    SecretRule(
        "scan/npm-token",
        "npm access token",
        r"(?<![A-Za-z0-9_])(?P<s>npm_[A-Za-z0-9]{36})" + _END,
        ("npm_",),
        priority=2,
        validate=_checksummed(36),
    ),
    SecretRule(
        "scan/pypi-token",
        "PyPI upload token",
        r"(?<![A-Za-z0-9_])(?P<s>pypi-AgE[A-Za-z0-9_\-]{50,})" + _END,
        ("pypi-AgE",),
        priority=2,
        validate=_body(50),
    ),
    SecretRule(
        "scan/databricks-token",
        "Databricks personal access token",
        r"(?<![A-Za-z0-9_])(?P<s>dapi[a-f0-9]{32}(?:-\d)?)" + _END,
        ("dapi",),
        priority=2,
        validate=_body(32),
    ),
    SecretRule(
        "scan/jwt",
        "JSON Web Token",
        r"(?<![A-Za-z0-9_\-])(?P<s>eyJ[A-Za-z0-9_\-]{10,}\.eyJ[A-Za-z0-9_\-]{10,}"
        r"\.[A-Za-z0-9_\-]{16,})" + _END,
        ("eyJ",),
        priority=2,
        validate=_body(40),
    ),
    SecretRule(
        "scan/url-password",
        "URL with an embedded password",
        r"(?<![A-Za-z0-9+.\-])[A-Za-z][A-Za-z0-9+.\-]{1,24}://[^\s:/@'\"<>`]{0,64}:"
        r"(?P<s>[^\s'\"<>`/]{3,128})@[A-Za-z0-9][A-Za-z0-9.\-_]*",
        ("://",),
        priority=4,
        validate=_password_group,
        back=_SCHEME,
    ),
    SecretRule(
        "scan/basic-auth-password",
        "password in an HTTP basic-auth pair: auth=(user, password)",
        r"""(?i:auth)\s*(?:=\s*)?\(\s*(?P<uq>['"])[^'"\n]{1,64}(?P=uq)\s*,\s*(?P<q>['"])"""
        r"""(?P<s>[^'"\n]{4,128})(?P=q)""",
        ("auth",),
        priority=5,
        validate=_auth_pair,
        ignore_case=True,
    ),
    SecretRule(
        "scan/netrc-password",
        ".netrc entry with a password",
        r"\b(?:machine\s+[\w.\-]+|default)\s+(?:login\s+\S+\s+)?password\s+(?P<s>\S{3,128})",
        ("machine", "default"),
        priority=3,
        validate=_password_group,
        # "default" is a common word: the raw prefilter looks for "password" + space instead
        raw_anchor=r"""password(?:[ \t]|\\[nrt]|",\s*")""",
    ),
    SecretRule(
        "scan/jupyter-token-url",
        "Jupyter server URL with its access token",
        r"(?i:https?://[^\s?'\"<>]*\?(?:[^\s'\"<>]*&)?token=)(?P<s>[A-Za-z0-9]{24,128})" + _END,
        ("token=",),
        priority=3,
        validate=_body(24),
        ignore_case=True,
        back=_URL + "?",
        start="http",
        raw_anchor=r"(?i)token=[A-Za-z0-9]{24}",
    ),
    SecretRule(
        "scan/auth-header",
        "Authorization header with a bearer or basic credential",
        r"(?i:\b(?:bearer|basic|token)\s+)(?P<s>[A-Za-z0-9_\-.~+/]{20,}={0,2})" + _END,
        ("bearer", "basic", "token "),
        priority=5,
        validate=_body(20),
        ignore_case=True,
        raw_anchor=r"""(?i)(?:bearer|basic|token)(?:\s|\\[nrt]|",\s*")+[A-Za-z0-9_\-.~+/]{20}""",
    ),
    SecretRule(
        "scan/url-query-secret",
        "secret passed as a URL query parameter",
        r"(?<=[?&])(?i:access_token|api_key|apikey|key|token|secret|client_secret|password)="
        r"(?P<s>[A-Za-z0-9_\-.~%]{16,200})" + _END,
        ("key=", "token=", "secret=", "password="),
        priority=6,
        validate=_body(16),
        ignore_case=True,
        back=_IDENT,
        raw_anchor=r"(?i)(?:key|token|secret|password)=[A-Za-z0-9_\-.~%]{16}",
    ),
    SecretRule(
        "scan/secret-assignment",
        "password, secret or token assigned a real-looking value",
        r"(?i:password|passwd|passphrase|pwd|pass|secret|token|key|credentials?)"
        r"""(?:['"]\]?|\b)\s*(?:=|:=|:|=>)(?!=)[ \t]*(?:(?P<q>['"])(?P<qv>[^'"\n]{1,256})(?P=q)"""
        r"""|(?P<uv>[^\s'"`,;#(){}\[\]<>]{1,256}))""",
        ("pass", "pwd", "secret", "token", "key", "credential"),
        priority=8,
        validate=_assignment,
        ignore_case=True,
        raw_anchor=r"(?i)(?:password|passwd|passphrase|pwd|pass|secret|token|key|credentials?)"
        r"""(?:\\"|['"])?\]?(?:[ \t]|\\[nrt]|",\s*")*[:=]""",
    ),
    SecretRule(
        "scan/high-entropy-string",
        "high-entropy string assigned in code (possible generic key)",
        r"""(?P<q>['"])(?P<s>[A-Za-z0-9+/_\-=.]{32,200})(?P=q)""",
        (),
        severity=Severity.WARNING,
        priority=9,
        validate=_entropy,
        anchor_regex=r"""['"][A-Za-z0-9+/_\-=.]{32}""",
        raw_anchor=_ENTROPY_RAW,
        raw_min_length=33,
    ),
    SecretRule(
        "scan/jupyter-no-token-cli",
        "Jupyter started with an empty token or password on the command line",
        r"""(?P<s>--(?:NotebookApp|ServerApp|IdentityProvider|PasswordIdentityProvider)\."""
        r"""(?:token|password)=(?:''|""|(?=\s|$)))""",
        ("App.token=", "App.password=", "Provider.token=", "Provider.password="),
        priority=3,
        back=_IDENT + "-",
        kind="configuration",
        help="Without a token or password anyone who reaches the port can run code as the "
        "server's user. Drop the empty `--...token=`/`--...password=` option so Jupyter "
        "generates a token, and keep the server bound to 127.0.0.1.",
        security_severity=8.8,
    ),
)

#: a guessing validator means more false positives: code scanning orders alerts by precision
_PRECISION: dict[Validator, str] = {
    _entropy: "low",
    _assignment: "medium",
    _password_group: "medium",
    _auth_pair: "medium",
}
_SECURITY_SEVERITY = {Severity.ERROR: 8.0, Severity.WARNING: 5.5, Severity.NOTE: 3.0}
_CREDENTIAL_TAGS = ("secret", "external/cwe/cwe-798")
_CONFIGURATION_TAGS = ("configuration", "jupyter", "external/cwe/cwe-306")


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
    precision = _PRECISION.get(rule.validate, "high") if rule.validate is not None else "high"
    if precision == "high" and rule.severity is not Severity.ERROR:
        precision = "medium"  # a warning-level detector is one that guesses more
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


#: who issued what the built-in rules find (where the finding says to rotate it)
_BUILTIN_PROVIDERS = {
    "scan/aws-access-key-id": "AWS IAM",
    "scan/aws-secret-access-key": "AWS IAM",
    "scan/github-token": "GitHub",
    "scan/github-fine-grained-token": "GitHub",
    "scan/gitlab-token": "GitLab",
    "scan/slack-token": "Slack",
    "scan/slack-webhook": "Slack",
    "scan/stripe-key": "Stripe",
    "scan/openai-key": "OpenAI",
    "scan/anthropic-key": "Anthropic",
    "scan/huggingface-token": "Hugging Face",
    "scan/google-api-key": "Google Cloud",
    "scan/google-oauth-client-secret": "Google Cloud",
    "scan/azure-storage-key": "Microsoft Azure",
    "scan/azure-sas-token": "Microsoft Azure",
    "scan/sendgrid-key": "SendGrid",
    "scan/npm-token": "npm",
    "scan/pypi-token": "PyPI",
    "scan/databricks-token": "Databricks",
}
_KEPT = "deleting it here is not enough: it stays in git history and in clones"


def advice(rule: SecretRule) -> str:
    """What to do about a finding: rotate the credential where it was issued."""
    if rule.kind == "configuration":
        return ""
    if rule.provider:
        return f"rotate it at {rule.provider}; {_KEPT}"
    if rule.severity is Severity.WARNING:
        return f"if it is a credential, rotate it where it was issued; {_KEPT}"
    return f"rotate it where it was issued; {_KEPT}"


def _with_provider(rule: SecretRule) -> SecretRule:
    provider = rule.provider or _BUILTIN_PROVIDERS.get(rule.id, "")
    return dataclasses.replace(rule, provider=provider) if provider != rule.provider else rule


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
    """The rule as the engine uses it: its finding message says what to do."""
    rule = dataclasses.replace(rule, validate=_guarded(rule.validate))
    text = advice(rule)
    return dataclasses.replace(rule, summary=f"{rule.summary} ({text})") if text else rule


#: every built-in rule as defined: the generic ones above, the provider table and the
#: context detectors (reports describe these; see :func:`as_rule`)
DEFINED_RULES: tuple[SecretRule, ...] = tuple(
    _with_provider(rule) for rule in (*_BUILTIN_RULES, *PROVIDER_RULES, *CONTEXT_RULES)
)
#: the same rules as the engine runs them
SECRET_RULES: tuple[SecretRule, ...] = tuple(_advised(rule) for rule in DEFINED_RULES)

register_rules(*(as_rule(rule) for rule in DEFINED_RULES))
