"""Secrets without a prefix, found by how notebooks pass them.

A password has no shape; what gives it away is where it is written: after ``sshpass -p``,
glued to mysql's ``-p``, as the second half of ``curl -u user:pass``, after ``--token`` in a
``!`` or ``%%bash`` line, in a ``kaggle.json`` or a docker ``config.json`` printed by
``!cat``, in an HTML table next to (or under) a column called ``password``, HTML-escaped in
a ``text/html`` output, or quoted in an error message (``... with password 'x'``). Each
rule here anchors on that context and judges the value with :func:`cli_secret_ok` (or
``real_value``), never on particular values.

Also here: documented example keys (AWS's ``AKIAIOSFODNN7EXAMPLE``, Stripe's test keys,
jwt.io's token ...), which every rule ignores.
"""

from __future__ import annotations

import base64
import binascii
import re

from nbtools.findings import Severity
from nbtools.secrets.ruledef import SecretRule
from nbtools.secrets.values import (
    char_classes,
    credential_name,
    is_placeholder,
    real_value,
)

#: keys and tokens printed in providers' documentation: never findings
DOCUMENTED_EXAMPLES = frozenset(
    {
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "AKIAI44QH8DHBEXAMPLE",
        "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
        "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
        "pk_test_TYooMQauvdEDq54NiTphI7jx",
        "sk_test_BQokikJOvBiI2HlWgH4olfQ2",
        "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
        "gho_16C7e42F292c6912E7710c838347Ae178B4a",
        "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwi"
        "aWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
        "AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe",
        "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",
    }
)

_HOST_RE = re.compile(r"(?:[a-z0-9](?:[a-z0-9\-]{0,62}[a-z0-9])?\.)+[a-z]{2,24}\.?", re.I)


def looks_like_host(value: str) -> bool:
    """A DNS name (``abc123.eu-west-1.snowflakecomputing.com``): an address, not a key."""
    return bool(_HOST_RE.fullmatch(value))


_NOT_START = ("$", "%", "{", "<", "-", "/", "~", "`", "(", "@", "&", "*")


def cli_secret_ok(value: str) -> bool:
    """A password or token given on a command line: not a variable, flag or placeholder."""
    if not 6 <= len(value) <= 200 or value.startswith(_NOT_START) or is_placeholder(value):
        return False
    if value.lower() in {"stdin", "prompt", "changeit", "secret", "password", "admin123"}:
        return False
    return char_classes(value) >= 2 or len(value) >= 12


def _cli(match: re.Match[str], _text: str) -> bool:
    return cli_secret_ok(match.group("s"))


# a command line, with backslash continuations, up to the flag that carries the secret
_LINE = r"(?:[^\n;&|]|\\\n){0,400}?"
_QV = r"""(?P<q>['"]?)(?P<s>[^\s'"]{4,200})(?P=q)(?![^\s;&|)])"""


#: in the raw JSON a command line is one string: quotes are escaped, newlines are ``\n``
_RAW_LINE = r'(?:[^"\n\\]|\\.)*'


def _cli_rule(
    rule_id: str, summary: str, pattern: str, anchors: tuple[str, ...], raw: str = ""
) -> SecretRule:
    return SecretRule(
        f"scan/{rule_id}",
        summary,
        pattern,
        anchors,
        priority=3,
        validate=_cli,
        raw_anchor=raw,
        precision="medium",
    )


def _kaggle(match: re.Match[str], text: str) -> bool:
    around = text[max(0, match.start() - 200) : match.end() + 200]
    return '"username"' in around and real_value(match.group("s"), quoted=True)


def _docker_auth(match: re.Match[str], _text: str) -> bool:
    value = match.group("s")
    try:
        decoded = base64.b64decode(value + "=" * (-len(value) % 4), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return False
    user, sep, password = decoded.partition(":")
    return bool(sep and user and decoded.isprintable()) and cli_secret_ok(password)


_CELL_RE = re.compile(r"<t([dh])[^>]{0,200}>\s*(.*?)\s*</t[dh]>", re.S | re.I)
_NAME_OK = re.compile(r"[A-Za-z_][A-Za-z0-9_.\- ]{0,60}")


def _header_is_credential(text: str) -> bool:
    text = re.sub(r"<[^>]*>", "", text).strip()
    return bool(_NAME_OK.fullmatch(text)) and credential_name(text.replace(" ", "_"))


#: a table has a cell named like a credential (the html-table rule needs one)
_NAMED_CELL = r"<t[dh][^>]{0,200}>\s*[a-z0-9_.\- ]{0,40}(?:pass|pwd|secret|token|key|credential)"


def _html_cell(match: re.Match[str], text: str) -> bool:
    """A table cell whose row label (the cell before) or column header names a credential."""
    if not real_value(match.group("s"), quoted=True):
        return False
    row_start = max(text.rfind("<tr", 0, match.start()), text.rfind("<TR", 0, match.start()))
    if row_start == -1:
        return False
    before = _CELL_RE.findall(text, row_start, match.start())
    if before and _header_is_credential(before[-1][1]):
        return True  # a key/value table: | api_key | abc... |
    table = max(text.rfind("<table", 0, row_start), text.rfind("<TABLE", 0, row_start))
    head = text.find("<tr", table if table != -1 else 0, row_start + 1)
    if head in (-1, row_start):
        return False
    head_end = text.find("</tr>", head)
    header = _CELL_RE.findall(text, head, head_end if head_end != -1 else head + 4000)
    column = len(before)
    return column < len(header) and _header_is_credential(header[column][1])


_ENTITY_QUOTE = r"&(?:quot|#0?34|#0?39|#x27|apos);"
_ASSIGN_BEFORE = re.compile(
    r"([A-Za-z_][A-Za-z0-9_.\-]{0,60})(?:&quot;|&#0?39;|&#x27;|['\"])?\]?\s*(?:=|:)\s*$"
)


def _html_escaped(match: re.Match[str], text: str) -> bool:
    found = _ASSIGN_BEFORE.search(text, max(0, match.start() - 90), match.start())
    return bool(found and credential_name(found.group(1))) and real_value(
        match.group("s"), quoted=True
    )


_NAME_LIKE = re.compile(r"[a-z][a-z0-9]*(?:[\-_.][a-z0-9]+)+")


def _prose(match: re.Match[str], _text: str) -> bool:
    """Prose quotes names too (the token 'bert-base-uncased'): a secret mixes letters and
    digits and is not a lower-case dashed name."""
    value = match.group("s")
    if _NAME_LIKE.fullmatch(value) or "/" in value:
        return False
    has_digit = any(c.isdigit() for c in value)
    return has_digit and any(c.isalpha() for c in value) and real_value(value, quoted=True)


CONTEXT_RULES: tuple[SecretRule, ...] = (
    _cli_rule(
        "cli-sshpass",
        "password on an sshpass command line",
        rf"sshpass\b{_LINE}[ \t]-p[ \t]*{_QV}",
        ("sshpass",),
    ),
    _cli_rule(
        "cli-mysql-password",
        "password glued to mysql's -p flag",
        rf"(?:mysql|mysqldump|mysqladmin|mariadb|mysqlimport)\b{_LINE}[ \t]-p{_QV}",
        ("mysql", "mariadb"),
        r"(?:mysql|mariadb)" + _RAW_LINE + r"[ \t]-p[^ \t\\\\]",
    ),
    _cli_rule(
        "cli-curl-user",
        "password in curl -u/--user user:password",
        rf"""(?:curl|http|https|wget)\b{_LINE}[ \t](?:-u|--user|-a|--auth)(?:[ \t]+|=)"""
        r"""(?P<q>['"]?)[^\s:'"]{1,64}:(?P<s>[^\s'"]{4,200})(?P=q)(?![^\s;&|)])""",
        ("curl", "http", "wget"),
        r"(?:curl|https?|wget)" + _RAW_LINE + r"[ \t](?:-u|--user|-a|--auth)[ \t=]",
    ),
    _cli_rule(
        "cli-login-password",
        "password or token on a registry or CLI login command line",
        rf"login\b{_LINE}[ \t](?:-p|--password|--token|-t|--secret)(?:[ \t]+|=){_QV}",
        ("login",),
        r"login" + _RAW_LINE + r"[ \t](?:-p|--password|--token|-t|--secret)[ \t=]",
    ),
    SecretRule(
        "scan/cli-wandb-login",
        "Weights & Biases API key on a wandb login command line",
        r"wandb[ \t]+login[ \t]+(?:--relogin[ \t]+)?(?:--host[ \t=]\S+[ \t]+)?"
        r"""(?P<q>['"]?)(?P<s>(?:local-)?[a-f0-9]{40})(?P=q)(?![A-Za-z0-9])""",
        ("wandb",),
        priority=2,
        validate=_cli,
        ignore_case=True,
        provider="Weights & Biases",
    ),
    _cli_rule(
        "cli-redis-password",
        "password on a redis-cli command line",
        rf"redis-cli\b{_LINE}[ \t](?:-a|--pass|--askpass-no)[ \t]+{_QV}",
        ("redis-cli",),
        r"redis-cli" + _RAW_LINE + r"[ \t](?:-a|--pass)[ \t]",
    ),
    _cli_rule(
        "cli-sqlcmd-password",
        "password on a sqlcmd/bcp command line",
        rf"(?:sqlcmd|bcp)\b{_LINE}[ \t]-P[ \t]*{_QV}",
        ("sqlcmd", "bcp"),
        r"(?:sqlcmd|bcp)" + _RAW_LINE + r"[ \t]-P",
    ),
    _cli_rule(
        "cli-ldap-password",
        "bind password on an ldapsearch/ldapmodify command line",
        rf"ldap(?:search|modify|add|delete|passwd|whoami)\b{_LINE}[ \t]-w[ \t]*{_QV}",
        ("ldap",),
        r"ldap" + _RAW_LINE + r"[ \t]-w",
    ),
    _cli_rule(
        "cli-smb-password",
        "password in smbclient -U user%password",
        rf"""(?:smbclient|rpcclient|smbmap)\b{_LINE}[ \t]-U[ \t]*(?P<q>['"]?)[^\s%'"]{{1,64}}%"""
        r"""(?P<s>[^\s'"]{4,200})(?P=q)""",
        ("smbclient", "rpcclient", "smbmap"),
    ),
    _cli_rule(
        "cli-htpasswd",
        "password on an htpasswd -b command line",
        r"""htpasswd[ \t]+-\w*b\w*[ \t]+(?:-\w+[ \t]+)*\S+[ \t]+\S+[ \t]+"""
        r"""(?P<q>['"]?)(?P<s>[^\s'"]{4,200})(?P=q)""",
        ("htpasswd",),
    ),
    _cli_rule(
        "cli-mongo-password",
        "password on a mongo/mongosh command line",
        rf"mongo(?:sh|dump|restore|export|import)?\b{_LINE}[ \t](?:-p|--password)(?:[ \t]+|=){_QV}",
        ("mongo",),
        r"mongo" + _RAW_LINE + r"[ \t](?:-p|--password)[ \t=]",
    ),
    _cli_rule(
        "cli-password-flag",
        "password, token or key passed as a command-line flag",
        r"--(?:password|passwd|pass|token|api-key|apikey|api_key|secret|client-secret"
        rf"|auth-token|access-token|secret-key|access-key-secret)[ \t]+{_QV}",
        (
            "--pass",
            "--token",
            "--api-key",
            "--apikey",
            "--api_key",
            "--secret",
            "--client-secret",
            "--auth-token",
            "--access-token",
            "--secret-key",
            "--access-key-secret",
        ),
    ),
    _cli_rule(
        "cli-password-env",
        "password in a client's environment variable (PGPASSWORD, SSHPASS, REDISCLI_AUTH)",
        r"(?<![A-Za-z0-9_])(?:PGPASSWORD|SSHPASS|REDISCLI_AUTH|LDAPPASSWORD|ISQLPASSWORD)"
        rf"""['"]?\]?[ \t]*(?:=|:)[ \t]*{_QV}""",
        ("PGPASSWORD", "SSHPASS", "REDISCLI_AUTH", "LDAPPASSWORD", "ISQLPASSWORD"),
    ),
    SecretRule(
        "scan/kaggle-json-key",
        "Kaggle API key (kaggle.json)",
        r""""key"[ \t]*:[ \t]*"(?P<s>[a-f0-9]{32})\"""",
        ('"key"',),
        priority=2,
        validate=_kaggle,
        raw_anchor=r'\\?"key\\?"[ \t]*:[ \t]*\\?"[a-f0-9]{32}',
        provider="Kaggle",
    ),
    SecretRule(
        "scan/docker-config-auth",
        "registry credentials in a docker config.json auths entry (base64 user:password)",
        r""""?auth"?[ \t]*:[ \t]*"?(?P<s>[A-Za-z0-9+/]{8,400}={0,2})(?![A-Za-z0-9+/=])""",
        ('"auth"', "auth:"),
        priority=3,
        validate=_docker_auth,
        ignore_case=True,
        raw_anchor=r'(?i)auth\\?"?[ \t]*:[ \t]*\\?"?[A-Za-z0-9+/]{8}',
        provider="the container registry",
    ),
    SecretRule(
        "scan/html-table-secret",
        "credential in an HTML table cell (row or column named like a credential)",
        r"<td[^>]{0,200}>\s*(?P<s>[^<\s]{8,200})\s*</td>",
        ("<td",),
        priority=6,
        validate=_html_cell,
        ignore_case=True,
        requires=_NAMED_CELL,
        # a necessary condition: some cell is named like a credential
        raw_anchor=r"(?i)<t[dh][^>]*>(?:\s|\\n)*[A-Za-z0-9_.\- ]*"
        r"(?:pass|pwd|secret|token|key|credential)",
        precision="medium",
    ),
    SecretRule(
        "scan/html-escaped-secret",
        "credential assigned in HTML-escaped code (text/html output)",
        rf"{_ENTITY_QUOTE}(?P<s>[^&<\s]{{8,200}}){_ENTITY_QUOTE}",
        ("&quot;", "&#39;", "&#039;", "&#x27;", "&apos;", "&#34;"),
        priority=6,
        validate=_html_escaped,
        ignore_case=True,
        raw_anchor=r"(?i)(?:&quot;|&#0?3[49];|&#x27;|&apos;)[^&<\s]{8}",
        precision="medium",
    ),
    SecretRule(
        "scan/quoted-secret-in-message",
        "password, token or key quoted in a message or error (... with password 'x')",
        r"""(?i:password|passwd|passphrase|token|api[ _\-]?key|secret|credentials?)"""
        r"""[ \t]+(?:is[ \t]+|was[ \t]+|of[ \t]+)?(?P<q>['"`])(?P<s>[^'"`\s]{8,128})(?P=q)""",
        (
            "password",
            "passwd",
            "passphrase",
            "token",
            "api key",
            "api_key",
            "api-key",
            "apikey",
            "secret",
            "credential",
        ),
        severity=Severity.WARNING,
        priority=7,
        validate=_prose,
        ignore_case=True,
        raw_anchor=r"""(?i)(?:password|passwd|passphrase|token|api[ _\-]?key|secret|credential)s?"""
        r"""[ \t]+(?:is[ \t]+|was[ \t]+|of[ \t]+)?(?:\\"|'|`)[^'"`\s]{8}""",
        precision="medium",
    ),
)
