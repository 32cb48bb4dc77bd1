"""Remove outputs, execution counts and volatile metadata from a notebook (pure, in place).

Key names follow nbstripout's dotted convention, so its users can reuse their settings:
``metadata.X`` is notebook metadata, ``cell.metadata.X`` is cell metadata.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from nbtools.findings import Finding, Rule, Severity, Where, register_rules
from nbtools.notebook import NotebookDict, cell_lists, iter_cells, source_text, tags_of

#: metadata written by editors, extensions and runners that changes on every run or save
DEFAULT_VOLATILE_KEYS: tuple[str, ...] = (
    "metadata.signature",
    "metadata.widgets",
    "metadata.papermill",
    "metadata.vscode",
    "metadata.colab.provenance",
    "metadata.language_info.version",
    "metadata.execution",
    "cell.metadata.collapsed",
    "cell.metadata.scrolled",
    "cell.metadata.ExecuteTime",
    "cell.metadata.execution",
    "cell.metadata.heading_collapsed",
    "cell.metadata.hidden",
    "cell.metadata.jp-MarkdownHeadingCollapsed",
    "cell.metadata.jupyter.outputs_hidden",
    "cell.metadata.trusted",
    "cell.metadata.papermill",
    "cell.metadata.pycharm",
    "cell.metadata.vscode",
    "cell.metadata.colab",
    "cell.metadata.outputId",
    "cell.metadata.executionInfo",
)

#: a cell with one of these tags (or ``keep_output: true`` metadata) keeps its outputs
KEEP_OUTPUT_TAG = "keep_output"

RULE_OUTPUTS = Rule(
    "strip/outputs",
    "cell-outputs",
    "A code cell has stored outputs",
    "Outputs make diffs noisy and can leak data; run `nbtools strip` (or tag the cell "
    "`keep_output` to keep them on purpose).",
    per_file="strip/unclean",
    precision="very-high",
    tags=("maintainability", "privacy"),
)
RULE_COUNT = Rule(
    "strip/execution-count",
    "execution-count",
    "A code cell has an execution count",
    "Execution counts change on every run and make every diff touch the notebook; run "
    "`nbtools strip` (or let the git filter do it on commit).",
    per_file="strip/unclean",
    precision="very-high",
    tags=("maintainability",),
)
RULE_METADATA = Rule(
    "strip/metadata",
    "volatile-metadata",
    "Volatile metadata (timings, UI state, widget state, signatures)",
    "Editor and runner metadata (timings, collapsed state, widget state, signatures) changes "
    "on every save; run `nbtools strip`. Keep a key on purpose with `keep_keys`.",
    per_file="strip/unclean",
    precision="very-high",
    tags=("maintainability",),
)
RULE_CELL = Rule(
    "strip/cell",
    "dropped-cell",
    "A cell that is configured to be dropped (tag or empty)",
    "Cells with a configured drop tag, or empty cells when `drop_empty_cells` is set, are "
    "removed by `nbtools strip`; run it, or change `drop_tagged_cells`/`drop_empty_cells`.",
    per_file="strip/unclean",
    precision="very-high",
    tags=("maintainability",),
)
RULE_UNCLEAN = Rule(
    "strip/unclean",
    "notebook-not-stripped",
    "A notebook holds outputs, execution counts or metadata that `nbtools strip` removes",
    "Stored outputs, execution counts and editor metadata make diffs noisy and can leak "
    "data. Run `nbtools strip PATH` (or install the pre-commit hook); tag a cell "
    "`keep_output` to keep its outputs on purpose.",
    severity=Severity.WARNING,
    precision="very-high",
    tags=("maintainability", "privacy"),
)
register_rules(RULE_OUTPUTS, RULE_COUNT, RULE_METADATA, RULE_CELL, RULE_UNCLEAN)


@dataclass(frozen=True)
class StripOptions:
    """What to strip; defaults match what teams expect from a commit hook."""

    keep_output: bool = False
    keep_count: bool = False
    extra_keys: tuple[str, ...] = ()
    keep_keys: frozenset[str] = frozenset()
    drop_tagged_cells: tuple[str, ...] = ()
    drop_empty_cells: bool = False
    strip_init_cells: bool = False
    max_output_size: int = 0  # kept outputs larger than this many bytes are removed; 0: no limit

    @property
    def reads_output_data(self) -> bool:
        """Whether a rule reads what outputs hold (the size limit), not only their structure.

        When none does, notebooks may be read with their base64 payloads elided
        (:mod:`nbtools.notebook.elide`).
        """
        return self.max_output_size > 0

    def volatile_keys(self) -> tuple[list[str], list[str]]:
        """(notebook metadata, cell metadata) dotted keys to remove."""
        nb_keys: list[str] = []
        cell_keys: list[str] = []
        for key in (*DEFAULT_VOLATILE_KEYS, *self.extra_keys):
            if key in self.keep_keys:
                continue
            if key.startswith("cell.metadata."):
                cell_keys.append(key[len("cell.metadata.") :])
            elif key.startswith("metadata."):
                nb_keys.append(key[len("metadata.") :])
        return nb_keys, cell_keys


class Change:
    """One thing strip removed (or would remove).

    A plain slotted class: a batch makes thousands, and a dataclass costs more to create.
    """

    __slots__ = ("cell_id", "cell_index", "message", "rule")

    def __init__(
        self, rule: str, message: str, cell_index: int | None = None, cell_id: str | None = None
    ) -> None:
        self.rule = rule
        self.message = message
        self.cell_index = cell_index
        self.cell_id = cell_id

    def __repr__(self) -> str:
        return f"Change({self.rule!r}, {self.message!r}, {self.cell_index!r}, {self.cell_id!r})"


@dataclass
class StripResult:
    changes: list[Change] = field(default_factory=list)
    #: (cell index, cell, outputs) for every output list strip removed, so that a caller can
    #: tell the user when one held a credential (it must be rotated: it may be pushed already)
    removed_outputs: list[tuple[int, dict[str, Any], list[Any]]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    def findings(self, path: str) -> list[Finding]:
        """The changes as findings (what ``--check`` and ``nbtools check`` report)."""
        return [
            Finding(
                path=path,
                rule=c.rule,
                message=c.message,
                severity=Severity.ERROR,
                cell_index=c.cell_index,
                cell_id=c.cell_id,
                where=Where.NOTEBOOK if c.cell_index is None else _WHERE.get(c.rule, Where.SOURCE),
            )
            for c in self.changes
        ]


_WHERE = {RULE_OUTPUTS.id: Where.OUTPUT, RULE_METADATA.id: Where.METADATA}


def pop_dotted(mapping: Any, key: str) -> bool:
    """Remove a dotted key; a key that itself contains dots is matched whole first.

    (As nbstripout does, so ``cell.metadata.application/vnd.databricks.v1+cell`` works.)
    """
    if not isinstance(mapping, dict):
        return False
    if key in mapping:
        del mapping[key]
        return True
    head, dot, tail = key.partition(".")
    return bool(dot) and pop_dotted(mapping.get(head), tail)


def _output_size(output: dict[str, Any]) -> int:
    return len(json.dumps(output, ensure_ascii=False))


def keeps_output(cell: dict[str, Any], options: StripOptions, nb_keep: bool = False) -> bool:
    """Whether strip leaves this code cell's outputs (tag, metadata, init cell, settings)."""
    metadata = cell.get("metadata") or {}
    if not isinstance(metadata, dict):
        metadata = {}
    if KEEP_OUTPUT_TAG in tags_of(cell):
        return True
    if "keep_output" in metadata:
        return bool(metadata["keep_output"])
    if metadata.get("init_cell") and not options.strip_init_cells:
        return True
    return options.keep_output or nb_keep


def notebook_keeps_output(nb: NotebookDict) -> bool:
    """``keep_output: true`` in the notebook's metadata keeps every cell's outputs."""
    metadata = nb.get("metadata")
    return isinstance(metadata, dict) and bool(metadata.get("keep_output"))


def uncounted_kept_outputs(nb: NotebookDict, options: StripOptions) -> set[int]:
    """Code cells (by index) whose outputs a clean notebook keeps without an execution count.

    Part of the one definition of clean: strip keeps these outputs and clears their counts,
    so a check must not call "outputs without a count" on them a problem (the strip and
    check hooks would never both pass otherwise).
    """
    if options.keep_count:
        return set()
    nb_keep = notebook_keeps_output(nb)
    return {
        index
        for index, cell in enumerate(iter_cells(nb))
        if isinstance(cell, dict)
        and cell.get("cell_type") == "code"
        and keeps_output(cell, options, nb_keep)
    }


def clean_changes(nb: NotebookDict, options: StripOptions | None = None) -> StripResult:
    """What strip would change in ``nb`` (left untouched): empty when ``nb`` is clean.

    The one definition of clean: ``nbtools strip`` and the git filter apply
    :func:`strip_notebook`, ``nbtools check`` and ``strip --check`` ask this.
    """
    import copy  # lazily: strip itself never copies

    return strip_notebook(copy.deepcopy(nb), options)


def strip_notebook(nb: NotebookDict, options: StripOptions | None = None) -> StripResult:
    """Strip ``nb`` in place and describe every change made."""
    options = options or StripOptions()
    result = StripResult()
    nb_keys, cell_keys = options.volatile_keys()
    # (key, first segment): a key is looked up only when its first segment (or the
    # whole dotted key) is in the metadata, which for most cells is none of them
    cell_heads = [(k, k.partition(".")[0]) for k in cell_keys]
    metadata = nb.get("metadata")
    nb_keep = notebook_keeps_output(nb)
    if isinstance(metadata, dict):
        removed = [k for k in nb_keys if pop_dotted(metadata, k)]
        if removed:
            result.changes.append(
                Change(RULE_METADATA.id, "notebook metadata: " + ", ".join(removed))
            )
    drop_tags = set(options.drop_tagged_cells)
    index = -1
    for cells in cell_lists(nb):
        kept: list[dict[str, Any]] = []
        for cell in cells:
            index += 1
            if not isinstance(cell, dict):
                kept.append(cell)
                continue
            cell_id = cell.get("id") if isinstance(cell.get("id"), str) else None
            if drop_tags and drop_tags.intersection(tags_of(cell)):
                result.changes.append(Change(RULE_CELL.id, "cell removed (tagged)", index, cell_id))
                continue
            if options.drop_empty_cells and not source_text(cell).strip():
                result.changes.append(Change(RULE_CELL.id, "empty cell removed", index, cell_id))
                continue
            _strip_cell(cell, index, cell_id, options, cell_heads, nb_keep, result)
            kept.append(cell)
        if len(kept) != len(cells):
            cells[:] = kept
    return result


def _strip_cell(
    cell: dict[str, Any],
    index: int,
    cell_id: str | None,
    options: StripOptions,
    cell_heads: list[tuple[str, str]],
    nb_keep: bool,
    result: StripResult,
) -> None:
    metadata = cell.get("metadata")
    if isinstance(metadata, dict):
        removed = (
            [
                key
                for key, head in cell_heads
                if (head in metadata or key in metadata) and pop_dotted(metadata, key)
            ]
            if metadata
            else []
        )
        # an emptied "jupyter" dict is noise too
        if "jupyter.outputs_hidden" in removed and metadata.get("jupyter") == {}:
            del metadata["jupyter"]
        if removed:
            result.changes.append(
                Change(RULE_METADATA.id, "cell metadata: " + ", ".join(removed), index, cell_id)
            )
    if cell.get("cell_type") != "code":
        return
    count_key = "execution_count" if "execution_count" in cell else "prompt_number"
    outputs = cell.get("outputs")
    if isinstance(outputs, list) and outputs:
        if not keeps_output(cell, options, nb_keep):
            cell["outputs"] = []
            result.removed_outputs.append((index, cell, outputs))
            result.changes.append(
                Change(RULE_OUTPUTS.id, f"{len(outputs)} output(s) removed", index, cell_id)
            )
        else:
            _strip_kept_outputs(cell, outputs, index, cell_id, options, result)
    if cell.get(count_key) is not None and not options.keep_count:
        cell[count_key] = None
        result.changes.append(Change(RULE_COUNT.id, "execution count cleared", index, cell_id))


def _strip_kept_outputs(
    cell: dict[str, Any],
    outputs: list[Any],
    index: int,
    cell_id: str | None,
    options: StripOptions,
    result: StripResult,
) -> None:
    if options.max_output_size > 0:
        small = [
            o
            for o in outputs
            if not isinstance(o, dict) or _output_size(o) <= options.max_output_size
        ]
        if len(small) != len(outputs):
            kept_ids = {id(o) for o in small}
            result.removed_outputs.append(
                (index, cell, [o for o in outputs if id(o) not in kept_ids])
            )
            result.changes.append(
                Change(
                    RULE_OUTPUTS.id,
                    f"{len(outputs) - len(small)} output(s) over {options.max_output_size} bytes removed",
                    index,
                    cell_id,
                )
            )
            cell["outputs"] = outputs = small
    if options.keep_count:
        return
    cleared = 0
    for output in outputs:
        if isinstance(output, dict) and output.get("execution_count") is not None:
            output["execution_count"] = None
            cleared += 1
    if cleared:
        result.changes.append(
            Change(RULE_COUNT.id, "output execution count cleared", index, cell_id)
        )
