"""``nbtools scan``: find credentials in notebooks, scripts and the env files beside them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nbtools.discovery import STDIN, STDIN_FILENAME, collect_files, read_stdin
from nbtools.errors import InputError, UsageError
from nbtools.findings import FAIL_ON, Suppression, fail_level
from nbtools.notebook import write_notebook
from nbtools.options import Option
from nbtools.report import FileResult, FileStatus, Report
from nbtools.results import BaselineUpdate, ScanResult
from nbtools.secrets.baseline import (
    baseline_root,
    configured_baseline,
    load_baseline,
    write_baseline,
)
from nbtools.secrets.fix import fixable, leaking_outputs, remove_outputs
from nbtools.secrets.scanner import scan_bytes, scan_paths, scanned_name
from nbtools.suppress import EXTERNAL, exclusion, option_origin, suppress_rules

if TYPE_CHECKING:
    import argparse

    from nbtools.commands import Request
    from nbtools.findings import Finding
    from nbtools.secrets.project import ProjectScan
    from nbtools.secrets.scanner import Outcome

NAME = "scan"
INHERIT: tuple[str, ...] = ()
PATHS_EXIST = True


def _table(value: object) -> object:
    return value  # checked by nbtools.secrets.project, which names the bad key


OPTIONS: dict[str, Option] = {
    "fix": Option(
        bool,
        False,
        "remove the outputs that contain a finding (sources are reported, not changed)",
        configurable=False,
    ),
    "baseline": Option(
        str, "", "accept the findings fingerprinted in FILE; only new ones fail", metavar="FILE"
    ),
    "update_baseline": Option(
        bool,
        False,
        "write every current finding into the --baseline file and exit 0",
        configurable=False,
    ),
    "ignore_rules": Option(
        list,
        frozenset(),
        "rule ids to ignore, e.g. scan/high-entropy-string",
        metavar="RULE",
        convert=frozenset,
    ),
    "fail_on": FAIL_ON,
    "staged": Option(
        bool,
        False,
        "scan what is staged for the next commit (the index, after the clean filter)",
        configurable=False,
    ),
    "history": Option(
        str,
        None,
        "scan every notebook and script version in git history (default: HEAD); "
        "findings name the commit",
        metavar="REV-RANGE",
        bare="HEAD",
        configurable=False,
    ),
    "stdin_filename": STDIN_FILENAME,
    "jobs": Option(
        int,
        0,
        "worker processes (default: decided by batch size and cores)",
        flags=("--jobs", "-j"),
        metavar="N",
    ),
    # project rules and allowlists (README "Project rules and allowlists"): tables only
    "rules": Option(object, [], flags=(), convert=_table),
    "allowlist": Option(object, [], flags=(), convert=_table),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="*",
        default=["."],
        help="notebooks, scripts, env files or directories (default: .); - for stdin",
    )


def execute(request: Request) -> Report:
    options = request.options
    report = Report(NAME)
    result = ScanResult()
    report.result = result
    report.fail_on = fail_level(options["fail_on"])
    baseline_path = configured_baseline(
        options["baseline"], "baseline" in request.given, request.config
    )
    if options["update_baseline"] and not baseline_path:
        raise UsageError("--update-baseline needs --baseline FILE")
    if options["fix"] and options["update_baseline"]:
        raise UsageError("--fix and --update-baseline cannot be combined")
    accepted = (
        load_baseline(baseline_path) if baseline_path and not options["update_baseline"] else set()
    )
    config = request.config
    # configuration found in the tree may suppress findings but never hide a file from the
    # scan: only the command line or a --config file skips files outright
    skip, tree_exclude = (request.exclude, []) if config.trusted else ([], request.exclude)
    project = _project(request)
    root = baseline_root(baseline_path, request.paths)
    if options["staged"] or options["history"] is not None:
        if options["fix"]:
            raise UsageError("--fix changes files in the work tree, not --staged or --history")
        from nbtools.secrets.gitscan import scan_git

        outcomes, result.git = scan_git(request.paths, options["staged"], options["history"], root)
    else:
        files = collect_files(request.paths, (), skip, config.root_dir, match=scanned_name)
        stdin = STDIN in files
        if stdin and options["fix"]:
            raise UsageError("--fix changes files: it cannot take - (stdin)")
        files = [f for f in files if f != STDIN]
        outcomes = (
            scan_paths(files, options["jobs"], root)
            if not options["fix"]
            else _scan_for_fix(files, root)
        )
        if stdin:
            name = options["stdin_filename"] or STDIN
            outcomes.insert(0, scan_bytes(name, read_stdin(), root=root))
    ignored: frozenset[str] = options["ignore_rules"]
    ignored_at = option_origin(
        config, "ignore_rules" in request.given, "ignore_rules", [NAME], "--ignore-rules"
    )
    baseline_note = Suppression(
        EXTERNAL, "baseline", baseline_path, "accepted in the scan baseline"
    )
    everything: list[Finding] = []
    baselined = 0
    for outcome in outcomes:
        excluded = exclusion(config, outcome.path, tree_exclude) if tree_exclude else None
        if outcome.error is not None and excluded is None:
            # exit 2 for the file; a secret found in its raw text is reported all the same
            report.add_error(outcome.path, outcome.error)
            suppress_rules(outcome.findings, ignored, ignored_at)
            project.suppress(outcome.findings)
            report.add_findings(outcome.findings)
            continue
        if outcome.skipped is not None or outcome.error is not None:
            for finding in outcome.findings:  # an excluded file that is not a valid notebook
                finding.suppression = finding.suppression or excluded
            report.add_findings(outcome.findings)
            report.add_file(
                FileResult(outcome.path, FileStatus.SKIPPED, outcome.skipped or outcome.error or "")
            )
            continue
        found = outcome.findings
        if excluded is not None:
            for finding in found:
                finding.suppression = finding.suppression or excluded
        suppress_rules(found, ignored, ignored_at)
        project.suppress(found)
        for finding in found:
            if finding.suppression is None and finding.matches(accepted):
                finding.suppression = baseline_note
                baselined += 1
        new = [f for f in found if f.suppression is None]
        everything.extend(new)
        if options["update_baseline"]:
            report.add_file(FileResult(outcome.path, FileStatus.CLEAN))
            continue
        report.add_findings([f for f in found if f.suppression is not None])
        if options["fix"] and new:
            _fix(report, outcome, new)
            continue
        report.add_findings(new)
        status = (
            FileStatus.EXCLUDED
            if excluded is not None
            else (FileStatus.FINDINGS if new else FileStatus.CLEAN)
        )
        report.add_file(FileResult(outcome.path, status))
    if options["update_baseline"]:
        written = write_baseline(baseline_path, everything, root)
        result.baseline = BaselineUpdate(baseline_path, len(everything), written)
    elif accepted:
        result.baselined = baselined
    return report


def _project(request: Request) -> ProjectScan:
    """The project's rules and allowlists, handed to the engines this run builds."""
    from nbtools.secrets.project import use_project_scan

    options = request.options
    return use_project_scan(
        request.config, options["rules"], options["allowlist"], request.console.warning
    )


def _scan_for_fix(files: list[str], root: str) -> list[Outcome]:
    from nbtools.secrets.scanner import scan_path

    # in-process, keeping each parsed notebook so that it is not read twice
    return [scan_path(path, keep=True, root=root) for path in files]


def _fix(report: Report, outcome: Outcome, findings: list[Finding]) -> None:
    """Remove the leaking outputs; source findings stay, marked as not auto-fixable."""
    remaining = [f for f in findings if not fixable(f)]
    for finding in remaining:
        finding.extra["fixable"] = False
        finding.message += " (not auto-fixable: remove it from the source)"
    report.add_findings(remaining)
    nbfile = outcome.nbfile
    targets = leaking_outputs(findings)
    if nbfile is None or not targets:
        report.add_file(FileResult(outcome.path, FileStatus.FINDINGS))
        return
    removed = remove_outputs(nbfile.nb, targets)
    try:
        written = write_notebook(nbfile)
    except OSError as exc:
        report.add_error(outcome.path, f"cannot write: {exc.strerror or exc}")
        return
    except InputError as exc:  # pragma: no cover - write_notebook raises OSError only
        report.add_error(outcome.path, exc.reason)
        return
    status = (
        FileStatus.CHANGED if written else (FileStatus.FINDINGS if remaining else FileStatus.CLEAN)
    )
    report.add_file(FileResult(outcome.path, status, f"removed {removed} leaking outputs"))
