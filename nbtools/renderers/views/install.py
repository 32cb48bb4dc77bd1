"""``nbtools install``: the repository and every piece's state, as JSON sections."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nbtools.renderers.views import View
from nbtools.results import InstallResult

if TYPE_CHECKING:
    from nbtools.report import Report

NOTHING_TO_REMOVE = "nothing to remove"


class InstallView(View):
    def summary(self, report: Report) -> str:
        result = report.result
        if isinstance(result, InstallResult) and result.nothing_to_remove:
            return NOTHING_TO_REMOVE
        return super().summary(report)

    def json_sections(self, report: Report) -> dict[str, Any]:
        result = report.result
        if not isinstance(result, InstallResult):
            return {}
        sections: dict[str, Any] = {
            "repository": result.repository,
            "install": [vars(action) for action in result.actions],
        }
        if result.nothing_to_remove:
            sections["summary_line"] = NOTHING_TO_REMOVE
        return sections


VIEW = InstallView()
