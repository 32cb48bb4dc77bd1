"""Accepted findings, keyed by content fingerprint (never by line, never the value).

Fingerprints and the paths beside them are relative to the baseline's root: the repository
that holds the baseline file, or the baseline's folder outside git. So a baseline written in
``repo/`` accepts the same findings when used as ``nbtools scan --baseline repo/.b.json repo``
from anywhere. Version 1 baselines (paths as given on the command line) keep working: a
finding also carries the fingerprint it had then (:attr:`Finding.aliases`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

from nbtools.errors import READ_ERRORS, InputError, read_failure
from nbtools.notebook import atomic_write
from nbtools.secrets.masking import key_path

if TYPE_CHECKING:
    from nbtools.config import Config
    from nbtools.findings import Finding

VERSION = 2


def baseline_root(baseline: str | None, paths: Sequence[str] = ()) -> str:
    """What fingerprint paths are relative to: the repository holding the baseline (else the
    baseline's folder); without a baseline, the repository of the inputs (else the cwd)."""
    from nbtools.discovery import git_root

    if baseline:
        folder = os.path.dirname(os.path.abspath(baseline))
        return git_root(folder) or folder
    from nbtools.config import common_start

    start = common_start(list(paths) or ["."])
    if not os.path.isdir(start):
        start = os.path.dirname(start)
    return git_root(start) or os.getcwd()


def load_baseline(path: str) -> set[str]:
    """The fingerprints in a baseline file; a missing file is an empty baseline."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return set()
    except READ_ERRORS as exc:
        raise InputError(path, f"unreadable baseline ({read_failure(exc)})") from None
    entries = data.get("findings") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise InputError(path, "not an nbtools scan baseline (no 'findings' list)")
    return {e["fingerprint"] for e in entries if isinstance(e, dict) and "fingerprint" in e}


def render_baseline(findings: Iterable[Finding], root: str | None = None) -> str:
    """Baseline JSON: fingerprint, rule and (root-relative) path of each finding (sorted)."""
    entries = {
        f.stable_fingerprint(): {
            "fingerprint": f.stable_fingerprint(),
            "rule": f.rule,
            "path": key_path(f.path, root),
        }
        for f in findings
    }
    data = {
        "tool": "nbtools scan",
        "version": VERSION,
        "findings": [entries[key] for key in sorted(entries)],
    }
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def write_baseline(path: str, findings: Iterable[Finding], root: str | None = None) -> bool:
    """Write the baseline if its content changes; True if written."""
    text = render_baseline(findings, root)
    target = Path(path)
    try:
        if target.read_text(encoding="utf-8") == text:
            return False
    except OSError:
        pass
    atomic_write(target, text.encode("utf-8"))
    return True


def configured_baseline(path: str, from_command_line: bool, config: Config) -> str:
    """The baseline file: as given on the command line, or from the configuration (relative
    to the ``pyproject.toml`` that names it, not to where nbtools was started)."""
    if path and not from_command_line and config.path is not None and not os.path.isabs(path):
        path = os.path.join(config.root_dir, path)
    return path
