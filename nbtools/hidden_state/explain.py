"""Why a cell's stored output came from kernel state, from the static evidence alone.

The cell and the cells it reads from (found through the def-use analysis) are
checked against the stored execution counts: one that last ran after a cell below
it that changes what it reads, or whose count jumps (it ran more than once, or a
cell that ran in between is gone), explains the difference for certain; a cell it
reads from that was probably edited after it ran explains it less firmly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nbtools.hidden_state.static import StaticAnalysis


def _upstream(index: int, static: StaticAnalysis) -> list[tuple[int, str | None]]:
    """The cell and the cells above it that it depends on (nearest first), each with
    the name through which the dependency goes."""
    found: list[tuple[int, str | None]] = [(index, None)]
    seen = {index}
    frontier = [index]
    while frontier:
        cell = frontier.pop(0)
        for name in sorted(static.uses.get(cell, set())):
            sources = [c for c in static.definers.get(name, []) if c < cell]
            if sources and sources[-1] not in seen:
                seen.add(sources[-1])
                frontier.append(sources[-1])
                found.append((sources[-1], name))
    return found


def explain(index: int, static: StaticAnalysis) -> tuple[str, bool]:
    """Why a cell's stored output came from hidden state, from the static evidence,
    and whether the execution counts make that explanation firm."""
    counts = static.counts
    chain = [(cell, via) for cell, via in _upstream(index, static) if cell in counts]

    def subject(cell: int, via: str | None) -> str:
        if cell == index:
            return "it"
        return f"it reads `{via}` from cell {cell + 1}, which"

    for cell, via in chain:  # ran after a cell below that changed what it reads
        count, uses = counts[cell], static.uses.get(cell, set())
        for later in sorted(c for c in counts if c > cell and counts[c] < count):
            changed = uses & (static.defines.get(later, set()) | static.mutates.get(later, set()))
            if changed:
                return (
                    f"{subject(cell, via)} last ran after cell {later + 1} below, which changes "
                    f"`{sorted(changed)[0]}` (counts {count} and {counts[later]})"
                ), True
    for cell, via in chain:  # a count gap: run more than once, or a cell gone
        count = counts[cell]
        above = [counts[c] for c in counts if c < cell and counts[c] < count]
        if not above or count <= max(above) + 1:
            continue
        jump = f"execution count jumps from {max(above)} to {count}"
        rereads = sorted(static.rereads.get(cell, set()))
        if rereads and cell == index:
            return (
                f"it updates `{rereads[0]}`, which it also reads, and its {jump}: it probably "
                "ran more than once, or a cell that ran in between is gone"
            ), True
        if rereads:
            return (
                f"{subject(cell, via)} updates `{rereads[0]}` from its own value and whose "
                f"{jump}: that cell probably ran more than once"
            ), True
        if cell == index:
            return f"its {jump}: a cell that ran in between was deleted or edited", True
    if len(chain) > 1:
        cell, via = chain[1]
        return (
            f"it reads `{via}` from cell {cell + 1}, which was probably edited "
            f"after cell {index + 1} ran"
        ), False
    return "", False
