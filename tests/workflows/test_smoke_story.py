"""The story tier's own helpers write what Jupyter writes."""

from __future__ import annotations

import json
from pathlib import Path

from story import code, jupyter_notebook, nbtools, stream


def test_notebooks_are_written_as_jupyter_writes_them(tmp_path: Path) -> None:
    path = jupyter_notebook(tmp_path / "nb.ipynb", [code("a = 1\nprint(a)", [stream("1\n")], 1)])
    text = path.read_text(encoding="utf-8")
    cell = json.loads(text)["cells"][0]
    assert cell["source"] == ["a = 1\n", "print(a)"]
    assert cell["outputs"][0]["text"] == ["1\n"]
    assert text.startswith('{\n "cells": [\n  {\n') and "id" in cell
    assert nbtools("strip", "--check", str(path), cwd=tmp_path).returncode == 1
