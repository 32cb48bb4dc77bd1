"""``--fix``: drop the outputs that hold a finding; sources are the author's to change."""

from __future__ import annotations

from typing import Any, Iterable

from nbtools.findings import Finding, Where
from nbtools.notebook import iter_cells


def leaking_outputs(findings: Iterable[Finding]) -> set[tuple[int, int]]:
    """(cell index, output index) of every output with a finding."""
    return {
        (f.cell_index, f.output_index)
        for f in findings
        if f.where is Where.OUTPUT and f.cell_index is not None and f.output_index is not None
    }


def remove_outputs(nb: dict[str, Any], targets: set[tuple[int, int]]) -> int:
    """Remove the targeted outputs in place; the number removed."""
    removed = 0
    for index, cell in enumerate(iter_cells(nb)):
        outputs = cell.get("outputs")
        if not isinstance(outputs, list):
            continue
        drop = {k for (c, k) in targets if c == index}
        if drop:
            cell["outputs"] = [o for k, o in enumerate(outputs) if k not in drop]
            removed += len(outputs) - len(cell["outputs"])
    return removed


def fixable(finding: Finding) -> bool:
    """Only outputs can be removed without changing what the notebook does."""
    return finding.where is Where.OUTPUT
