"""How a notebook file was written, so that a rewrite keeps what the user had.

Editors and tools write notebooks with different indentation, separators, escaping, line
endings, a UTF-8 BOM or not, a final newline or not. :func:`detect_layout` reads those
settings off the text (a :class:`Layout`); every writer in :mod:`nbtools.notebook.io`
renders in it. A hand-edited file may also space one key unlike the rest, which no single
:class:`Layout` can say: :func:`keep_file_lines` brings such lines back where they did not
change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

BOM = "\ufeff"
BOM_BYTES = BOM.encode("utf-8")


@dataclass(frozen=True)
class Layout:
    """How a notebook file was serialised."""

    indent: int | str | None = 1
    item_separator: str = ","
    key_separator: str = ": "
    ensure_ascii: bool = False
    newline: str = "\n"
    bom: bool = False
    final_newline: bool = True


NBFORMAT_LAYOUT = Layout()  # what nbformat.write produces

_INDENT_RE = re.compile(r"\n([ \t]+)\S")
_NON_ASCII_ESCAPE = (
    rb"\\u(?:00[89a-fA-F][0-9a-fA-F]|0[1-9a-fA-F][0-9a-fA-F]{2}|[1-9a-fA-F][0-9a-fA-F]{3})"
)
_NON_ASCII_ESCAPE_RE = re.compile(_NON_ASCII_ESCAPE.decode())
_NON_ASCII_ESCAPE_BYTES_RE = re.compile(_NON_ASCII_ESCAPE)
#: the document's first key and the separator after it (spaces and tabs only)
_FIRST_KEY_RE = re.compile(r'\s*\{\s*"(?:[^"\\\n]|\\.)*"([ \t]*:[ \t]*)')


def detect_layout(text: str) -> Layout:
    """Infer the serialisation settings of a JSON document from its text."""
    bom = text.startswith(BOM)
    if bom:
        text = text[1:]
    ensure_ascii = text.isascii() and bool(_NON_ASCII_ESCAPE_RE.search(text))
    return _layout_from_head(text[:8192], ensure_ascii, bom, text.endswith("\n"))


def detect_layout_bytes(body: bytes, bom: bool) -> Layout:
    """:func:`detect_layout` for raw bytes (without the BOM), decoding only the head."""
    head = body[:8192].decode("utf-8", "ignore")
    ensure_ascii = body.isascii() and bool(_NON_ASCII_ESCAPE_BYTES_RE.search(body))
    return _layout_from_head(head, ensure_ascii, bom, body.endswith(b"\n"))


def _layout_from_head(head: str, ensure_ascii: bool, bom: bool, final_newline: bool) -> Layout:
    newline = "\r\n" if "\r\n" in head[:4096] else "\n"
    head = head.replace("\r\n", "\n")
    match = _INDENT_RE.search(head)
    indent: int | str | None
    if match is None:
        indent = None
    else:
        ws = match.group(1)
        indent = len(ws) if set(ws) == {" "} else ws
    if indent is None:
        item_sep = ", " if re.search(r'[\]}"\d], ["\[{]', head[:4096]) else ","
    else:
        item_sep = ", " if ", \n" in head else ","
    first_key = _FIRST_KEY_RE.match(head)
    if first_key is not None:  # as the document's first key is written: ": ", ":", " : "...
        key_sep = first_key.group(1)
    else:
        key_sep = (
            ":"
            if re.search(r'"\s*:\S', head[:4096]) and not re.search(r'": ', head[:4096])
            else ": "
        )
    return Layout(
        indent=indent,
        item_separator=item_sep,
        key_separator=key_sep,
        ensure_ascii=ensure_ascii,
        newline=newline,
        bom=bom,
        final_newline=final_newline,
    )


def frame(data: bytes, layout: Layout) -> bytes:
    """A rendered document (``\\n`` line ends, nothing after it) framed as ``layout`` says:
    final newline, line endings, BOM. Every writer ends here."""
    if layout.final_newline:
        data += b"\n"
    if layout.newline != "\n":
        data = data.replace(b"\n", layout.newline.encode())
    if layout.bom:
        data = BOM_BYTES + data
    return data


def _stray_separator_re(key_separator: str) -> re.Pattern[bytes]:
    """Keys written with another separator than the file's (``"a" : 1`` among ``"b": 2``)."""
    before, _, after = key_separator.partition(":")
    a, b = re.escape(before.encode()), re.escape(after.encode())
    # a key's closing quote is not escaped (an escaped one is inside a string)
    # (the quote first, so that the regex engine scans for it in C)
    quote = rb'"(?<=[^\\]")'
    pre = quote + (rb"[ \t]+:" if not before else rb"(?!" + a + rb":)[ \t]*:")
    post = quote + a + rb":(?!" + b + rb"[^ \t])"
    return re.compile(pre + b"|" + post)


_STRAY_SEPARATORS: dict[str, re.Pattern[bytes]] = {}


def has_stray_separators(raw: bytes, layout: Layout) -> bool:
    """Whether some key of ``raw`` is spelled unlike :attr:`Layout.key_separator`.

    One regex scan; a quote and colon inside a string can match too, which only costs
    the careful rewrite of :func:`keep_file_lines`.
    """
    pattern = _STRAY_SEPARATORS.get(layout.key_separator)
    if pattern is None:
        pattern = _STRAY_SEPARATORS[layout.key_separator] = _stray_separator_re(
            layout.key_separator
        )
    return pattern.search(raw) is not None


def keep_file_lines(raw: bytes, before: bytes, after: bytes) -> bytes | None:
    """``after`` with every line it keeps from ``before`` spelled as ``raw`` has it.

    ``before`` is the file as read (``raw``) re-rendered in its layout, ``after`` the new
    rendering. Where ``before`` lines up with the file line for line, a line the new
    rendering keeps is written as the file had it. None where they do not line up.
    (The caller checks that the result still holds what ``after`` holds.)
    """
    import difflib

    file_lines = raw.splitlines(keepends=True)
    before_lines = before.splitlines(keepends=True)
    if before == raw or len(file_lines) != len(before_lines):
        return None
    after_lines = after.splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(None, before_lines, after_lines, autojunk=False)
    out: list[bytes] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        out.extend(file_lines[i1:i2] if tag == "equal" else after_lines[j1:j2])
    return b"".join(out)
