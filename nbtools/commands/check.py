"""``nbtools check``: every static hygiene rule in one read-only pass (what CI calls first)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from nbtools.checkconfig import CHECK_INHERIT, CHECK_SETTINGS, enabled_checks, make_context
from nbtools.checks import SCRIPT_SUFFIXES, CheckContext, check_notebook, check_script
from nbtools.discovery import STDIN, STDIN_FILENAME, collect_files, read_stdin
from nbtools.errors import InputError
from nbtools.findings import fail_level
from nbtools.notebook import loads_notebook, read_notebook
from nbtools.report import FileResult, FileStatus, Report
from nbtools.results import CheckResult

if TYPE_CHECKING:
    import argparse

    from nbtools.commands import Request
    from nbtools.findings import Finding, Suppression
    from nbtools.options import Option

NAME = "check"
INHERIT = CHECK_INHERIT
PATHS_EXIST = True
OPTIONS: dict[str, Option] = {**CHECK_SETTINGS, "stdin_filename": STDIN_FILENAME}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="*",
        default=["."],
        help="notebooks, paired scripts or directories; - for a notebook on stdin",
    )


def execute(request: Request) -> Report:
    from nbtools.suppress import exclusion

    checks = enabled_checks(request.options)
    context = make_context(request.options, request.config, request.paths, request.console.warning)
    report = Report(NAME)
    report.fail_on = fail_level(request.options["fail_on"])
    report.result = CheckResult(checks)
    config = request.config
    # a configuration found in the tree never hides a file from the credential scan
    skip, tree_exclude = (request.exclude, []) if config.trusted else ([], request.exclude)
    files = collect_files(request.paths, (".ipynb",), skip, config.root_dir)
    notebooks = [f for f in files if f.endswith(".ipynb")]
    seen = {Path(f).resolve() for f in notebooks}
    for path in request.console.progress(files, total=len(files), label="check"):
        excluded = exclusion(config, path, tree_exclude) if tree_exclude else None
        if path == STDIN:
            _check_stdin(report, request.options["stdin_filename"] or STDIN, checks, context)
        elif excluded is not None:
            _check_excluded(report, path, checks, context, excluded)
        elif path.endswith(".ipynb"):
            _check_notebook(report, path, checks, context)
        elif path.endswith(SCRIPT_SUFFIXES):
            try:
                findings, notebook = check_script(path, checks, context)
            except InputError as exc:
                report.add_error(path, exc.reason)
                continue
            _add(report, path, findings)
            # a script's pair is checked from its notebook, once
            if notebook is not None and notebook.resolve() not in seen and notebook.is_file():
                seen.add(notebook.resolve())
                _check_notebook(report, str(notebook), ["sync"], context)
        else:
            report.add_file(
                FileResult(path, FileStatus.SKIPPED, "not a notebook or a Python script")
            )
    return report


def _check_stdin(report: Report, name: str, checks: list[str], context: CheckContext) -> None:
    """A notebook on standard input: every check but sync (it has no pair on disk)."""
    try:
        nbfile = loads_notebook(read_stdin(), name)
    except InputError as exc:
        report.add_error(name, exc.reason)
        return
    _add(report, name, check_notebook(nbfile, [c for c in checks if c != "sync"], context))


def _check_excluded(
    report: Report, path: str, checks: list[str], context: CheckContext, excluded: Suppression
) -> None:
    """A file the tree's configuration excludes: scanned for credentials only, and what is
    found is reported as suppressed by that exclusion."""
    if "secrets" not in checks:
        report.add_file(FileResult(path, FileStatus.EXCLUDED))
        return
    try:
        if path.endswith(".ipynb"):
            findings = check_notebook(read_notebook(path), ["secrets"], context)
        else:
            findings = check_script(path, ["secrets"], context)[0]
    except InputError as exc:
        report.add_file(FileResult(path, FileStatus.SKIPPED, exc.reason))
        return
    for finding in findings:
        finding.suppression = finding.suppression or excluded
    report.add_findings(findings)
    report.add_file(FileResult(path, FileStatus.EXCLUDED))


def _check_notebook(report: Report, path: str, checks: list[str], context: CheckContext) -> None:
    try:
        nbfile = read_notebook(path)
    except InputError as exc:
        report.add_error(path, exc.reason)
        if "secrets" in checks:  # a secret in a notebook that cannot be read is still found
            report.add_findings(_raw_secrets(path, context))
        return
    try:
        findings = check_notebook(nbfile, checks, context)
    except InputError as exc:  # a pairing leaving the repository: the file is an error...
        report.add_error(path, exc.reason)
        # ...and its other checks still run (the scan is never switched off by metadata)
        report.add_findings(check_notebook(nbfile, [c for c in checks if c != "sync"], context))
        return
    _add(report, path, findings)


def _raw_secrets(path: str, context: CheckContext) -> list[Finding]:
    """The credentials in a broken notebook's raw text, by file line."""
    from nbtools.checks import suppress
    from nbtools.secrets.engine import default_engine
    from nbtools.secrets.text_scan import scan_text

    try:
        raw = Path(path).read_bytes()
    except OSError:
        return []
    if b"\0" in raw[:8192]:
        return []
    findings = scan_text(path, raw.decode("utf-8", "replace"), default_engine(), context.root)
    suppress(findings, context)
    return findings


def _add(report: Report, path: str, findings: list[Finding]) -> None:
    report.add_findings(findings)
    counted = [f for f in findings if f.suppression is None]
    status = FileStatus.FINDINGS if counted else FileStatus.CLEAN
    report.add_file(FileResult(path, status, f"{len(counted)} finding(s)" if counted else ""))
