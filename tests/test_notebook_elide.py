"""Base64 payloads skipped at parse time and restored byte for byte on write."""

from __future__ import annotations

import base64
import json
import random
from pathlib import Path

import pytest
from conftest import make_cell, make_nb, shared_path

from nbtools.errors import InputError
from nbtools.notebook import dumps, loads_notebook
from nbtools.notebook.elide import (
    PLACEHOLDER_PREFIX,
    elide_payloads,
    is_placeholder,
    restore_payloads,
)
from nbtools.notebook.io import ELIDE_MIN_BYTES
from nbtools.strip import strip_notebook
from nbtools.stripsettings import StripOptions

# as nbformat stores images; two of them make a notebook worth eliding (the same bytes in
# every process: xdist workers must collect the same parameters)
PNG = base64.b64encode(random.Random(30).getrandbits(8 * 30_000).to_bytes(30_000, "big")).decode()
PNG += "\n"


def image_notebook(**cell_metadata: object) -> dict:
    plot = make_cell(
        "code",
        "plot()",
        execution_count=1,
        metadata=dict(cell_metadata),
        outputs=[
            {
                "data": {"image/png": PNG, "text/plain": ["<Figure>"]},
                "metadata": {},
                "output_type": "display_data",
            }
        ],
    )
    note = make_cell("markdown", "![x](attachment:x.png)")
    note["attachments"] = {"x.png": {"image/png": PNG}}
    return make_nb([plot, note])


def stripped_bytes(raw: bytes, elide: bool, options: StripOptions | None = None) -> bytes:
    nbfile = loads_notebook(raw, "nb.ipynb", elide=elide)
    worth_it = len(raw) >= ELIDE_MIN_BYTES and bool(elide_payloads(raw)[1])
    assert bool(nbfile.payloads) == (elide and worth_it)
    strip_notebook(nbfile.nb, options)
    return nbfile.render_bytes()


def test_payloads_become_placeholders_and_come_back() -> None:
    raw = dumps(image_notebook()).encode()
    elided, payloads = elide_payloads(raw)
    assert len(payloads) == 2  # the output's image and the attachment
    assert len(elided) < len(raw) - 2 * 39_000
    nb = json.loads(elided)
    assert is_placeholder(nb["cells"][0]["outputs"][0]["data"]["image/png"])
    assert nb["cells"][0]["outputs"][0]["data"]["text/plain"] == ["<Figure>"]
    assert restore_payloads(elided, payloads) == raw


@pytest.mark.parametrize(
    "options", [None, StripOptions(keep_output=True), StripOptions(keep_count=True)]
)
def test_strip_with_elision_writes_what_a_full_parse_writes(options: StripOptions | None) -> None:
    raw = dumps(image_notebook()).encode()
    assert stripped_bytes(raw, True, options) == stripped_bytes(raw, False, options)


def test_kept_outputs_and_attachments_keep_their_images() -> None:
    raw = dumps(image_notebook(tags=["keep_output"])).encode()
    out = json.loads(stripped_bytes(raw, True))
    assert out["cells"][0]["outputs"][0]["data"]["image/png"] == PNG
    assert out["cells"][1]["attachments"]["x.png"]["image/png"] == PNG
    assert PLACEHOLDER_PREFIX not in stripped_bytes(raw, True)


def test_layouts_round_trip_crlf_bom_indent_2() -> None:
    text = json.dumps(image_notebook(tags=["keep_output"]), indent=2) + "\n"
    raw = ("\ufeff" + text.replace("\n", "\r\n")).encode()
    nbfile = loads_notebook(raw, "nb.ipynb", elide=True)
    assert nbfile.payloads
    assert nbfile.render_bytes() == raw
    assert nbfile.text == raw.decode("utf-8")[1:]  # the file's text, not the elided one


@pytest.mark.parametrize(
    "value",
    [
        PNG[:500],  # too short to be worth it
        PNG.replace("A", "\\u0041", 1),  # an escape: its spelling is the writer's choice
        PNG.replace("A", "\t", 1),  # a raw tab: not valid JSON, left to the parser
        PNG[:-1] + "\\n\\n",  # more than the one trailing newline
    ],
    ids=["short", "escaped", "raw-tab", "two-newlines"],
)
def test_only_plain_base64_values_are_elided(value: str) -> None:
    line = '   "image/png": "' + value + '"'
    raw = ('{\n "cells": [],\n "x": {\n' + line + "\n }\n}\n").encode()
    elided, payloads = elide_payloads(raw)
    assert (elided, len(payloads)) == (raw, 0)


def test_keys_not_at_a_line_start_are_left_alone() -> None:
    raw = json.dumps(image_notebook()).encode()  # one line: no token is certain
    assert len(elide_payloads(raw)[1]) == 0


def test_key_text_inside_a_string_is_left_alone() -> None:
    # a source line mentioning the key: the quote before it is escaped, mid-line
    nb = make_nb([make_cell("code", 'x = {"image/png": "' + PNG.strip() + '"}')])
    raw = dumps(nb).encode()
    assert len(elide_payloads(raw)[1]) == 0


def test_a_body_holding_placeholder_text_is_not_elided() -> None:
    nb = image_notebook()
    nb["metadata"]["note"] = "\x00nbtools-elided-0"
    raw = dumps(nb).encode()
    assert PLACEHOLDER_PREFIX in raw
    assert len(elide_payloads(raw)[1]) == 0
    assert stripped_bytes(raw, True) == stripped_bytes(raw, False)


def test_broken_json_is_reported_where_it_is_in_the_file() -> None:
    raw = dumps(image_notebook()).encode()
    broken = raw.replace(b'"text/plain": [', b'"text/plain" [', 1)
    with pytest.raises(InputError) as full:
        loads_notebook(broken, "nb.ipynb")
    with pytest.raises(InputError) as elided:
        loads_notebook(broken, "nb.ipynb", elide=True)
    assert elided.value.reason == full.value.reason
    assert "line" in full.value.reason


def test_an_unterminated_payload_is_invalid_json_not_elided() -> None:
    raw = dumps(image_notebook()).encode()
    cut = raw.replace(PNG.strip().encode() + b'\\n"', PNG.strip().encode(), 1)
    assert len(elide_payloads(cut)[1]) == 1  # only the attachment's image
    with pytest.raises(InputError):
        loads_notebook(cut, "nb.ipynb", elide=True)


@pytest.mark.shared
@pytest.mark.parametrize("options", [StripOptions(), StripOptions(keep_output=True)])
def test_corpus_strips_the_same_with_and_without_elision(options: StripOptions) -> None:
    corpus = shared_path("corpus", "public")
    elided_any = 0
    for path in sorted(Path(corpus).glob("*.ipynb")):
        raw = path.read_bytes()
        try:
            full = stripped_bytes(raw, False, options)
        except InputError:
            with pytest.raises(InputError):
                stripped_bytes(raw, True, options)
            continue
        elided_any += bool(elide_payloads(raw)[1])
        assert stripped_bytes(raw, True, options) == full, path.name
    assert elided_any >= 10


@pytest.mark.parametrize(
    "literal",
    [
        "123456789012345678901234567890",  # beyond 64 bits: orjson would make it a float
        "-9223372036854775809",
        "1e-05",  # floats orjson spells unlike json.dumps
        "1e+16",
        "NaN",  # refused by orjson: the json path parses it
        "1e400",
        '"\\ud800"',  # a lone surrogate
        "0.1",
    ],
)
def test_elided_notebooks_keep_every_value_exactly(literal: str) -> None:
    nb = image_notebook(tags=["keep_output"])
    text = dumps(nb).replace('"kernelspec": {', '"value": ' + literal + ',\n  "kernelspec": {', 1)
    raw = text.encode()
    assert literal.encode() in raw
    nbfile = loads_notebook(raw, "nb.ipynb", elide=True)
    assert nbfile.payloads
    assert nbfile.render_bytes() == loads_notebook(raw, "nb.ipynb").render_bytes()
    if literal != "1e400":  # json reads it as inf, which it writes as Infinity
        assert nbfile.render_bytes() == raw
    assert stripped_bytes(raw, True) == stripped_bytes(raw, False)


def test_layout_is_read_from_the_file_not_the_elided_body() -> None:
    # ASCII but for one raw non-ASCII character inside an image value, escapes elsewhere:
    # the file is not written with ensure_ascii, and must not be rewritten as if it were
    nb = image_notebook(tags=["keep_output"])
    nb["metadata"]["title"] = "caf\u00e9"
    raw = json.dumps(nb, indent=1, ensure_ascii=True).encode()
    raw = raw.replace(PNG[:10].encode(), "\u00e9".encode() + PNG[1:10].encode(), 1)
    assert not raw.isascii()
    assert stripped_bytes(raw, True) == stripped_bytes(raw, False)


def test_corrupt_control_characters_in_a_kept_image_stay_as_they_were() -> None:
    # the one documented difference from a full parse: not reported, kept verbatim
    raw = dumps(image_notebook(tags=["keep_output"])).encode()
    broken = raw.replace(PNG[:10].encode(), b"\x01" + PNG[1:10].encode(), 1)
    with pytest.raises(InputError):
        loads_notebook(broken, "nb.ipynb")
    nbfile = loads_notebook(broken, "nb.ipynb", elide=True)
    assert nbfile.render_bytes() == broken
