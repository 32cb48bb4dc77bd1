"""What differs between a notebook and its script, cell by cell, for messages and reports.

:func:`compare` says which cells differ and where (notebook cell, line, script line);
:func:`unrepresentable` which cells would not survive the text format at all (a ``# %%``
inside a percent cell splits it), so that nothing is written that would break them.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nbtools.notebook import source_text
from nbtools.pairs.cellmatch import Cell, cells_of, opcodes, origin_map

if TYPE_CHECKING:
    from nbtools.notebook import NotebookDict


@dataclass
class CellDiff:
    """One cell that differs between the two sides."""

    message: str
    cell_index: int | None = None  # 0-based notebook cell, None when only in the script
    line: int | None = None  # 1-based line within the cell
    script_line: int | None = None  # 1-based line in the script file


def unrepresentable(nb: NotebookDict, rt: NotebookDict, fmt: str) -> list[CellDiff]:
    """The cells whose text does not survive the text format: ``rt`` is ``nb`` read back
    from its text, so a ``# %%`` line inside a percent cell (the cell splits), an open triple
    quote in a light cell (cells merge), ... show up as cells that differ.

    Sources are compared without their trailing blank lines, which jupytext normalises.
    """
    original = [(str(c.get("cell_type")), source_text(c).rstrip()) for c in cells_of(nb)]
    back = [(str(c.get("cell_type")), source_text(c).rstrip()) for c in cells_of(rt)]
    if original == back:
        return []
    matcher = difflib.SequenceMatcher(None, original, back, autojunk=False)
    diffs: list[CellDiff] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        became, were = j2 - j1, i2 - i1
        for i in range(i1, i2):
            others = ", ".join(str(k + 1) for k in range(i1, i2) if k != i)
            if became == 0:
                what = "is lost"
            elif were == 1:
                what = (
                    "reads back with other text" if became == 1 else f"splits into {became} cells"
                )
            elif became < were:
                what = f"is merged with cell{'s' if were > 2 else ''} {others}"
            else:
                what = f"reads back as {became} cells together with cell{'s' if were > 2 else ''} {others}"
            line = _first_difference(original[i][1], "\n".join(t for _, t in back[j1:j2]))
            diffs.append(
                CellDiff(
                    f"cell {i + 1} does not survive the {fmt} format: it {what}; nothing was "
                    f"written (change line {line} of the cell, or pair with another format)",
                    i,
                    line,
                )
            )
    return diffs


def _first_difference(a: str, b: str) -> int:
    left, right = a.splitlines(), b.splitlines()
    for k, (x, y) in enumerate(zip(left, right)):
        if x != y:
            return k + 1
    return min(len(left), len(right)) + 1 if len(left) != len(right) else 1


def compare(
    nb: NotebookDict, rt: NotebookDict, from_script: NotebookDict, script_text: str
) -> list[CellDiff]:
    """The cells that differ between the notebook and the script (empty: in sync)."""
    original, rt_cells, py_cells = cells_of(nb), cells_of(rt), cells_of(from_script)
    origin = origin_map(original, rt_cells)
    starts = _script_cell_lines(py_cells, script_text)
    lines = script_text.splitlines()
    diffs: list[CellDiff] = []
    for tag, i1, i2, j1, j2 in opcodes(rt_cells, py_cells):
        pairs = list(zip(range(i1, i2), range(j1, j2)))
        for i, j in pairs:
            index = origin.get(i)
            where = f"cell {index + 1}" if index is not None else "a cell"
            a, b = rt_cells[i], py_cells[j]
            if tag == "equal":
                if (a.get("metadata") or {}) != (b.get("metadata") or {}):
                    diffs.append(
                        CellDiff(f"{where}: cell metadata differs", index, None, starts[j])
                    )
                continue
            diffs.append(_cell_diff(where, index, a, b, starts[j], lines))
        for i in range(i1 + len(pairs), i2):
            index = origin.get(i)
            where = f"cell {index + 1}" if index is not None else "a cell"
            diffs.append(CellDiff(f"{where} is only in the notebook", index))
        for j in range(j1 + len(pairs), j2):
            line = starts[j]
            at = f" (script line {line})" if line else ""
            diffs.append(
                CellDiff(
                    f"a {py_cells[j].get('cell_type')} cell{at} is only in the script",
                    None,
                    None,
                    line,
                )
            )
    return diffs


def _cell_diff(
    where: str, index: int | None, a: Cell, b: Cell, start: int | None, lines: list[str]
) -> CellDiff:
    if a.get("cell_type") != b.get("cell_type"):
        return CellDiff(
            f"{where} is {a.get('cell_type')} in the notebook, {b.get('cell_type')} in the script",
            index,
            None,
            start,
        )
    left, right = source_text(a).splitlines(), source_text(b).splitlines()
    k = next(
        (
            k
            for k in range(max(len(left), len(right)))
            if k >= len(left) or k >= len(right) or left[k] != right[k]
        ),
        0,
    )
    nb_line = left[k] if k < len(left) else "<end of cell>"
    py_line = right[k] if k < len(right) else "<end of cell>"
    script_line = _locate(lines, start, right[k]) if start and k < len(right) else start
    at = f" line {script_line}" if script_line else ""
    return CellDiff(
        f"{where}, line {k + 1}: notebook has {nb_line.strip()!r}, script{at} has {py_line.strip()!r}",
        index,
        k + 1,
        script_line,
    )


def _matches(disk_line: str, text: str) -> bool:
    disk, text = disk_line.rstrip(), text.rstrip()
    # markdown, raw cells and magics appear commented out in the script
    return disk in (text, f"# {text}", f"#{text}", f"# # {text}")


def _locate(lines: list[str], start: int | None, text: str) -> int | None:
    """1-based line of ``text`` in the script, searching from line ``start``."""
    if not start or not text.strip():
        return start
    for n in range(start - 1, len(lines)):
        if _matches(lines[n], text):
            return n + 1
    return start


def _script_cell_lines(cells: list[Cell], script_text: str) -> list[int | None]:
    """Best-effort 1-based script line of each cell's first non-blank source line."""
    lines = script_text.splitlines()
    out: list[int | None] = []
    pos = 0
    for cell in cells:
        first = next((ln for ln in source_text(cell).splitlines() if ln.strip()), None)
        found = None
        if first is not None:
            for n in range(pos, len(lines)):
                if _matches(lines[n], first):
                    found = n
                    break
        if found is None:
            out.append(None)
        else:
            out.append(found + 1)
            pos = found + 1
    return out
