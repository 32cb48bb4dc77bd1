"""Notebook I/O: layout detection and round trips, atomic writes, refusals."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from conftest import make_cell, make_nb

from nbtools.errors import InputError
from nbtools.notebook import (
    Layout,
    atomic_write,
    cell_lists,
    detect_layout,
    dumps,
    iter_cells,
    loads_notebook,
    read_notebook,
    require_v4,
    source_text,
    write_notebook,
)
from nbtools.notebook.fast import has_unsafe_float
from nbtools.notebook.io import dumps_bytes

NB = make_nb(
    [
        make_cell("code", "print('héllo')\n", execution_count=1),
        make_cell("markdown", "# Ti\u00e9tle"),
    ]
)


def serialise(nb: dict, **kwargs: object) -> str:
    return json.dumps(nb, **kwargs) + "\n"  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (serialise(NB, indent=1, sort_keys=True, ensure_ascii=False), Layout(indent=1)),
        (serialise(NB, indent=2, ensure_ascii=False), Layout(indent=2)),
        (serialise(NB, indent=4, ensure_ascii=True), Layout(indent=4, ensure_ascii=True)),
        (serialise(NB, indent="\t", ensure_ascii=False), Layout(indent="\t")),
        (
            json.dumps(NB, ensure_ascii=False),
            Layout(indent=None, item_separator=", ", final_newline=False),
        ),
        (
            json.dumps(NB, separators=(",", ":"), ensure_ascii=False),
            Layout(indent=None, key_separator=":", final_newline=False),
        ),
        (serialise(NB, indent=1, ensure_ascii=False).replace("\n", "\r\n"), Layout(newline="\r\n")),
        ("\ufeff" + serialise(NB, indent=1, ensure_ascii=False), Layout(bom=True)),
    ],
    ids=[
        "nbformat",
        "indent2",
        "ascii-escaped",
        "tabs",
        "compact-default",
        "compact-tight",
        "crlf",
        "bom",
    ],
)
def test_detect_layout_and_round_trip(text: str, expected: Layout) -> None:
    layout = detect_layout(text)
    assert layout == expected
    body = text[1:] if layout.bom else text
    assert dumps(json.loads(body), layout) == text


def test_python2_era_trailing_space_separators_round_trip() -> None:
    text = json.dumps(NB, indent=1, separators=(", ", ": "), ensure_ascii=False) + "\n"
    assert ", \n" in text
    assert dumps(json.loads(text), detect_layout(text)) == text


def test_no_write_when_nothing_changed_keeps_mtime(tmp_path: Path) -> None:
    path = tmp_path / "nb.ipynb"
    path.write_text(serialise(NB, indent=2, ensure_ascii=True))
    os.utime(path, (1_000_000, 1_000_000))
    nbfile = read_notebook(path)
    assert write_notebook(nbfile) is False
    assert path.stat().st_mtime == 1_000_000


def test_write_keeps_crlf_bom_and_permissions(tmp_path: Path) -> None:
    path = tmp_path / "nb.ipynb"
    text = "\ufeff" + serialise(NB, indent=1, ensure_ascii=False).replace("\n", "\r\n")
    path.write_bytes(text.encode("utf-8"))
    path.chmod(0o640)
    nbfile = read_notebook(path)
    nbfile.nb["cells"][0]["execution_count"] = None
    assert write_notebook(nbfile) is True
    raw = path.read_bytes()
    assert raw.startswith("\ufeff".encode())
    assert b"\r\n" in raw
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert json.loads(raw.decode("utf-8-sig"))["cells"][0]["execution_count"] is None
    assert not [p for p in tmp_path.iterdir() if p.name != "nb.ipynb"], "temporary file left behind"


def test_atomic_write_failure_leaves_original_and_no_temp_file(tmp_path: Path) -> None:
    path = tmp_path / "nb.ipynb"
    path.write_text("original")
    with pytest.raises(TypeError):
        atomic_write(path, "not bytes")  # type: ignore[arg-type]
    assert path.read_text() == "original"
    assert [p.name for p in tmp_path.iterdir()] == ["nb.ipynb"]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b'{"cells": [', "invalid JSON"),
        (b"", "empty file"),
        (b"[1, 2]", "not a notebook"),
        (b'{"nbformat": 4}', "without a 'cells' list"),
        (b'{"nbformat": 5, "cells": []}', "unsupported nbformat 5"),
        (b'{"foo": 1}', "no integer 'nbformat'"),
        (b"\xff\xfe{", "not UTF-8"),
    ],
)
def test_refusals_name_the_reason(content: bytes, reason: str) -> None:
    with pytest.raises(InputError) as info:
        loads_notebook(content, "bad.ipynb")
    assert reason in str(info.value)
    assert str(info.value).startswith("bad.ipynb: ")


def test_unreadable_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_notebook(tmp_path / "missing.ipynb")
    with pytest.raises(InputError, match="is a directory"):
        read_notebook(tmp_path)


def test_v3_cells_are_iterated_and_refused_where_v4_is_required() -> None:
    v3 = {
        "nbformat": 3,
        "nbformat_minor": 0,
        "metadata": {},
        "worksheets": [{"cells": [{"cell_type": "code", "input": "x = 1", "outputs": []}]}],
    }
    nbfile = loads_notebook(json.dumps(v3).encode(), "old.ipynb")
    assert [source_text(c) for c in iter_cells(nbfile.nb)] == ["x = 1"]
    assert len(cell_lists(nbfile.nb)) == 1
    with pytest.raises(InputError, match="nbconvert --to notebook --nbformat 4"):
        require_v4(nbfile)


def test_later_minor_versions_are_accepted() -> None:
    nb = make_nb([make_cell("code", "1")])
    nb["nbformat_minor"] = 9
    assert loads_notebook(json.dumps(nb).encode(), "future.ipynb").minor == 9


@pytest.mark.parametrize("indent", [1, 2, 3, 4])
@pytest.mark.parametrize(
    "value",
    [1e-05, 0.00012, 1e16, -2.5e-07, 3.25, 10**30, "x\u2028\x7f\x00", "tab\there"],
    ids=["small", "tiny-decimal", "big", "neg-exp", "plain", "bigint", "odd-chars", "tab"],
)
def test_fast_writer_is_byte_identical_to_json(indent: int, value: object) -> None:
    nb = make_nb([make_cell("code", "x", metadata={"v": value, "nested": {"l": [value, [], {}]}})])
    text = json.dumps(nb, indent=indent, ensure_ascii=False) + "\n"
    nbfile = loads_notebook(text.encode(), "n.ipynb")
    assert nbfile.render_bytes() == text.encode()
    assert write_notebook(nbfile) is False  # (it would only write if the bytes differed)
    # the orjson writer (used from ORJSON_MIN_BYTES on) leaves what it would spell otherwise
    assert dumps_bytes(nbfile.nb, nbfile.layout, fast=True) == text.encode()
    big = make_nb([make_cell("code", "x" * 300_000, metadata={"v": value})])
    big_text = json.dumps(big, indent=indent, ensure_ascii=False) + "\n"
    assert loads_notebook(big_text.encode(), "big.ipynb").render_bytes() == big_text.encode()


@pytest.mark.shared
@pytest.mark.parametrize("indent", [1, 2, 4])
def test_fast_writer_matches_json_on_the_public_corpus(indent: int) -> None:
    from conftest import shared_path

    for path in sorted(shared_path("corpus", "public").glob("*.ipynb")):
        nbfile = read_notebook(path)
        layout = Layout(indent=indent, final_newline=True)
        assert dumps_bytes(nbfile.nb, layout, fast=True) == dumps(nbfile.nb, layout).encode(), (
            path.name
        )


def test_nan_and_infinity_round_trip() -> None:
    text = '{\n "cells": [],\n "metadata": {"a": NaN, "b": -Infinity},\n "nbformat": 4,\n "nbformat_minor": 5\n}\n'
    nbfile = loads_notebook(text.encode(), "n.ipynb")
    assert (
        nbfile.render_bytes()
        == text.replace(
            '{"a": NaN, "b": -Infinity}', '{\n  "a": NaN,\n  "b": -Infinity\n }'
        ).encode()
    )


@pytest.mark.parametrize(
    ("value", "unsafe"),
    [
        ({"a": [1, 2.5, "x", {"b": [0.0, 1e-4, 9.9e15]}]}, False),
        ({"a": [1, {"b": [[1e-5]]}]}, True),  # orjson writes 1e-5, json.dumps 1e-05
        ({"x": 1e16}, True),
        ([float("nan")], True),
        ([float("-inf")], True),
        ([], False),
    ],
)
def test_floats_that_orjson_would_spell_differently_are_found(value: object, unsafe: bool) -> None:
    assert has_unsafe_float(value) is unsafe
