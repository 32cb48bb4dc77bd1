"""Decide how to bring a notebook and its script in sync, from content alone (pure).

Which side changed is read from the sync record (content hashes, see
:mod:`nbtools.syncstate`), never from modification times: jupytext's own ``--sync`` trusts
mtimes and so throws a script edit away when anything touches the notebook afterwards.
When the script changed, the notebook is updated cell by cell: cells whose text did not
change are kept exactly as they were (source, outputs, ids, metadata), so a round trip
through the text format never rewrites a cell jupytext would have normalised.
"""

from __future__ import annotations

import copy
import difflib
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Dict, Sequence, Tuple

from nbtools.errors import InputError
from nbtools.notebook import NotebookDict, decode, loads_notebook, require_v4, source_text
from nbtools.pairconvert import notebook_to_text, text_to_notebook
from nbtools.syncstate import bytes_hash

if TYPE_CHECKING:
    from nbtools.pairing import Pair
    from nbtools.strip import StripOptions
    from nbtools.syncstate import Entry

Cell = Dict[str, Any]
CellKey = Tuple[str, str]


@dataclass
class CellDiff:
    """One cell that differs between the two sides."""

    message: str
    cell_index: int | None = None  # 0-based notebook cell, None when only in the script
    line: int | None = None  # 1-based line within the cell
    script_line: int | None = None  # 1-based line in the script file


@dataclass
class SyncPlan:
    """What to do with one pair; ``*_out`` are new file contents (None: leave as is)."""

    #: in_sync | update_notebook | update_script | create_script | conflict | unrepresentable
    action: str
    notebook_hash: str
    script_hash: str
    notebook_out: bytes | None = None
    script_out: bytes | None = None
    reason: str = ""
    diffs: list[CellDiff] = field(default_factory=list)  # what differs (a conflict, or the update)

    @property
    def writes(self) -> bool:
        return self.notebook_out is not None or self.script_out is not None


def plan_sync(
    pair: Pair,
    notebook_raw: bytes,
    script_raw: bytes | None,
    entry: Entry | None,
    prefer: str | None = None,
    strip: StripOptions | None = None,
    committed: Callable[[], Sequence[Sequence[bytes | None]]] | None = None,
) -> SyncPlan:
    """How to sync ``pair`` given both files' bytes (``script_raw`` None: the script is
    missing, and is created as ``jupytext --sync`` does) and its last sync record.

    Without a record, ``committed`` gives the pair's committed versions (``(notebook,
    script)`` bytes in git's index, then in HEAD): the common base of a three-way decision.
    It is called only when the sides differ and no record says which one changed.
    """
    if script_raw is None:
        return _plan_create(pair, notebook_raw, strip)
    nb_hash, py_hash = bytes_hash(notebook_raw), bytes_hash(script_raw)
    if entry is not None and (entry.notebook_hash, entry.script_hash) == (nb_hash, py_hash):
        return SyncPlan("in_sync", nb_hash, py_hash)  # the fast path: no parsing at all
    nbfile = loads_notebook(notebook_raw, str(pair.notebook))
    require_v4(nbfile)
    script_text = decode(script_raw, pair.script)
    nb = nbfile.nb
    text = notebook_to_text(nb, pair.fmt, pair.notebook)
    diffs: list[CellDiff] = []
    if text != script_text:  # identical text: in sync without parsing the script
        rt = text_to_notebook(text, pair.fmt, pair.notebook)
        if prefer != "py":
            # checked when something would be carried over: nothing splits while in sync
            broken = unrepresentable(nb, rt, pair.fmt.jupytext_fmt)
            if broken:
                return _plan_unrepresentable(nb_hash, py_hash, broken, pair)
        from_script = text_to_notebook(script_text, pair.fmt, pair.script)
        diffs = compare(nb, rt, from_script, script_text)
    plan = SyncPlan("in_sync", nb_hash, py_hash, diffs=diffs)
    side = None
    if diffs:
        nb_changed = entry is None or entry.notebook_hash != nb_hash
        py_changed = entry is None or entry.script_hash != py_hash
        since = "since the last sync"
        if entry is None and prefer is None and committed is not None:
            nb_changed, py_changed, since = _changed_since_commit(
                pair, text, script_text, committed()
            )
        if prefer is not None:
            side = prefer
        elif not nb_changed and not _cells(from_script) and _cells(nb):
            # an emptied script (a failed save, a truncation) never empties a notebook
            plan.action = "conflict"
            plan.reason = "the script is empty; `--prefer py` empties the notebook"
            return plan
        elif not nb_changed:
            side = "py"
        elif not py_changed:
            side = "ipynb"
        else:
            plan.action = "conflict"
            plan.reason = (
                f"both sides changed {since}"
                if entry is not None or since != "since the last sync"
                else "the sides differ and there is no sync record to tell which one changed"
            )
            return plan
    if side == "py":
        nb = merge_script(nb, rt, from_script)
        plan.action, plan.reason = "update_notebook", "the script changed"
        if entry is None and since != "since the last sync":
            plan.reason = f"only the script changed {since}"
    if strip is not None:
        from nbtools.strip import strip_notebook

        strip_notebook(nb, strip)
    rendered = nbfile.render_bytes(nb)
    if rendered != notebook_raw:
        plan.notebook_out = rendered
        if plan.action == "in_sync":
            plan.action, plan.reason = "update_notebook", "stripped"
    if side == "ipynb":
        plan.action, plan.reason = "update_script", "the notebook changed"
        if entry is None and since != "since the last sync":
            plan.reason = f"only the notebook changed {since}"
        if strip is not None:
            text = notebook_to_text(nb, pair.fmt, pair.notebook)
        data = text.encode("utf-8")
        plan.script_out = data if data != script_raw else None
    if prefer is not None and side is not None:
        plan.reason = f"--prefer {prefer}"
    return plan


def _changed_since_commit(
    pair: Pair, text: str, script_text: str, bases: Sequence[Sequence[bytes | None]]
) -> tuple[bool, bool, str]:
    """Which sides differ from the first committed base (index, then HEAD) that tells.

    Compared by content: the notebook by the text jupytext makes of it (outputs, counts
    and a git filter's stripping do not count), the script by its text. A base where
    neither side changed tells nothing (e.g. the edit is already staged): the next is tried.
    """
    for place, versions in zip(("staged in git", "committed in HEAD"), bases):
        nb_base, py_base = versions[0], versions[1]
        if nb_base is None or py_base is None:
            continue
        try:
            base_nb = loads_notebook(nb_base, str(pair.notebook))
            base_text = notebook_to_text(base_nb.nb, pair.fmt, pair.notebook)
            base_script = decode(py_base, pair.script)
        except InputError:
            continue
        nb_changed, py_changed = base_text != text, base_script != script_text
        if nb_changed or py_changed:
            return nb_changed, py_changed, f"since the version {place}"
    return True, True, "since the last sync"


def unrepresentable(nb: NotebookDict, rt: NotebookDict, fmt: str) -> list[CellDiff]:
    """The cells whose text does not survive the text format: ``rt`` is ``nb`` read back
    from its text, so a ``# %%`` line inside a percent cell (the cell splits), an open triple
    quote in a light cell (cells merge), ... show up as cells that differ.

    Sources are compared without their trailing blank lines, which jupytext normalises.
    """
    original = [(str(c.get("cell_type")), source_text(c).rstrip()) for c in _cells(nb)]
    back = [(str(c.get("cell_type")), source_text(c).rstrip()) for c in _cells(rt)]
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


def _plan_unrepresentable(
    nb_hash: str, py_hash: str, diffs: list[CellDiff], pair: Pair
) -> SyncPlan:
    cells = ", ".join(str((d.cell_index or 0) + 1) for d in diffs[:8])
    return SyncPlan(
        "unrepresentable",
        nb_hash,
        py_hash,
        reason=f"cell{'s' if len(diffs) > 1 else ''} {cells} would not survive "
        f"{pair.fmt.jupytext_fmt} (split or merged by jupytext)",
        diffs=diffs,
    )


def _plan_create(pair: Pair, notebook_raw: bytes, strip: StripOptions | None) -> SyncPlan:
    nbfile = loads_notebook(notebook_raw, str(pair.notebook))
    require_v4(nbfile)
    nb = nbfile.nb
    text = notebook_to_text(nb, pair.fmt, pair.notebook)
    broken = unrepresentable(
        nb, text_to_notebook(text, pair.fmt, pair.notebook), pair.fmt.jupytext_fmt
    )
    if broken:
        return _plan_unrepresentable(bytes_hash(notebook_raw), "", broken, pair)
    plan = SyncPlan("create_script", bytes_hash(notebook_raw), "", reason="the script was missing")
    if strip is not None:
        from nbtools.strip import strip_notebook

        strip_notebook(nb, strip)
        rendered = nbfile.render_bytes(nb)
        plan.notebook_out = rendered if rendered != notebook_raw else None
    plan.script_out = notebook_to_text(nb, pair.fmt, pair.notebook).encode("utf-8")
    return plan


def _key(cell: Cell) -> CellKey:
    return (str(cell.get("cell_type")), source_text(cell))


def _cells(nb: NotebookDict) -> list[Cell]:
    cells = nb.get("cells")
    return cells if isinstance(cells, list) else []


def _origin_map(original: list[Cell], rt: list[Cell]) -> dict[int, int]:
    """Round-tripped cell index -> original cell index."""
    if len(original) == len(rt):
        # same cell count: jupytext only normalised some sources, the order is the order
        return {i: i for i in range(len(rt))}
    matcher = difflib.SequenceMatcher(None, [_key(c) for c in original], [_key(c) for c in rt])
    mapping: dict[int, int] = {}
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            mapping[block.b + k] = block.a + k
    return mapping


def _opcodes(rt: list[Cell], from_script: list[Cell]) -> Sequence[tuple[str, int, int, int, int]]:
    matcher = difflib.SequenceMatcher(
        None, [_key(c) for c in rt], [_key(c) for c in from_script], autojunk=False
    )
    return matcher.get_opcodes()


def compare(
    nb: NotebookDict, rt: NotebookDict, from_script: NotebookDict, script_text: str
) -> list[CellDiff]:
    """The cells that differ between the notebook and the script (empty: in sync)."""
    original, rt_cells, py_cells = _cells(nb), _cells(rt), _cells(from_script)
    origin = _origin_map(original, rt_cells)
    starts = _script_cell_lines(py_cells, script_text)
    lines = script_text.splitlines()
    diffs: list[CellDiff] = []
    for tag, i1, i2, j1, j2 in _opcodes(rt_cells, py_cells):
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


def merge_script(nb: NotebookDict, rt: NotebookDict, from_script: NotebookDict) -> NotebookDict:
    """``nb`` updated from the script's cells, keeping unchanged cells (and their outputs)."""
    original, rt_cells, py_cells = _cells(nb), _cells(rt), _cells(from_script)
    origin = _origin_map(original, rt_cells)
    as_list = any(isinstance(c.get("source"), list) for c in original)
    with_ids = (int(nb.get("nbformat", 4)), int(nb.get("nbformat_minor", 0))) >= (4, 5)
    used_ids = {str(c.get("id")) for c in original if c.get("id")}
    merged: list[Cell] = []
    for tag, i1, i2, j1, j2 in _opcodes(rt_cells, py_cells):
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
