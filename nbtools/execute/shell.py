"""Shell commands in cells (``!cmd``, ``%pip``, a ``%%bash`` cell) and what their outputs
say about them: a failed command is no exception, so the run has to look for it.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

from nbtools.notebook import multiline

_NOT_FOUND_RE = re.compile(
    r"(?m)^(?:(?:/bin/|/usr/bin/)?(?:ba|da|z)?sh: (?:line )?\d*:? ?)?([\w.+-]+): "
    r"(?:command )?not found\s*$"
)
_SHELL_LINE_RE = re.compile(r"^\s*(?:!|%(?:pip|conda|mamba|system|sx)\b)(.*)$")
_SHELL_CELL_RE = re.compile(r"^\s*%%(?:bash|sh|script|system)\b")


def shell_commands(source: str) -> list[str]:
    """The shell commands of a cell (``!cmd``, ``%pip``, a ``%%bash`` cell), in order."""
    lines = source.splitlines()
    while lines and not lines[0].strip():  # IPython drops blank lines before a cell magic
        lines.pop(0)
    if lines and _SHELL_CELL_RE.match(lines[0]):
        body = [line.strip() for line in lines[1:] if line.strip()]
        return [f"{lines[0].strip()}: {body[-1]}" if body else lines[0].strip()]
    found = []
    for line in lines:
        match = _SHELL_LINE_RE.match(line)
        if match:
            found.append(line.strip())
    return found


def shell_not_found(outputs: Iterable[dict[str, Any]]) -> list[str]:
    """Commands a shell said it could not find (``sh: 1: git: not found``)."""
    names: list[str] = []
    for output in outputs:
        if output.get("output_type") == "stream":
            for name in _NOT_FOUND_RE.findall(multiline(output.get("text"))):
                if name not in names:
                    names.append(name)
    return names
