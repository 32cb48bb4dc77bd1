"""Scan what git holds rather than the working tree: the index (``--staged``) and history.

* ``--staged``: the blobs in the index for the paths staged for the next commit. The index
  holds what ``git add`` stored, after any clean filter (``nbtools install`` strips outputs
  there), so this is exactly what the commit will contain.
* ``--history [RANGE]``: every notebook and script blob that a commit in ``RANGE`` (default
  ``HEAD``) added or changed, read with one ``git log --raw`` and one ``git cat-file
  --batch``. A blob is scanned once however many commits share it, and a secret is reported
  once per path, at the oldest commit that introduced it: an output committed once and
  stripped later is still found, with the commit to rewrite.

Core module: raises :class:`~nbtools.errors.UsageError` when git is missing or the range is
bad; never prints.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator, Sequence

from nbtools.errors import UsageError

if TYPE_CHECKING:
    from nbtools.secrets.scanner import Outcome

_SKIP_MODES = ("160000", "120000")  # submodules and symbolic links hold no text to scan


@dataclass
class Blob:
    """One blob to scan: its id, the repository path it was at, and the commit (or index)."""

    sha: str
    path: str  # relative to the repository root, with forward slashes
    commit: str | None = None
    time: int = 0  # commit time; 0 for the index


def _git(root: str, *args: str, stdin: bytes | None = None) -> bytes:
    try:
        proc = subprocess.run(
            ["git", *args], cwd=root, input=stdin, capture_output=True, check=False
        )
    except FileNotFoundError:
        raise UsageError("git is not installed: --staged and --history read a repository") from None
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise UsageError(f"git {args[0]}: {message[-1] if message else 'failed'}")
    return proc.stdout


def repo_root(start: str) -> str:
    """The top of the work tree that holds ``start`` (a usage error outside one)."""
    folder = start if os.path.isdir(start) else os.path.dirname(os.path.abspath(start))
    try:
        out = _git(folder or ".", "rev-parse", "--show-toplevel")
    except UsageError:
        raise UsageError(f"{start}: not inside a git repository") from None
    return out.decode("utf-8").strip()


def _pathspecs(root: str, paths: Sequence[str]) -> list[str]:
    """Literal pathspecs (relative to the root) for the paths asked about."""
    specs: list[str] = []
    for path in paths or ["."]:
        rel = os.path.relpath(os.path.abspath(path), root).replace(os.sep, "/")
        if rel.startswith(".."):
            raise UsageError(f"{path}: outside the repository at {root}")
        specs.append(f":(literal){rel}")
    return specs


def _scanned(path: bytes | str) -> bool:
    from nbtools.secrets.scanner import scanned_name

    text = path.decode("utf-8", "surrogateescape") if isinstance(path, bytes) else path
    return scanned_name(text)


def staged_blobs(root: str, paths: Sequence[str]) -> list[Blob]:
    """Index blobs of the files added, copied, modified or renamed for the next commit."""
    specs = _pathspecs(root, paths)
    names = _git(
        root, "diff", "--cached", "--name-only", "-z", "--diff-filter=ACMRT", "--", *specs
    ).split(b"\0")
    wanted = [n for n in names if n and _scanned(n)]
    if not wanted:
        return []
    out = _git(root, "ls-files", "-s", "-z", "--", *(f":(literal){n.decode()}" for n in wanted))
    blobs = []
    for record in out.split(b"\0"):
        if not record:
            continue
        meta, _, name = record.partition(b"\t")
        mode, sha, stage = meta.decode().split()
        if stage == "0" and mode not in _SKIP_MODES:
            blobs.append(Blob(sha, name.decode("utf-8", "surrogateescape")))
    return blobs


def history_blobs(root: str, rev_range: str, paths: Sequence[str]) -> tuple[list[Blob], int]:
    """(the oldest introduction of each distinct (blob, path), number of commits)."""
    if rev_range.startswith("-"):
        raise UsageError(f"--history {rev_range}: a revision range, not an option")
    specs = _pathspecs(root, paths)
    out = _git(
        root,
        "log",
        "--format=%x01%H %ct",
        "-m",
        "--raw",
        "--no-abbrev",
        "--no-renames",
        "--diff-filter=AMTC",
        "-z",
        rev_range,
        "--",
        *specs,
    )
    oldest: dict[tuple[str, str], Blob] = {}
    commits = 0
    commit, when = "", 0
    tokens = iter(out.split(b"\0"))
    for raw_token in tokens:
        token = raw_token.lstrip(b"\n")
        if token.startswith(b"\x01"):
            sha, _, stamp = token[1:].decode().partition(" ")
            commit, when = sha, int(stamp or 0)
            commits += 1
            continue
        if not token.startswith(b":"):
            continue
        fields = token[1:].decode().split()
        path = next(tokens, b"").decode("utf-8", "surrogateescape")
        if len(fields) < 5 or fields[1] in _SKIP_MODES or not _scanned(path):
            continue
        key = (fields[3], path)
        known = oldest.get(key)
        if known is None or when <= known.time:  # git log lists newest first
            oldest[key] = Blob(fields[3], path, commit, when)
    return sorted(oldest.values(), key=lambda b: (b.time, b.path)), commits


def read_blobs(root: str, shas: Sequence[str]) -> Iterator[tuple[str, bytes]]:
    """(sha, content) for each blob, from one ``git cat-file --batch``."""
    distinct = list(dict.fromkeys(shas))
    if not distinct:
        return
    out = _git(root, "cat-file", "--batch", stdin="".join(f"{s}\n" for s in distinct).encode())
    pos = 0
    for _ in distinct:
        end = out.index(b"\n", pos)
        header = out[pos:end].decode().split()
        if len(header) < 3 or header[1] == "missing":
            pos = end + 1
            continue
        size = int(header[2])
        yield header[0], out[end + 1 : end + 1 + size]
        pos = end + 1 + size + 1


def scan_blobs(root: str, blobs: Sequence[Blob], base: str | None = None) -> list[Outcome]:
    """Scan each distinct blob once; one outcome per (blob, path), oldest first.

    Paths are shown relative to the current directory, like a working-tree scan's;
    fingerprints are relative to ``base`` (the baseline's root), as for files.
    """
    from nbtools.secrets.scanner import ACCELERATE_MIN_FILES, scan_bytes

    accelerate = len(blobs) >= ACCELERATE_MIN_FILES
    by_sha: dict[str, list[Blob]] = {}
    for blob in blobs:
        by_sha.setdefault(blob.sha, []).append(blob)
    scanned: list[tuple[Blob, Outcome]] = []
    for sha, raw in read_blobs(root, list(by_sha)):
        for blob in by_sha[sha]:
            shown = os.path.relpath(os.path.join(root, blob.path))
            outcome = scan_bytes(shown, raw, accelerate=accelerate, root=base)
            if blob.commit:  # the file list names each version
                outcome.path = f"{shown}@{blob.commit[:12]}"
            for finding in outcome.findings:
                if blob.commit:
                    finding.extra["commit"] = blob.commit
                    finding.message = f"in commit {blob.commit[:12]}: {finding.message}"
                else:
                    finding.extra["staged"] = True
            scanned.append((blob, outcome))
    scanned.sort(key=lambda item: (item[0].time, item[0].path))
    return [outcome for _, outcome in scanned]


def first_seen(outcomes: Sequence[Outcome]) -> list[Outcome]:
    """Keep each secret once per path: at the oldest commit (outcomes come oldest first)."""
    seen: set[str] = set()
    for outcome in outcomes:
        kept = []
        for finding in outcome.findings:
            key = finding.stable_fingerprint()
            if key not in seen:
                seen.add(key)
                kept.append(finding)
        outcome.findings = kept
    return list(outcomes)


def scan_git(
    paths: Sequence[str], staged: bool, history: str | None, base: str | None = None
) -> tuple[list[Outcome], dict[str, object]]:
    """Outcomes for ``--staged`` or ``--history`` and a summary for the report."""
    if staged and history is not None:
        raise UsageError("--staged and --history cannot be combined")
    if history is not None and ".." not in history and os.path.exists(history):
        # `nbtools scan --history notebooks/`: argparse took the path for the range
        paths = [history, *(p for p in paths if p != ".")]
        history = "HEAD"
    root = repo_root(paths[0] if paths else ".")
    if staged:
        blobs = staged_blobs(root, paths)
        summary: dict[str, object] = {"mode": "staged"}
    else:
        blobs, commits = history_blobs(root, history or "HEAD", paths)
        summary = {"mode": "history", "range": history or "HEAD", "commits": commits}
    summary["blobs"] = len({b.sha for b in blobs})
    outcomes = scan_blobs(root, blobs, base)
    if not staged:
        outcomes = first_seen(outcomes)
        for outcome in outcomes:  # an old broken version is history, not a usage error
            if outcome.error is not None:
                outcome.skipped, outcome.error = f"unreadable: {outcome.error}", None
        # thousands of clean versions would drown the report: their count is in the summary
        outcomes = [o for o in outcomes if o.findings or o.skipped]
    return outcomes, summary
