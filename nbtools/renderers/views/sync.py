"""``nbtools sync``: its summary counts pairs, in sync's own words."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nbtools.renderers.views import View
from nbtools.report import FileStatus
from nbtools.results import SyncResult

if TYPE_CHECKING:
    from nbtools.report import Report

#: how each status reads in the summary, in order ("1 synced, 2 in sync, 3 not paired")
_PHRASES = {
    FileStatus.UNCHANGED: "in sync",
    FileStatus.CHANGED: "synced",
    FileStatus.WOULD_CHANGE: "out of sync",
    FileStatus.CONFLICT: "in conflict",
    FileStatus.SKIPPED: "not paired",
    FileStatus.ERROR: "errors",
}


def _pairs_line(result: SyncResult) -> str:
    counts = result.pairs
    parts = [f"{counts[s]} {phrase}" for s, phrase in _PHRASES.items() if counts.get(s)]
    return ", ".join(parts) if parts else "no pairs"


class SyncView(View):
    def summary(self, report: Report) -> str:
        result = report.result
        return _pairs_line(result) if isinstance(result, SyncResult) else super().summary(report)

    def json_sections(self, report: Report) -> dict[str, Any]:
        result = report.result
        return {"summary_line": _pairs_line(result)} if isinstance(result, SyncResult) else {}


VIEW = SyncView()
