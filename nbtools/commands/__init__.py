"""Each command is one module here: it declares its options and wires a core module to a report.

A command module is a :class:`Command` (checked by mypy below, as pre-commit types its
language modules). Modules are imported only when their command runs, which keeps
start-up lean.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping, Protocol

if TYPE_CHECKING:
    import argparse

    from nbtools.config import Config
    from nbtools.console import Console
    from nbtools.options import Option
    from nbtools.report import Report

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

    Options and the global settings (``format``, ``output``, ``color``, ``verbosity``)
    are resolved once, command line over ``[tool.nbtools]`` over defaults; ``given`` names
    the options typed on the command line (a relative path given there is the caller's,
    one from the configuration is relative to its ``pyproject.toml``).
    """

    command: str
    paths: list[str]
    options: dict[str, Any]
    config: Config
    console: Console
    given: frozenset[str] = frozenset()
    exclude: list[str] = field(default_factory=list)
    format: str = "text"
    output: str | None = None
    color: str = "auto"
    verbosity: int = 0


class Command(Protocol):
    """What a command module provides (each module in this package is one)."""

    @property
    def NAME(self) -> str:
        """Its name, and the name of its ``[tool.nbtools.<NAME>]`` table."""

    @property
    def OPTIONS(self) -> Mapping[str, Option]:
        """Every flag it takes but the positionals, each declared once (flag and config key)."""

    @property
    def INHERIT(self) -> tuple[str, ...]:
        """Tables read after its own, for settings it shares (``filter`` reads ``strip``'s)."""

    @property
    def PATHS_EXIST(self) -> bool:
        """Whether the positional paths must exist (the git filter's need not)."""

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """The positionals (options come from :attr:`OPTIONS`)."""

    def execute(self, request: Request) -> Report:
        """Do the work and say what happened; never print (renderers do)."""


def command_options(
    command: Command, values: Mapping[str, Any], config: Config
) -> tuple[dict[str, Any], frozenset[str]]:
    """``command``'s options, resolved (flags over its ``[tool.nbtools]`` table over the
    tables it inherits over defaults), and the ones typed on the command line. A tree's
    ``pyproject.toml`` may only narrow (ConfigError otherwise). ``nbtools`` and
    ``pytest --nbtools`` both resolve a command's options here."""
    from nbtools.config import resolve
    from nbtools.options import given_on_command_line

    if config.path and not config.trusted:  # only then is there anything to refuse
        from nbtools.trust import refuse_widening

        refuse_widening(config, command.NAME, command.INHERIT, values)
    options = resolve(values, config, command.NAME, command.OPTIONS, command.INHERIT)
    return options, given_on_command_line(values, command.OPTIONS)


if TYPE_CHECKING:  # mypy checks that every command module is a Command
    from nbtools.commands import (
        check,
        doctor,
        filter,
        install,
        pair,
        report,
        run,
        scan,
        strip,
        sync,
    )

    _ALL: dict[str, Command] = {
        "strip": strip,
        "scan": scan,
        "pair": pair,
        "sync": sync,
        "run": run,
        "report": report,
        "check": check,
        "install": install,
        "doctor": doctor,
        "filter": filter,
    }
