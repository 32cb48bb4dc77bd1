"""One declaration per setting: its command-line flag and its ``[tool.nbtools.<command>]`` key
both come from one :class:`Option`, so a setting cannot be added to one and forgotten in the
other (black feeds pyproject values in as the defaults of the options it declares once).

The command line wins over the configuration; an option that is not given is ``None`` in the
parsed namespace, so :func:`nbtools.config.resolve` can tell "not given" from a value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Mapping

if TYPE_CHECKING:
    import argparse


@dataclass(frozen=True)
class Option:
    """One setting of a command. Declare it with keywords; only ``kind`` is required.

    ``kind`` is the type the value has on the command line and in TOML (``bool``, ``int``,
    ``float``, ``str``, ``list`` of strings, or ``object`` for tables); ``convert`` turns it
    into the value commands use (a tuple, a frozenset, a parsed table).
    """

    kind: type
    default: Any = None
    help: str = ""
    #: the flags; ``None``: ``--name-with-dashes``; ``()``: no flag (configuration only)
    flags: tuple[str, ...] | None = None
    metavar: str | None = None
    choices: tuple[Any, ...] | None = None
    convert: Callable[[Any], Any] | None = None
    #: also read from ``[tool.nbtools.<command>]``; False for what only a person asks for
    #: on one run (``--check``, ``--write``): such flags are not configuration
    configurable: bool = True
    #: more flags, each setting a fixed value: (flag, value, help), e.g.
    #: ``("--no-strip", False, "do not strip")`` or ``("--writable-tree", "writable", ...)``
    presets: tuple[tuple[str, Any, str], ...] = ()
    #: lists: ``"+"`` one flag with values, ``"append"`` a repeatable flag with one value each,
    #: ``"extend"`` a repeatable flag with comma-separated values (as ruff's ``--select``);
    #: integers: ``"count"``, how often the flag is given (``-vv``)
    repeat: str = "+"
    #: ``--history`` alone means this value (``--history REV`` gives another)
    bare: Any = None
    #: mutually exclusive with the other options of the same group name
    exclusive: str | None = None
    #: the help section the flag is listed under (default: the command's own options)
    section: str | None = None

    def flag_names(self, name: str) -> tuple[str, ...]:
        return ("--" + name.replace("_", "-"),) if self.flags is None else self.flags

    def value(self, raw: Any) -> Any:
        """The value commands use, from what the command line or TOML gave."""
        return raw if self.convert is None else self.convert(raw)


def comma_list(value: str) -> list[str]:
    """Comma-separated names (as ruff's ``--select``), so the option never swallows paths."""
    return [name.strip() for name in value.split(",") if name.strip()]


def add_options(parser: argparse.ArgumentParser, options: Mapping[str, Option]) -> None:
    """Add a flag for every option that has one, grouped by section and exclusivity."""
    sections: dict[str, Any] = {}
    exclusive: dict[tuple[str | None, str], Any] = {}
    for name, option in options.items():
        flags = option.flag_names(name)
        if not flags:
            continue
        target: Any = parser
        if option.section is not None:
            if option.section not in sections:
                sections[option.section] = parser.add_argument_group(option.section)
            target = sections[option.section]
        if option.exclusive is not None:
            key = (option.section, option.exclusive)
            if key not in exclusive:
                exclusive[key] = target.add_mutually_exclusive_group()
            target = exclusive[key]
        target.add_argument(*flags, dest=name, default=None, **_argparse_kwargs(option))
        for flag, value, help_text in option.presets:
            target.add_argument(
                flag, dest=name, action="store_const", const=value, default=None, help=help_text
            )


def _argparse_kwargs(option: Option) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"help": option.help}
    if option.kind is bool:
        # a flag alone turns the option on, or off when its default is on (--no-fork)
        kwargs.update(action="store_const", const=not option.default)
        return kwargs
    if option.metavar is not None:
        kwargs["metavar"] = option.metavar
    if option.choices is not None:
        kwargs["choices"] = option.choices
    if option.kind is list:
        if option.repeat == "append":
            kwargs["action"] = "append"
        elif option.repeat == "extend":
            kwargs.update(action="extend", type=comma_list)
        else:
            kwargs["nargs"] = "+"
        return kwargs
    if option.repeat == "count":
        kwargs["action"] = "count"
        return kwargs
    if option.kind in (int, float):
        kwargs["type"] = option.kind
    if option.bare is not None:
        kwargs.update(nargs="?", const=option.bare)
    return kwargs


def given_on_command_line(
    values: Mapping[str, Any], options: Mapping[str, Option]
) -> frozenset[str]:
    """The options typed on this command line (their values override the configuration)."""
    return frozenset(name for name in options if values.get(name) is not None)


def config_only(options: Mapping[str, Option]) -> dict[str, Option]:
    """The same settings without their flags: another command's settings that a command
    reads from the configuration (``check`` reads strip's but never strips)."""
    from dataclasses import replace

    return {name: replace(option, flags=()) for name, option in options.items()}
