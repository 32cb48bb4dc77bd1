"""How a provider row becomes a rule: the two row builders every family module uses.

* :func:`prefixed`: a token whose shape names its issuer (``shpat_`` + 32 hex, ``PMAK-`` ...).
  The prefix is the literal anchor; when it is short (``SK``, ``sl.``) the raw-file
  prefilter gets the whole token regex instead (:func:`loosen`), so that short anchors do
  not make every notebook a candidate.
* :func:`keyed`: a value without a prefix (a 32-hex Datadog key, a 40-character Cohere key)
  found only beside the provider's name: ``DATADOG_API_KEY = "..."``,
  ``cohere.Client(api_key="...")``, ``"twilio_auth_token": "..."``. The provider keyword
  is the anchor; names that hold an id, URL, hash or name are not credentials.
"""

from __future__ import annotations

import re

from nbtools.findings import Severity
from nbtools.secrets.ruledef import SecretRule, Validator
from nbtools.secrets.tokens import TOKEN_END, TOKEN_START, token_validator
from nbtools.secrets.values import name_before, name_parts, token_ok

#: a keyed value ends where a base64 alphabet ends
_KEND = r"(?![A-Za-z0-9_\-+/])"
#: between a name and its value: ``=``, ``:``, ``=>``, ``,`` or a call ``(`` with an
#: optional keyword argument (``Client(api_key="...")``), then an optional quote
_SEP = (
    r"""(?:['"]\]?|\])?[ \t]*(?:=|:=|:|=>|,|\()[ \t]*"""
    r"""(?:[A-Za-z_][A-Za-z0-9_]{0,24}[ \t]*=[ \t]*)?(?:[rbuRBU]?['"])?"""
)
#: a name with one of these parts holds something that is not a secret
_NOT_SECRET = frozenset(
    {
        "id",
        "ids",
        "url",
        "uri",
        "endpoint",
        "host",
        "hostname",
        "domain",
        "name",
        "path",
        "file",
        "dir",
        "sha",
        "hash",
        "digest",
        "md5",
        "checksum",
        "version",
        "region",
        "site",
        "env",
        "public",
        "pub",
        "publishable",
        "user",
        "username",
        "email",
        "org",
        "project",
        "team",
        "model",
        "dataset",
        "run",
        "sweep",
        "entity",
        "size",
        "count",
        "len",
        "length",
        "type",
        "format",
        "label",
        "field",
        "param",
        "prompt",
        "pattern",
        "regex",
        "hint",
        "header",
        "var",
        "group",
        "trace",
        "span",
        "commit",
        "revision",
        "build",
        "job",
        "etag",
    }
)
#: the characters of a URL, walked back over from an anchor inside one (a webhook's host)
URL_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-:/_"


def _cap(match: re.Match[str]) -> str:
    low = min(int(match.group(1)), 8)
    return (
        f"{{{low},}}" if match.group(2) is not None or low < int(match.group(1)) else match.group()
    )


def loosen(regex: str) -> str:
    """A superset of ``regex`` that hyperscan compiles fast: counted repeats become at least
    ``min(n, 8)`` (large counted repeats cost seconds to compile)."""
    return re.sub(r"\{(\d+)(,\d*)?\}", _cap, regex)


def _keyed_check(min_len: int) -> Validator:
    """The value of a keyed row: its name holds a secret and it is a literal token."""

    def check(match: re.Match[str], text: str) -> bool:
        name = name_before(text, match.end("n"))
        if any(part in _NOT_SECRET for part in name_parts(name)):
            return False
        value = match.group("s")
        begin = match.start("s")
        quoted = begin > 0 and text[begin - 1] in "'\""
        code_like = "_" in value or value.islower()
        if not quoted and code_like and value.isidentifier() and not any(map(str.isdigit, value)):
            return False  # a variable (api_key = my_cohere_key), not a literal
        return token_ok(value, min_len)

    return check


def prefixed(
    rule_id: str,
    provider: str,
    what: str,
    regex: str,
    anchors: tuple[str, ...],
    sample: str,
    *,
    severity: Severity = Severity.ERROR,
    min_len: int = 16,
    checksum: bool = False,
    validate: Validator | None = None,
    lookbehind: str = TOKEN_START,
    end: str = TOKEN_END,
    back: str = "",
    start: str = "",
    priority: int = 2,
) -> SecretRule:
    """A row for a token whose prefix names its issuer; the token is checked as a token
    (:func:`~nbtools.secrets.tokens.token_validator`) unless the row has its own check."""
    short = min(len(a) for a in anchors) < 4
    return SecretRule(
        f"scan/{rule_id}",
        what,
        f"{lookbehind}(?P<s>{regex}){end}",
        anchors,
        severity=severity,
        priority=priority,
        validate=validate or token_validator(min_len, checksum),
        back=back,
        start=start,
        raw_anchor=loosen(regex) if short else "",
        boundary=lookbehind == TOKEN_START and not back,
        provider=provider,
        sample=sample,
    )


def keyed(
    rule_id: str,
    provider: str,
    what: str,
    keywords: tuple[str, ...],
    value: str,
    sample: str,
    *,
    severity: Severity = Severity.ERROR,
    min_len: int = 16,
) -> SecretRule:
    """A row for a value found only beside one of the provider's ``keywords`` (any case):
    the name it is assigned to must not hold an id, URL or hash, the value must be a literal."""
    names = "|".join(re.escape(k) for k in keywords)
    return SecretRule(
        f"scan/{rule_id}",
        what,
        rf"(?P<n>(?i:{names})[A-Za-z0-9_.\-]{{0,40}}?){_SEP}(?P<s>{value}){_KEND}",
        tuple(k.lower() for k in keywords),
        severity=severity,
        priority=4,
        validate=_keyed_check(min_len),
        ignore_case=True,
        provider=provider,
        precision="medium",  # a shape beside a name: likelier to be something else
        sample=sample,
    )
