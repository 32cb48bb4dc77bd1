"""Scan plain text files: paired ``.py`` scripts, shell scripts, ``.env`` and env files."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nbtools.findings import Finding, Where, content_digest
from nbtools.secrets.envfiles import scan_env_file
from nbtools.secrets.masking import fingerprint, key_path, secret_finding
from nbtools.suppress import suppress_in_text

if TYPE_CHECKING:
    from nbtools.secrets.engine import Engine


def is_binary(raw: bytes) -> bool:
    """A NUL byte in the first 8 KiB: not text (git uses the same test)."""
    return b"\0" in raw[:8192]


def scan_text(path: str, text: str, engine: Engine, root: str | None = None) -> list[Finding]:
    """Findings in one text file; lines are file lines (``line`` and ``json_line`` agree)."""
    findings: list[Finding] = []
    lines = text.splitlines()
    for hit in engine.scan([text]):
        findings.append(
            secret_finding(path, root, hit, where=Where.FILE, line=hit.line, json_line=hit.line)
        )
    for finding in scan_env_file(path, text):
        line_text = lines[finding.line - 1] if finding.line and finding.line <= len(lines) else ""
        # a configuration finding has no value: its place (rule and line text) stands in
        old = finding.stable_fingerprint()
        finding.fingerprint = fingerprint(key_path(path, root), finding.rule, line_text.strip())
        finding.aliases = () if old == finding.fingerprint else (old,)
        finding.content_hash = content_digest(line_text)
        findings.append(finding)
    suppress_in_text(findings, text)
    return findings
