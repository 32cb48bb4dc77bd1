"""``nbtools doctor``: a line per passing check (failing ones are findings), and the tally."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nbtools.renderers.views import View
from nbtools.results import DoctorResult

if TYPE_CHECKING:
    from nbtools.container.doctor import Check
    from nbtools.report import Report


def _checks(report: Report) -> list[Check] | None:
    """The checks, or None when doctor did not run (every path named was missing)."""
    result = report.result
    return result.checks if isinstance(result, DoctorResult) else None


class DoctorView(View):
    def summary(self, report: Report) -> str:
        checks = _checks(report)
        if checks is None:
            return super().summary(report)
        broken = sum(check.status == "error" for check in checks)
        warned = sum(check.status == "warning" for check in checks)
        ok = len(checks) - broken - warned
        return f"{ok} ok, {warned} warning(s), {broken} broken"

    def text_lines(self, report: Report) -> list[str]:
        checks = _checks(report) or []
        return [
            f"ok       {check.name:<11} {check.message}" for check in checks if check.status == "ok"
        ]

    def json_sections(self, report: Report) -> dict[str, Any]:
        checks = _checks(report)
        if checks is None:
            return {}
        return {
            "checks": [check.to_dict() for check in checks],
            "summary_line": self.summary(report),
        }


VIEW = DoctorView()
