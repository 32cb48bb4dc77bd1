"""Hypothesis strategies for notebooks as Jupyter writes them, for property tests.

Sources and outputs as lists of lines (``str.splitlines(True)``, as nbformat stores them),
``json.dumps(indent=1, sort_keys=True, ensure_ascii=False)`` and a final newline (nbformat's
writer, :func:`jupyter_bytes`), cell ids from nbformat 4.5 on, base64 images in outputs and
attachments, text with control, astral and lone-surrogate characters, and metadata nesting
floats json and orjson spell differently, integers beyond 64 bits, NaN and infinities.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from hypothesis import strategies as st

from nbtools.notebook.io import ELIDE_MIN_BYTES

#: characters that stress escaping: controls, quotes, separators, BOM, astral, lone surrogates
ODD_CHARS = '\x00\x01\x1f\x7f"\\/\t\r\n\x0b\x85\u2028\u2029\ufeff\ud800\udfff\U0001f600\U0010ffff'
#: a high surrogate followed by a low one: json would read their escapes back as one character
_SURROGATE_PAIR = re.compile("[\ud800-\udbff][\udc00-\udfff]")

texts = st.text(st.one_of(st.characters(), st.sampled_from(ODD_CHARS)), max_size=24).filter(
    lambda s: not _SURROGATE_PAIR.search(s)
)
#: keys validated by nbtools.structure with a type (a random value there is not a notebook)
RESERVED = {"tags", "nbtools", "jupyter", "kernelspec", "language_info", "jupytext"}
keys = st.one_of(texts, st.sampled_from(["image/png", "a", "ζ", "\U0001f600"])).filter(
    lambda k: k not in RESERVED
)
# floats json and orjson spell alike, and those they do not (exponents, -0.0, NaN, infinities)
floats = st.one_of(
    st.floats(),
    st.sampled_from([1e16, 5e-324, -0.0, 1e-05, 1e-4, 9.999999999999998e15, 1e22, 0.1]),
    st.sampled_from([2.2250738585072014e-308, 1.7976931348623157e308, -1.5e-7, 123.456]),
)
# integers up to 64 bits and beyond (19+ digits; orjson parses those beyond 64 bits as floats)
integers = st.one_of(
    st.integers(-(10**6), 10**6),
    st.integers(-(2**70), 2**70),
    st.sampled_from([2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63), -(2**63) - 1, 10**30]),
)
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), integers, floats, texts),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=10,
)
metadata = st.dictionaries(keys, json_values, max_size=3)


def lines(text: str) -> list[str]:
    """A multiline string as nbformat stores it (``str.splitlines(True)``)."""
    return text.splitlines(True)


multiline_texts = st.lists(texts, max_size=4).map(lambda parts: lines("\n".join(parts)))


@st.composite
def base64_images(draw: st.DrawFn) -> str:
    """PNG-like base64 as nbformat stores it (one trailing newline); sometimes long enough to
    be elided, sometimes wrapped every 76 characters as old notebooks have it (not elided)."""
    size = draw(st.sampled_from([3, 600, 900, 2000]))
    data = base64.b64encode(draw(st.binary(min_size=size, max_size=size))).decode()
    if draw(st.booleans()) and len(data) > 76:
        data = "\n".join(data[i : i + 76] for i in range(0, len(data), 76))
    return data + "\n"


bundles = st.fixed_dictionaries(
    {"text/plain": multiline_texts},
    optional={
        "image/png": base64_images(),
        "image/svg+xml": multiline_texts,
        "text/html": multiline_texts,
        "application/json": json_values,
    },
)
outputs = st.one_of(
    st.builds(
        lambda name, text: {"name": name, "output_type": "stream", "text": text},
        st.sampled_from(["stdout", "stderr"]),
        multiline_texts,
    ),
    st.builds(
        lambda data, meta, count: {
            "data": data,
            "execution_count": count,
            "metadata": meta,
            "output_type": "execute_result",
        },
        bundles,
        metadata,
        st.integers(1, 10**4),
    ),
    st.builds(
        lambda data, meta: {"data": data, "metadata": meta, "output_type": "display_data"},
        bundles,
        metadata,
    ),
    st.builds(
        lambda ename, evalue, tb: {
            "ename": ename,
            "evalue": evalue,
            "output_type": "error",
            "traceback": tb,
        },
        texts,
        texts,
        st.lists(texts, max_size=3),
    ),
)


@st.composite
def cells(draw: st.DrawFn, with_id: bool) -> dict[str, Any]:
    kind = draw(st.sampled_from(["code", "markdown", "raw"]))
    cell: dict[str, Any] = {"cell_type": kind, "metadata": draw(metadata)}
    cell["source"] = draw(multiline_texts)
    if with_id:
        cell["id"] = draw(st.text("0123456789abcdef-", min_size=1, max_size=36))
    if draw(st.booleans()):
        cell["metadata"]["tags"] = draw(st.lists(texts, max_size=2))
    if kind == "code":
        cell["execution_count"] = draw(st.one_of(st.none(), st.integers(1, 10**4)))
        cell["outputs"] = draw(st.lists(outputs, max_size=3))
    elif draw(st.booleans()):
        cell["attachments"] = {draw(texts) + ".png": {"image/png": draw(base64_images())}}
    return cell


@st.composite
def notebooks(draw: st.DrawFn) -> dict[str, Any]:
    minor = draw(st.integers(0, 5))
    nb_metadata = draw(metadata)
    nb_metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "py"}
    nb_metadata["language_info"] = {"name": "python", "version": draw(json_values)}
    return {
        "cells": draw(st.lists(cells(with_id=minor >= 5), max_size=5)),
        "metadata": nb_metadata,
        "nbformat": 4,
        "nbformat_minor": minor,
    }


def jupyter_bytes(nb: Any, indent: int = 1) -> bytes:
    """What nbformat.write puts on disk (a lone surrogate can only be written as its escape)."""
    text = json.dumps(nb, indent=indent, sort_keys=True, ensure_ascii=False) + "\n"
    return text.encode("utf-8", "backslashreplace")


#: an attachment that makes any notebook big enough for strip to elide its images
PADDING = {"big.png": {"image/png": base64.b64encode(bytes(range(256)) * 200).decode() + "\n"}}
assert len(json.dumps(PADDING)) > ELIDE_MIN_BYTES


def padded(nb: dict[str, Any]) -> dict[str, Any]:
    cell = {"attachments": PADDING, "cell_type": "markdown", "metadata": {}, "source": ["!"]}
    return {**nb, "cells": [*nb["cells"], cell]}
