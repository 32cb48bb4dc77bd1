"""How the cells of two versions of a notebook line up (difflib over type and source).

Shared by the comparison (:mod:`nbtools.pairs.diff`) and the merge (:mod:`nbtools.pairs.merge`)
of a notebook with its script, so both see the same cells as "the same".
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, Any, Dict, Sequence, Tuple

from nbtools.notebook import source_text

if TYPE_CHECKING:
    from nbtools.notebook import NotebookDict

Cell = Dict[str, Any]
CellKey = Tuple[str, str]


def cell_key(cell: Cell) -> CellKey:
    """What makes two cells the same cell: their type and source."""
    return (str(cell.get("cell_type")), source_text(cell))


def cells_of(nb: NotebookDict) -> list[Cell]:
    """The notebook's cell list (empty when it has none or a malformed one)."""
    cells = nb.get("cells")
    return cells if isinstance(cells, list) else []


def origin_map(original: list[Cell], rt: list[Cell]) -> dict[int, int]:
    """Round-tripped cell index -> original cell index."""
    if len(original) == len(rt):
        # same cell count: jupytext only normalised some sources, the order is the order
        return {i: i for i in range(len(rt))}
    matcher = difflib.SequenceMatcher(
        None, [cell_key(c) for c in original], [cell_key(c) for c in rt]
    )
    mapping: dict[int, int] = {}
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            mapping[block.b + k] = block.a + k
    return mapping


def opcodes(rt: list[Cell], from_script: list[Cell]) -> Sequence[tuple[str, int, int, int, int]]:
    """How the notebook's cells (as read back from its text) become the script's."""
    matcher = difflib.SequenceMatcher(
        None, [cell_key(c) for c in rt], [cell_key(c) for c in from_script], autojunk=False
    )
    return matcher.get_opcodes()
