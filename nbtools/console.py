"""Diagnostics on stderr, colour decisions and progress display."""

from __future__ import annotations

import os
import sys
from typing import IO, Any, Iterable, Iterator, TypeVar

T = TypeVar("T")

_CODES = {"red": "31", "green": "32", "yellow": "33", "blue": "34", "bold": "1", "dim": "2"}


def use_color(mode: str, stream: IO[str]) -> bool:
    """Decide colour from ``--color`` and the NO_COLOR / FORCE_COLOR conventions.

    ``always``/``never`` win; for ``auto``, NO_COLOR (any value) disables, FORCE_COLOR
    (non-empty, not ``0``) and pre-commit's PRE_COMMIT_COLOR=always enable, and
    otherwise colour is used on a terminal that is not ``TERM=dumb``.
    """
    if mode == "always":
        return True
    if mode == "never":
        return False
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR", "0") not in ("", "0"):
        return True
    pc_color = os.environ.get("PRE_COMMIT_COLOR")
    if pc_color in ("always", "never"):
        return pc_color == "always"
    return bool(getattr(stream, "isatty", lambda: False)()) and os.environ.get("TERM") != "dumb"


def interactive(stream: IO[str]) -> bool:
    """True on a terminal outside pre-commit and CI (where progress bars belong)."""
    if os.environ.get("PRE_COMMIT") == "1" or os.environ.get("CI"):
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


def one_line(text: str) -> str:
    """A diagnostic from the tree as one inert line: file names and messages may hold line
    breaks (a CI runner reads every line of a log as a possible command), terminal
    escapes or bytes that are not UTF-8; all are spelled out."""
    from nbtools.escape import defuse, visible

    return defuse(visible(text).replace("\r", "\\r").replace("\n", "\\n"))


class Console:
    """Where a command's diagnostics go; machine output is written by renderers."""

    def __init__(
        self,
        *,
        verbosity: int = 0,
        color: str = "auto",
        out: IO[str] | None = None,
        err: IO[str] | None = None,
    ) -> None:
        self.out = out if out is not None else sys.stdout
        self.err = err if err is not None else sys.stderr
        self.verbosity = verbosity
        self.color_out = use_color(color, self.out)
        self.color_err = use_color(color, self.err)

    def style(self, text: str, *styles: str, stream: str = "out") -> str:
        enabled = self.color_out if stream == "out" else self.color_err
        if not enabled or not styles:
            return text
        codes = ";".join(_CODES[s] for s in styles)
        return f"\x1b[{codes}m{text}\x1b[0m"

    def _emit(self, text: str) -> None:
        print(text, file=self.err, flush=True)

    def error(self, message: str) -> None:
        """Always shown: one line naming the file and the problem."""
        self._emit(self.style("error:", "red", "bold", stream="err") + " " + one_line(message))

    def warning(self, message: str) -> None:
        if self.verbosity >= 0:
            self._emit(self.style("warning:", "yellow", stream="err") + " " + one_line(message))

    def info(self, message: str) -> None:
        if self.verbosity >= 0:
            self._emit(one_line(message))

    def debug(self, message: str) -> None:
        if self.verbosity > 0:
            self._emit(self.style(one_line(message), "dim", stream="err"))

    def progress(self, items: Iterable[T], *, total: int, label: str) -> Iterator[T]:
        """Iterate with a progress bar on a terminal, plain lines in CI logs, or silently."""
        if self.verbosity < 0 or total <= 1:
            yield from items
            return
        if interactive(self.err):
            from tqdm import tqdm  # imported only when a bar is shown

            bar: Any = tqdm(items, total=total, desc=label, file=self.err, leave=False)
            try:
                yield from bar
            finally:
                bar.close()
            return
        yield from items
