"""``nbtools strip``: remove outputs, execution counts and volatile metadata."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nbtools.discovery import STDIN, STDIN_FILENAME, collect_files, read_stdin
from nbtools.errors import InputError
from nbtools.notebook import loads_notebook, read_notebook, write_notebook
from nbtools.options import Option
from nbtools.report import FileResult, FileStatus, Report
from nbtools.strip import strip_notebook
from nbtools.stripsettings import STRIP_SETTINGS, StripOptions, strip_options

if TYPE_CHECKING:
    import argparse

    from nbtools.commands import Request

NAME = "strip"
INHERIT: tuple[str, ...] = ()
PATHS_EXIST = True

OPTIONS: dict[str, Option] = {
    "check": Option(
        bool, False, "write nothing; exit 1 listing what would change", configurable=False
    ),
    "diff": Option(
        bool,
        False,
        "print a unified diff of the changes (implies no writes)",
        configurable=False,
    ),
    **STRIP_SETTINGS,
    "stdin_filename": STDIN_FILENAME,
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths", nargs="*", default=["."], help="notebooks or directories; - for stdin"
    )


def execute(request: Request) -> Report:
    options = strip_options(request.options)
    report = Report(NAME)
    show_diff = request.options["diff"]
    write = not (request.options["check"] or show_diff)
    elide = not options.reads_output_data
    files = collect_files(request.paths, (".ipynb",), request.exclude, request.config.root_dir)
    for path in files:
        if path == STDIN:
            _strip_stdin(report, options, request.options["stdin_filename"] or STDIN, write)
            continue
        try:
            nbfile = read_notebook(path, elide=elide)
        except InputError as exc:
            report.add_error(path, exc.reason)
            continue
        result = strip_notebook(nbfile.nb, options)
        if not result.changed:
            report.add_file(FileResult(path, FileStatus.UNCHANGED))
            continue
        if write and result.removed_outputs:  # (with --check the outputs stay, for scan)
            report.add_findings(removed_credentials(path, result))
        summary = _summary(result.changes)
        if show_diff:
            report.diffs.append(_diff(path, nbfile.text, nbfile.render()))
        if write:
            try:  # a link writes through to its target in the repository (see write_target)
                written = write_notebook(nbfile)
            except OSError as exc:
                report.add_error(path, f"cannot write: {exc.strerror or exc}")
                continue
            status = FileStatus.CHANGED if written else FileStatus.UNCHANGED
            report.add_file(FileResult(path, status, summary))
        else:
            report.add_file(FileResult(path, FileStatus.WOULD_CHANGE, summary))
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
    raw = read_stdin()
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
        report.add_file(FileResult(name, FileStatus.UNCHANGED, stripped=result.changed))
    else:
        status = FileStatus.WOULD_CHANGE if result.changed else FileStatus.UNCHANGED
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
