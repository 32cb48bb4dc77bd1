"""``nbtools scan``: where in git it looked, the baseline, and what was suppressed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nbtools.renderers.views import View, suppression_sections
from nbtools.results import BaselineUpdate, ScanResult

if TYPE_CHECKING:
    from nbtools.report import Report


def _baseline_line(baseline: BaselineUpdate) -> str:
    verb = "wrote" if baseline.written else "unchanged"
    return f"baseline {verb}: {baseline.findings} findings accepted"


class ScanView(View):
    def summary(self, report: Report) -> str:
        result = report.result
        if isinstance(result, ScanResult) and result.baseline is not None:
            return _baseline_line(result.baseline)
        return super().summary(report)

    def json_sections(self, report: Report) -> dict[str, Any]:
        result = report.result
        sections: dict[str, Any] = {}
        if isinstance(result, ScanResult):
            if result.git is not None:
                sections["git"] = result.git
            if result.baseline is not None:
                baseline = result.baseline
                sections["baseline"] = {"path": baseline.path, "findings": baseline.findings}
                sections["summary_line"] = _baseline_line(baseline)
            if result.baselined is not None:
                sections["baselined"] = result.baselined
        return {**sections, **suppression_sections(report)}


VIEW = ScanView()
