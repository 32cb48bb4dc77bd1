"""Static hidden-state analysis: no kernel, only the stored notebook.

Two kinds of evidence: the stored execution counts (cells run out of order,
gaps, cells never run, outputs without a count), checked here, and a def-use
analysis over the code cells in document order (:mod:`~nbtools.hidden_state.names`)
that finds names a cell uses which only a later cell defines, or no cell defines
at all. :class:`StaticAnalysis` holds both for the verdict.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from nbtools.findings import Finding, Rule, Severity, Where, register_rules
from nbtools.hidden_state.names import NameProblem, check_names
from nbtools.notebook import iter_cells, source_text
from nbtools.notebook.positions import LineMap

OUT_OF_ORDER = "hidden-state/out-of-order"
COUNT_GAP = "hidden-state/count-gap"
UNEXECUTED = "hidden-state/unexecuted-cell"
OUTPUT_WITHOUT_COUNT = "hidden-state/output-without-count"

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
)


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
        check_names(cells, analysis, frozenset(known_names))
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
