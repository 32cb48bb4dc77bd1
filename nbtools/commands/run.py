"""``nbtools run``: execute notebooks top to bottom on fresh kernels and say why they fail.

The command wires its options to the pipeline (:mod:`nbtools.execute.pipeline`); the
run's rules and verdicts live in :mod:`nbtools.execute.rules`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nbtools.config import Option
from nbtools.container import options as container_options

if TYPE_CHECKING:
    import argparse

    from nbtools.commands import Request
    from nbtools.report import Report

NAME = "run"
HELP = "execute notebooks on fresh kernels and say why they fail"

OPTIONS: dict[str, Option] = {
    "jobs": Option(int, 0, int),
    "kernel": Option(str, None, str),
    "timeout": Option(float, 600.0, float),
    "notebook_timeout": Option(float, 0.0, float),
    "max_output_bytes": Option(int, 20_000_000, int),
    "keep_going": Option(bool, False, bool),
    "env": Option(list, [], list),
    "repeat": Option(int, 1, int),
    "fork": Option(bool, True, bool),
    "cache": Option(str, None, str),  # the run cache's folder (#14); off unless set
    "cache_max_size": Option(str, "1G", str),
    **container_options.OPTIONS,  # --image and friends: kernels in docker/podman
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths", nargs="*", default=["."], help="notebooks, paired scripts or directories"
    )
    parser.add_argument(
        "-j", "--jobs", type=int, default=None, help="notebooks in parallel (default: cores)"
    )
    parser.add_argument(
        "--kernel",
        default=None,
        metavar="NAME|PYTHON",
        help="kernelspec name, or a Python interpreter to run ipykernel with "
        "(default: the notebook's kernelspec)",
    )
    parser.add_argument(
        "--timeout", type=float, default=None, metavar="S", help="per-cell limit (default: 600)"
    )
    parser.add_argument(
        "--notebook-timeout", type=float, default=None, metavar="S", help="whole-notebook limit"
    )
    parser.add_argument(
        "--max-output-bytes",
        type=int,
        default=None,
        metavar="N",
        help="stop a notebook whose outputs exceed N bytes (default: 20000000)",
    )
    parser.add_argument(
        "--keep-going",
        action="store_const",
        const=True,
        default=None,
        help="run every cell after an error and report every failure",
    )
    parser.add_argument(
        "--env",
        action="append",
        default=None,
        metavar="KEY=VALUE",
        help="environment variable for the kernels (repeatable); kernels inherit only "
        "PATH, HOME, locale and a few Python/Jupyter variables",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=None,
        choices=(1, 2),
        help="2: run twice on fresh kernels to tell nondeterminism from hidden state",
    )
    parser.add_argument(
        "--no-fork",
        dest="fork",
        action="store_const",
        const=False,
        default=None,
        help="launch every kernel as a new process (no fork server)",
    )
    parser.add_argument(
        "--write", action="store_true", help="store the executed notebooks (default: no writes)"
    )
    parser.add_argument(
        "--html", metavar="DIR", default=None, help="write executed notebooks as HTML"
    )
    parser.add_argument(
        "--shard",
        metavar="K/N|auto",
        default=None,
        help="run only shard K of N; auto (or auto/N): from the CI's parallel-job variables "
        "(GitLab, CircleCI, Buildkite, Kubernetes Indexed Jobs, NBTOOLS_SHARD=K/N)",
    )
    parser.add_argument(
        "--merge-reports",
        nargs="+",
        metavar="JSON",
        default=None,
        help="run nothing: merge the shards' --format json reports into one report "
        "(as `nbtools report merge`; any --format, -o FILE)",
    )
    parser.add_argument(
        "--durations",
        metavar="FILE",
        default=None,
        help="timings for --shard: {path: seconds} or a previous --format json report",
    )
    container_options.add_arguments(parser.add_argument_group("container (kernels in docker)"))
    _add_cache_arguments(parser.add_argument_group("cache (run only what a change can affect)"))


def _add_cache_arguments(group: Any) -> None:
    group.add_argument(
        "--cache",
        metavar="DIR",
        default=None,
        help="serve a passing notebook from DIR while nothing it read changed; store new passes",
    )
    group.add_argument(
        "--changed-since",
        metavar="REF",
        default=None,
        help="only notebooks a change since the merge base with REF can affect "
        "(their code, local modules they import, files they read)",
    )
    group.add_argument("--no-cache", action="store_true", help="no cache, even if configured")
    group.add_argument(
        "--refresh", action="store_true", help="run everything, then store fresh results"
    )
    group.add_argument(
        "--cache-max-size",
        metavar="SIZE",
        default=None,
        help="evict least recently used entries above SIZE (default: 1G)",
    )


#: the run's flags that are not settings of [tool.nbtools.run]
FLAGS = (
    "write",
    "html",
    "shard",
    "merge_reports",
    "durations",
    "changed_since",
    "no_cache",
    "refresh",
)


def execute(request: Request) -> Report:
    """Run the notebooks of ``request`` (``--merge-reports``: merge the shards' reports)."""
    options, given = with_flags(request.options, request.args)
    if options["merge_reports"]:
        from nbtools.reportmerge import merge_files

        return merge_files(options["merge_reports"])  # the same as `nbtools report merge`
    from nbtools.execute.pipeline import run_notebooks
    from nbtools.execute.settings import RunSettings

    settings = RunSettings.from_options(
        options, request.paths, request.config.root_dir, request.exclude, given
    )
    return run_notebooks(settings, request.console)


def with_flags(
    options: dict[str, Any], args: argparse.Namespace
) -> tuple[dict[str, Any], frozenset[str]]:
    """The resolved settings with the command-line-only flags, and the names typed on
    the command line that the run reads as such (``--cache``)."""
    flags = {name: getattr(args, name, None) for name in FLAGS}
    given = frozenset({"cache"}) if getattr(args, "cache", None) is not None else frozenset()
    return {**options, **flags}, given
