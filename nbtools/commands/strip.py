"""``nbtools strip``: remove outputs, execution counts and volatile metadata."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from nbtools.config import Option
from nbtools.discovery import collect_files
from nbtools.errors import InputError
from nbtools.notebook import loads_notebook, read_notebook, write_notebook
from nbtools.report import FileResult, Report
from nbtools.strip import StripOptions, strip_notebook

if TYPE_CHECKING:
    import argparse

    from nbtools.commands import Request

NAME = "strip"
HELP = "remove outputs, execution counts and volatile metadata"

OPTIONS: dict[str, Option] = {
    "keep_output": Option(bool, False, bool),
    "keep_count": Option(bool, False, bool),
    "extra_keys": Option(tuple, (), list),
    "keep_keys": Option(frozenset, frozenset(), list),
    "drop_tagged_cells": Option(tuple, (), list),
    "drop_empty_cells": Option(bool, False, bool),
    "strip_init_cells": Option(bool, False, bool),
    "max_output_size": Option(int, 0, int),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths", nargs="*", default=["."], help="notebooks or directories; - for stdin"
    )
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 listing what would change"
    )
    parser.add_argument(
        "--diff",
        action="store_true",
        help="print a unified diff of the changes (implies no writes)",
    )
    parser.add_argument(
        "--keep-output", action="store_const", const=True, default=None, help="keep all outputs"
    )
    parser.add_argument(
        "--keep-count", action="store_const", const=True, default=None, help="keep execution counts"
    )
    parser.add_argument(
        "--extra-keys",
        nargs="+",
        metavar="KEY",
        default=None,
        help="more metadata keys to drop, e.g. metadata.foo cell.metadata.bar",
    )
    parser.add_argument(
        "--keep-keys",
        nargs="+",
        metavar="KEY",
        default=None,
        help="default volatile keys to keep instead, e.g. cell.metadata.collapsed",
    )
    parser.add_argument(
        "--drop-tagged-cells",
        nargs="+",
        metavar="TAG",
        default=None,
        help="remove cells carrying any of these tags",
    )
    parser.add_argument(
        "--drop-empty-cells",
        action="store_const",
        const=True,
        default=None,
        help="remove cells whose source is blank",
    )
    parser.add_argument(
        "--strip-init-cells",
        action="store_const",
        const=True,
        default=None,
        help="also strip cells marked init_cell",
    )
    parser.add_argument(
        "--max-output-size",
        type=int,
        metavar="BYTES",
        default=None,
        help="when outputs are kept, drop those larger than BYTES",
    )
    parser.add_argument("--stdin-filename", default=None, help="name to report for - (stdin)")


def strip_options(options: dict[str, Any]) -> StripOptions:
    return StripOptions(**{name: options[name] for name in OPTIONS})


def execute(request: Request) -> Report:
    args = request.args
    options = strip_options(request.options)
    report = Report(NAME)
    write = not (args.check or args.diff)
    elide = not options.reads_output_data
    files = collect_files(request.paths, (".ipynb",), request.exclude, request.config.root_dir)
    for path in files:
        if path == "-":
            _strip_stdin(report, options, args.stdin_filename or "-", write)
            continue
        try:
            nbfile = read_notebook(path, elide=elide)
        except InputError as exc:
            report.add_error(path, exc.reason)
            continue
        result = strip_notebook(nbfile.nb, options)
        if not result.changed:
            report.add_file(FileResult(path, "unchanged"))
            continue
        if write and result.removed_outputs:  # (with --check the outputs stay, for scan)
            report.add_findings(removed_credentials(path, result))
        summary = _summary(result.changes)
        if args.diff:
            report.diffs.append(_diff(path, nbfile.text, nbfile.render()))
        if write:
            try:  # a link writes through to its target in the repository (see write_target)
                written = write_notebook(nbfile)
            except OSError as exc:
                report.add_error(path, f"cannot write: {exc.strerror or exc}")
                continue
            report.add_file(FileResult(path, "changed" if written else "unchanged", summary))
        else:
            report.add_file(FileResult(path, "would_change", summary))
            # one line per file reads best in a terminal; machine formats get every change
            if request.verbosity > 0 or request.format != "text":
                from nbtools.notebook.positions import locate_findings

                findings = result.findings(path)
                locate_findings(findings, nbfile)
                report.add_findings(findings)
    return report


#: every credential rule needs one of these in the text it matches (a superset, for speed)
_MAY_HOLD_CREDENTIAL = (
    r"(?i)pass|pwd|secret|token|key|auth|cred|sig=|://|-----BEGIN|[A-Za-z0-9+/=_\-]{16,}"
)


def removed_credentials(path: str, result: Any) -> list[Any]:
    """Credentials in the outputs strip removed: reported (masked) so the user rotates them,
    whatever the order of the strip and scan hooks."""
    import json
    import re

    # the scanner is imported only when a removed output could hold a credential at all
    # (a keyword, a URL, a key block or a long token-like run): most outputs cannot
    text = json.dumps([outputs for _, _, outputs in result.removed_outputs])
    if not re.search(_MAY_HOLD_CREDENTIAL, text):
        return []
    from nbtools.secrets.engine import default_engine
    from nbtools.secrets.notebook_scan import scan_removed_outputs

    return scan_removed_outputs(path, result.removed_outputs, default_engine())


def _strip_stdin(report: Report, options: StripOptions, name: str, write: bool) -> None:
    raw = sys.stdin.buffer.read()
    try:
        nbfile = loads_notebook(raw, name, elide=not options.reads_output_data)
    except InputError as exc:
        report.add_error(name, exc.reason)
        report.stdout_payload = raw  # a filter must never eat the user's data
        return
    result = strip_notebook(nbfile.nb, options)
    out = nbfile.render_bytes() if result.changed else raw
    if write:
        report.stdout_payload = out
        report.add_file(FileResult(name, "unchanged", details={"stripped": result.changed}))
    else:
        status = "would_change" if result.changed else "unchanged"
        report.add_file(
            FileResult(name, status, _summary(result.changes) if result.changed else "")
        )
        if result.changed:
            report.diffs.append(_diff(name, nbfile.text, out.decode("utf-8")))


def _summary(changes: list[Any]) -> str:
    kinds: dict[str, int] = {}
    for change in changes:
        kinds[change.rule] = kinds.get(change.rule, 0) + 1
    labels = {
        "strip/outputs": "outputs",
        "strip/execution-count": "counts",
        "strip/metadata": "metadata",
        "strip/cell": "cells",
    }
    return ", ".join(f"{labels.get(k, k)}: {n}" for k, n in kinds.items())


def _diff(path: str, before: str, after: str) -> str:
    import difflib  # only for --diff

    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=f"a/{path}",
        tofile=f"b/{path}",
    )
    return "".join(lines).rstrip("\n")
