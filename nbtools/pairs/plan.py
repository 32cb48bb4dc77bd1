"""Decide how to bring a notebook and its script in sync, from content alone (pure).

Which side changed is read from the sync record (content hashes, see
:mod:`nbtools.pairs.state`), never from modification times: jupytext's own ``--sync`` trusts
mtimes and so throws a script edit away when anything touches the notebook afterwards.
When the script changed, the notebook is updated cell by cell (:mod:`nbtools.pairs.merge`);
what differs is described by :mod:`nbtools.pairs.diff`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Sequence

from nbtools.errors import InputError
from nbtools.notebook import decode, loads_notebook, require_v4
from nbtools.pairs.cellmatch import cells_of
from nbtools.pairs.convert import notebook_to_text, text_to_notebook
from nbtools.pairs.diff import CellDiff, compare, unrepresentable
from nbtools.pairs.merge import merge_script
from nbtools.pairs.state import bytes_hash

if TYPE_CHECKING:
    from nbtools.pairs.find import Pair
    from nbtools.pairs.state import Entry
    from nbtools.stripsettings import StripOptions


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
        elif not nb_changed and not cells_of(from_script) and cells_of(nb):
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
