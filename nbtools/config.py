"""``[tool.nbtools]`` configuration in ``pyproject.toml``, found by walking up from the files.

Precedence: command line, then the command's table (``[tool.nbtools.<command>]``), then
the top-level ``[tool.nbtools]`` keys shared by all commands, then the defaults.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Collection, Iterable, Mapping, Sequence

from nbtools.discovery import upward
from nbtools.errors import ConfigError, UsageError
from nbtools.findings import FAIL_ON
from nbtools.options import Option

if TYPE_CHECKING:
    from pathlib import Path

#: report formats, each rendered by the module ``nbtools.renderers.<name>``
REPORT_FORMATS = ("text", "json", "sarif", "junit", "github")
COLORS = ("auto", "always", "never")

#: options of every command: flags before or after the command name, and the keys allowed
#: at the top of ``[tool.nbtools]``
GLOBAL_OPTIONS: dict[str, Option] = {
    "quiet": Option(
        int,
        0,
        "less output (repeatable)",
        flags=("-q", "--quiet"),
        repeat="count",
        configurable=False,
        section="output",
    ),
    "verbose": Option(
        int,
        0,
        "more output (repeatable)",
        flags=("-v", "--verbose"),
        repeat="count",
        configurable=False,
        section="output",
    ),
    "color": Option(
        str,
        "auto",
        "colour the output (default: auto; honours NO_COLOR and FORCE_COLOR)",
        choices=COLORS,
        section="output",
    ),
    "format": Option(
        str,
        "text",
        "report format on stdout (default: text)",
        choices=tuple(sorted(REPORT_FORMATS)),
        section="output",
    ),
    "output": Option(
        str,
        None,
        "write the report to FILE instead of stdout",
        flags=("--output", "-o"),
        metavar="FILE",
        configurable=False,
        section="output",
    ),
    "config": Option(
        str,
        None,
        "read [tool.nbtools] from this file instead of searching",
        metavar="PYPROJECT",
        configurable=False,
        section="output",
    ),
    "exclude": Option(list, (), flags=()),
    "extend_exclude": Option(list, (), flags=()),
    # the default of every command's --fail-on (findings.FAIL_ON): no flag of its own
    "fail_on": replace(FAIL_ON, flags=()),
}


@dataclass
class Config:
    """The ``[tool.nbtools]`` table of the nearest ``pyproject.toml`` (or none)."""

    path: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    #: named with ``--config``: chosen by whoever runs nbtools (CI keeps it on the protected
    #: branch), unlike a ``pyproject.toml`` found in the tree, which a pull request controls
    explicit: bool = False

    @property
    def trusted(self) -> bool:
        """May this configuration widen the sandbox, choose a program or skip files outright?"""
        return self.explicit

    @property
    def root_dir(self) -> str:
        """Directory that relative paths in the config are resolved against."""
        return os.path.dirname(os.path.abspath(self.path)) if self.path else os.getcwd()

    @property
    def root(self) -> Path:
        """:attr:`root_dir` as a Path (pathlib is not imported on the start-up path)."""
        from pathlib import Path

        return Path(self.root_dir)

    def table(self, command: str) -> dict[str, Any]:
        value = self.data.get(command, {})
        return value if isinstance(value, dict) else {}

    def global_value(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)


def find_pyproject(start: str | os.PathLike[str]) -> str | None:
    """The nearest ``pyproject.toml`` with a ``[tool.nbtools]`` table, walking up from start.

    The walk stops at a repository root (a directory with ``.git``), like black's.
    """
    directory = os.path.abspath(start)
    if not os.path.isdir(directory):
        directory = os.path.dirname(directory)
    for folder in upward(directory):
        candidate = os.path.join(folder, "pyproject.toml")
        if os.path.isfile(candidate) and _has_nbtools_table(candidate):
            return candidate
        if os.path.exists(os.path.join(folder, ".git")):
            return None
    return None


def _has_nbtools_table(path: str) -> bool:
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError):
        return False
    return "tool.nbtools" in text


def common_start(paths: Sequence[str]) -> str:
    """Where to start looking for configuration: the common parent of the inputs."""
    real = [os.path.abspath(p) for p in paths if p != "-"]
    if not real:
        return os.getcwd()
    try:
        return os.path.commonpath(real)
    except ValueError:  # different drives
        return os.getcwd()


def load_config(paths: Sequence[str], explicit: str | None = None) -> Config:
    """Load ``[tool.nbtools]`` from ``explicit`` or from the nearest pyproject.toml."""
    path = explicit if explicit else find_pyproject(common_start(paths))
    if path is None:
        return Config()
    if sys.version_info >= (3, 11):  # imported only when there is a file to read
        import tomllib
    else:  # pragma: no cover - exercised on Python < 3.11
        import tomli as tomllib
    try:
        with open(path, "rb") as handle:
            document = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such configuration file") from None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    data = document.get("tool", {}).get("nbtools", {})
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: [tool.nbtools] must be a table")
    _check_globals(path, data)
    return Config(path=path, data=data, explicit=bool(explicit))


def _check_globals(path: str, data: dict[str, Any]) -> None:
    """Refuse top-level values of the wrong type or choice now, naming the key (exit 2)."""
    for key, option in GLOBAL_OPTIONS.items():
        if key not in data or not option.configurable:
            continue
        value = data[key]
        dotted = f"tool.nbtools.{key}"
        if option.kind is list and isinstance(value, str):
            data[key] = value = [value]
        if not isinstance(value, option.kind):
            raise ConfigError(
                f"{path}: {dotted} must be {_kind_name(option.kind)}, not {type(value).__name__}"
            )
        if isinstance(value, list) and not all(isinstance(item, str) for item in value):
            raise ConfigError(f"{path}: {dotted} must be a list of strings")
        if option.choices is not None and value not in option.choices:
            raise ConfigError(
                f"{path}: {dotted} must be one of {', '.join(option.choices)}, not {value!r}"
            )


def _kind_name(kind: type) -> str:
    return {list: "a list", str: "a string", int: "an integer", float: "a number"}.get(
        kind, kind.__name__
    )


def unknown_keys(
    config: Config, command: str, options: Mapping[str, Option], tables: Collection[str]
) -> list[str]:
    """Dotted names of keys nobody reads (shown as warnings); ``tables`` are the commands."""
    unknown = [
        f"tool.nbtools.{key}"
        for key, value in config.data.items()
        if not (key in GLOBAL_OPTIONS and GLOBAL_OPTIONS[key].configurable)
        and not (key in tables and isinstance(value, dict))
    ]
    unknown += [
        f"tool.nbtools.{command}.{key}"
        for key in config.table(command)
        if key not in options or not options[key].configurable
    ]
    return unknown


def resolve(
    cli_values: Mapping[str, Any],
    config: Config,
    command: str,
    options: Mapping[str, Option],
    inherit: Iterable[str] = (),
) -> dict[str, Any]:
    """Merge CLI values (None = not given), the command's table, inherited tables and defaults.

    Every value but a default goes through the option's ``convert``."""
    if not command:  # the global options: the keys at the top of [tool.nbtools]
        tables: list[tuple[str, dict[str, Any]]] = [("", config.data)]
    else:
        tables = [(command, config.table(command))]
        tables += [(name, config.table(name)) for name in inherit]
        # an option that is also a global one falls back to the top of [tool.nbtools]
        tables.append(("", {k: v for k, v in config.data.items() if k in GLOBAL_OPTIONS}))
    resolved: dict[str, Any] = {}
    for name, option in options.items():
        value = cli_values.get(name)
        if value is not None and _negative(value, option):
            flag = "--" + name.replace("_", "-")
            raise UsageError(f"{flag} must not be negative (got {value})")
        if value is not None:
            value = option.value(value)
        elif option.configurable:
            for table_name, table in tables:
                if name in table:
                    dotted = ".".join(("tool.nbtools", *filter(None, (table_name, name))))
                    value = _coerce(table[name], option, dotted, config)
                    break
        resolved[name] = option.default if value is None else value
    return resolved


def _negative(value: Any, option: Option) -> bool:
    """Sizes, counts and timeouts: none may be negative (or NaN); 0 means none or auto."""
    if option.kind not in (int, float) or isinstance(value, bool):
        return False
    return isinstance(value, (int, float)) and not value >= 0


def _coerce(value: Any, option: Option, dotted: str, config: Config) -> Any:
    kind = option.kind
    if kind is list and isinstance(value, str):
        value = [value]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if (kind is not object and not isinstance(value, kind)) or (
        kind in (int, float) and isinstance(value, bool)
    ):
        raise ConfigError(
            f"{config.path}: {dotted} must be {kind.__name__}, not {type(value).__name__}"
        )
    if kind is list and not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{config.path}: {dotted} must be a list of strings")
    if _negative(value, option):
        raise ConfigError(f"{config.path}: {dotted} must not be negative (got {value})")
    if option.choices is not None and value not in option.choices:
        choices = ", ".join(map(str, option.choices))
        raise ConfigError(f"{config.path}: {dotted} must be one of {choices}, not {value!r}")
    try:
        return option.value(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{config.path}: {dotted}: {exc}") from None
