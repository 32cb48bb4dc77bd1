"""``nbtools check``'s core: every hygiene rule over one notebook read once, writing nothing.

Each check is a function ``(nbfile, context) -> findings`` that must not modify
``nbfile``; the notebook is parsed once and handed to every enabled check in turn.
Findings get the line of the file on disk (``json_line``) from one shared :class:`LineMap`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, List

from nbtools.findings import Finding, Where
from nbtools.jsonpos import LineMap
from nbtools.strip import StripOptions, strip_notebook

if TYPE_CHECKING:
    from nbtools.notebook import NotebookFile


@dataclass
class CheckContext:
    """Settings every check may read (strip's options, so check agrees with the hook)."""

    strip: StripOptions = field(default_factory=StripOptions)
    options: dict[str, Any] = field(default_factory=dict)


CheckFunction = Callable[["NotebookFile", CheckContext], List[Finding]]


def check_strip(nbfile: NotebookFile, context: CheckContext) -> list[Finding]:
    """Strip-clean: what ``nbtools strip`` would change (run on a copy, never written)."""
    result = strip_notebook(copy.deepcopy(nbfile.nb), context.strip)
    return result.findings(nbfile.path)


def check_hidden_state(nbfile: NotebookFile, context: CheckContext) -> list[Finding]:
    """Static hidden state: cells run out of order, names used before (or without) a definition."""
    from nbtools.hidden_state.static import analyze_notebook

    return analyze_notebook(nbfile.nb, nbfile.path, nbfile.text).findings


#: check name -> function, in report order; a check is listed once its core has landed
CHECKS: dict[str, CheckFunction] = {
    "strip": check_strip,
    "hidden-state": check_hidden_state,
}


def locate(findings: list[Finding], nbfile: NotebookFile) -> None:
    """Fill in ``json_line`` (the line on disk) where a finding has none yet."""
    if nbfile.major != 4:
        return  # v3 cells live under worksheets; the cell property still locates them
    lines = LineMap(nbfile.text)
    for finding in findings:
        if finding.json_line is not None:
            continue
        if finding.cell_index is None:
            if finding.where in (Where.METADATA, Where.NOTEBOOK):
                finding.json_line = lines.line("metadata")
            continue
        finding.json_line = _cell_line(lines, finding)


def _cell_line(lines: LineMap, finding: Finding) -> int | None:
    index = finding.cell_index
    assert index is not None
    if finding.where is Where.OUTPUT:
        found = None
        if finding.output_index is not None:
            found = lines.line("cells", index, "outputs", finding.output_index)
        return found or lines.line("cells", index, "outputs") or lines.line("cells", index)
    if finding.where is Where.METADATA:
        return lines.line("cells", index, "metadata") or lines.line("cells", index)
    if finding.rule == "strip/execution-count":
        return lines.line("cells", index, "execution_count") or lines.line("cells", index)
    if finding.line is not None and finding.where in (Where.SOURCE, Where.MARKDOWN, Where.RAW):
        return lines.source_line(index, finding.line)
    return lines.line("cells", index)


def check_notebook(nbfile: NotebookFile, checks: list[str], context: CheckContext) -> list[Finding]:
    """Run ``checks`` (names from :data:`CHECKS`) over one notebook; the file is untouched."""
    findings: list[Finding] = []
    for name in checks:
        findings.extend(CHECKS[name](nbfile, context))
    locate(findings, nbfile)
    return findings
