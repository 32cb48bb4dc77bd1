"""``nbtools check``: the checks that ran, and what was suppressed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nbtools.renderers.views import View, suppression_sections
from nbtools.results import CheckResult

if TYPE_CHECKING:
    from nbtools.report import Report


class CheckView(View):
    def json_sections(self, report: Report) -> dict[str, Any]:
        result = report.result
        sections: dict[str, Any] = {}
        if isinstance(result, CheckResult):
            sections["checks"] = list(result.checks)
        return {**sections, **suppression_sections(report)}


VIEW = CheckView()
