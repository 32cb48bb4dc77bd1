"""Map JSON paths to line numbers in the file on disk, for findings that name a line.

Neither parser says where a value sat in the file, and a finding is most useful at its line
on disk. Positions are only computed for files that have something to report, so a plain
regex tokenizer is fast enough and keeps the hot path (parsing) free of position tracking.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Tuple, Union

from nbtools.findings import Finding, Where

if TYPE_CHECKING:
    from nbtools.notebook.io import NotebookFile

JsonPath = Tuple[Union[str, int], ...]

# strings use the "unrolled loop" form: about 2.5x faster than (?:[^"\\]|\\.)*
_TOKEN_RE = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[{}\[\]:,]|[^\s{}\[\]:,"]+')


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


def locate_findings(findings: list[Finding], nbfile: NotebookFile) -> None:
    """Fill in ``json_line`` (the line on disk) where a finding has none yet."""
    if nbfile.major != 4:
        return  # v3 cells live under worksheets; the cell property still locates them
    lines = LineMap(nbfile.text)
    for finding in findings:
        if finding.json_line is not None:
            continue
        if finding.cell_index is None:
            if finding.where in (Where.METADATA, Where.NOTEBOOK):
                finding.json_line = lines.line("metadata")
            continue
        finding.json_line = _cell_line(lines, finding)


def _cell_line(lines: LineMap, finding: Finding) -> int | None:
    index = finding.cell_index
    assert index is not None
    if finding.where is Where.OUTPUT:
        found = None
        if finding.output_index is not None:
            found = lines.line("cells", index, "outputs", finding.output_index)
        return found or lines.line("cells", index, "outputs") or lines.line("cells", index)
    if finding.where is Where.METADATA:
        return lines.line("cells", index, "metadata") or lines.line("cells", index)
    if finding.rule == "strip/execution-count":
        return lines.line("cells", index, "execution_count") or lines.line("cells", index)
    if finding.line is not None and finding.where in (Where.SOURCE, Where.MARKDOWN, Where.RAW):
        return lines.source_line(index, finding.line)
    return lines.line("cells", index)
