"""Map JSON paths to line numbers in the file on disk.

Only computed for files that have something to report, so a plain regex tokenizer
is fast enough and keeps the hot path (parsing with orjson) free of position tracking.
"""

from __future__ import annotations

import re
from typing import Tuple, Union

JsonPath = Tuple[Union[str, int], ...]

_TOKEN_RE = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]|[^\s{}\[\]:,"]+')


def value_lines(text: str) -> dict[JsonPath, int]:
    """Return the 1-based line on which each value of the document starts."""
    lines: dict[JsonPath, int] = {}
    # stack entries: [container kind, current key or index, expecting key?]
    stack: list[list[object]] = []
    path: list[str | int] = []
    line = 1
    last = 0
    pending_key = False
    for match in _TOKEN_RE.finditer(text):
        start = match.start()
        line += text.count("\n", last, start)
        last = start
        tok = match.group()
        first = tok[0]
        if first == ",":
            if stack and stack[-1][0] == "[":
                path[-1] = int(path[-1]) + 1  # type: ignore[call-overload]
            elif stack:
                pending_key = True
            continue
        if first == ":":
            continue
        if first in "}]":
            stack.pop()
            if path:
                path.pop()
            pending_key = False
            continue
        if pending_key and first == '"':
            # an object key
            key = _unquote(tok)
            path[-1] = key
            pending_key = False
            continue
        # a value starts here
        lines[tuple(path)] = line
        if first == "{":
            stack.append(["{"])
            path.append("")
            pending_key = True
        elif first == "[":
            stack.append(["["])
            path.append(0)
    return lines


def _unquote(token: str) -> str:
    if "\\" not in token:
        return token[1:-1]
    import json

    value = json.loads(token)
    return value if isinstance(value, str) else token[1:-1]


class LineMap:
    """Lazy lookup of disk lines for one notebook's text."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._lines: dict[JsonPath, int] | None = None

    def line(self, *path: str | int) -> int | None:
        """The line where the value at ``path`` starts, or None if absent."""
        if self._lines is None:
            self._lines = value_lines(self._text)
        return self._lines.get(tuple(path))

    def source_line(self, cell_index: int, line_in_cell: int, key: str = "source") -> int | None:
        """The disk line of a cell's source line (1-based), for list or string sources."""
        if self._lines is None:
            self._lines = value_lines(self._text)
        found = self._lines.get(("cells", cell_index, key, line_in_cell - 1))
        if found is None:
            found = self._lines.get(("cells", cell_index, key))
        return found
