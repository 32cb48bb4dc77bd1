"""Renderers turn a :class:`~nbtools.report.Report` into text in one format each; what a
command adds of its own (its typed result) reaches them through its view
(:mod:`nbtools.renderers.views`), so a format knows no command."""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nbtools.console import Console
    from nbtools.report import Report

from nbtools.config import REPORT_FORMATS

#: format name -> module with ``render(report, console) -> str``
FORMATS = {name: f"nbtools.renderers.{name}" for name in REPORT_FORMATS}


def render(report: Report, fmt: str, console: Console) -> str:
    """Render ``report`` in ``fmt`` (one of :data:`FORMATS`).

    In GitHub Actions, ``NBTOOLS_JOB_SUMMARY=1`` (set by this project's action) adds the
    Markdown job summary whatever the format, so a SARIF or JUnit run gets one too.
    """
    module = importlib.import_module(FORMATS[fmt])
    text: str = module.render(report, console)
    summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
    if fmt != "github" and summary_file and os.environ.get("NBTOOLS_JOB_SUMMARY") == "1":
        from nbtools.renderers.github import write_summary

        write_summary(report, summary_file)
    return text
