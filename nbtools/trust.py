"""Which settings a ``pyproject.toml`` in the tree may hold: the one table of what widens.

Whoever edits the tree (the author of a pull request) writes its ``pyproject.toml``s;
whoever runs nbtools writes the command line and the file named with ``--config``
(CI keeps that on the protected branch). A setting that widens the sandbox or chooses
a program to run must come from the latter: from the tree it is refused (exit 2), never
silently applied or dropped. Settings that only narrow the sandbox (memory, timeouts,
pids, the image's name, a read-only tree) may come from the tree.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

from nbtools.errors import ConfigError

if TYPE_CHECKING:
    from nbtools.config import Config

#: a kernelspec name as jupyter_client accepts it: a plain name, never a path
_KERNEL_NAME = re.compile(r"^[A-Za-z0-9._-]+$")

#: container engines a tree may name (looked up on PATH like the command line's names)
ENGINE_NAMES = ("docker", "podman")


def is_kernel_name(value: str) -> bool:
    """A plain kernelspec name (``python3``, ``conda-env-x-py``), not a path or ``..``."""
    return bool(_KERNEL_NAME.match(value)) and value not in (".", "..")


def _memory_unlimited(value: Any) -> bool:
    text = str(value).strip().lower()
    return text in ("none", "unlimited", "max", "-1") or text.rstrip("bkmg") in ("0", "")


def outside_repository(path: Any, config: Config) -> bool:
    """Does ``path`` (relative to the config file's folder, links followed) leave the
    repository that holds the config file (its git work tree, else its folder)?"""
    from nbtools.discovery import git_root

    base = config.root_dir
    root = os.path.realpath(git_root(base) or base)
    target = os.path.realpath(os.path.join(base, str(path)))
    return target != root and not target.startswith(root.rstrip(os.sep) + os.sep)


class Widening:
    """A key whose value may widen the sandbox or run a program, and how to pass it instead.

    A slotted class, not a dataclass: this module is read at every start-up with a config."""

    __slots__ = ("flag", "key", "why", "widens")

    def __init__(
        self, key: str, widens: Callable[[Any, Config], bool], flag: str, why: str
    ) -> None:
        self.key = key
        self.widens = widens  # does this value (from this config file) widen?
        self.flag = flag  # the command-line way to ask for it
        self.why = why


#: THE table: every key a tree's ``pyproject.toml`` may not set (to these values)
WIDENING: tuple[Widening, ...] = (
    Widening(
        "engine",
        lambda v, _: str(v) not in ENGINE_NAMES,
        "--engine",
        "an engine given as a path (or any name but docker/podman) runs a program on the host",
    ),
    Widening(
        "kernel",
        lambda v, _: not is_kernel_name(str(v)),
        "--kernel",
        "a kernel given as a path runs a program on the host",
    ),
    Widening(
        "container_volumes",
        lambda v, _: bool(v),
        "--container-volume",
        "extra volumes give the notebook host folders",
    ),
    Widening("network", lambda v, _: v != "none", "--network", "it gives the notebook a network"),
    Widening(
        "container_user",
        lambda v, _: v is not None,
        "--container-user",
        "it chooses the user the notebook runs as (the image's may be root)",
    ),
    Widening("gpus", lambda v, _: v is not None, "--gpus", "it passes host devices through"),
    Widening(
        "env",
        lambda v, _: bool(v),
        "--env",
        "it passes variables (LD_PRELOAD, secrets) to the kernel",
    ),
    Widening(
        "tree",
        lambda v, _: v == "writable",
        "--writable-tree",
        "the notebook could change the tree",
    ),
    Widening(
        "command",  # [tool.nbtools.install]
        lambda v, _: True,
        "--command",
        "it chooses the program git runs on every add",
    ),
    # files nbtools writes: a tree may name them only inside its own repository
    Widening(
        "baseline",
        outside_repository,
        "--baseline",
        "scan --update-baseline would write outside the repository",
    ),
    Widening(
        "cache",  # [tool.nbtools.run]: the run cache's folder
        outside_repository,
        "--cache",
        "run --cache would write outside the repository",
    ),
    Widening(
        "memory", lambda v, _: _memory_unlimited(v), "--memory none", "it lifts the memory limit"
    ),
    Widening(
        "pids_limit",
        lambda v, _: isinstance(v, int) and v <= 0,
        "--pids-limit 0",
        "it lifts the process limit",
    ),
)

BY_KEY = {w.key: w for w in WIDENING}


def refuse_widening(
    config: Config,
    command: str,
    inherit: Iterable[str] = (),
    cli_values: Mapping[str, Any] | None = None,
) -> None:
    """ConfigError (exit 2) when a tree's ``pyproject.toml`` sets a widening value that
    would take effect; a ``--config`` file (``config.trusted``) may set anything.

    Called once for every command by ``cli.py``, over the tables that command reads."""
    if config.trusted or not config.path:
        return
    cli = cli_values or {}
    seen: set[str] = set()
    for table_name in (command, *inherit):
        for key, value in config.table(table_name).items():
            if key in seen:
                continue
            seen.add(key)
            rule = BY_KEY.get(key)
            if rule is None or cli.get(key) is not None or not rule.widens(value, config):
                continue
            raise ConfigError(
                f"{config.path}: tool.nbtools.{table_name}.{key} = {value!r} is refused: "
                f"{rule.why}, and a pyproject.toml in the tree is written by whoever edits "
                f"the tree (a pull request). Pass {rule.flag} on the command line, or put it "
                "in a file named with --config (kept where the tree cannot change it)"
            )
