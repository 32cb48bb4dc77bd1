"""Every fast path of nbtools.notebook gives exactly what the plain (json) path gives.

Notebooks are generated as Jupyter writes them (``notebook_strategies``): line lists, ids,
base64 images and attachments, odd text, floats json and orjson spell differently, integers
beyond 64 bits, NaN and infinities (which json reads and writes), old nbformat minors.

- parse: orjson on the elided body, placeholders put back, is json.loads of the file;
- render: the orjson writer is byte for byte the plain writer, which is the file itself;
- strip end to end (elide, orjson, strip, render, restore) is the plain strip;
- positions: the line of every value (and of every source line) is where a plain
  serialisation that counts its own lines put it.

Each property also checks that the fast path answered where it should, so none holds only
because everything fell back to json.
"""

from __future__ import annotations

import json
import math
import re
from contextlib import contextmanager
from typing import Any, Iterator, Tuple

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from notebook_strategies import jupyter_bytes, notebooks, padded

from nbtools.notebook import NBFORMAT_LAYOUT, Layout, fast, loads_notebook, parse_json
from nbtools.notebook.elide import PLACEHOLDER_PREFIX, Payloads, elide_payloads
from nbtools.notebook.fast import INEXACT, dumps_exact, loads_exact
from nbtools.notebook.io import dumps_bytes
from nbtools.notebook.positions import LineMap, value_lines
from nbtools.strip import strip_notebook

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- what the plain path would do, and why the fast path may decline -------------------------


def identical(a: Any, b: Any) -> bool:
    """Equal with the same types all the way down (1 is not 1.0, -0.0 is not 0.0), NaN
    equal to NaN, and keys in the same order."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(identical(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(identical(x, y) for x, y in zip(a, b))
    if isinstance(a, float):
        if math.isnan(a):
            return math.isnan(b)
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    return bool(a == b)


def leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in leaves(v)] + list(value)
    if isinstance(value, list):
        return [leaf for v in value for leaf in leaves(v)]
    return [value]


def parse_must_fall_back(value: Any) -> bool:
    """Documents orjson cannot parse exactly: an integer beyond 64 bits (which it would
    read as a float) or a float as large as one, NaN or an infinity, a lone surrogate."""
    return any(
        (type(v) is int and not -(2**63) <= v < 2**64)
        or (type(v) is float and not -(2**63) < v < 2**63)  # NaN and infinities too
        or (isinstance(v, str) and re.search("[\ud800-\udfff]", v) is not None)
        for v in leaves(value)
    )


def render_must_fall_back(value: Any) -> bool:
    """Values orjson does not write as json.dumps does: floats in exponent notation (json
    writes 1e-05, orjson 0.00001), NaN and infinities, integers beyond 64 bits, lone
    surrogates."""
    return any(
        (type(v) is float and v != 0 and not 1e-4 <= abs(v) < 1e16)
        or (type(v) is float and not math.isfinite(v))
        or (type(v) is int and not -(2**63) <= v < 2**64)
        or (isinstance(v, str) and re.search("[\ud800-\udfff]", v) is not None)
        for v in leaves(value)
    )


@contextmanager
def plain_path_only() -> Iterator[None]:
    """nbtools as it runs without orjson: every read and write through json (and no
    elision, which the callers below ask for or not)."""
    saved = fast._ORJSON[:]
    fast._ORJSON[:] = [None]
    try:
        yield
    finally:
        fast._ORJSON[:] = saved


def plain_strip(body: bytes) -> bytes:
    """What strip writes for ``body`` through the plain path alone."""
    with plain_path_only():
        nbfile = loads_notebook(body, "n.ipynb")
        strip_notebook(nbfile.nb)
        return nbfile.render_bytes()


def restored(value: Any, payloads: Payloads) -> Any:
    """``value`` with each elided placeholder replaced by the string it stands for (none when
    nothing was elided: the placeholder text in a file turns elision off)."""
    if not payloads:
        return value
    if isinstance(value, dict):
        return {k: restored(v, payloads) for k, v in value.items()}
    if isinstance(value, list):
        return [restored(v, payloads) for v in value]
    if isinstance(value, str) and value.startswith("\x00nbtools-elided-"):
        return json.loads(b'"' + payloads[int(value.rpartition("-")[2])] + b'"')
    return value


# --- parse -----------------------------------------------------------------------------------


@SETTINGS
@given(notebooks())
def test_orjson_parse_of_the_elided_body_is_json_loads_of_the_file(nb: dict[str, Any]) -> None:
    body = jupyter_bytes(nb)
    plain = json.loads(body.decode("utf-8"))
    elided, payloads = elide_payloads(body)
    through_orjson = loads_exact(elided)
    if through_orjson is INEXACT:
        assert parse_must_fall_back(plain)
    else:
        assert identical(restored(through_orjson, payloads), plain)
        assert not parse_must_fall_back(plain)
    full = loads_exact(body)  # without elision (what read_notebook does for check, sync...)
    assert full is INEXACT or identical(full, plain)
    assert identical(parse_json(body, "n.ipynb"), plain)  # (scan's parse)
    assert identical(parse_json(body.decode("utf-8"), "n.ipynb"), plain)


number_literals = st.builds(
    lambda sign, whole, frac, exp: sign + whole + frac + exp,
    st.sampled_from(["", "-"]),
    st.one_of(st.just("0"), st.from_regex(r"[1-9][0-9]{0,40}", fullmatch=True)),
    st.one_of(st.just(""), st.from_regex(r"\.[0-9]{1,40}", fullmatch=True)),
    st.one_of(st.just(""), st.builds("e{}".format, st.integers(-400, 400))),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(number_literals, min_size=1, max_size=8))
def test_orjson_reads_numbers_however_spelled_as_json_does(literals: list[str]) -> None:
    """Other writers than Jupyter's spell numbers as they like: long mantissas, halfway
    cases, exponents, integers of any size. orjson must round them as json does."""
    document = '{"values": [' + ", ".join(literals) + "]}"
    plain = json.loads(document)
    through_orjson = loads_exact(document.encode())
    if through_orjson is INEXACT:
        assert parse_must_fall_back(plain)
    else:
        assert identical(through_orjson, plain)


@SETTINGS
@given(notebooks())
def test_a_notebook_read_for_strip_holds_what_json_reads(nb: dict[str, Any]) -> None:
    body = jupyter_bytes(padded(nb))
    nbfile = loads_notebook(body, "n.ipynb", elide=True)
    # the padding image at least was elided (unless the file holds the placeholder text)
    assert nbfile.payloads or PLACEHOLDER_PREFIX in body
    assert identical(restored(nbfile.nb, nbfile.payloads), json.loads(body.decode("utf-8")))
    assert nbfile.text == body.decode("utf-8")


# --- render ----------------------------------------------------------------------------------


@SETTINGS
@given(notebooks(), st.sampled_from([1, 2, 4]))
def test_orjson_writer_is_byte_for_byte_the_plain_writer(nb: dict[str, Any], indent: int) -> None:
    body = jupyter_bytes(nb, indent)
    parsed = json.loads(body.decode("utf-8"))
    layout = Layout(indent=indent)
    plain = dumps_bytes(parsed, layout, fast=False)
    assert dumps_bytes(parsed, layout, fast=True) == plain
    if dumps_exact(parsed, layout) is None:
        assert render_must_fall_back(parsed)
    assert plain == body  # the plain writer writes back what nbformat wrote
    assert loads_notebook(body, "n.ipynb").render_bytes() == body


@SETTINGS
@given(notebooks())
def test_strip_through_the_fast_paths_is_the_plain_strip(nb: dict[str, Any]) -> None:
    body = jupyter_bytes(padded(nb))
    nbfile = loads_notebook(body, "n.ipynb", elide=True)
    strip_notebook(nbfile.nb)
    assert nbfile.render_bytes() == plain_strip(body)
    if not re.search(rb"\\u[dD][89a-fA-F]", body):
        assert nbfile.layout == NBFORMAT_LAYOUT


_IMAGE_VALUE = re.compile(rb'("image/png": ")([^"]*)')


@SETTINGS
@given(notebooks())
def test_an_image_spelled_unlike_the_writer_is_not_elided(nb: dict[str, Any]) -> None:
    """Elision writes a kept value back as the file had it, so only values every writer
    spells alike are elided: here each image's ``/`` is written ``\\/`` (valid JSON, as
    some tools write it), which the plain writer spells ``/``."""
    body = _IMAGE_VALUE.sub(
        lambda m: m.group(1) + m.group(2).replace(b"/", b"\\/"), jupyter_bytes(padded(nb))
    )
    nbfile = loads_notebook(body, "n.ipynb", elide=True)
    strip_notebook(nbfile.nb)
    assert nbfile.render_bytes() == plain_strip(body)


# --- positions -------------------------------------------------------------------------------

JsonPath = Tuple[object, ...]


def counted_serialisation(value: Any, indent: int) -> tuple[str, dict[JsonPath, int]]:
    """json.dumps(indent, sort_keys) written piece by piece, noting the line each value
    starts on: the plain scan the tokenizer of nbtools.notebook.positions must agree with."""
    pieces: list[str] = []
    found: dict[JsonPath, int] = {}
    line = [1]

    def emit(text: str) -> None:
        pieces.append(text)
        line[0] += text.count("\n")

    def walk(node: Any, path: JsonPath, depth: int) -> None:
        found[path] = line[0]
        pad = "\n" + " " * (indent * (depth + 1))
        if isinstance(node, dict) and node:
            emit("{")
            for n, key in enumerate(sorted(node)):
                emit(("," if n else "") + pad + json.dumps(key, ensure_ascii=False) + ": ")
                walk(node[key], (*path, key), depth + 1)
            emit("\n" + " " * (indent * depth) + "}")
        elif isinstance(node, list) and node:
            emit("[")
            for n, item in enumerate(node):
                emit(("," if n else "") + pad)
                walk(item, (*path, n), depth + 1)
            emit("\n" + " " * (indent * depth) + "]")
        else:
            emit(json.dumps(node, ensure_ascii=False))

    walk(value, (), 0)
    return "".join(pieces), found


@SETTINGS
@given(notebooks(), st.sampled_from([1, 2]))
def test_positions_are_where_a_plain_serialisation_puts_each_value(
    nb: dict[str, Any], indent: int
) -> None:
    text, expected = counted_serialisation(nb, indent)
    assert text + "\n" == json.dumps(nb, indent=indent, sort_keys=True, ensure_ascii=False) + "\n"
    assert value_lines(text + "\n") == expected
    line_map = LineMap(text + "\n")
    for index, cell in enumerate(nb["cells"]):
        for number in range(1, len(cell["source"]) + 1):
            where = ("cells", index, "source", number - 1)
            assert line_map.source_line(index, number) == expected[where]
        assert line_map.line("cells", index, "metadata") == expected[("cells", index, "metadata")]


def test_the_placeholder_text_in_a_notebook_turns_elision_off() -> None:
    """(So that :func:`restored` above can trust every placeholder it meets.)"""
    nb = padded({"cells": [], "metadata": {"x": "\x00nbtools-elided-0"}, "nbformat": 4})
    body = jupyter_bytes(nb)
    assert PLACEHOLDER_PREFIX in body
    assert len(elide_payloads(body)[1]) == 0
