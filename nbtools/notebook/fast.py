"""The orjson paths: parse and render a notebook in C, only where that is exactly json's result.

json is exact but slow where notebooks are big: its indenting writer is pure Python, more
than ten times slower than orjson. orjson agrees with json on every JSON document but a few,
and this module knows which: it parses integers beyond 64 bits as floats (so a document
holding a float that large is left to json), and it spells some floats otherwise (``1e-05`` is
``0.00001`` to orjson; NaN and infinities it writes as ``null``), so a document holding one
is rendered by json. Everything else orjson refuses outright (NaN, ``1e400``, lone
surrogates, deep nesting, bad UTF-8), which also leaves the document to json. Each function
here answers "not exact" rather than risk a different result; :mod:`nbtools.notebook.io`
picks the path and falls back. ``tests/test_notebook_properties.py`` checks the agreement.

orjson is imported on first use: importing it costs more than json needs for a small
notebook (:func:`pays_off`).
"""

from __future__ import annotations

import re
from itertools import chain
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from nbtools.notebook.layout import Layout

#: below this size, json does the whole job faster than orjson can be imported
ORJSON_MIN_BYTES = 256 * 1024
#: what :func:`loads_exact` returns for a document it leaves to json (None is JSON's null)
INEXACT: Any = object()

_ORJSON: list[Any] = []  # the orjson module (or None), once imported


def orjson_module() -> Any:
    """orjson, imported on first use (it pulls in uuid and platform), or None without it."""
    if not _ORJSON:
        try:
            import orjson
        except ImportError:  # pragma: no cover - orjson is a dependency, kept optional
            orjson = None  # type: ignore[assignment]
        _ORJSON.append(orjson)
    return _ORJSON[0]


def pays_off(size: int) -> bool:
    """Whether the orjson path is worth taking for a document of ``size`` bytes: always once
    orjson is imported, before that only for documents big enough to repay the import."""
    return bool(_ORJSON) or size >= ORJSON_MIN_BYTES


#: orjson parses an integer beyond 64 bits (below -2**63 or from 2**64 on) as a float at
#: least this large; json keeps it an int
_HUGE = float(2**63)


def loads_exact(document: bytes | str) -> Any:
    """orjson's parse of ``document`` where it is exactly json.loads'; else :data:`INEXACT`.

    orjson turns integers beyond 64 bits into floats: a result holding a float of 2**63
    or more (or less than -2**63) is left to json, whether it was written as an integer
    or not. Checked on the parsed values, whose count is small next to a notebook's bytes.
    """
    orjson = orjson_module()
    if orjson is None:
        return INEXACT
    try:
        data = orjson.loads(document)
    except orjson.JSONDecodeError:
        return INEXACT
    if _any_float(data, lambda v: not -_HUGE < v < _HUGE):
        return INEXACT
    return data


def dumps_exact(value: Any, layout: Layout) -> bytes | None:
    """orjson's rendering of ``value`` where it is byte for byte json.dumps' in ``layout``
    (before :func:`~nbtools.notebook.layout.frame`); None where it is not or may not be.

    orjson writes what ``json.dumps(indent=2, ensure_ascii=False)`` writes but for some
    floats (:func:`has_unsafe_float`), so it serves integer indents with the standard
    separators, re-indenting its 2-space output. ``value`` must hold only what a JSON
    parse returns (dict, list, str, int, float, bool, None): orjson also writes types
    json refuses. An integer beyond 64 bits or a lone surrogate makes it refuse.
    """
    indent = layout.indent
    if (
        not isinstance(indent, int)
        or indent < 1
        or layout.ensure_ascii
        or (layout.item_separator, layout.key_separator) != (",", ": ")
    ):
        return None
    orjson = orjson_module()
    if orjson is None or has_unsafe_float(value):
        return None
    try:
        data: bytes = orjson.dumps(value, option=orjson.OPT_INDENT_2)
    except (TypeError, orjson.JSONEncodeError):
        return None
    if indent == 1:
        return _halve_indentation(data)
    if indent != 2:
        pads: dict[int, bytes] = {}

        def pad(match: re.Match[bytes]) -> bytes:
            width = len(match.group())
            if width not in pads:
                pads[width] = b" " * (width // 2 * indent)
            return pads[width]

        data = _LEADING_SPACES_RE.sub(pad, data)
    return data


_LEADING_SPACES_RE = re.compile(rb"^(?:  )+", re.MULTILINE)


def _halve_indentation(data: bytes) -> bytes:
    """2-space indentation to 1-space, with one C-level replace per nesting depth.

    Step j turns ``j + 1`` leading spaces into ``j``: it touches exactly the lines
    at depth >= j (they still have more than j spaces; shallower ones are done).
    """
    depth = 1
    while True:
        old = b"\n" + b" " * (depth + 1)
        if old not in data:
            return data
        data = data.replace(old, b"\n" + b" " * depth)
        depth += 1


def has_unsafe_float(value: Any) -> bool:
    """Whether ``value`` holds a float that orjson would spell unlike json.dumps
    (NaN and infinities, which orjson writes as null, and exponent notation)."""
    return _any_float(value, lambda v: v != 0 and not 1e-4 <= abs(v) < 1e16)  # NaN too


def _any_float(value: Any, test: Callable[[float], bool]) -> bool:
    """Whether a float in ``value`` (a parsed JSON document) passes ``test``.

    Breadth first, a whole nesting level per step, so that the per-value work runs in
    C (``map``, ``set``) rather than in a Python loop over each container.
    """
    values = [value]
    while values:
        kinds = set(map(type, values))
        if float in kinds and any(test(v) for v in values if type(v) is float):
            return True
        if dict not in kinds and list not in kinds:
            return False
        values = list(
            chain.from_iterable(
                v.values() if type(v) is dict else v
                for v in values
                if type(v) is dict or type(v) is list
            )
        )
    return False
