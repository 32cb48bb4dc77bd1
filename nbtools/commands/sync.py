"""``nbtools sync``: bring paired notebooks and scripts in sync, deciding by content."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from nbtools.config import resolve
from nbtools.discovery import collect_files
from nbtools.errors import InputError, read_failure
from nbtools.findings import Finding, Rule, Severity, Where, register_rules
from nbtools.notebook import read_notebook
from nbtools.notebook.positions import LineMap
from nbtools.options import Option
from nbtools.pairs.find import Pair, pair_of_script, pairs_of_notebook
from nbtools.pairs.formats import NOTEBOOK_SUFFIX, TEXT_SUFFIXES
from nbtools.pairs.state import (
    STATE_FILE_OPTION,
    SyncState,
    bytes_hash,
    committed_versions,
    open_state,
    save_state,
    show_warnings,
)
from nbtools.pairs.tree import forget_trees
from nbtools.pairs.write import ChangedUnderUs, apply_plan
from nbtools.report import FileResult, FileStatus, Report, Verb
from nbtools.results import SyncResult
from nbtools.stripsettings import STRIP_SETTINGS, strip_options

if TYPE_CHECKING:
    import argparse

    from nbtools.commands import Request
    from nbtools.pairs.plan import SyncPlan
    from nbtools.stripsettings import StripOptions

NAME = "sync"
INHERIT: tuple[str, ...] = ()
PATHS_EXIST = True

OPTIONS: dict[str, Option] = {
    "check": Option(
        bool,
        False,
        "write nothing; exit 1 listing pairs out of sync or in conflict (for CI)",
        configurable=False,
    ),
    "prefer": Option(
        str,
        None,
        "resolve differences (conflicts included) by keeping this side",
        choices=("py", "ipynb"),
        configurable=False,
    ),
    "strip": Option(
        bool,
        False,
        "also strip the notebooks, with the [tool.nbtools.strip] settings",
        presets=(("--no-strip", False, "do not strip"),),
    ),
    "state_file": STATE_FILE_OPTION,
}

RULE_CONFLICT = Rule(
    "sync/conflict",
    "sync-conflict",
    "Both the notebook and its paired script changed since the last sync",
    "Nothing was overwritten. Keep one side with `nbtools sync --prefer py PATH` or "
    "`nbtools sync --prefer ipynb PATH`.",
    per_file="sync/conflict",
    precision="very-high",
    tags=("maintainability",),
)
RULE_UNREPRESENTABLE = Rule(
    "sync/unrepresentable",
    "sync-unrepresentable",
    "A notebook cell whose text would not survive the paired text format",
    "jupytext would split or merge the cell (a `# %%` line inside a percent cell, an open "
    "triple quote in a light cell...). Change the cell, or pair with another format; "
    "`--prefer py` takes the script's cells as they read.",
    precision="very-high",
    tags=("maintainability",),
)
register_rules(RULE_CONFLICT, RULE_UNREPRESENTABLE)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths", nargs="*", default=["."], help="notebooks, paired scripts or directories"
    )


def execute(request: Request) -> Report:
    report = Report(NAME)
    forget_trees()
    state = make_state(request)
    strip = strip_settings(request) if request.options["strip"] else None
    groups = collect_pairs(request, report, state)
    check = bool(request.options["check"])
    for group in groups:
        _sync_group(group, state, report, request.options["prefer"], strip, check)
    if not check:
        save_state(state, report)
    show_warnings(state, request.console.warning)
    report.result = _tally(report)
    return report


def make_state(request: Request) -> SyncState:
    """The sync record that ``--state-file`` or the configuration names."""
    options = request.options
    return open_state(options["state_file"], request.config, "state_file" in request.given)


def strip_settings(request: Request) -> StripOptions:
    """Strip options from ``[tool.nbtools.strip]`` so sync and the strip hook agree."""
    return strip_options(resolve({}, request.config, "strip", STRIP_SETTINGS))


def collect_pairs(request: Request, report: Report, state: SyncState) -> list[list[Pair]]:
    """The pairs behind the given paths, grouped by notebook (a notebook paired with several
    text files is one group); unpaired files get a message (explicit ones) or none."""
    explicit = {p for p in request.paths if not os.path.isdir(p)}
    files = collect_files(
        request.paths, (NOTEBOOK_SUFFIX, *TEXT_SUFFIXES), request.exclude, request.config.root_dir
    )
    verbose = request.console.verbosity > 0
    groups: dict[Path, list[Pair]] = {}
    # notebooks first: a script whose notebook is already grouped costs one header read
    files.sort(key=lambda f: not f.endswith(NOTEBOOK_SUFFIX))
    for path in files:
        try:
            pairs = _pairs_for(Path(path), groups)
        except InputError as exc:
            report.add_error(path, exc.reason)
            continue
        if not pairs:
            if path in explicit or verbose:
                hint = "nbtools pair " + path
                what = (
                    "notebook is not paired (no jupytext formats metadata)"
                    if path.endswith(NOTEBOOK_SUFFIX)
                    else "no paired notebook (no jupytext header, no notebook claims it)"
                )
                message = f"{what}; pair it with `{hint}`"
                report.add_file(FileResult(path, FileStatus.SKIPPED, message, verb=Verb.SKIPPED))
            elif path.endswith(NOTEBOOK_SUFFIX):
                report.add_file(FileResult(path, FileStatus.SKIPPED, "not paired"))
            continue
        groups.setdefault(pairs[0].notebook.absolute(), pairs)
    return list(groups.values())


def _pairs_for(path: Path, groups: dict[Path, list[Pair]]) -> list[Pair]:
    # the pairing is always read from the notebook (payloads elided: only its metadata
    # matters), never from the sync record, which a pull request may have crafted
    if path.suffix == NOTEBOOK_SUFFIX:
        return pairs_of_notebook(path, read_notebook(path, elide=True).nb)
    pair = pair_of_script(path)
    if pair is None:
        return []
    known = groups.get(pair.notebook.absolute())
    if known is not None and any(p.script == pair.script for p in known):
        return known
    if pair.notebook.is_file():  # every text file of its notebook is synced together
        pairs = pairs_of_notebook(pair.notebook, read_notebook(pair.notebook, elide=True).nb)
        if any(p.script == pair.script for p in pairs):
            return pairs
    return [pair]


def _sync_group(
    group: list[Pair],
    state: SyncState,
    report: Report,
    prefer: str | None,
    strip: StripOptions | None,
    check: bool,
) -> None:
    """Sync a notebook with each of its text files. When one of them updated the notebook,
    those before it are synced again, so one run leaves every file in sync."""
    results: dict[int, Report] = {}
    writer = -1
    for k, pair in enumerate(group):
        results[k] = Report(NAME)
        if _sync_one(pair, state, results[k], prefer, strip, check, len(group) > 1):
            writer = k
    if not check:
        for k in range(writer):
            results[k] = Report(NAME)
            _sync_one(group[k], state, results[k], prefer, strip, check, True)
    for k in sorted(results):
        report.merge(results[k])


def _sync_one(
    pair: Pair,
    state: SyncState,
    report: Report,
    prefer: str | None,
    strip: StripOptions | None,
    check: bool,
    name_script: bool = False,
) -> bool:
    """Sync one notebook and one text file; True when the notebook was written."""
    nb_path, py_path = str(pair.notebook), str(pair.script)
    nb_raw = _read_side(
        report,
        pair.notebook,
        f"paired notebook is missing; recreate it from the script with `nbtools pair {py_path}`",
    )
    if nb_raw is None:
        return False
    try:
        py_raw: bytes | None = pair.script.read_bytes()
    except FileNotFoundError:
        py_raw = None  # created from the notebook, as `jupytext --sync` does
    except OSError as exc:
        report.add_error(py_path, read_failure(exc))
        return False
    from nbtools.pairs.plan import plan_sync

    try:
        entry = state.get(pair.notebook, pair.script, pair.member)
        plan = plan_sync(
            pair,
            nb_raw,
            py_raw,
            entry,
            prefer,
            strip,
            lambda: committed_versions(pair.notebook, pair.script),
        )
    except InputError as exc:
        report.add_error(exc.path, exc.reason)
        return False
    if plan.action in ("conflict", "unrepresentable"):
        _report_conflict(pair, plan, report, nb_raw)
        return False
    if not plan.writes:
        report.add_file(
            FileResult(nb_path, FileStatus.UNCHANGED, script=py_path, action=plan.action)
        )
        if not check:
            state.set(pair.notebook, pair.script, plan.notebook_hash, plan.script_hash, pair.member)
        return False
    message = _describe(plan, check)
    if name_script:  # a notebook with several text files: say which one
        message = f"{py_path}: {message}"
    if check:
        report.add_file(
            FileResult(
                nb_path,
                FileStatus.WOULD_CHANGE,
                message,
                script=py_path,
                action=plan.action,
                verb=Verb.OUT_OF_SYNC,
            )
        )
        return False
    try:
        apply_plan(pair, plan, nb_raw, py_raw)
    except ChangedUnderUs as exc:
        message = f"{exc.path} changed while syncing; your version was kept, run sync again"
        report.add_file(
            FileResult(
                nb_path,
                FileStatus.CONFLICT,
                message,
                script=py_path,
                action="conflict",
                verb=Verb.CONFLICT,
            )
        )
        report.add_findings(
            [Finding(str(exc.path), RULE_CONFLICT.id, message, Severity.ERROR, where=Where.FILE)]
        )
        return False
    except OSError as exc:
        report.add_error(nb_path, f"cannot write: {exc.strerror or exc}")
        return False
    nb_hash = bytes_hash(plan.notebook_out) if plan.notebook_out is not None else plan.notebook_hash
    py_hash = bytes_hash(plan.script_out) if plan.script_out is not None else plan.script_hash
    state.set(pair.notebook, pair.script, nb_hash, py_hash, pair.member)
    report.add_file(
        FileResult(
            nb_path,
            FileStatus.CHANGED,
            message,
            script=py_path,
            action=plan.action,
            verb=Verb.SYNCED,
        )
    )
    return plan.notebook_out is not None


def _describe(plan: SyncPlan, check: bool = False) -> str:
    cells = sorted({d.cell_index + 1 for d in plan.diffs if d.cell_index is not None})
    added = sum(1 for d in plan.diffs if d.cell_index is None)
    parts = (
        [f"cell{'s' if len(cells) > 1 else ''} {', '.join(map(str, cells[:8]))}"] if cells else []
    )
    if len(cells) > 8:
        parts[0] += ", ..."
    if added:
        parts.append(f"{added} cell{'s' if added > 1 else ''} only in the script")
    what = f": {'; '.join(parts)}" if parts else ""
    if plan.action == "create_script":
        return (
            f"the script was missing; {'sync creates' if check else 'created'} it from the notebook"
        )
    if plan.action == "update_script":
        return f"script updated from the notebook ({plan.reason}{what})"
    if plan.reason == "stripped":
        return "notebook stripped"
    return f"notebook updated from the script ({plan.reason}{what})"


def _report_conflict(pair: Pair, plan: SyncPlan, report: Report, nb_raw: bytes) -> None:
    nb_path = str(pair.notebook)
    lines = LineMap(nb_raw.decode("utf-8", errors="replace"))
    fix = f"keep one side with `nbtools sync --prefer py {nb_path}` or `--prefer ipynb`"
    rule = RULE_CONFLICT
    if plan.action == "unrepresentable":
        fix, rule = "change the cell, or pair with another format", RULE_UNREPRESENTABLE
    report.add_file(
        FileResult(
            nb_path,
            FileStatus.CONFLICT,
            f"{plan.reason}; nothing written; {fix}",
            script=str(pair.script),
            action=plan.action,
            verb=Verb.CONFLICT,
        )
    )
    for diff in plan.diffs:
        if diff.cell_index is None:
            finding = Finding(
                str(pair.script),
                rule.id,
                diff.message,
                Severity.ERROR,
                where=Where.FILE,
                line=diff.script_line,
                json_line=diff.script_line,
            )
        else:
            finding = Finding(
                nb_path,
                rule.id,
                diff.message,
                Severity.ERROR,
                cell_index=diff.cell_index,
                where=Where.SOURCE,
                line=diff.line,
                json_line=lines.source_line(diff.cell_index, diff.line or 1),
                extra={"script_line": diff.script_line},
            )
        report.add_findings([finding])


def _tally(report: Report) -> SyncResult:
    """The pairs by status, as sync leaves them (the summary counts these)."""
    pairs: dict[FileStatus, int] = {}
    for result in report.files:
        pairs[result.status] = pairs.get(result.status, 0) + 1
    return SyncResult(pairs)


def _read_side(report: Report, path: Path, missing: str) -> bytes | None:
    """One side of a pair's bytes, or None after reporting why it cannot be read."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        report.add_error(str(path), missing)
    except OSError as exc:
        report.add_error(str(path), read_failure(exc))
    return None
