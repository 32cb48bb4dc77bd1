"""The text rendering ``git diff`` shows for notebooks."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import make_cell, make_nb

from nbtools.notebook import iter_cells, read_notebook
from nbtools.textconv import MAX_OUTPUT_LINES, render_text

PNG = {"image/png": "iVBORw0KGgo=", "text/plain": ["<Figure>"]}


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (make_cell("code", "x = 1\ny = 2"), "# %%\nx = 1\ny = 2\n"),
        (make_cell("markdown", "# Head\n\ntext"), "# %% [markdown]\n# # Head\n#\n# text\n"),
        (make_cell("raw", "raw line"), "# %% [raw]\n# raw line\n"),
        (
            make_cell("code", "x", metadata={"tags": ["keep_output", "slow"]}),
            "# %% tags=['keep_output', 'slow']\nx\n",
        ),
        (
            make_cell(
                "code",
                "print(1)",
                outputs=[{"output_type": "stream", "name": "stderr", "text": ["a\n", "b"]}],
            ),
            "# %%\nprint(1)\n# >> [stderr]\n# >> a\n# >> b\n",
        ),
        (
            make_cell(
                "code",
                "1/0",
                outputs=[
                    {
                        "output_type": "error",
                        "ename": "ZeroDivisionError",
                        "evalue": "division by zero",
                        "traceback": [],
                    }
                ],
            ),
            "# %%\n1/0\n# >> [error] ZeroDivisionError: division by zero\n",
        ),
        (
            make_cell(
                "code",
                "fig",
                outputs=[{"output_type": "display_data", "data": PNG, "metadata": {}}],
            ),
            "# %%\nfig\n# >> [display_data]\n# >> <Figure>\n",
        ),
        (
            make_cell(
                "code",
                "img",
                outputs=[
                    {"output_type": "display_data", "data": {"image/png": "AAAA"}, "metadata": {}}
                ],
            ),
            "# %%\nimg\n# >> [display_data] image/png: 4 characters\n",
        ),
        (
            make_cell(
                "markdown", "![x](attachment:a.png)", attachments={"a.png": {"image/png": "AA"}}
            ),
            "# %% [markdown]\n# ![x](attachment:a.png)\n# >> [attachment] a.png\n",
        ),
    ],
)
def test_cells(cell: dict[str, Any], expected: str) -> None:
    assert render_text(make_nb([cell], metadata={})) == expected


def test_kernel_line_and_blank_line_between_cells() -> None:
    nb = make_nb([make_cell("code", "a"), make_cell("code", "b")])
    assert render_text(nb) == "# kernel: python3\n\n# %%\na\n\n# %%\nb\n"


def test_long_text_output_is_cut() -> None:
    lines = [f"{i}\n" for i in range(MAX_OUTPUT_LINES + 5)]
    nb = make_nb(
        [
            make_cell(
                "code", "x", outputs=[{"output_type": "stream", "name": "stdout", "text": lines}]
            )
        ],
        metadata={},
    )
    text = render_text(nb)
    assert f"# >> {MAX_OUTPUT_LINES - 1}\n" in text
    assert f"# >> {MAX_OUTPUT_LINES}\n" not in text
    assert text.endswith("# >> ... 5 more lines\n")


def test_nbformat3_worksheets() -> None:
    nb = {
        "nbformat": 3,
        "nbformat_minor": 0,
        "metadata": {},
        "worksheets": [
            {
                "cells": [
                    {"cell_type": "heading", "level": 1, "source": "Title", "metadata": {}},
                    {
                        "cell_type": "code",
                        "input": "1 + 1",
                        "language": "python",
                        "metadata": {},
                        "outputs": [{"output_type": "pyout", "text": ["2"], "prompt_number": 1}],
                    },
                ]
            }
        ],
    }
    assert render_text(nb) == "# %% [heading]\n# Title\n\n# %%\n1 + 1\n# >> [pyout]\n# >> 2\n"


def test_every_corpus_notebook_renders(shared: Any) -> None:
    corpus = shared("corpus", "public")
    for path in sorted(corpus.glob("*.ipynb")):
        nbfile = read_notebook(path)
        text = render_text(nbfile.nb)
        cells = [c for c in iter_cells(nbfile.nb) if isinstance(c, dict)]
        headers = [line for line in text.splitlines() if line.startswith("# %%")]
        assert len(headers) >= len(cells) > 0, path  # one block per cell (sources may add more)
        assert text.endswith("\n"), path
        assert '"cell_type"' not in text, path  # never the JSON itself
