"""What a run leaves besides its report: ``--write`` stores the executed notebook (never
over an edit saved meanwhile), ``--html`` writes it and its verdict page as artifacts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nbtools.execute.html import write_html, write_verdict_page
from nbtools.execute.rules import PASSING
from nbtools.findings import Finding, Where
from nbtools.notebook import atomic_write, source_text, write_target

if TYPE_CHECKING:
    from nbtools.execute.redact import Redactor
    from nbtools.execute.settings import RunSettings
    from nbtools.execute.source import Source
    from nbtools.report import Report
    from nbtools.runs import NotebookRun


def store_outputs(
    source: Source,
    run: NotebookRun,
    verdict: str,
    divergent: int | None,
    reason: str | None,
    settings: RunSettings,
    report: Report,
    entry: dict[str, Any],
    redact: Redactor,
) -> None:
    """--write and --html: outputs of the run, never the user's files unless asked.

    ``--write`` stores what the notebook printed (the user's file, which ``scan`` checks);
    an ``--html`` artifact is a report, so its secrets are masked.
    """
    executed = run.executed_nb
    if executed is None:
        return
    if settings.write and source.nbfile is not None:
        try:
            _write(source, executed, report, entry)
        except OSError as exc:
            report.add_error(source.nbfile.path, f"cannot write: {exc.strerror or exc}")
    if settings.html:
        failing = None if verdict in PASSING else divergent
        masked = redact.deep(executed)
        entry["html"] = write_html(masked, settings.html, source.path, failing, reason or "")


def _write(source: Source, executed: dict[str, Any], report: Report, entry: dict[str, Any]) -> None:
    """``--write``, only over what was read at the start: an edit saved while the notebook
    ran wins, and the run's outputs are reported as a conflict (a finding: exit 1)."""
    assert source.nbfile is not None
    data = source.nbfile.render_bytes(executed)  # the slow part, before the last look
    if data == source.nbfile.raw:
        entry["written"] = False
        return
    target = write_target(source.nbfile.path)  # links stay links, inside the repository
    changed = source.changed_on_disk()
    if changed is None:
        atomic_write(target, data)
        entry["written"] = True
        return
    message = (
        f"{changed} changed on disk while the notebook ran: your version is kept and the "
        "run's outputs were not written; run again to store them"
    )
    entry["written"] = False
    entry["write_conflict"] = message
    report.add_findings(
        [Finding(source.nbfile.path, "run/write-conflict", message, where=Where.NOTEBOOK)]
    )


def verdict_page(
    source: Source, run: NotebookRun, entry: dict[str, Any], out_dir: str, redact: Redactor
) -> None:
    """``--html``: the notebook's verdict page (masked: ``run`` already is)."""
    index = entry.get("first_divergent_cell")
    cells = source.nb.get("cells") or []
    cell = cells[index] if isinstance(index, int) and index < len(cells) else None
    fresh = run.cells.get(index) if isinstance(index, int) else None
    write_verdict_page(
        out_dir,
        entry,
        redact(source_text(cell)) if cell is not None else None,
        fresh.traceback if fresh is not None and fresh.ename else [],
        redact.deep(cell.get("outputs") or []) if cell is not None else None,
        redact.deep(fresh.outputs) if fresh is not None else None,
    )
