"""``nbtools filter --process``: what git and the filter agreed on, and what was served."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nbtools.renderers.views import View
from nbtools.results import FilterResult

if TYPE_CHECKING:
    from nbtools.report import Report


class FilterView(View):
    def json_sections(self, report: Report) -> dict[str, Any]:
        result = report.result
        if not isinstance(result, FilterResult):
            return {}
        return {"filter": {"capabilities": result.capabilities, "served": result.served}}


VIEW = FilterView()
