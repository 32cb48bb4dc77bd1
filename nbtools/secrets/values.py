"""Is this value a real-looking secret? Placeholders, hashes, ids and code are not.

These checks are what lets the keyword and entropy rules stay general: they judge the
shape of a value (alphabet, entropy, known non-secret forms), never particular values.
"""

from __future__ import annotations

import math
import re
from collections import Counter

#: substrings that mark a documentation placeholder rather than a value
_PLACEHOLDER_PARTS = (
    "your",
    "xxxx",
    "****",
    "...",
    "…",
    "<",
    ">",
    "${",
    "{{",
    "%(",
    "%s",
    "example",
    "placeholder",
    "changeme",
    "change_me",
    "change-me",
    "redacted",
    "dummy",
    "insert",
    "replace",
    "fixme",
    "todo",
    "secret_here",
    "here",
    "sample",
    "hidden",
    "masked",
)
_PLACEHOLDER_WORDS = frozenset(
    {
        "none",
        "null",
        "true",
        "false",
        "password",
        "passwd",
        "secret",
        "token",
        "apikey",
        "api_key",
        "required",
        "optional",
        "string",
        "str",
        "undefined",
        "empty",
        "default",
        "unknown",
    }
)
_HEX_RE = re.compile(r"[0-9a-fA-F]+")
_UUID_RE = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
# digests and password hashes (Jupyter's hashed_password is "argon2:..." or "sha1:...")
_HASH_PREFIX_RE = re.compile(
    r"(?i)^(?:sha\d*|md5|blake2\w*|sha3\w*|crc32|xxh\w*|argon2\w*|pbkdf2\w*|bcrypt|scrypt)[:=\-$]"
)
_IDENT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_NUMBER_RE = re.compile(r"[-+0-9.eE_,x]+")
_FILE_NAME_RE = re.compile(
    r"(?i)[\w\-./]+\.(?:json|pem|key|txt|ya?ml|cfg|ini|conf|p12|pfx|crt|cer|csv|env|toml|pub)"
)
#: a name as people write them: a word (one capital at most, then lower case and digits),
#: or several joined by ``-``, ``_`` or ``.`` (``Salesforce``, ``blip2-opt-2.7b``, ``s3bucket``)
_NAME_SEGMENT_RE = re.compile(r"[A-Za-z0-9][a-z0-9]*(?:[-_.][A-Za-z0-9][a-z0-9]*)*")
_IMAGE_MAGIC = ("iVBORw0KGgo", "/9j/", "R0lGOD", "UklGR", "PD94bWwg", "JVBERi0")


def entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    if not value:
        return 0.0
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())


def char_classes(value: str) -> int:
    """How many of lower case, upper case, digits and symbols occur."""
    lower = upper = digit = other = 0
    for ch in value:
        if ch.islower():
            lower = 1
        elif ch.isupper():
            upper = 1
        elif ch.isdigit():
            digit = 1
        else:
            other = 1
    return lower + upper + digit + other


def is_placeholder(value: str) -> bool:
    """Documentation values: ``YOUR_API_KEY``, ``<password>``, ``xxx``, ``sk-...``."""
    low = value.lower()
    if low.strip("'\"") in _PLACEHOLDER_WORDS:
        return True
    if any(part in low for part in _PLACEHOLDER_PARTS):
        return True
    # one character repeated (xxxxxxxx, 00000000) or a run of it taking half the value
    counts = Counter(low)
    return bool(counts) and counts.most_common(1)[0][1] * 2 > len(low)


def token_ok(value: str, min_len: int = 16) -> bool:
    """A fixed-format token: long enough, not a placeholder, not too repetitive."""
    if len(value) < min_len or is_placeholder(value):
        return False
    return entropy(value) >= 3.0


def password_ok(value: str) -> bool:
    """A password found in a URL or a ``.netrc`` entry."""
    if len(value) < 3 or is_placeholder(value):
        return False
    if value.startswith(("$", "%", "{", "[")):
        return False  # templating: $PASSWORD, %(password)s, {password}
    return not (value.isalpha() and value.lower() in {"pass", "pwd", "user", "username", "login"})


def pem_ok(body: str) -> bool:
    """A key block has a base64 body, not ``...`` or ``<your key>``."""
    text = body.replace("\\n", "\n").replace("\\r", "")
    return not is_placeholder(text.strip()[:40]) and entropy(text.strip()[:64]) >= 3.0


def looks_like_hash_or_id(value: str) -> bool:
    """Hex digests, commit SHAs, UUIDs, ``sha256:...`` digests and numbers."""
    if _UUID_RE.fullmatch(value) or _HASH_PREFIX_RE.match(value):
        return True
    if _NUMBER_RE.fullmatch(value):
        return True
    return bool(_HEX_RE.fullmatch(value)) and len(value) in (32, 40, 56, 64, 96, 128)


# --- keyword-anchored assignments -------------------------------------------------

#: the last part of a name that makes it a credential by itself
_STRONG = frozenset(
    {
        "password",
        "passwd",
        "passphrase",
        "pwd",
        "pass",
        "secret",
        "token",
        "apikey",
        "credential",
        "credentials",
    }
)
#: ``key`` counts only after one of these (api_key, secret_key, AccessKey ...)
_KEY_QUALIFIERS = frozenset(
    {
        "api",
        "access",
        "secret",
        "private",
        "signing",
        "encryption",
        "master",
        "client",
        "app",
        "account",
        "auth",
        "subscription",
        "service",
        "license",
        "consumer",
        "storage",
        "shared",
        "webhook",
        "x-api",
    }
)
#: a name with one of these parts holds something else (a hash, an id, a URL ...)
_NOT_SECRET_PARTS = frozenset(
    {
        "name",
        "names",
        "url",
        "uri",
        "endpoint",
        "path",
        "file",
        "dir",
        "header",
        "type",
        "id",
        "ids",
        "hash",
        "sha",
        "md5",
        "digest",
        "checksum",
        "length",
        "len",
        "size",
        "count",
        "expires",
        "expiry",
        "ttl",
        "env",
        "var",
        "field",
        "param",
        "prompt",
        "policy",
        "regex",
        "pattern",
        "format",
        "label",
        "hint",
    }
)
_KEYWORD_RE = re.compile(r"[A-Za-z]+")
_NAME_CHARS = re.compile(r"[A-Za-z0-9_.\-]*$")
_SPLIT_RE = re.compile(r"[_.\-]+|(?<=[a-z0-9])(?=[A-Z])")


def name_before(text: str, end: int) -> str:
    """The identifier (or dotted/dashed key) that ends at ``end``."""
    start = max(0, end - 80)
    match = _NAME_CHARS.search(text, start, end)
    return match.group() if match else ""


def name_parts(name: str) -> list[str]:
    """A name's parts, lower case: ``dbPassword`` and ``db-password`` are ``["db", "password"]``."""
    return [p.lower() for p in _SPLIT_RE.split(name) if p]


def credential_name(name: str) -> bool:
    """``db_password``, ``apiKey``, ``AWS_SECRET_ACCESS_KEY``, but not ``SECRET_NAME``."""
    parts = name_parts(name)
    if not parts:
        return False
    last = parts[-1]
    if any(p in _NOT_SECRET_PARTS for p in parts[1:]) and last not in _STRONG:
        return False
    if last in _STRONG:
        return not (len(parts) > 1 and parts[-2] in {"no", "max", "min", "num", "n"})
    if last == "key":
        return len(parts) > 1 and parts[-2] in _KEY_QUALIFIERS
    return False


def secret_value(match: re.Match[str]) -> tuple[str | None, int]:
    """The value a rule matched and where it starts (group ``s``, ``qv`` or ``uv``)."""
    for group in ("s", "qv", "uv"):
        try:
            value = match.group(group)
        except IndexError:
            continue
        if value is not None:
            return value, match.start(group)
    return None, -1


def assignment_ok(match: re.Match[str], text: str) -> bool:
    """A keyword assignment whose name is a credential and whose value looks real."""
    keyword = _KEYWORD_RE.match(text, match.start())
    keyword_end = keyword.end() if keyword else match.start()
    name = name_before(text, keyword_end)
    if not credential_name(name):
        return False
    # the keyword must start a name part (token, db_token, dbToken), not end a word (monkey)
    kw_start = match.start()
    if kw_start > keyword_end - len(name):
        prev, first = text[kw_start - 1], text[kw_start]
        camel = (prev.islower() or prev.isdigit()) and first.isupper()
        if prev.isalnum() and not camel and name.lower() not in _STRONG:
            return False
    quoted = match.group("qv")
    value = quoted if quoted is not None else match.group("uv")
    if value is None:
        return False
    return real_value(value, quoted is not None)


def real_value(value: str, quoted: bool) -> bool:
    """A credential value (not code, a placeholder, a path, a hash or a word)."""
    if len(value) < 8 or len(value) > 200:
        return False
    if any(ch.isspace() for ch in value) or is_placeholder(value):
        return False
    if "://" in value or value.startswith(("/", "~", "./", "../", "$", "%", "@", "&", "*")):
        return False
    if _FILE_NAME_RE.fullmatch(value):
        return False  # a key *file* (credentials.json, id_rsa.pem), not a key
    if _UUID_RE.fullmatch(value) or _NUMBER_RE.fullmatch(value) or _HASH_PREFIX_RE.match(value):
        return False
    classes = char_classes(value)
    if not quoted:
        if "(" in value or "[" in value:
            return False
        if _IDENT_RE.fullmatch(value) and (classes < 3 or "." in value):
            return False  # a variable or attribute, not a literal
    ent = entropy(value)
    if _HEX_RE.fullmatch(value):
        return len(value) >= 16 and ent >= 3.0
    if classes >= 3:
        return ent >= 2.8
    return classes >= 2 and len(value) >= 16 and ent >= 3.3


# --- the generic entropy rule -----------------------------------------------------


def looks_like_path_or_slug(value: str) -> bool:
    """Model ids, dataset slugs, run paths and file paths: ``org/blip2-opt-2.7b-fp16``.

    A ``/``-separated value (without base64's ``+`` or padding) whose first segment reads
    as a name. A random base64 key rarely starts with a name-like segment before its first
    ``/`` (mixed case and symbols come in almost at once), so keys are still found.
    """
    if "/" not in value or "+" in value or value.endswith("="):
        return False
    first = value.lstrip("./").split("/", 1)[0]
    return len(first) >= 3 and bool(_NAME_SEGMENT_RE.fullmatch(first))


def high_entropy_ok(match: re.Match[str], text: str) -> bool:
    """A long random-looking literal in an assignment or call: a key nobody named."""
    value = match.group("s")
    if value.startswith(_IMAGE_MAGIC) or looks_like_hash_or_id(value):
        return False
    if looks_like_path_or_slug(value):
        return False
    if _HEX_RE.fullmatch(value) or is_placeholder(value):
        return False
    if "." in value and value.count(".") >= 1 and not value.startswith("eyJ"):
        # dotted names, file names, versions, domains
        parts = value.split(".")
        if all(p.isidentifier() or p.isdigit() for p in parts):
            return False
    if char_classes(value.replace("-", "").replace("_", "")) < 3:
        return False
    if sum(ch.isdigit() for ch in value) < 2:
        return False  # CamelCaseIdentifiersAndWords are not keys
    # only literals that are assigned, passed or used as a mapping value
    before = match.start() - 1
    while before >= 0 and text[before] in " \t":
        before -= 1
    if before < 0 or text[before] not in "=:(":
        return False
    name = name_before(text, _assign_start(text, before))
    parts = name_parts(name)
    if any(p in _NOT_SECRET_PARTS for p in parts):
        return False
    return entropy(value) >= 4.2


def _assign_start(text: str, pos: int) -> int:
    """Back over spaces and a closing quote to where the name before ``=``/``:`` ends."""
    end = pos
    while end > 0 and text[end - 1] in " \t'\"":
        end -= 1
    return end
