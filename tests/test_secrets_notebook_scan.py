"""Notebook walking: every part located (cell, output, field, line, disk line), images skipped."""

from __future__ import annotations

import base64
import json
import random
import string
from pathlib import Path
from typing import Any, Callable

from conftest import make_cell

from nbtools.findings import Finding, Where
from nbtools.notebook import read_notebook
from nbtools.secrets.engine import default_engine
from nbtools.secrets.notebook_scan import scan_notebook
from nbtools.suppress import ALLOW_TAG

RNG = random.Random(11)
GHP = "ghp_" + "".join(RNG.choice(string.ascii_letters + string.digits) for _ in range(36))
STRIPE = "sk_live_" + "".join(RNG.choice(string.ascii_letters + string.digits) for _ in range(24))


def scan(path: Path) -> list[Finding]:
    return scan_notebook(read_notebook(path), default_engine())


def disk_line(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not on disk")


def test_source_and_markdown_locations(nb_factory: Callable[..., Path]) -> None:
    path = nb_factory(
        "a.ipynb",
        [
            make_cell("markdown", ["# Title\n", f"token `{GHP}`\n"]),
            make_cell("code", ["import stripe\n", f"stripe.api_key = '{STRIPE}'\n"]),
        ],
    )
    found = scan(path)
    assert [(f.where, f.cell_index, f.cell_id, f.line, f.rule) for f in found] == [
        (Where.MARKDOWN, 0, "cell-0", 2, "scan/github-token"),
        (Where.SOURCE, 1, "cell-1", 2, "scan/stripe-key"),
    ]
    assert found[0].json_line == disk_line(path, GHP)
    assert found[1].json_line == disk_line(path, STRIPE)
    assert all(f.masked and GHP not in f.masked and STRIPE not in f.masked for f in found)


def test_outputs_tracebacks_and_json_mime(nb_factory: Callable[..., Path]) -> None:
    traceback = [
        "\x1b[0;31m-----\x1b[0m",
        "Cell \x1b[0;32mIn[2], line 2\x1b[0m\n\x1b[0;32m      1\x1b[0m import stripe\n"
        f"\x1b[0;32m----> 2\x1b[0m stripe\x1b[38;5;241m.\x1b[39mapi_key \x1b[38;5;241m=\x1b[39m '{STRIPE}'",
    ]
    outputs: list[dict[str, Any]] = [
        {
            "output_type": "stream",
            "name": "stdout",
            "text": ["HOME=/root\n", f"GITHUB_TOKEN={GHP}\n"],
        },
        {"output_type": "error", "ename": "E", "evalue": f"bad key {GHP}", "traceback": traceback},
        {
            "output_type": "display_data",
            "metadata": {},
            "data": {"application/json": {"cfg": {"token": GHP}}, "text/plain": ["<JSON>"]},
        },
    ]
    path = nb_factory("b.ipynb", [make_cell("code", "x", outputs=outputs)])
    found = scan(path)
    located = [(f.output_index, f.field, f.line) for f in found]
    assert located == [
        (0, "text", 2),
        (1, "evalue", 1),
        (1, "traceback", 4),
        (2, "data.application/json.cfg.token", 1),
    ]
    assert all(f.where is Where.OUTPUT and f.cell_index == 0 for f in found)
    assert found[0].json_line == disk_line(path, f"GITHUB_TOKEN={GHP}")
    assert found[2].json_line == disk_line(path, "----> 2")


def test_images_and_widgets_are_skipped_not_decoded(nb_factory: Callable[..., Path]) -> None:
    hidden = base64.b64encode(f"api_key = '{STRIPE}' {GHP}".encode()).decode()
    outputs = [
        {
            "output_type": "display_data",
            "metadata": {},
            "data": {
                "image/png": hidden + GHP,
                "application/vnd.jupyter.widget-view+json": {"model_id": GHP},
                "text/plain": ["<Figure>"],
            },
        }
    ]
    assert scan(nb_factory("c.ipynb", [make_cell("code", "plot()", outputs=outputs)])) == []


def test_metadata_and_attachments(nb_factory: Callable[..., Path]) -> None:
    cell = make_cell("code", "push()", metadata={"env": {"GITHUB_TOKEN": GHP}})
    md = make_cell("markdown", "![x](attachment:x.png)", attachments={"x.png": {"image/png": GHP}})
    path = nb_factory("d.ipynb", [cell, md], metadata={"deploy": {"stripe": STRIPE}})
    found = scan(path)
    assert [(f.where, f.cell_index, f.field, f.line) for f in found] == [
        (Where.METADATA, 0, "env.GITHUB_TOKEN", None),
        (Where.METADATA, None, "deploy.stripe", None),
    ]
    assert found[0].json_line == disk_line(path, GHP)


def test_inline_comment_tag_and_metadata_suppress(nb_factory: Callable[..., Path]) -> None:
    cells = [
        make_cell("code", f"key = '{STRIPE}'  # nbtools: allow\nother = '{GHP}'"),
        make_cell(
            "code",
            "x",
            metadata={"tags": [ALLOW_TAG]},
            outputs=[{"output_type": "stream", "name": "stdout", "text": GHP}],
        ),
        make_cell("markdown", f"`{GHP}`", metadata={"nbtools": {"allow": ["scan/github-token"]}}),
        make_cell(
            "markdown", f"`{STRIPE}`", metadata={"nbtools": {"allow": ["scan/github-token"]}}
        ),
    ]
    found = scan(nb_factory("e.ipynb", cells))
    assert [(f.cell_index, f.line, f.rule) for f in found if f.suppression is None] == [
        (0, 2, "scan/github-token"),
        (3, 1, "scan/stripe-key"),
    ]
    # the others are reported as suppressed, each with its source
    assert [(f.cell_index, f.suppression.source) for f in found if f.suppression is not None] == [
        (0, "comment"),
        (1, "cell tag"),
        (2, "cell metadata"),
    ]


def test_nbformat3_notebook(tmp_path: Path) -> None:
    nb = {
        "nbformat": 3,
        "nbformat_minor": 0,
        "metadata": {},
        "worksheets": [
            {
                "cells": [
                    {
                        "cell_type": "code",
                        "input": [f"key = '{STRIPE}'\n"],
                        "outputs": [{"output_type": "pyout", "text": [GHP]}],
                    },
                ]
            }
        ],
    }
    path = tmp_path / "v3.ipynb"
    path.write_text(json.dumps(nb, indent=1), encoding="utf-8")
    found = scan(path)
    assert [(f.where, f.cell_index, f.field, f.rule) for f in found] == [
        (Where.SOURCE, 0, None, "scan/stripe-key"),
        (Where.OUTPUT, 0, "text", "scan/github-token"),
    ]
    assert found[0].json_line == disk_line(path, STRIPE)
