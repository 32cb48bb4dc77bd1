"""Each command is one module here: it declares its options and wires a core module to a report.

A command module provides ``NAME``, ``HELP``, ``OPTIONS`` (settings that may also come
from ``[tool.nbtools.<NAME>]``), ``add_arguments(parser)`` and ``execute(request) -> Report``.
Modules are imported only when their command runs, which keeps start-up lean.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import argparse

    from nbtools.config import Config
    from nbtools.console import Console

#: command name -> (module, one-line help); the order is the order of ``nbtools --help``
COMMANDS: dict[str, tuple[str, str]] = {
    "strip": ("nbtools.commands.strip", "remove outputs, execution counts and volatile metadata"),
    "scan": ("nbtools.commands.scan", "find credentials in notebooks, scripts and env files"),
    "pair": ("nbtools.commands.pair", "pair notebooks with scripts (jupytext formats)"),
    "sync": ("nbtools.commands.sync", "bring paired notebooks and scripts in sync, by content"),
    "run": ("nbtools.commands.run", "execute notebooks on fresh kernels and say why they fail"),
    "report": ("nbtools.commands.report", "merge the JSON reports of sharded runs into one"),
    "check": ("nbtools.commands.check", "run every static hygiene check without changing files"),
    "install": ("nbtools.commands.install", "set up the git filter and diff driver for notebooks"),
    "doctor": ("nbtools.commands.doctor", "check the container engine and image for run --image"),
    "filter": ("nbtools.commands.filter", "the git filter and diff driver that `install` sets up"),
}


@dataclass
class Request:
    """Everything a command needs: resolved options, inputs, configuration and console.

    The global settings (``format``, ``output``, ``color``, ``verbosity``) are resolved
    here once, command line over ``[tool.nbtools]`` over defaults: commands read them from
    the request, never from ``args`` (which holds only what was typed).
    """

    command: str
    paths: list[str]
    options: dict[str, Any]
    config: Config
    console: Console
    args: argparse.Namespace
    exclude: list[str] = field(default_factory=list)
    format: str = "text"
    output: str | None = None
    color: str = "auto"
    verbosity: int = 0
