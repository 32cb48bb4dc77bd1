"""Accepted findings, keyed by content fingerprint (never by line, never the value)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from nbtools.errors import InputError
from nbtools.notebook import atomic_write

if TYPE_CHECKING:
    from nbtools.findings import Finding

VERSION = 1


def load_baseline(path: str) -> set[str]:
    """The fingerprints in a baseline file; a missing file is an empty baseline."""
    try:
        raw = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return set()
    except OSError as exc:
        raise InputError(path, f"cannot read baseline: {exc.strerror or exc}") from None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InputError(path, f"invalid baseline JSON: {exc.msg} at line {exc.lineno}") from None
    entries = data.get("findings") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise InputError(path, "not an nbtools scan baseline (no 'findings' list)")
    return {e["fingerprint"] for e in entries if isinstance(e, dict) and "fingerprint" in e}


def render_baseline(findings: Iterable[Finding]) -> str:
    """Baseline JSON: fingerprint, rule and path of each finding (sorted, stable)."""
    entries = {
        f.stable_fingerprint(): {
            "fingerprint": f.stable_fingerprint(),
            "rule": f.rule,
            "path": f.path,
        }
        for f in findings
    }
    data = {
        "tool": "nbtools scan",
        "version": VERSION,
        "findings": [entries[key] for key in sorted(entries)],
    }
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def write_baseline(path: str, findings: Iterable[Finding]) -> bool:
    """Write the baseline if its content changes; True if written."""
    text = render_baseline(findings)
    target = Path(path)
    try:
        if target.read_text(encoding="utf-8") == text:
            return False
    except OSError:
        pass
    atomic_write(target, text.encode("utf-8"))
    return True
