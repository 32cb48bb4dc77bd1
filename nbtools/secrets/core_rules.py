"""The core rules: the most common token formats first, keyword-anchored rules last.

Every rule names literal anchors (a token's prefix, a keyword). The engine finds them
with plain substring search and tries the rule's regex only where one occurs (walking
back over ``back`` characters when the match starts before the anchor, e.g. the scheme
before ``://``); that is what keeps one pass cheap. The regex marks the secret with the
group ``s``; validators reject placeholders, hashes and other look-alikes, so the rules
stay general instead of knowing any particular corpus. A rule whose validator guesses
(keyword assignments, URL passwords, high entropy) says so in its ``precision``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nbtools.findings import Severity
from nbtools.secrets.context import looks_like_host
from nbtools.secrets.ruledef import SecretRule
from nbtools.secrets.tokens import SCHEME_CHARS, TOKEN_END, token_validator
from nbtools.secrets.values import (
    assignment_ok,
    high_entropy_ok,
    password_ok,
    pem_ok,
    real_value,
)

if TYPE_CHECKING:
    import re


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


_Q = r"""['"]?"""
_IDENT = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"
_URL = SCHEME_CHARS + "_:/@%=&~!$*,;[]"

# The entropy rule needs a quoted run of 32+ key characters with one outside hex digits and
# dashes (hex digests and UUIDs are never findings); in the raw JSON the quote may be \".
# The length (quote + 32) is hyperscan's min_length, see ``raw_min_length``.
_ENTROPY_RAW = r"""(?:\\"|')[0-9a-f_\-]*[g-zA-Z+/=.][A-Za-z0-9+/_\-=.]*"""

CORE_RULES: tuple[SecretRule, ...] = (
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
        validate=token_validator(16),
        provider="AWS IAM",
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
        validate=token_validator(40),
        ignore_case=True,
        provider="AWS IAM",
    ),
    SecretRule(
        "scan/github-token",
        "GitHub token (classic personal access, OAuth, app or refresh token)",
        r"(?<![A-Za-z0-9_])(?P<s>gh[pousr]_[A-Za-z0-9]{36,251})" + TOKEN_END,
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
        priority=2,
        validate=token_validator(36, checksum=True),
        provider="GitHub",
    ),
    SecretRule(
        "scan/github-fine-grained-token",
        "GitHub fine-grained personal access token",
        r"(?<![A-Za-z0-9_])(?P<s>github_pat_[A-Za-z0-9_]{50,251})" + TOKEN_END,
        ("github_pat_",),
        priority=2,
        validate=token_validator(50),
        provider="GitHub",
    ),
    SecretRule(
        "scan/gitlab-token",
        "GitLab token (personal, deploy, runner, pipeline trigger)",
        r"(?<![A-Za-z0-9_])(?P<s>gl(?:pat|dt|rt|ptt|cbt|oas|ft|imt|agent)-[A-Za-z0-9_\-]{20,64})"
        + TOKEN_END,
        ("glpat-", "gldt-", "glrt-", "glptt-", "glcbt-", "gloas-", "glft-", "glimt-", "glagent-"),
        priority=2,
        validate=token_validator(20),
        provider="GitLab",
    ),
    SecretRule(
        "scan/slack-token",
        "Slack token",
        r"(?<![A-Za-z0-9])(?P<s>xox[abposre]-(?:\d+-)+[A-Za-z0-9]{16,64}"
        r"|xapp-\d-[A-Z0-9]+-\d+-[a-f0-9]{32,})" + TOKEN_END,
        ("xox", "xapp-"),
        priority=2,
        validate=token_validator(20),
        provider="Slack",
    ),
    SecretRule(
        "scan/slack-webhook",
        "Slack incoming webhook URL",
        r"(?P<s>https?://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_]+"
        r"/[A-Za-z0-9_]+/[A-Za-z0-9_/]+)",
        ("hooks.slack.com",),
        priority=2,
        validate=token_validator(30),
        back=SCHEME_CHARS + ":/",
        start="http",
        provider="Slack",
    ),
    SecretRule(
        "scan/stripe-key",
        "Stripe secret or restricted key",
        r"(?<![A-Za-z0-9_])(?P<s>(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,247})" + TOKEN_END,
        ("sk_live_", "sk_test_", "rk_live_", "rk_test_"),
        priority=2,
        validate=token_validator(16),
        provider="Stripe",
    ),
    SecretRule(
        "scan/openai-key",
        "OpenAI API key",
        r"(?<![A-Za-z0-9_\-])(?P<s>sk-(?:(?:proj|svcacct|admin|None)-)?[A-Za-z0-9_\-]{16,200}"
        r"T3BlbkFJ[A-Za-z0-9_\-]{16,200}|sk-(?:proj|svcacct|admin)-[A-Za-z0-9_\-]{40,250})"
        + TOKEN_END,
        ("sk-",),
        priority=2,
        validate=token_validator(32),
        provider="OpenAI",
    ),
    SecretRule(
        "scan/anthropic-key",
        "Anthropic API key",
        r"(?<![A-Za-z0-9_\-])(?P<s>sk-ant-(?:api|admin)\d\d-[A-Za-z0-9_\-]{80,120})" + TOKEN_END,
        ("sk-ant-",),
        priority=1,
        validate=token_validator(40),
        provider="Anthropic",
    ),
    SecretRule(
        "scan/huggingface-token",
        "Hugging Face access token",
        r"(?<![A-Za-z0-9_])(?P<s>(?:hf_|api_org_)[A-Za-z0-9]{30,40})" + TOKEN_END,
        ("hf_", "api_org_"),
        priority=2,
        validate=token_validator(30),
        provider="Hugging Face",
    ),
    SecretRule(
        "scan/google-api-key",
        "Google API key",
        r"(?<![A-Za-z0-9_\-])(?P<s>AIza[A-Za-z0-9_\-]{35})" + TOKEN_END,
        ("AIza",),
        priority=2,
        validate=token_validator(35),
        provider="Google Cloud",
    ),
    SecretRule(
        "scan/google-oauth-client-secret",
        "Google OAuth client secret",
        r"(?<![A-Za-z0-9_\-])(?P<s>GOCSPX-[A-Za-z0-9_\-]{28})" + TOKEN_END,
        ("GOCSPX-",),
        priority=2,
        validate=token_validator(28),
        provider="Google Cloud",
    ),
    SecretRule(
        "scan/azure-storage-key",
        "Azure storage or Service Bus key (connection string)",
        r"(?i:AccountKey|SharedAccessKey)=(?P<s>[A-Za-z0-9+/]{40,100}={0,2})",
        ("accountkey=", "sharedaccesskey="),
        priority=2,
        validate=token_validator(40),
        ignore_case=True,
        provider="Microsoft Azure",
    ),
    SecretRule(
        "scan/azure-sas-token",
        "Azure shared access signature",
        r"(?:SharedAccessSignature=|(?<=[?&;])sig=)(?P<s>[A-Za-z0-9%+/]{30,120}(?:%3D|=){0,2})",
        ("SharedAccessSignature=", "sig="),
        priority=3,
        validate=token_validator(30),
        provider="Microsoft Azure",
    ),
    SecretRule(
        "scan/sendgrid-key",
        "SendGrid API key",
        r"(?<![A-Za-z0-9_])(?P<s>SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43})" + TOKEN_END,
        ("SG.",),
        priority=2,
        validate=token_validator(40),
        provider="SendGrid",
    ),
    SecretRule(
        "scan/npm-token",
        "npm access token",
        r"(?<![A-Za-z0-9_])(?P<s>npm_[A-Za-z0-9]{36})" + TOKEN_END,
        ("npm_",),
        priority=2,
        validate=token_validator(36, checksum=True),
        provider="npm",
    ),
    SecretRule(
        "scan/pypi-token",
        "PyPI upload token",
        r"(?<![A-Za-z0-9_])(?P<s>pypi-AgE[A-Za-z0-9_\-]{50,})" + TOKEN_END,
        ("pypi-AgE",),
        priority=2,
        validate=token_validator(50),
        provider="PyPI",
    ),
    SecretRule(
        "scan/databricks-token",
        "Databricks personal access token",
        r"(?<![A-Za-z0-9_])(?P<s>dapi[a-f0-9]{32}(?:-\d)?)" + TOKEN_END,
        ("dapi",),
        priority=2,
        validate=token_validator(32),
        provider="Databricks",
    ),
    SecretRule(
        "scan/jwt",
        "JSON Web Token",
        r"(?<![A-Za-z0-9_\-])(?P<s>eyJ[A-Za-z0-9_\-]{10,}\.eyJ[A-Za-z0-9_\-]{10,}"
        r"\.[A-Za-z0-9_\-]{16,})" + TOKEN_END,
        ("eyJ",),
        priority=2,
        validate=token_validator(40),
    ),
    SecretRule(
        "scan/url-password",
        "URL with an embedded password",
        r"(?<![A-Za-z0-9+.\-])[A-Za-z][A-Za-z0-9+.\-]{1,24}://[^\s:/@'\"<>`]{0,64}:"
        r"(?P<s>[^\s'\"<>`/]{3,128})@[A-Za-z0-9][A-Za-z0-9.\-_]*",
        ("://",),
        priority=4,
        validate=_password_group,
        back=SCHEME_CHARS,
        precision="medium",  # the validator guesses
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
        precision="medium",  # the validator guesses
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
        precision="medium",  # the validator guesses
    ),
    SecretRule(
        "scan/jupyter-token-url",
        "Jupyter server URL with its access token",
        r"(?i:https?://[^\s?'\"<>]*\?(?:[^\s'\"<>]*&)?token=)(?P<s>[A-Za-z0-9]{24,128})"
        + TOKEN_END,
        ("token=",),
        priority=3,
        validate=token_validator(24),
        ignore_case=True,
        back=_URL + "?",
        start="http",
        raw_anchor=r"(?i)token=[A-Za-z0-9]{24}",
    ),
    SecretRule(
        "scan/auth-header",
        "Authorization header with a bearer or basic credential",
        r"(?i:\b(?:bearer|basic|token)\s+)(?P<s>[A-Za-z0-9_\-.~+/]{20,}={0,2})" + TOKEN_END,
        ("bearer", "basic", "token "),
        priority=5,
        validate=token_validator(20),
        ignore_case=True,
        raw_anchor=r"""(?i)(?:bearer|basic|token)(?:\s|\\[nrt]|",\s*")+[A-Za-z0-9_\-.~+/]{20}""",
    ),
    SecretRule(
        "scan/url-query-secret",
        "secret passed as a URL query parameter",
        r"(?<=[?&])(?i:access_token|api_key|apikey|key|token|secret|client_secret|password)="
        r"(?P<s>[A-Za-z0-9_\-.~%]{16,200})" + TOKEN_END,
        ("key=", "token=", "secret=", "password="),
        priority=6,
        validate=token_validator(16),
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
        precision="medium",  # the validator guesses
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
        precision="low",  # the validator guesses
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
