"""Static hidden-state analysis: no kernel, only the stored notebook.

Two kinds of evidence: the stored execution counts (cells run out of order,
gaps, cells never run, outputs without a count) and a def-use analysis over the
code cells in document order that finds names a cell uses which only a later
cell defines, or no cell defines at all.
"""

from __future__ import annotations

import builtins
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from nbtools.findings import Finding, Rule, Severity, Where, register_rules
from nbtools.hidden_state.defuse import DEF, DEL, GIVE_UP, MUTATE, USE, Event, cell_events
from nbtools.notebook import iter_cells, source_text
from nbtools.notebook.positions import LineMap

OUT_OF_ORDER = "hidden-state/out-of-order"
COUNT_GAP = "hidden-state/count-gap"
UNEXECUTED = "hidden-state/unexecuted-cell"
OUTPUT_WITHOUT_COUNT = "hidden-state/output-without-count"
USE_BEFORE_DEF = "hidden-state/use-before-def"
UNDEFINED_NAME = "hidden-state/undefined-name"

register_rules(
    Rule(
        OUT_OF_ORDER,
        "cells ran out of order",
        "A cell's execution count is lower than that of a cell above it.",
        "The stored outputs may come from a state a top-to-bottom run never reaches. Restart "
        "the kernel and run all cells top to bottom before saving.",
        Severity.WARNING,
        precision="high",
        tags=("reproducibility",),
    ),
    Rule(
        COUNT_GAP,
        "gap in execution counts",
        "Execution counts skip numbers: some cell ran more than once or is gone.",
        "A gap alone is normal; it matters when the cell's output does not reproduce "
        "(`nbtools check --select hidden-state` with a fresh run tells).",
        Severity.NOTE,
        precision="low",
        tags=("reproducibility",),
    ),
    Rule(
        UNEXECUTED,
        "cell never ran",
        "A code cell has no execution count while others have one.",
        "Later cells may rely on state this cell would have changed. Run all cells top to "
        "bottom before saving, or clear all outputs.",
        Severity.NOTE,
        precision="medium",
        tags=("reproducibility",),
    ),
    Rule(
        OUTPUT_WITHOUT_COUNT,
        "output without execution count",
        "A code cell shows outputs but no execution count.",
        "The output cannot be tied to a run of the current source (it was pasted, or the "
        "count was cleared). Re-run the cell or clear its output.",
        Severity.NOTE,
        precision="medium",
        tags=("reproducibility",),
    ),
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


@dataclass
class StaticAnalysis:
    """What the stored notebook alone tells about hidden state."""

    path: str
    findings: list[Finding] = field(default_factory=list)
    counts: dict[int, int] = field(default_factory=dict)  # cell index -> execution count
    out_of_order: bool = False
    gaps: list[int] = field(default_factory=list)  # cells whose count jumps after the one above
    unexecuted: list[int] = field(default_factory=list)
    problems: list[NameProblem] = field(default_factory=list)
    unparsable: list[int] = field(default_factory=list)
    uses: dict[int, set[str]] = field(default_factory=dict)  # names each cell needs (expanded)
    defines: dict[int, set[str]] = field(default_factory=dict)
    mutates: dict[int, set[str]] = field(default_factory=dict)
    definers: dict[str, list[int]] = field(default_factory=dict)
    rereads: dict[int, set[str]] = field(default_factory=dict)  # read, then updated by the cell

    @property
    def warnings(self) -> list[str]:
        """Warnings that make a reproduced notebook ``pass_with_warnings``."""
        found = []
        if self.out_of_order:
            found.append("out_of_order")
        if self.unexecuted:
            found.append("unexecuted_cells")
        return found

    def count_pattern(self) -> str:
        """The stored counts in document order, e.g. ``1, 3, 2``."""
        return ", ".join(str(self.counts[i]) for i in sorted(self.counts))

    def problem_for(self, cell: int, name: str) -> NameProblem | None:
        for problem in self.problems:
            if problem.cell == cell and problem.name == name:
                return problem
        return next((p for p in self.problems if p.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "out_of_order": self.out_of_order,
            "execution_counts": self.count_pattern(),
            "gaps": self.gaps,
            "unexecuted_cells": self.unexecuted,
            "warnings": self.warnings,
        }


def analyze_notebook(
    nb: dict[str, Any],
    path: str,
    text: str | None = None,
    known_names: Iterable[str] = (),
) -> StaticAnalysis:
    """Analyse a notebook's stored counts and its def-use order.

    ``text`` is the file's JSON text; when given, findings carry ``json_line``.
    ``known_names`` are globals the kernel provides (``spark``, ``dbutils``, ...).
    The def-use analysis runs only on Python notebooks.
    """
    analysis = StaticAnalysis(path)
    cells = list(iter_cells(nb))
    lines = LineMap(text) if text is not None and nb.get("nbformat") == 4 else None
    _check_counts(cells, analysis)
    if is_python(nb):
        _check_names(cells, analysis, frozenset(known_names))
    for finding in analysis.findings:
        if lines is not None and finding.cell_index is not None:
            finding.json_line = lines.source_line(finding.cell_index, finding.line or 1)
            if finding.where is Where.OUTPUT:
                finding.json_line = lines.line("cells", finding.cell_index, "outputs")
    analysis.findings.sort(key=lambda f: (f.cell_index or 0, f.line or 0))
    return analysis


def is_python(nb: dict[str, Any]) -> bool:
    """Whether the notebook's kernel runs Python (assumed when nothing says otherwise)."""
    metadata = nb.get("metadata") or {}
    for language in (
        (metadata.get("kernelspec") or {}).get("language"),
        (metadata.get("language_info") or {}).get("name"),
    ):
        if isinstance(language, str) and language:
            return language.lower().startswith(("python", "ipython"))
    return True


def _count_of(cell: dict[str, Any]) -> int | None:
    count = cell.get("execution_count", cell.get("prompt_number"))
    return count if isinstance(count, int) and not isinstance(count, bool) else None


def _check_counts(cells: list[dict[str, Any]], analysis: StaticAnalysis) -> None:
    code = [(i, c) for i, c in enumerate(cells) if c.get("cell_type") == "code"]
    for index, cell in code:
        count = _count_of(cell)
        if count is not None:
            analysis.counts[index] = count
    path = analysis.path
    previous: tuple[int, int] | None = None  # (cell, count) of the highest count above
    for index, count in sorted(analysis.counts.items()):
        if previous is not None and count <= previous[1]:
            analysis.out_of_order = True
            analysis.findings.append(
                Finding(
                    path,
                    OUT_OF_ORDER,
                    f"cell {index + 1} last ran (count {count}) before cell "
                    f"{previous[0] + 1} above it (count {previous[1]}): cells ran out of order",
                    Severity.WARNING,
                    cell_index=index,
                    cell_id=cells[index].get("id"),
                    where=Where.SOURCE,
                    line=1,
                )
            )
        elif previous is not None and count > previous[1] + 1:
            analysis.gaps.append(index)
            analysis.findings.append(
                Finding(
                    path,
                    COUNT_GAP,
                    f"execution count jumps from {previous[1]} to {count} at cell {index + 1}",
                    Severity.NOTE,
                    cell_index=index,
                    cell_id=cells[index].get("id"),
                    where=Where.SOURCE,
                    line=1,
                )
            )
        if previous is None or count > previous[1]:
            previous = (index, count)
    for index, cell in code:
        if _count_of(cell) is not None:
            continue
        if cell.get("outputs"):
            analysis.findings.append(
                Finding(
                    path,
                    OUTPUT_WITHOUT_COUNT,
                    f"cell {index + 1} has outputs but no execution count",
                    Severity.NOTE,
                    cell_index=index,
                    cell_id=cell.get("id"),
                    where=Where.OUTPUT,
                    output_index=0,
                )
            )
        elif analysis.counts and source_text(cell).strip():
            analysis.unexecuted.append(index)
            analysis.findings.append(
                Finding(
                    path,
                    UNEXECUTED,
                    f"cell {index + 1} was never run while other cells were",
                    Severity.NOTE,
                    cell_index=index,
                    cell_id=cell.get("id"),
                    where=Where.SOURCE,
                    line=1,
                )
            )


def _check_names(
    cells: list[dict[str, Any]], analysis: StaticAnalysis, known: frozenset[str]
) -> None:
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
