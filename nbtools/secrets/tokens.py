"""What the token rules of every table share: where a token ends, and how its value is checked.

The core rules (:mod:`nbtools.secrets.core_rules`) and the provider rows
(:mod:`nbtools.secrets.providers`) both match fixed-format tokens; their boundary, the URL
scheme alphabet walked back over from ``://`` and the GitHub/npm checksum are written once
here, so the two tables cannot drift apart.
"""

from __future__ import annotations

import binascii
from typing import TYPE_CHECKING

from nbtools.secrets.values import token_ok

if TYPE_CHECKING:
    import re

    from nbtools.secrets.ruledef import Validator

#: a token starts after none of these (regex lookbehind)
TOKEN_START = r"(?<![A-Za-z0-9_\-])"
#: a token ends where its alphabet ends (regex lookahead)
TOKEN_END = r"(?![A-Za-z0-9_\-])"
#: the characters of a URL scheme (``mongodb+srv``), walked back over from ``://``
SCHEME_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-"
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def base62_crc32(text: str) -> str:
    """GitHub's and npm's token checksum: CRC32 of the random part, base62, 6 digits."""
    value = binascii.crc32(text.encode("ascii"))
    digits = ""
    while value:
        value, rem = divmod(value, 62)
        digits = _BASE62[rem] + digits
    return digits.rjust(6, "0")


def crc32_token_ok(token: str) -> bool:
    """A ``ghp_``/``npm_``-style token whose last six characters check its random part."""
    body = token.split("_", 1)[-1]
    return len(body) == 36 and body.isalnum() and base62_crc32(body[:30]) == body[30:]


def token_validator(min_len: int = 16, checksum: bool = False) -> Validator:
    """A fixed-format token (group ``s``): long enough, not a placeholder, random enough.

    With ``checksum``, a valid CRC32 checksum (GitHub, npm) proves a token whatever its
    entropy: a checksum says more than entropy can.
    """

    def check(match: re.Match[str], _text: str) -> bool:
        value = match.group("s")
        return (checksum and crc32_token_ok(value)) or token_ok(value, min_len)

    return check
