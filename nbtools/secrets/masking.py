"""Show a secret without revealing it, and fingerprint it for baselines.

The full value never leaves the scanner: findings (:func:`secret_finding`) and reports carry
the masked form, baselines a salted SHA-256 of path, rule and value (not reversible, and not line-based, so moving a
cell does not invalidate a baseline).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from nbtools.findings import Finding, content_digest

if TYPE_CHECKING:
    from nbtools.secrets.engine import Hit

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
    import hashlib  # lazily: it loads OpenSSL, and most scans fingerprint nothing

    key = "\0".join(("nbtools-scan-v1", path.replace("\\", "/"), rule, value))
    # a file name that is not UTF-8 holds surrogate escapes: hash its real bytes
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:32]


def key_path(path: str, root: str | None) -> str:
    """The path that goes into a fingerprint: relative to ``root`` (the repository, or the
    baseline's folder outside git) so it does not depend on where nbtools was started."""
    if root is None:
        return os.path.normpath(path).replace("\\", "/")
    try:
        rel = os.path.relpath(os.path.abspath(path), root)
    except ValueError:  # another drive
        rel = os.path.abspath(path)
    return rel.replace("\\", "/")


def fingerprints(path: str, root: str | None, rule: str, value: str) -> tuple[str, tuple[str, ...]]:
    """The fingerprint from the root-relative path, and the one older baselines hold (from the
    path as given) when it differs."""
    new = fingerprint(key_path(path, root), rule, value)
    old = fingerprint(os.path.normpath(path), rule, value)
    return new, (() if old == new else (old,))


def secret_finding(path: str, root: str | None, hit: Hit, **place: Any) -> Finding:
    """The finding of a hit: its rule, the masked value, a digest and the fingerprints, never
    the value itself; ``place`` says where it is (``where``, ``line``, ``cell_index`` ...)."""
    fingerprint, aliases = fingerprints(path, root, hit.rule.id, hit.value)
    return Finding(
        path=path,
        rule=hit.rule.id,
        message=hit.rule.summary,
        severity=hit.rule.severity,
        masked=mask(hit.value),
        content_hash=content_digest(hit.value),
        fingerprint=fingerprint,
        aliases=aliases,
        **place,
    )
