"""Text from the tree made safe to show: control characters spelled out, and lines a CI
runner could take for a workflow command defused. The console and every renderer use it."""

from __future__ import annotations

#: C0 controls but tab and line breaks, DEL and the C1 controls (a terminal obeys some)
_CONTROLS = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F, *range(0x80, 0xA0))}
for _keep in (0x09, 0x0A, 0x0D):
    del _CONTROLS[_keep]


def visible(text: str) -> str:
    """``text`` with control characters and undecodable bytes shown as escapes.

    Strings from the tree (file names, messages, cell sources) may hold terminal escape
    sequences, or bytes that are not UTF-8 (a file name read with surrogate escapes,
    which no UTF-8 stream can write): both are spelled out (``\\x1b``, ``\\udcff``).
    Line breaks are left to each format's own escaping.
    """
    if text.isascii() and text.isprintable():
        return text
    return text.translate(_CONTROLS).encode("utf-8", "backslashreplace").decode("utf-8")


def defuse(line: str) -> str:
    """``line`` such that a CI runner cannot read it as a workflow command.

    GitHub's runner takes a log line (stdout or stderr, whatever the format) for a
    command when, trimmed, it starts with ``::``, or when it holds the older ``##[``
    form; a file name can be made to do either. Those two spellings are percent-escaped.
    """
    if "##[" in line:
        line = line.replace("##[", "##%5B")
    stripped = line.lstrip()
    if stripped.startswith("::"):
        line = line[: len(line) - len(stripped)] + "%3A%3A" + stripped[2:]
    return line
