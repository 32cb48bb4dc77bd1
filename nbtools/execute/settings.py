"""The settings of one ``nbtools run``, typed, from its resolved options and arguments.

``nbtools run`` and ``pytest --nbtools`` both read the run command's options (command
line over ``[tool.nbtools.run]`` over defaults); :meth:`RunSettings.from_options` turns
them into what the pipeline (:mod:`nbtools.execute.pipeline`) runs with.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import AbstractSet, Any, Mapping

from nbtools.errors import UsageError
from nbtools.execute.executor import ExecOptions

#: run options that change what a notebook does or how it is judged: part of a cache key
KEY_OPTIONS = ("timeout", "notebook_timeout", "max_output_bytes", "keep_going", "repeat")


@dataclass
class CacheSettings:
    """``--cache DIR``: where results are kept and how."""

    folder: str  # absolute
    max_size: str  # ``--cache-max-size`` as given (parsed when the cache opens)
    refresh: bool  # run everything, then store fresh results
    key_options: dict[str, Any]  # the options of KEY_OPTIONS, as resolved


@dataclass
class RunSettings:
    """Everything one run of the pipeline needs to know."""

    paths: list[str]
    root_dir: str  # the configuration's root (discovery, a relative cache folder)
    exclude: list[str] = field(default_factory=list)
    jobs: int = 0  # notebooks in parallel; 0: one per core
    kernel: str | None = None  # --kernel NAME|PYTHON
    execution: ExecOptions = field(default_factory=ExecOptions)
    extra_env: dict[str, str] = field(default_factory=dict)  # --env KEY=VALUE
    repeat: int = 1
    fork: bool = True  # fork kernels from a fork server when it pays
    image: str | None = None  # --image: kernels in containers
    network: str | None = None  # the containers' network ("none" or "host")
    #: the resolved options, for the container's settings (nbtools.container.options)
    container_options: dict[str, Any] = field(default_factory=dict)
    write: bool = False
    html: str | None = None
    shard: str | None = None
    durations: str | None = None
    changed_since: str | None = None
    cache: CacheSettings | None = None

    @classmethod
    def from_options(
        cls,
        options: Mapping[str, Any],
        paths: list[str],
        root_dir: str,
        exclude: list[str] | None = None,
        given: AbstractSet[str] = frozenset(),
    ) -> RunSettings:
        """The settings of the run command's resolved ``options``; ``given`` names those
        typed on the command line (a relative ``--cache`` is the caller's, one from the
        configuration is relative to its ``pyproject.toml``)."""
        return cls(
            paths=list(paths),
            root_dir=root_dir,
            exclude=list(exclude or []),
            jobs=options["jobs"] or 0,
            kernel=options["kernel"],
            execution=ExecOptions(
                cell_timeout=options["timeout"] or None,
                notebook_timeout=options["notebook_timeout"] or None,
                max_output_bytes=options["max_output_bytes"],
                keep_going=options["keep_going"],
            ),
            extra_env=parse_env(options["env"]),
            repeat=max(1, options["repeat"]),
            fork=options["fork"],
            image=options["image"],
            network=options.get("network"),
            container_options=dict(options),
            write=bool(options.get("write")),
            html=options.get("html"),
            shard=options.get("shard"),
            durations=options.get("durations"),
            changed_since=options.get("changed_since"),
            cache=_cache_settings(options, given, root_dir),
        )


def parse_env(items: list[str]) -> dict[str, str]:
    """``--env KEY=VALUE`` items as a mapping (UsageError for an item without ``=``)."""
    env: dict[str, str] = {}
    for item in items:
        key, sep, value = str(item).partition("=")
        if not sep or not key:
            raise UsageError(f"--env {item!r}: expected KEY=VALUE")
        env[key] = value
    return env


def _cache_settings(
    options: Mapping[str, Any], given: AbstractSet[str], root_dir: str
) -> CacheSettings | None:
    """The run cache of ``--cache DIR`` / ``[tool.nbtools.run] cache`` (None: off)."""
    folder = options.get("cache")
    if not folder or options.get("no_cache"):
        return None
    if "cache" not in given:  # from a config file: relative to it
        folder = os.path.join(root_dir, folder)
    return CacheSettings(
        folder=os.path.abspath(folder),
        max_size=options.get("cache_max_size") or "1G",
        refresh=bool(options.get("refresh")),
        key_options={key: options.get(key) for key in KEY_OPTIONS},
    )
