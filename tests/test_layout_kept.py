"""strip keeps the file's layout, including keys spaced unlike the rest."""

from __future__ import annotations

import difflib
import json

import pytest
from conftest import make_cell, make_nb

from nbtools.notebook import detect_layout, loads_notebook
from nbtools.strip import strip_notebook

NB = make_nb(
    [
        make_cell(
            "markdown", "![a](attachment:a.png)", attachments={"a.png": {"image/png": "iVBOR"}}
        ),
        make_cell(
            "code",
            'd = {"k" : 1}',
            execution_count=3,
            outputs=[{"output_type": "stream", "name": "stdout", "text": ["1\n"]}],
        ),
    ]
)


def _strip(raw: bytes) -> bytes:
    nbfile = loads_notebook(raw, "nb.ipynb")
    assert strip_notebook(nbfile.nb).changed
    return nbfile.render_bytes()


@pytest.mark.parametrize("separator", [" : ", ":  ", " :", "\t: "])
def test_a_file_written_with_another_key_separator_keeps_it(separator: str) -> None:
    raw = (json.dumps(NB, indent=1, separators=(",", separator)) + "\n").encode()
    assert detect_layout(raw.decode()).key_separator == separator
    out = _strip(raw)
    assert (
        out == (json.dumps(json.loads(out), indent=1, separators=(",", separator)) + "\n").encode()
    )
    assert f'"attachments"{separator}{{'.encode() in out


def test_one_key_spaced_unlike_the_rest_keeps_its_spacing() -> None:
    text = json.dumps(NB, indent=1) + "\n"
    raw = text.replace('"attachments": {', '"attachments" : {').encode()
    out = _strip(raw)
    assert b'"attachments" : {' in out
    assert b'"execution_count": null' in out and b'"outputs": []' in out
    expected = json.loads(raw)
    strip_notebook(expected)
    assert json.loads(out) == expected
    # the only lines that differ are the ones strip changed
    removed = [
        line[2:]
        for line in difflib.ndiff(raw.decode().splitlines(), out.decode().splitlines())
        if line.startswith("- ")
    ]
    assert removed[0] == '   "execution_count": 3,' and '"outputs"' in removed[1]
    assert not any("attachments" in line for line in removed)


def test_a_stray_key_on_a_changed_line_takes_the_new_line() -> None:
    text = json.dumps(NB, indent=1) + "\n"
    raw = text.replace('"execution_count": 3', '"execution_count" : 3').encode()
    out = _strip(raw)
    assert b'"execution_count": null' in out
    assert json.loads(out)["cells"][1]["outputs"] == []


def test_a_quote_and_colon_inside_a_string_changes_nothing() -> None:
    raw = (json.dumps(NB, indent=1) + "\n").encode()
    assert b'\\"k\\" : 1' in raw  # the source's own spacing, inside a string
    assert _strip(raw) == (json.dumps(json.loads(_strip(raw)), indent=1) + "\n").encode()
