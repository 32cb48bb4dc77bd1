"""``nbtools filter``: what git runs once ``nbtools install`` has set up a repository.

``--process`` speaks git's long-running filter protocol (one process per ``git add``),
``--clean`` strips one notebook from stdin to stdout (the fallback for old gits), and
``--textconv FILE`` renders a notebook as text for ``git diff``. Notebooks are stripped
with the same options as ``nbtools strip`` (``[tool.nbtools.filter]`` first, then
``[tool.nbtools.strip]``). A file that is not a valid notebook goes through unchanged:
a filter must never lose the user's data.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from nbtools.config import load_config, resolve
from nbtools.discovery import matches_any
from nbtools.errors import InputError, NbtoolsError
from nbtools.findings import Finding, Rule, Severity, register_rules
from nbtools.notebook import loads_notebook
from nbtools.options import Option, config_only
from nbtools.report import FileResult, FileStatus, Report
from nbtools.strip import strip_notebook
from nbtools.stripsettings import STRIP_SETTINGS, StripOptions, strip_options

if TYPE_CHECKING:
    import argparse

    from nbtools.commands import Request

NAME = "filter"
INHERIT = ("strip",)
#: git names the path (%f) of what it hands over on stdin; it need not exist on disk
PATHS_EXIST = False
#: what git asks of the filter (one at a time; --clean when none is named)
MODES = ("process", "clean", "check_staged", "textconv")

OPTIONS: dict[str, Option] = {
    "process": Option(
        bool,
        False,
        "serve git's long-running filter protocol on stdin/stdout",
        configurable=False,
        exclusive="mode",
    ),
    "clean": Option(
        bool,
        False,
        "strip one notebook from stdin to stdout (the default)",
        configurable=False,
        exclusive="mode",
    ),
    "check_staged": Option(
        bool,
        False,
        "run `nbtools check` on the staged versions of PATHS (what the filter stored); "
        "the plain pre-commit hook's check where the filter is installed",
        configurable=False,
        exclusive="mode",
    ),
    "rev": Option(
        str,
        None,
        "with --check-staged: check the versions in COMMIT instead of the index "
        "(the plain pre-push hook's check)",
        metavar="COMMIT",
        configurable=False,
    ),
    "textconv": Option(
        bool,
        False,
        "print FILE as readable text for git diff",
        configurable=False,
        exclusive="mode",
    ),
    # strip's settings, from [tool.nbtools.filter] first, then [tool.nbtools.strip]
    **config_only(STRIP_SETTINGS),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="*",
        default=[],
        help="--clean: the file's path (git's %%f), for configuration and messages; "
        "--textconv: the file to render",
    )


def clean_bytes(raw: bytes, name: str, options: StripOptions) -> tuple[bytes, str | None]:
    """The stripped notebook, or ``raw`` itself and the reason it could not be read.

    Never raises for what the file holds: git fails a whole ``git add -A`` when a
    required filter fails one file, so a notebook whose structure is damaged in a way
    the reader or strip trips over (cell metadata a list, a null output...) is stored
    exactly as it is, like one that is not JSON at all.
    """
    try:
        nbfile = loads_notebook(raw, name, elide=not options.reads_output_data)
        if not strip_notebook(nbfile.nb, options).changed:
            return raw, None
        return nbfile.render_bytes(), None
    except InputError as exc:
        return raw, exc.reason
    except (MemoryError, RecursionError):
        return raw, "too large or too deeply nested to strip"
    except Exception as exc:  # noqa: BLE001 - damaged structure: keep the file, say why
        why = f"{type(exc).__name__}: {exc}"
        return raw, f"malformed notebook ({why[:120]})"


class _Settings:
    """Strip options per directory, from the nearest pyproject.toml as ``nbtools strip`` finds it.

    A ``--config`` file given on the command line applies to every path.
    """

    def __init__(self, request: Request) -> None:
        self._request = request
        self._cache: dict[str, tuple[StripOptions, list[str], str]] = {}

    def _settings(self, path: str) -> tuple[StripOptions, list[str], str]:
        directory = os.path.dirname(path)
        settings = self._cache.get(directory)
        if settings is None:
            request = self._request
            if request.config.explicit:
                config, options = request.config, request.options
            else:
                # git runs filters at the top of the working tree
                config = load_config([path or "."])
                options = resolve({}, config, NAME, OPTIONS, INHERIT)
            exclude = [
                *(config.global_value("exclude") or []),
                *(config.global_value("extend_exclude") or []),
            ]
            settings = self._cache[directory] = (strip_options(options), exclude, config.root_dir)
        return settings

    def options_for(self, path: str) -> StripOptions | None:
        """None when the configuration excludes ``path`` (it then goes through as it is)."""
        options, exclude, root = self._settings(path)
        return None if matches_any(path, exclude, root) else options


def execute(request: Request) -> Report:
    report = Report(NAME)
    report.stdout_payload = b""  # stdout belongs to git: no report on it
    settings = _Settings(request)
    mode = next((name for name in MODES if request.options[name]), "clean")
    if request.options["rev"] is not None and mode != "check_staged":
        from nbtools.errors import UsageError

        raise UsageError("nbtools filter --rev goes with --check-staged")
    if mode == "process":
        _serve(request, report, settings)
    elif mode == "check_staged":
        report.stdout_payload = None  # a report for the user, like `nbtools check`'s
        _check_staged(request, report, request.options["rev"])
    elif mode == "textconv":
        _textconv(request, report, settings)
    else:
        name = request.paths[0] if request.paths else "-"
        report.stdout_payload = _clean(request, report, settings, name, sys.stdin.buffer.read())
    return report


def _clean(request: Request, report: Report, settings: _Settings, name: str, raw: bytes) -> bytes:
    options = settings.options_for(name)
    if options is None:
        report.add_file(FileResult(name, FileStatus.SKIPPED, "excluded by configuration"))
        return raw
    out, reason = clean_bytes(raw, name, options)
    if reason is not None:
        # a warning, not an error: git must still get the file, exactly as it is
        request.console.warning(f"{name}: {reason}; passed to git unchanged")
        report.add_file(FileResult(name, FileStatus.SKIPPED, reason))
    else:
        report.add_file(FileResult(name, FileStatus.UNCHANGED, stripped=out is not raw))
    return out


def _serve(request: Request, report: Report, settings: _Settings) -> None:
    from nbtools.gitfilter import serve

    def clean(command: str, pathname: str, content: bytes) -> bytes:
        return _clean(request, report, settings, pathname, content)

    def on_error(pathname: str, exc: BaseException) -> None:
        if isinstance(exc, NbtoolsError):  # e.g. a broken pyproject.toml: git add stops
            request.console.error(f"{pathname}: {exc}")
        else:
            request.console.error(f"{pathname}: internal error in the nbtools filter: {exc!r}")

    def smudge(command: str, pathname: str, content: bytes) -> bytes:
        return content  # checkouts get the blob as stored (see gitsetup.config_entries)

    handlers = {"clean": clean, "smudge": smudge}
    session = serve(sys.stdin.buffer, sys.stdout.buffer, handlers, on_error)
    from nbtools.results import FilterResult

    report.result = FilterResult(session.capabilities, session.served)


def _textconv(request: Request, report: Report, settings: _Settings) -> None:
    from nbtools.errors import UsageError
    from nbtools.notebook import read_notebook
    from nbtools.textconv import render_text

    if len(request.paths) != 1:
        raise UsageError("nbtools filter --textconv takes exactly one file")
    path = request.paths[0]
    try:
        nb = read_notebook(path).nb
    except InputError as exc:
        try:
            # not a notebook: git diff shows the file as it is
            report.stdout_payload = Path(path).read_bytes()
        except OSError:
            report.add_error(path, exc.reason)
            return
        report.add_file(FileResult(path, FileStatus.SKIPPED, exc.reason))
        return
    # git hands over the working file itself (unfiltered) but the other side as a stored,
    # filtered blob in a temporary file: strip both, with the repository's options, so
    # the diff shows what a commit would change
    relative = os.path.relpath(path)
    options = settings.options_for(relative if not relative.startswith("..") else "")
    try:
        if options is not None:
            strip_notebook(nb, options)
        report.stdout_payload = render_text(nb).encode("utf-8")
    except Exception as exc:  # noqa: BLE001 - damaged structure: git diff shows the file as is
        report.stdout_payload = Path(path).read_bytes()
        report.add_file(FileResult(path, FileStatus.SKIPPED, f"malformed notebook ({exc!r})"[:160]))
        return
    report.add_file(FileResult(path, FileStatus.UNCHANGED))


RULE_STRIPPED_SECRET = Rule(
    "filter/stripped-secret",
    "secret-in-stripped-output",
    "A credential was printed in an output that the git filter strips",
    "The git filter keeps it out of the commit, but it was exposed wherever the output was "
    "shown or saved (the working copy, a shared notebook, a screenshot): rotate the "
    "credential and stop printing it.",
    Severity.NOTE,
    tags=("secret", "external/cwe/cwe-532"),
    security_severity=5.0,
)
register_rules(RULE_STRIPPED_SECRET)


def _check_staged(request: Request, report: Report, rev: str | None = None) -> None:
    """``nbtools check`` on what a commit will hold: the index blobs, as the filter stored them
    (or, with ``rev``, the blobs of that commit: what a push sends).

    What blocks (an error-level finding, exit 1) is what the commit would carry: secrets
    in sources, metadata and the outputs the filter keeps, hidden-state and sync
    problems. A credential that is only in the working copy's outputs, which the filter
    strips, is reported as a note (rotate it: it was printed) and never blocks, since
    no edit to the staged notebook can remove it (not with ``rev``: the working copy is
    not what is pushed, and the note was given at commit time).
    """
    from nbtools.checkconfig import CHECK_INHERIT, CHECK_SETTINGS, enabled_checks, make_context
    from nbtools.checks import check_notebook
    from nbtools.findings import Where
    from nbtools.gitsetup import git_blob
    from nbtools.notebook import read_notebook

    options = resolve({}, request.config, "check", CHECK_SETTINGS, CHECK_INHERIT)
    checks = [c for c in enabled_checks(options) if c != "strip"]
    context = make_context(options, request.config, request.paths, request.console.warning)
    for path in request.paths:
        if matches_any(path, request.exclude, request.config.root_dir):
            report.add_file(FileResult(path, FileStatus.SKIPPED, "excluded by configuration"))
            continue
        blob = git_blob(f"{rev or ''}:./{path}")
        if blob is None:
            why = f"not in {rev}" if rev else "not staged"
            report.add_file(FileResult(path, FileStatus.SKIPPED, why))
            continue
        try:
            staged = loads_notebook(blob, path)
        except InputError as exc:
            report.add_error(path, f"{'committed' if rev else 'staged'} version: {exc.reason}")
            continue
        findings = check_notebook(staged, checks, context)
        report.add_findings(findings)
        if "secrets" in checks and rev is None:
            committed = {f.fingerprint or (f.rule, f.masked) for f in findings}
            try:
                working = check_notebook(read_notebook(path), ["secrets"], context)
            except InputError:
                working = []
            for found in working:
                if (
                    found.where is Where.OUTPUT
                    and (found.fingerprint or (found.rule, found.masked)) not in committed
                ):
                    report.add_findings([_stripped_secret(found)])
        blocking = [
            f for f in findings if f.severity is not Severity.NOTE and f.suppression is None
        ]
        status = FileStatus.FINDINGS if blocking else FileStatus.CLEAN
        report.add_file(FileResult(path, status, f"{len(blocking)} finding(s)" if blocking else ""))


def _stripped_secret(found: Finding) -> Finding:
    """``found`` (a credential in a working-copy output) as a note that never blocks."""
    message = (
        f"{found.message} ({found.rule}) in an output the git filter strips: "
        "not committed, but it was printed, so rotate it"
    )
    fields = {**vars(found), "rule": RULE_STRIPPED_SECRET.id, "message": message}
    fields["severity"] = Severity.NOTE
    return Finding(**fields)
