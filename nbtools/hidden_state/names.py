"""Def-use order: names a cell needs that no cell above it defines.

The cells' events (:mod:`~nbtools.hidden_state.defuse`) are replayed in document
order, as a fresh kernel would run the cells; a name read before any cell binds it
is a problem, named after the cell below that defines it, if any.
"""

from __future__ import annotations

import builtins
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nbtools.findings import Finding, Rule, Severity, Where, register_rules
from nbtools.hidden_state.defuse import DEF, DEL, GIVE_UP, MUTATE, USE, Event, cell_events
from nbtools.notebook import source_text

if TYPE_CHECKING:
    from nbtools.hidden_state.static import StaticAnalysis

USE_BEFORE_DEF = "hidden-state/use-before-def"
UNDEFINED_NAME = "hidden-state/undefined-name"

register_rules(
    Rule(
        USE_BEFORE_DEF,
        "name used before its definition",
        "A cell uses a name that only a later cell (or later line) defines.",
        "Move the definition above its first use; a fresh kernel raises NameError here.",
        Severity.ERROR,
        precision="high",
        tags=("reproducibility", "correctness"),
    ),
    Rule(
        UNDEFINED_NAME,
        "name defined by no cell",
        "A cell uses a name that no cell defines: it came from the kernel's state.",
        "The notebook only works in the kernel it was written in. Restore the deleted or "
        "renamed definition (or import it), or stop using the name.",
        Severity.ERROR,
        precision="high",
        tags=("reproducibility", "correctness"),
    ),
)

# names a Jupyter kernel provides without any cell defining them
_IPYTHON_NAMES = frozenset(
    {"get_ipython", "display", "In", "Out", "_", "__", "___", "_i", "_ii", "_iii", "_oh", "_ih"}
    | {"_dh", "exit", "quit", "__builtins__", "__name__", "__file__", "__session__"}
)
BUILTIN_NAMES = frozenset(dir(builtins)) | _IPYTHON_NAMES
_HISTORY_RE = re.compile(r"_i{0,3}\d+")  # IPython's output and input history: _5, _i5


def is_builtin(name: str) -> bool:
    """Whether a fresh kernel provides ``name`` without any cell defining it."""
    return name in BUILTIN_NAMES or bool(_HISTORY_RE.fullmatch(name))


@dataclass
class NameProblem:
    """A name a cell needs that no cell above defines."""

    cell: int  # index into nb.cells
    name: str
    line: int  # line in the cell
    defined_in: int | None  # the first cell at or below that defines it (None: no cell)
    deleted_in: int | None = None  # a cell above that deleted it
    via: str | None = None  # the function (or class) whose body needs the name
    via_cell: int | None = None


def check_names(
    cells: list[dict[str, Any]], analysis: StaticAnalysis, known: frozenset[str]
) -> None:
    """Fill ``analysis`` with each cell's uses, definitions and mutations, and with the
    problems (and findings) of names no cell above defines; ``known`` are the kernel's."""
    events: dict[int, list[Event]] = {}
    for index, cell in enumerate(cells):
        if cell.get("cell_type") != "code":
            continue
        found = cell_events(source_text(cell))
        if found is None:
            analysis.unparsable.append(index)
            continue
        events[index] = found
        first_kind: dict[str, str] = {}
        for event in found:
            if event.hoisted:
                continue  # the real binding follows inside the loop
            first = first_kind.setdefault(event.name, event.kind)
            if event.kind in (DEF, MUTATE) and first == USE:
                analysis.rereads.setdefault(index, set()).add(event.name)
            if event.kind == DEF:
                analysis.defines.setdefault(index, set()).add(event.name)
                defs = analysis.definers.setdefault(event.name, [])
                if index not in defs:
                    defs.append(index)
            elif event.kind == MUTATE:
                analysis.mutates.setdefault(index, set()).add(event.name)
    _Replay(analysis, events, cells, known).run()


class _Replay:
    """Replays the cells' events in document order, as a fresh kernel would run them."""

    def __init__(
        self,
        analysis: StaticAnalysis,
        events: dict[int, list[Event]],
        cells: list[dict[str, Any]],
        known: frozenset[str],
    ) -> None:
        self.analysis = analysis
        self.known = known
        self.events = events
        self.cells = cells
        self.defined: dict[str, int] = {}
        self.deleted: dict[str, int] = {}
        self.needs: dict[str, tuple[int, tuple[tuple[str, int], ...]]] = {}
        self.gave_up = False
        self.reported: set[tuple[int, str]] = set()

    def run(self) -> None:
        for index in sorted({*self.events, *self.analysis.unparsable}):
            if index not in self.events:  # a cell we cannot read may define anything
                self.gave_up = True
                continue
            uses = self.analysis.uses.setdefault(index, set())
            for position, event in enumerate(self.events[index]):
                if event.kind == USE:
                    self.use(index, position, event, event.name, None, uses, set())
                elif event.kind == DEF:
                    self.defined[event.name] = index
                    self.deleted.pop(event.name, None)
                    if event.deferred is not None:
                        self.needs[event.name] = (index, event.deferred)
                    else:
                        self.needs.pop(event.name, None)
                elif event.kind == DEL:
                    self.defined.pop(event.name, None)
                    self.needs.pop(event.name, None)
                    self.deleted[event.name] = index
                elif event.kind == GIVE_UP:
                    self.gave_up = True

    def use(
        self,
        index: int,
        position: int,
        event: Event,
        name: str,
        via: tuple[str, int] | None,
        uses: set[str],
        seen: set[str],
    ) -> None:
        uses.add(name)
        if name in self.defined:
            if name in self.needs and name not in seen:
                seen.add(name)
                def_cell, needed = self.needs[name]
                for inner, _ in needed:
                    self.use(index, position, event, inner, (name, def_cell), uses, seen)
            return
        if is_builtin(name) or name in self.known or event.guarded or self.gave_up:
            return
        if (index, name) in self.reported:
            return
        self.reported.add((index, name))
        later = self.later_definer(index, position, name)
        problem = NameProblem(
            cell=index,
            name=name,
            line=event.line,
            defined_in=later,
            deleted_in=self.deleted.get(name),
            via=via[0] if via else None,
            via_cell=via[1] if via else None,
        )
        self.analysis.problems.append(problem)
        self.analysis.findings.append(self.finding(problem))

    def later_definer(self, index: int, position: int, name: str) -> int | None:
        for cell in self.analysis.definers.get(name, []):
            if cell > index:
                return cell
            if (
                cell == index
                and any(  # a later line (``x += 1`` reads before it binds)
                    e.kind == DEF and e.name == name and e.line > self.events[index][position].line
                    for e in self.events[index][position + 1 :]
                )
            ):
                return cell
        return None

    def finding(self, problem: NameProblem) -> Finding:
        cell = problem.cell
        subject = f"cell {cell + 1} uses `{problem.name}`"
        if problem.via:
            subject += f" (through `{problem.via}` from cell {(problem.via_cell or 0) + 1})"
        if problem.defined_in is None:
            rule = UNDEFINED_NAME
            if problem.deleted_in is not None:
                message = f"{subject}, which cell {problem.deleted_in + 1} deletes"
            else:
                message = f"{subject}, which no cell defines: it came from the kernel's state"
        elif problem.defined_in == cell:
            rule = USE_BEFORE_DEF
            message = f"{subject} before the cell itself defines it: it only works when re-run"
        else:
            rule = USE_BEFORE_DEF
            message = f"{subject}, which only cell {problem.defined_in + 1} below defines"
        return Finding(
            self.analysis.path,
            rule,
            message,
            Severity.ERROR,
            cell_index=cell,
            cell_id=self.cells[cell].get("id"),
            where=Where.SOURCE,
            line=problem.line,
            extra={"name": problem.name, "defined_in": problem.defined_in},
        )
