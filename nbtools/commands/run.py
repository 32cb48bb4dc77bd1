"""``nbtools run``: execute notebooks top to bottom on fresh kernels and say why they fail.

The command wires its options to the pipeline (:mod:`nbtools.execute.pipeline`); the
run's rules and verdicts live in :mod:`nbtools.execute.rules`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nbtools.container import options as container_options
from nbtools.options import Option

if TYPE_CHECKING:
    import argparse

    from nbtools.commands import Request
    from nbtools.report import Report

NAME = "run"
INHERIT: tuple[str, ...] = ()
PATHS_EXIST = True
_CACHE = "cache (run only what a change can affect)"

OPTIONS: dict[str, Option] = {
    "jobs": Option(int, 0, "notebooks in parallel (default: cores)", flags=("-j", "--jobs")),
    "kernel": Option(
        str,
        None,
        "kernelspec name, or a Python interpreter to run ipykernel with "
        "(default: the notebook's kernelspec)",
        metavar="NAME|PYTHON",
    ),
    "timeout": Option(float, 600.0, "per-cell limit (default: 600)", metavar="S"),
    "notebook_timeout": Option(float, 0.0, "whole-notebook limit", metavar="S"),
    "max_output_bytes": Option(
        int,
        20_000_000,
        "stop a notebook whose outputs exceed N bytes (default: 20000000)",
        metavar="N",
    ),
    "keep_going": Option(bool, False, "run every cell after an error and report every failure"),
    "env": Option(
        list,
        (),
        "environment variable for the kernels (repeatable); kernels inherit only "
        "PATH, HOME, locale and a few Python/Jupyter variables",
        metavar="KEY=VALUE",
        repeat="append",
        convert=list,
    ),
    "repeat": Option(
        int,
        1,
        "2: run twice on fresh kernels to tell nondeterminism from hidden state",
        choices=(1, 2),
    ),
    "fork": Option(
        bool,
        True,
        "launch every kernel as a new process (no fork server)",
        flags=("--no-fork",),
    ),
    "write": Option(
        bool, False, "store the executed notebooks (default: no writes)", configurable=False
    ),
    "html": Option(
        str, None, "write executed notebooks as HTML", metavar="DIR", configurable=False
    ),
    "shard": Option(
        str,
        None,
        "run only shard K of N; auto (or auto/N): from the CI's parallel-job variables "
        "(GitLab, CircleCI, Buildkite, Kubernetes Indexed Jobs, NBTOOLS_SHARD=K/N)",
        metavar="K/N|auto",
        configurable=False,
    ),
    "merge_reports": Option(
        list,
        None,
        "run nothing: merge the shards' --format json reports into one report "
        "(as `nbtools report merge`; any --format, -o FILE)",
        metavar="JSON",
        configurable=False,
    ),
    "durations": Option(
        str,
        None,
        "timings for --shard: {path: seconds} or a previous --format json report",
        metavar="FILE",
        configurable=False,
    ),
    **container_options.OPTIONS,  # --image and friends: kernels in docker/podman
    # the run cache's folder (#14); off unless set
    "cache": Option(
        str,
        None,
        "serve a passing notebook from DIR while nothing it read changed; store new passes",
        metavar="DIR",
        section=_CACHE,
    ),
    "changed_since": Option(
        str,
        None,
        "only notebooks a change since the merge base with REF can affect "
        "(their code, local modules they import, files they read)",
        metavar="REF",
        configurable=False,
        section=_CACHE,
    ),
    "no_cache": Option(
        bool, False, "no cache, even if configured", configurable=False, section=_CACHE
    ),
    "refresh": Option(
        bool,
        False,
        "run everything, then store fresh results",
        configurable=False,
        section=_CACHE,
    ),
    "cache_max_size": Option(
        str,
        "1G",
        "evict least recently used entries above SIZE (default: 1G)",
        metavar="SIZE",
        section=_CACHE,
    ),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths", nargs="*", default=["."], help="notebooks, paired scripts or directories"
    )


def execute(request: Request) -> Report:
    """Run the notebooks of ``request`` (``--merge-reports``: merge the shards' reports)."""
    options = request.options
    if options["merge_reports"]:
        from nbtools.reportmerge import merge_files

        # the same as `nbtools report merge`
        return merge_files(options["merge_reports"], options["html"])
    from nbtools.execute.pipeline import run_notebooks
    from nbtools.execute.settings import RunSettings

    settings = RunSettings.from_options(
        options, request.paths, request.config.root_dir, request.exclude, request.given
    )
    return run_notebooks(settings, request.console)
