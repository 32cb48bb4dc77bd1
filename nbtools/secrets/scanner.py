"""Scan files (notebooks, scripts, env files) one by one or, for big batches, in processes."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from nbtools.errors import InputError, read_failure
from nbtools.notebook import (
    BOM,
    NBFORMAT_LAYOUT,
    NotebookFile,
    check_structure,
    decode,
    loads_notebook,
    parse_json,
)
from nbtools.secrets.engine import default_engine
from nbtools.secrets.notebook_scan import scan_notebook
from nbtools.secrets.text_scan import is_binary, scan_text

if TYPE_CHECKING:
    from nbtools.findings import Finding
    from nbtools.secrets.engine import Engine

#: every file ``nbtools scan`` covers, as a path regex: the directory walk uses it on names and
#: the published pre-commit hook's ``files`` is this same pattern (a test keeps them equal)
SCANNED_FILES = (
    r"(^|/)([^/]*\.(ipynb|py|sh|bash|env)|\.env(\.[^/]*)?|[^/]*[.\-_]?[Dd]ockerfile"
    r"|(Dockerfile|Containerfile)(\.[^/]*)?|[^/]*sshd_config(\.[^/]*)?)$"
)
_SCANNED_RE = re.compile(SCANNED_FILES)


def scanned_name(name: str) -> bool:
    """Whether a directory walk scans a file of this name."""
    return _SCANNED_RE.search(name) is not None


#: below these a process pool costs more than it saves (fork, pickling findings back)
PARALLEL_MIN_FILES = 200
PARALLEL_MIN_BYTES = 8 * 1024 * 1024
#: below this many files (and bytes) compiling the hyperscan databases (about 0.1 s for the
#: whole rule table) costs more than the pure path's anchor pass (about 0.3 s a MB)
ACCELERATE_MIN_FILES = 100
ACCELERATE_MIN_BYTES = 512 * 1024


@dataclass
class Outcome:
    """One file's result: findings, and the reason it could not be scanned as what it is (a
    notebook that cannot be parsed still has the findings of its raw text)."""

    path: str
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None
    skipped: str | None = None
    nbfile: NotebookFile | None = None  # kept for --fix (not sent between processes)


def scan_path(
    path: str, keep: bool = False, accelerate: bool = False, root: str | None = None
) -> Outcome:
    """Read ``path`` once and scan it as a notebook (``.ipynb``) or as text.

    Fingerprints use the path relative to ``root`` (the repository or the baseline's folder).
    """
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        return Outcome(path, error=read_failure(exc))
    return scan_bytes(path, raw, keep, accelerate, root)


def scan_bytes(
    path: str, raw: bytes, keep: bool = False, accelerate: bool = False, root: str | None = None
) -> Outcome:
    """Scan content already read (a file, or a git blob for ``--staged``/``--history``)."""
    engine = default_engine(accelerate)
    if path.endswith(".ipynb"):
        return _scan_notebook_file(path, raw, engine, keep, root)
    if is_binary(raw):
        return Outcome(path, skipped="binary file")
    # a text file in another encoding is still scanned: credentials are ASCII
    return Outcome(
        path, scan_text(path, raw.decode("utf-8", "replace").lstrip("\ufeff"), engine, root)
    )


def _scan_notebook_file(
    path: str, raw: bytes, engine: Engine, keep: bool, root: str | None
) -> Outcome:
    """A notebook; one that cannot be parsed or walked (broken JSON, malformed structure) is
    an error for its file, and its raw text is scanned all the same, reported by file line,
    so a secret in a malformed notebook is still found."""
    try:
        nbfile = loads_notebook(raw, path) if keep else _parse_only(raw, path)
    except InputError as exc:
        return _raw_fallback(path, raw, engine, root, exc.reason)
    if not engine.may_match(raw):  # parsed all the same: a broken file is an error
        return Outcome(path, nbfile=nbfile if keep else None)
    try:
        findings = scan_notebook(nbfile, engine, root)
    except (TypeError, AttributeError, KeyError, ValueError, RecursionError) as exc:
        reason = f"malformed notebook structure ({type(exc).__name__})"
        return _raw_fallback(path, raw, engine, root, reason)
    return Outcome(path, findings, nbfile=nbfile if keep else None)


def _raw_fallback(path: str, raw: bytes, engine: Engine, root: str | None, reason: str) -> Outcome:
    if is_binary(raw):
        return Outcome(path, error=reason)
    text = raw.decode("utf-8", "replace").lstrip("\ufeff")
    findings = scan_text(path, text, engine, root)
    if findings:
        reason += f"; its raw text was scanned instead ({len(findings)} finding(s) by file line)"
    return Outcome(path, findings, error=reason)


def _parse_only(raw: bytes, path: str) -> NotebookFile:
    """Parse without detecting the file's layout: a scan never writes the notebook back."""
    text = decode(raw, path)
    if text.startswith(BOM):
        text = text[1:]
    if not text.strip():
        raise InputError(path, "empty file, not a notebook")
    nb = check_structure(parse_json(text, path), path)
    return NotebookFile(path=path, raw=raw, text=text, nb=nb, layout=NBFORMAT_LAYOUT)


def _scan_many(
    paths: Sequence[str], accelerate: bool = False, root: str | None = None
) -> list[Outcome]:
    return [scan_path(p, accelerate=accelerate, root=root) for p in paths]


def _total_size(paths: Sequence[str]) -> int:
    total = 0
    for path in paths:
        try:
            total += os.path.getsize(path)
        except OSError:
            pass
    return total


def scan_paths(paths: Sequence[str], jobs: int = 0, root: str | None = None) -> list[Outcome]:
    """Scan every path, in input order; ``jobs`` 0 means decide by batch size and cores."""
    workers = jobs if jobs > 0 else (os.cpu_count() or 1)
    small = len(paths) < PARALLEL_MIN_FILES
    total = _total_size(paths) if small else 0
    if jobs == 0 and small and total < PARALLEL_MIN_BYTES:
        workers = 1
    workers = min(workers, len(paths))
    accelerate = len(paths) >= ACCELERATE_MIN_FILES or total >= ACCELERATE_MIN_BYTES
    if workers <= 1:
        return _scan_many(paths, accelerate, root)
    # imported here: a small batch (a pre-commit call) never pays for them
    import functools
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    if "fork" not in multiprocessing.get_all_start_methods():
        return _scan_many(paths, accelerate, root)
    # a few chunks per worker balance uneven files without much pickling overhead
    size = max(1, -(-len(paths) // (workers * 4)))
    chunks = [list(paths[i : i + size]) for i in range(0, len(paths), size)]
    context = multiprocessing.get_context("fork")
    default_engine(accelerate)  # compile once; forked workers inherit it
    task = functools.partial(_scan_many, accelerate=accelerate, root=root)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        results = list(pool.map(task, chunks))
    return [outcome for chunk in results for outcome in chunk]
