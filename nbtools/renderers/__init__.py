"""Renderers turn a :class:`~nbtools.report.Report` into text; they know nothing about commands."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nbtools.console import Console
    from nbtools.report import Report

#: format name -> module with ``render(report, console) -> str``
FORMATS = {
    "text": "nbtools.renderers.text",
    "json": "nbtools.renderers.json",
    "sarif": "nbtools.renderers.sarif",
    "junit": "nbtools.renderers.junit",
    "github": "nbtools.renderers.github",
}


def render(report: Report, fmt: str, console: Console) -> str:
    """Render ``report`` in ``fmt`` (one of :data:`FORMATS`)."""
    module = importlib.import_module(FORMATS[fmt])
    text: str = module.render(report, console)
    return text
