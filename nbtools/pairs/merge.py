"""Carry a script's edits into its notebook, keeping every cell the edit did not touch.

Cells whose text did not change are kept exactly as they were (source, outputs, ids,
metadata), so a round trip through the text format never rewrites a cell jupytext would
have normalised; a changed cell keeps its id and loses its outputs.
"""

from __future__ import annotations

import copy
import uuid
from typing import TYPE_CHECKING

from nbtools.notebook import source_text
from nbtools.pairs.cellmatch import Cell, cells_of, opcodes, origin_map

if TYPE_CHECKING:
    from nbtools.notebook import NotebookDict


def merge_script(nb: NotebookDict, rt: NotebookDict, from_script: NotebookDict) -> NotebookDict:
    """``nb`` updated from the script's cells, keeping unchanged cells (and their outputs)."""
    original, rt_cells, py_cells = cells_of(nb), cells_of(rt), cells_of(from_script)
    origin = origin_map(original, rt_cells)
    as_list = any(isinstance(c.get("source"), list) for c in original)
    with_ids = (int(nb.get("nbformat", 4)), int(nb.get("nbformat_minor", 0))) >= (4, 5)
    used_ids = {str(c.get("id")) for c in original if c.get("id")}
    merged: list[Cell] = []
    for tag, i1, i2, j1, j2 in opcodes(rt_cells, py_cells):
        pairs = list(zip(range(i1, i2), range(j1, j2)))
        for i, j in pairs:
            base = original[origin[i]] if i in origin else None
            if tag == "equal" and base is not None:
                cell = copy.deepcopy(base)
                _apply_metadata(cell, rt_cells[i], py_cells[j])
            else:
                cell = _new_cell(py_cells[j], base, as_list, with_ids, used_ids)
                if base is not None and base.get("cell_type") == cell["cell_type"]:
                    # metadata the script does not show (filtered) stays with the cell
                    cell["metadata"] = copy.deepcopy(base.get("metadata") or {})
                    _apply_metadata(cell, rt_cells[i], py_cells[j])
            merged.append(cell)
        for j in range(j1 + len(pairs), j2):
            merged.append(_new_cell(py_cells[j], None, as_list, with_ids, used_ids))
    out = dict(nb)
    out["cells"] = merged
    return out


def _apply_metadata(cell: Cell, before: Cell, after: Cell) -> None:
    """Apply the script's edits of the metadata it shows (tags, ...) to the kept cell."""
    old, new = before.get("metadata") or {}, after.get("metadata") or {}
    if old == new:
        return
    metadata = dict(cell.get("metadata") or {})
    for key in old:
        if key not in new:
            metadata.pop(key, None)
    metadata.update(new)
    cell["metadata"] = metadata


def _new_cell(
    source_cell: Cell, base: Cell | None, as_list: bool, with_ids: bool, used_ids: set[str]
) -> Cell:
    """A cell built from the script; a replaced cell keeps its id (outputs dropped)."""
    cell_type = str(source_cell.get("cell_type", "code"))
    text = source_text(source_cell)
    metadata = dict(source_cell.get("metadata") or {})
    cell: Cell = {"cell_type": cell_type}
    if cell_type == "code":
        cell["execution_count"] = None  # the code changed: its outputs no longer apply
    if with_ids:
        cell_id = base.get("id") if base is not None else None
        if not isinstance(cell_id, str):
            cell_id = uuid.uuid4().hex[:8]
            while cell_id in used_ids:
                cell_id = uuid.uuid4().hex[:8]
            used_ids.add(cell_id)
        cell["id"] = cell_id
    cell["metadata"] = metadata
    if cell_type == "code":
        cell["outputs"] = []
    cell["source"] = text.splitlines(keepends=True) if as_list else text
    return cell
