"""``--html DIR``: executed notebooks as HTML (nbconvert), with the failing cell easy to find.

A red banner at the top links to a red note (the anchor) placed just before the failing
cell, which names the reason; everything else is nbconvert's standard output.
"""

from __future__ import annotations

import copy
import html
import importlib
import os
from typing import Any

ANCHOR = "nbtools-failure"


def html_name(path: str) -> str:
    """A flat file name for a notebook path (``a/b.ipynb`` -> ``a__b.html``)."""
    relative = os.path.normpath(path).lstrip(os.sep).replace(os.sep, "__")
    stem = relative[: -len(".ipynb")] if relative.endswith(".ipynb") else relative
    return stem.replace("..", "_") + ".html"


def with_markers(nb: dict[str, Any], failing_cell: int | None, reason: str) -> dict[str, Any]:
    """A copy of ``nb`` with the banner and the anchor before the failing cell."""
    marked = copy.deepcopy(nb)
    cells: list[dict[str, Any]] = marked.get("cells") or []
    if failing_cell is None or not 0 <= failing_cell < len(cells):
        return marked
    note = html.escape(reason)
    anchor = {
        "cell_type": "markdown",
        "metadata": {},
        "source": f'<div id="{ANCHOR}" style="border-left:6px solid #d32f2f;'
        f'padding:4px 8px;background:#fdecea"><b>nbtools: cell {failing_cell + 1} '
        f"failed</b>: {note}</div>",
    }
    banner = {
        "cell_type": "markdown",
        "metadata": {},
        "source": f'<div style="padding:6px;background:#fdecea">'
        f'<b>This notebook failed</b>: {note} &mdash; <a href="#{ANCHOR}">'
        f"go to cell {failing_cell + 1}</a></div>",
    }
    for cell in (anchor, banner):
        if marked.get("nbformat_minor", 0) >= 5:
            cell["id"] = f"nbtools-{len(cells)}-{cell is banner}"
    cells.insert(failing_cell, anchor)
    cells.insert(0, banner)
    return marked


def write_html(
    nb: dict[str, Any], out_dir: str, path: str, failing_cell: int | None, reason: str
) -> str:
    """Write ``nb`` as HTML under ``out_dir``; returns the file written."""
    from nbtools.execute.nodes import as_node

    exporter: Any = importlib.import_module("nbconvert").HTMLExporter()

    node = as_node(with_markers(nb, failing_cell, reason))
    body, _ = exporter.from_notebook_node(node)
    os.makedirs(out_dir, exist_ok=True)
    target = os.path.join(out_dir, html_name(path))
    with open(target, "w", encoding="utf-8") as handle:
        handle.write(body)
    return target
