"""Walking a parsed notebook: its cells, their source, tags and multiline strings.

A notebook is kept as the plain dicts and lists its JSON parses to (so that a rewrite keeps
every key in its order); these accessors are what the commands share to read it, for
nbformat 4 and for nbformat 3, whose cells sit in worksheets.
"""

from __future__ import annotations

from typing import Any, Dict, Iterator

NotebookDict = Dict[str, Any]


def iter_cells(nb: NotebookDict) -> Iterator[dict[str, Any]]:
    """The cells of an nbformat 4 or nbformat 3 (worksheets) notebook, in order."""
    if nb.get("nbformat") == 3:
        for worksheet in nb.get("worksheets") or []:
            yield from worksheet.get("cells") or []
    else:
        yield from nb.get("cells") or []


def cell_lists(nb: NotebookDict) -> list[list[dict[str, Any]]]:
    """The mutable list(s) that hold cells (one per v3 worksheet)."""
    if nb.get("nbformat") == 3:
        return [ws.setdefault("cells", []) for ws in nb.get("worksheets") or []]
    return [nb.setdefault("cells", [])]


def source_text(cell: dict[str, Any]) -> str:
    """A cell's source as one string (v3 code cells keep it under ``input``)."""
    src = cell.get("source", cell.get("input", ""))
    if isinstance(src, list):
        return "".join(src)
    return src if isinstance(src, str) else ""


def multiline(value: Any) -> str:
    """Join nbformat's multiline strings (a string or a list of strings)."""
    if isinstance(value, list):
        return "".join(v for v in value if isinstance(v, str))
    return value if isinstance(value, str) else ""


def tags_of(cell: dict[str, Any]) -> list[str]:
    """A cell's tags (the strings of its ``metadata.tags`` list)."""
    tags = (cell.get("metadata") or {}).get("tags") or []
    return [t for t in tags if isinstance(t, str)] if isinstance(tags, list) else []
