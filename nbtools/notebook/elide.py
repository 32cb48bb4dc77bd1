"""Skip base64 payloads when parsing a notebook that is about to be stripped.

Images are most of a typical notebook's bytes (70 % of ``../shared/corpus/public``), and
strip throws almost all of them away, yet an exact parse copies every one into a Python
string. :func:`elide_payloads` swaps each such value for a short placeholder *before* the
parse, and :func:`restore_payloads` puts the original bytes back into whatever is
written, so a kept image (an attachment, an output tagged ``keep_output``) comes back
byte for byte.

Only values whose tokens are certain from the bytes alone are swapped. JSON strings
cannot hold a raw newline, so every line of a file starts outside any string; a line
that starts with whitespace, then ``"image/...": "``, is a key and the start of its
string value. The value is swapped only when it holds no escape (one trailing ``\\n``
aside, as nbformat writes images) and no raw line break or tab: then its first quote
ends it, and every JSON writer spells it the same way, so the restored bytes are what
the writer would have produced. (Checking for every other control character would cost
a copy of each value; a value holding one is not valid JSON, and is dropped or kept
verbatim like any other instead of being reported.)
"""

from __future__ import annotations

import re

#: the start of the keys of base64 image data in nbformat outputs and attachments
NEEDLE = b'"image/'
#: values shorter than this are cheaper to parse than to swap
MIN_PAYLOAD = 1024
PLACEHOLDER_PREFIX = b"\\u0000nbtools-elided-"
_PLACEHOLDER_RE = re.compile(re.escape(PLACEHOLDER_PREFIX) + rb"(\d+)")
_WHITESPACE = b" \t\r"


class Payloads:
    """The values taken out of a body: spans of it, copied only when put back."""

    def __init__(self, body: bytes, spans: list[tuple[int, int]]) -> None:
        self.body = body
        self.spans = spans

    def __len__(self) -> int:
        return len(self.spans)

    def __getitem__(self, index: int) -> bytes:
        start, end = self.spans[index]
        return self.body[start:end]


def elide_payloads(body: bytes) -> tuple[bytes, Payloads]:
    """``body`` with large base64 values replaced by placeholders, and the values.

    The placeholder ``\\u0000nbtools-elided-N`` (a JSON escape) parses to a string that
    starts with a NUL character; N indexes the returned payloads. A body that already
    contains the placeholder text is returned unchanged.
    """
    spans = _payload_spans(body)
    if not spans or PLACEHOLDER_PREFIX in body:
        return body, Payloads(body, [])
    pieces: list[bytes] = []
    done = 0
    for index, (start, end) in enumerate(spans):
        pieces.append(body[done:start])
        pieces.append(PLACEHOLDER_PREFIX + str(index).encode())
        done = end
    pieces.append(body[done:])
    return b"".join(pieces), Payloads(body, spans)


def _payload_spans(body: bytes) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    find = body.find
    hit = find(NEEDLE)
    while hit >= 0:
        line_start = body.rfind(b"\n", 0, hit) + 1
        key_end = find(b'"', hit + 1)
        value_start = key_end + 4
        value_end = find(b'"', value_start) if key_end > 0 else -1
        if (
            value_end - value_start >= MIN_PAYLOAD
            and not body[line_start:hit].strip(_WHITESPACE)
            and body[key_end:value_start] == b'": "'
            and b"\\" not in body[hit:key_end]
            and _is_plain(body, value_start, value_end)
        ):
            spans.append((value_start, value_end))
            hit = find(NEEDLE, value_end)
        else:
            hit = find(NEEDLE, hit + 1)
    return spans


def _is_plain(body: bytes, start: int, end: int) -> bool:
    """No escape (but a final ``\\n``), raw line break or tab in ``body[start:end]``."""
    if body.endswith(b"\\n", start, end):
        end -= 2
    find = body.find
    return find(b"\\", start, end) < 0 and all(find(c, start, end) < 0 for c in b"\n\r\t")


def restore_payloads(data: bytes, payloads: Payloads) -> bytes:
    """Put the original values back in place of the placeholders left in ``data``."""
    if not payloads or PLACEHOLDER_PREFIX not in data:
        return data
    return _PLACEHOLDER_RE.sub(lambda match: payloads[int(match.group(1))], data)


def is_placeholder(value: object) -> bool:
    """Whether a parsed string is a placeholder left by :func:`elide_payloads`."""
    return isinstance(value, str) and value.startswith("\x00nbtools-elided-")
