"""``nbtools report merge``: one report from the JSON reports of ``run --shard K/N``.

The merged report has the shape and exit code of a single ``nbtools run`` over every
shard's notebooks, in any ``--format`` (``-o FILE`` to write it). ``run --merge-reports``
is the same command.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nbtools.options import Option

if TYPE_CHECKING:
    import argparse

    from nbtools.commands import Request
    from nbtools.report import Report

NAME = "report"
INHERIT: tuple[str, ...] = ()
#: a missing shard report is the merge's own error (exit 2, naming the shard)
PATHS_EXIST = False

OPTIONS: dict[str, Option] = {
    "html": Option(
        str,
        None,
        "write DIR/index.html over every shard's notebooks (gather the shards' --html pages "
        "in DIR first; each shard's own index lists only its notebooks)",
        metavar="DIR",
        configurable=False,
    ),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "action",
        choices=("merge",),
        help="merge: one `nbtools run` report from its shards' JSON reports",
    )
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="JSON",
        help="the shards' `nbtools run --shard K/N --format json` reports, one per shard",
    )


def execute(request: Request) -> Report:
    import nbtools.execute.rules  # noqa: F401 - registers the run/* rules for SARIF and GitHub
    from nbtools.reportmerge import merge_files

    return merge_files(request.paths, request.options["html"])
