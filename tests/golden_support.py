"""Golden files (as nbclient's ``tests/files`` with ``normalize_output``): what nbtools writes,
byte for byte, once the parts that differ from machine to machine and run to run are
normalised. ``pytest --update-goldens`` (or ``NBTOOLS_UPDATE_GOLDENS=1``) rewrites them.

Only volatile parts are normalised, each by one rule below: absolute paths of the test's
folders and of this interpreter, versions, durations and clock times, host names, memory
addresses, commit ids, kernel connection files, ANSI colours and the file names IPython gives
cells in tracebacks. Everything else a user sees must stay exactly as checked in.
"""

from __future__ import annotations

import difflib
import os
import re
import sys
from pathlib import Path
from typing import Callable

import pytest

GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE_ENV = "NBTOOLS_UPDATE_GOLDENS"


#: (pattern, replacement), applied in order after the literal paths
_RULES: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    # ANSI colours, raw and as JSON escapes (IPython colours tracebacks by version)
    (re.compile(r"(?:\x1b|\\u001b)\[[0-9;]*m"), ""),
    # the file IPython compiles a cell into: /tmp/ipykernel_1234/567.py
    (re.compile(r"/[^\s\"']*/ipykernel_\d+/\d+\.py"), "<ipykernel-cell>"),
    # a kernel's connection file, as a dying kernel's banner names it
    (re.compile(r"/[^\s\"']*/kernel-[0-9a-f-]+\.json"), "<connection-file>"),
    (re.compile(r"\b0x[0-9a-fA-F]{6,16}\b"), "0x<address>"),
    (re.compile(r"\b[0-9a-f]{40}\b"), "<commit>"),
    # the shell `!` runs in names itself (IPython uses $SHELL, else sh): bash says
    # "/bin/bash: line 1: x: command not found", dash "/usr/bin/sh: 1: x: not found"
    (
        re.compile(r"(?:/[\w./-]*/)?\w*sh: (?:line )?\d+: ([\w.-]+): (?:command )?not found"),
        r"<shell>: \1: command not found",
    ),
    # durations: JSON fields, lists of them, and "(0.24 s)" / "in 5.9 s" in messages
    (re.compile(r'("(?:[a-z_]+_)?duration_s": )[0-9.e-]+'), r"\g<1>0.5"),
    (
        re.compile(r'("repeat_durations_s": \[)([^\]]*)(\])'),
        lambda m: m.group(1) + re.sub(r"[0-9.e-]+", "0.5", m.group(2)) + m.group(3),
    ),
    (re.compile(r"\((\d+(?:\.\d+)?) s\)"), "(0.5 s)"),
    (re.compile(r"\b(in|after) \d+(?:\.\d+)? s\b"), r"\1 0.5 s"),
    # JUnit: times, the clock and the machine
    (re.compile(r'\btime="[0-9.]+"'), 'time="0.500"'),
    (re.compile(r'\btimestamp="[^"]*"'), 'timestamp="<timestamp>"'),
    (re.compile(r'\bhostname="[^"]*"'), 'hostname="<hostname>"'),
]


class Normaliser:
    """Replaces what differs between machines and runs; see the module docstring."""

    def __init__(self, paths: dict[str, str | os.PathLike[str]] | None = None) -> None:
        import nbtools

        literal: dict[str, str] = {}
        # the longest first: the interpreter's path holds its prefix
        for name, path in {
            **{k: os.fspath(v) for k, v in (paths or {}).items()},
            "python": sys.executable,
            "prefix": sys.prefix,
        }.items():
            for form in {path, os.path.realpath(path)}:
                literal[form] = f"<{name}>"
                literal[Path(form).as_uri()] = f"file://<{name}>"
        self.literal = sorted(literal.items(), key=lambda item: -len(item[0]))
        self.versions = [
            (re.compile(rf"(?<![\w.]){re.escape(nbtools.__version__)}(?![\w.])"), "<nbtools>")
        ]

    def __call__(self, text: str) -> str:
        for value, name in self.literal:
            text = text.replace(value, name)
        for pattern, replacement in [*self.versions, *_RULES]:
            text = pattern.sub(replacement, text)
        return text


def updating(config: pytest.Config) -> bool:
    return bool(config.getoption("--update-goldens")) or os.environ.get(UPDATE_ENV) == "1"


def _diff(expected: str, actual: str, name: str) -> str:
    lines = difflib.unified_diff(
        expected.splitlines(keepends=True),
        actual.splitlines(keepends=True),
        f"golden/{name}",
        "actual",
    )
    shown = list(lines)[:80]
    return "".join(shown)


class Goldens:
    """Compare text with ``tests/golden/<name>``, or rewrite it under ``--update-goldens``."""

    def __init__(self, update: bool) -> None:
        self.update = update

    def check(self, name: str, actual: str) -> None:
        path = GOLDEN / name
        if self.update:
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists() or path.read_bytes() != actual.encode("utf-8"):
                path.write_bytes(actual.encode("utf-8"))
            return
        if not path.exists():
            pytest.fail(f"no golden tests/golden/{name}: run pytest --update-goldens and review")
        expected = path.read_bytes().decode("utf-8")
        if expected != actual:
            pytest.fail(
                f"output differs from tests/golden/{name} (pytest --update-goldens rewrites "
                f"it, if the change is intended):\n{_diff(expected, actual, name)}",
                pytrace=False,
            )


def golden_files(folder: str) -> set[str]:
    """The goldens under ``tests/golden/<folder>``, as names for :meth:`Goldens.check`."""
    return {p.relative_to(GOLDEN).as_posix() for p in (GOLDEN / folder).rglob("*") if p.is_file()}
