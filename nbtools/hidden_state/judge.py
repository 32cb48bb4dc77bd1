"""Per code cell: did the fresh runs reproduce its stored outputs, and how not.

A cell is judged on its own: its run status in every fresh run, whether the runs
agree with each other (if not, it is nondeterministic), and whether one of them
gives its stored outputs, exactly or once volatile values are masked. A difference
the runs agree on may still be the environment's (a version, a path, a repr's
module): :func:`environmental` tells, so the verdict does not call it hidden state.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Sequence

from nbtools.hidden_state.compare import (
    Items,
    Match,
    OutputDiff,
    compare_items,
    has_reference,
    output_items,
)
from nbtools.notebook import iter_cells
from nbtools.runs import FAILED, CellRun, CellStatus, NotebookRun

_COMPARED = (CellStatus.OK, CellStatus.EXPECTED_ERROR, CellStatus.ERROR)


@dataclass
class CellVerdict:
    """How one code cell fared against its stored outputs."""

    index: int
    cell_id: str | None
    status: str
    execution_count: int | None
    reproduced: bool | None = None  # None: not compared (no reference, not run)
    nondeterministic: bool = False
    hidden_state: bool = False  # differs, and the static analysis points at kernel state
    differs: bool = False  # differs from its stored output the same way in every fresh run
    environment: bool = False  # ... in what the environment decides (versions, paths)
    stored: str | None = None  # the first differing item, shortened
    fresh: str | None = None
    ename: str | None = None
    evalue: str | None = None
    duration_s: float = 0.0

    @property
    def divergent(self) -> bool:
        return self.reproduced is False or (self.reproduced is True and self.nondeterministic)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "index": self.index,
            "cell_id": self.cell_id,
            "status": self.status,
            "execution_count": self.execution_count,
            "reproduced": self.reproduced,
            "nondeterministic": self.nondeterministic,
            "hidden_state": self.hidden_state,
            "duration_s": round(self.duration_s, 3),
        }
        if self.stored is not None:
            data["stored"] = self.stored
            data["fresh"] = self.fresh
        if self.ename is not None:
            data["ename"] = self.ename
            data["evalue"] = self.evalue
        return data


def _fresh_items(cell_run: CellRun | None) -> Items | None:
    if cell_run is None or cell_run.status not in _COMPARED:
        return None
    return output_items(cell_run.outputs)


def _judge_cell(index: int, cell: dict[str, Any], runs: Sequence[NotebookRun]) -> CellVerdict:
    cell_runs = [run.cells.get(index) for run in runs]
    first = next((c for c in cell_runs if c is not None and c.status in FAILED), cell_runs[0])
    count = cell.get("execution_count")
    verdict = CellVerdict(
        index=index,
        cell_id=cell.get("id"),
        status=(first.status.value if first is not None else CellStatus.NOT_RUN.value),
        execution_count=count if isinstance(count, int) else None,
        duration_s=first.duration_s if first is not None else 0.0,
    )
    if first is not None and first.status in (CellStatus.ERROR, CellStatus.EXPECTED_ERROR):
        verdict.ename, verdict.evalue = first.ename, first.evalue
    fresh = [items for items in map(_fresh_items, cell_runs) if items is not None]
    if len(fresh) < len(cell_runs) or not fresh:
        return verdict  # not run (or not comparable) in every run
    runs_differ = any(compare_items(fresh[0], other) is not Match.SAME for other in fresh[1:])
    verdict.nondeterministic = runs_differ
    if not has_reference(cell):
        return verdict
    stored = output_items(cell.get("outputs") or [])
    matches = [compare_items(stored, items) for items in fresh]
    if Match.SAME in matches:
        verdict.reproduced = True
        return verdict
    verdict.reproduced = Match.VOLATILE in matches
    verdict.nondeterministic = runs_differ or verdict.reproduced
    verdict.differs = not verdict.reproduced and not runs_differ
    verdict.environment = verdict.differs and environmental(stored, fresh[0])
    diff = OutputDiff.between(stored, fresh[0])
    verdict.stored, verdict.fresh = diff.stored, diff.fresh
    return verdict


def judge_cells(nb: dict[str, Any], runs: Sequence[NotebookRun]) -> list[CellVerdict]:
    """Per code cell: run status, and whether the stored outputs were reproduced."""
    return [
        _judge_cell(index, cell, runs)
        for index, cell in enumerate(iter_cells(nb))
        if cell.get("cell_type") == "code"
    ]


#: errors that say the environment lacks something, not that the kernel's state did
ENVIRONMENT_ERRORS = (
    "ModuleNotFoundError",
    "ImportError",
    "FileNotFoundError",
    "ConnectionError",
    "URLError",
    "gaierror",
)
_VERSION_RE = re.compile(r"\bv?\d+(?:\.\d+){2,3}(?:[-+.]?(?:rc|a|b|post|dev|cpu|cu)\w*)?\b")
#: reprs that name where a class lives (``<keras.src.layers.Dense object at ...>``)
_REPR_RE = re.compile(
    r"<(?:class |module |function )?'?[\w.]+'?(?: object| from '[^']*')?(?: at [^>]*)?>"
)
_PATH_RE = re.compile(r"(?:[A-Za-z]:)?(?:[/\\][\w.+@~-]+){2,}[/\\]?")


def environmental(stored: Items, fresh: Items) -> bool:
    """Whether two outputs differ only in what the environment decides: versions, paths
    (site-packages, home folders), or a fresh error saying something is missing."""
    if any(kind == "error" and name in ENVIRONMENT_ERRORS for kind, name, _ in fresh):
        return True

    def mask(items: Items) -> Items:
        masked = []
        for kind, name, text in items:
            plain = _REPR_RE.sub("<repr>", text)
            masked.append((kind, name, _VERSION_RE.sub("<version>", _PATH_RE.sub("<path>", plain))))
        return masked

    return mask(stored) == mask(fresh)
