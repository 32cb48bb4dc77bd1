"""Disk line numbers for JSON paths, checked against every layout we write."""

from __future__ import annotations

import json

import pytest
from conftest import make_cell, make_nb

from nbtools.notebook.positions import LineMap, value_lines

NB = make_nb(
    [
        make_cell("markdown", ["# Title\n", 'line "two" \\ \n']),
        make_cell("code", ["a = 1\n", "b = {'k': [1, 2]}\n", "print(a)"], metadata={"tags": []}),
    ]
)


@pytest.mark.parametrize("indent", [1, 2, 4])
def test_source_lines_match_the_text(indent: int) -> None:
    text = json.dumps(NB, indent=indent, sort_keys=True, ensure_ascii=False)
    lines = text.split("\n")
    linemap = LineMap(text)
    for cell_index, cell in enumerate(NB["cells"]):
        for line_no, src in enumerate(cell["source"], start=1):
            disk = linemap.source_line(cell_index, line_no)
            assert disk is not None
            assert json.dumps(src) in lines[disk - 1]


def test_string_source_maps_to_its_single_line() -> None:
    nb = make_nb([make_cell("code", "a = 1\nb = 2\n")])
    text = json.dumps(nb, indent=1)
    disk = LineMap(text).source_line(0, 2)
    assert disk is not None and '"a = 1\\nb = 2\\n"' in text.split("\n")[disk - 1]


def test_empty_containers_and_keys_with_escapes() -> None:
    text = json.dumps({"a": [], "b": {}, 'c"d': [[], [1]], "e": 2}, indent=1)
    lines = value_lines(text)
    assert lines[('c"d', 1, 0)] == text.split("\n").index("   1") + 1
    assert lines[("e",)] == len(text.split("\n")) - 1
