"""Notebook dicts as the ``NotebookNode`` objects jupytext, nbclient and nbconvert expect.

Notebooks on disk store sources and text outputs as lists of lines (Jupyter's format);
the libraries expect the in-memory form, where those are joined strings. nbformat's own
reader does that normalisation (and upgrades nbformat 3); everything nbtools hands to
those libraries goes through :func:`as_node`, so a notebook written by Jupyter and one
built in memory look the same to them.
"""

from __future__ import annotations

import importlib
import json
from typing import Any


def as_node(nb: dict[str, Any]) -> Any:
    """``nb`` read the way nbformat reads a file: multiline strings joined, version 4.

    Unlike ``nbformat.reads`` this does not validate (and log) the notebook: a notebook
    that Jupyter would open is run even when it carries a field the schema lacks.
    """
    nbformat: Any = importlib.import_module("nbformat")
    text = json.dumps(nb)
    try:
        node = nbformat.reader.reads(text)  # the version's reader: rejoin_lines and friends
        return nbformat.convert(node, 4)
    except Exception:  # noqa: BLE001 - no or odd version: the v4 reader's normalisation
        return nbformat.v4.to_notebook_json(json.loads(text))


def as_dict(node: Any) -> dict[str, Any]:
    """A plain (JSON) copy of a node."""
    data: dict[str, Any] = json.loads(json.dumps(node))
    return data
