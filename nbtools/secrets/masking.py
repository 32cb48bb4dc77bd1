"""Show a secret without revealing it, and fingerprint it for baselines.

The full value never leaves the scanner: reports carry the masked form, baselines a
salted SHA-256 of path, rule and value (not reversible, and not line-based, so moving a
cell does not invalidate a baseline).
"""

from __future__ import annotations

import hashlib

_PEM_PREFIX = "-----BEGIN"


def mask(value: str) -> str:
    """First and last few characters; fewer for short secrets, none below 8 characters."""
    if value.startswith(_PEM_PREFIX):
        return value.split("\n", 1)[0][:60] + "..."
    n = len(value)
    if n < 8:
        return "*" * 3
    show = 4 if n >= 24 else (2 if n >= 12 else 1)
    return f"{value[:show]}...{value[-show:]}"


def fingerprint(path: str, rule: str, value: str) -> str:
    """A content fingerprint: the same secret in the same file keeps it wherever it moves."""
    key = "\0".join(("nbtools-scan-v1", path.replace("\\", "/"), rule, value))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
