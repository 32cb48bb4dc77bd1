"""``nbtools check``'s core: every hygiene rule over one notebook read once, writing nothing.

Each check is a function ``(nbfile, context) -> findings`` that must not modify
``nbfile``; the notebook is parsed once and handed to every enabled check in turn.
Findings get the line of the file on disk (``json_line``) from one shared :class:`LineMap`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, List

from nbtools.errors import InputError, UsageError, read_failure
from nbtools.findings import Finding, Rule, Severity, Suppression, Where, register_rules
from nbtools.notebook.positions import locate_findings as locate
from nbtools.strip import clean_changes, uncounted_kept_outputs
from nbtools.stripsettings import StripOptions

if TYPE_CHECKING:
    from nbtools.notebook import NotebookFile
    from nbtools.secrets.project import ProjectScan


RULE_OUT_OF_SYNC = Rule(
    "sync/out-of-sync",
    "pair-out-of-sync",
    "A paired notebook and its script differ; one side changed since the last sync",
    "The notebook and its paired script (jupytext) no longer hold the same cells, so a "
    "reviewer reading one side misses the change. Run `nbtools sync` to carry the change "
    "over (it decides by content and never loses an edit).",
    precision="very-high",
    tags=("maintainability",),
)
register_rules(RULE_OUT_OF_SYNC)


@dataclass
class CheckContext:
    """What the checks share: the settings of the commands they mirror, so ``check``
    agrees with the strip, scan and sync hooks, and the sync record (read once)."""

    strip: StripOptions = field(default_factory=StripOptions)
    ignore_rules: frozenset[str] = frozenset()
    accepted: frozenset[str] = frozenset()  # fingerprints from the scan baseline
    baseline: str = ""  # the baseline's path, named in reports of what it suppresses
    root: str | None = None  # fingerprint paths are relative to it (secrets.baseline)
    ignore_origin: str = "ignore_rules"  # where ignore_rules is set ("pyproject.toml:12")
    state_file: str | None = None
    #: ``[tool.nbtools.scan]``'s allowlists, as ``nbtools scan`` applies them (paths, rules)
    allowlist: ProjectScan | None = None
    _sync_state: Any = None

    @property
    def sync_state(self) -> Any:
        if self._sync_state is None:
            from nbtools.pairs.state import SyncState

            self._sync_state = SyncState(self.state_file or None)
        return self._sync_state


CheckFunction = Callable[["NotebookFile", CheckContext], List[Finding]]


def check_strip(nbfile: NotebookFile, context: CheckContext) -> list[Finding]:
    """Strip-clean: what ``nbtools strip`` would change (run on a copy, never written)."""
    return clean_changes(nbfile.nb, context.strip).findings(nbfile.path)


def check_hidden_state(nbfile: NotebookFile, context: CheckContext) -> list[Finding]:
    """Static hidden state: cells run out of order, names used before (or without) a definition.

    What strip leaves is clean: outputs it keeps (``keep_output``) without their counts
    are not "outputs without a count".
    """
    from nbtools.hidden_state.static import OUTPUT_WITHOUT_COUNT, analyze_notebook

    kept = uncounted_kept_outputs(nbfile.nb, context.strip)
    return [
        f
        for f in analyze_notebook(nbfile.nb, nbfile.path, nbfile.text).findings
        if not (f.rule == OUTPUT_WITHOUT_COUNT and f.cell_index in kept)
    ]


def check_secrets(nbfile: NotebookFile, context: CheckContext) -> list[Finding]:
    """Credentials in sources, outputs, tracebacks and metadata (``nbtools scan``'s engine)."""
    from nbtools.secrets.engine import default_engine
    from nbtools.secrets.notebook_scan import scan_notebook

    return scan_notebook(nbfile, default_engine(), context.root)


def check_sync(nbfile: NotebookFile, context: CheckContext) -> list[Finding]:
    """A paired notebook and each of its text files agree (``nbtools sync --check``'s plan,
    nothing written)."""
    from nbtools.pairs.find import pairs_of_notebook

    try:
        pairs = pairs_of_notebook(nbfile.path, nbfile.nb)
    except UsageError as exc:  # a pairing nbtools cannot follow
        return [_sync_finding(nbfile.path, str(exc))]
    # InputError (a pair leaving the repository) propagates: the file is an error (exit 2)
    findings: list[Finding] = []
    for pair in pairs:
        findings.extend(_check_pair(nbfile, pair, context, len(pairs) > 1))
    return findings


def _check_pair(
    nbfile: NotebookFile, pair: Any, context: CheckContext, named: bool
) -> list[Finding]:
    try:
        script_raw: bytes | None = pair.script.read_bytes()
    except FileNotFoundError:
        script_raw = None  # `nbtools sync` creates it, as `jupytext --sync` does
    except OSError as exc:
        raise InputError(pair.script, read_failure(exc)) from None
    from nbtools.pairs.plan import plan_sync
    from nbtools.pairs.state import committed_versions

    try:
        entry = context.sync_state.get(pair.notebook, pair.script, pair.member)
        plan = plan_sync(
            pair,
            nbfile.raw,
            script_raw,
            entry,
            committed=lambda: committed_versions(pair.notebook, pair.script),
        )
    except InputError as exc:
        return [_sync_finding(nbfile.path, f"{exc.path}: {exc.reason}")]
    if plan.action == "unrepresentable":
        return [
            Finding(
                nbfile.path,
                "sync/unrepresentable",
                diff.message,
                cell_index=diff.cell_index,
                where=Where.SOURCE,
                line=diff.line,
            )
            for diff in plan.diffs
        ]
    if plan.action == "conflict":
        return [_conflict_finding(nbfile.path, str(pair.script), diff) for diff in plan.diffs] or [
            _sync_finding(nbfile.path, plan.reason, "sync/conflict")
        ]
    if plan.writes:
        named = named or plan.action == "create_script"
        reason = f"{pair.script}: {plan.reason}" if named else plan.reason
        return [_sync_finding(nbfile.path, f"{reason}; run `nbtools sync {nbfile.path}`")]
    return []


def _sync_finding(path: str, message: str, rule: str = RULE_OUT_OF_SYNC.id) -> Finding:
    return Finding(path, rule, message, Severity.ERROR, where=Where.NOTEBOOK)


def _conflict_finding(path: str, script: str, diff: Any) -> Finding:
    message = f"both sides changed: {diff.message}"
    if diff.cell_index is None:
        line = diff.script_line
        return Finding(
            script, "sync/conflict", message, where=Where.FILE, line=line, json_line=line
        )
    return Finding(
        path,
        "sync/conflict",
        message,
        cell_index=diff.cell_index,
        where=Where.SOURCE,
        line=diff.line,
        extra={"script": script, "script_line": diff.script_line},
    )


#: check name -> function, in report order; a check is listed once its core has landed
CHECKS: dict[str, CheckFunction] = {
    "strip": check_strip,
    "secrets": check_secrets,
    "sync": check_sync,
    "hidden-state": check_hidden_state,
}


SCRIPT_SUFFIXES = (".py",)


def check_script(
    path: str, checks: list[str], context: CheckContext
) -> tuple[list[Finding], Path | None]:
    """A (paired) script named on the command line: its credentials, and the notebook it
    pairs with (for the caller to check that pair in sync). Raises :class:`InputError`."""
    from nbtools.notebook import decode

    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(path, read_failure(exc)) from None
    text = decode(raw, path).lstrip("\ufeff")
    findings: list[Finding] = []
    if "secrets" in checks:
        from nbtools.secrets.engine import default_engine
        from nbtools.secrets.text_scan import scan_text

        findings = scan_text(path, text, default_engine(), context.root)
        suppress(findings, context)
    notebook = None
    if "sync" in checks:
        from nbtools.pairs.find import pair_of_script

        pair = pair_of_script(path, text[:8192])
        notebook = pair.notebook if pair is not None else None
    return findings, notebook


def suppress(findings: list[Finding], context: CheckContext) -> None:
    """Mark what ``ignore_rules`` (any rule family), the scan baseline and the scan
    allowlists (credential findings only) suppress."""
    from nbtools.suppress import EXTERNAL, suppress_rules

    suppress_rules(findings, context.ignore_rules, context.ignore_origin)
    if context.allowlist is not None:
        context.allowlist.suppress([f for f in findings if f.rule.startswith("scan/")])
    if context.accepted:
        accepted = Suppression(
            EXTERNAL, "baseline", context.baseline, "accepted in the scan baseline"
        )
        for finding in findings:
            if finding.suppression is None and finding.matches(context.accepted):
                finding.suppression = accepted


def check_notebook(nbfile: NotebookFile, checks: list[str], context: CheckContext) -> list[Finding]:
    """Run ``checks`` (names from :data:`CHECKS`) over one notebook; the file is untouched.

    Findings that a cell tag, cell metadata, a comment, ``ignore_rules`` or the baseline
    allows are returned marked as suppressed (:mod:`nbtools.suppress`), for every rule family.
    """
    from nbtools.suppress import suppress_in_notebook

    findings: list[Finding] = []
    for name in checks:
        findings.extend(CHECKS[name](nbfile, context))
    locate(findings, nbfile)
    suppress_in_notebook(findings, nbfile.nb)
    suppress(findings, context)
    return findings
