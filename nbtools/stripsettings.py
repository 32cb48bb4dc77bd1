"""What strip removes: the volatile keys, :class:`StripOptions`, and strip's settings, which
``nbtools strip``, ``check``, ``sync --strip`` and the git filter all read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nbtools.options import Option

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


#: strip's settings: flags of ``nbtools strip``, keys of ``[tool.nbtools.strip]``, and read
#: (as configuration) by ``check``, ``sync --strip`` and the git filter
STRIP_SETTINGS: dict[str, Option] = {
    "keep_output": Option(bool, False, "keep all outputs"),
    "keep_count": Option(bool, False, "keep execution counts"),
    "extra_keys": Option(
        list,
        (),
        "more metadata keys to drop, e.g. metadata.foo cell.metadata.bar",
        metavar="KEY",
        convert=tuple,
    ),
    "keep_keys": Option(
        list,
        frozenset(),
        "default volatile keys to keep instead, e.g. cell.metadata.collapsed",
        metavar="KEY",
        convert=frozenset,
    ),
    "drop_tagged_cells": Option(
        list, (), "remove cells carrying any of these tags", metavar="TAG", convert=tuple
    ),
    "drop_empty_cells": Option(bool, False, "remove cells whose source is blank"),
    "strip_init_cells": Option(bool, False, "also strip cells marked init_cell"),
    "max_output_size": Option(
        int, 0, "when outputs are kept, drop those larger than BYTES", metavar="BYTES"
    ),
}


def strip_options(options: dict[str, Any]) -> StripOptions:
    """The :class:`StripOptions` of resolved settings (a command's that include strip's)."""
    return StripOptions(**{name: options[name] for name in STRIP_SETTINGS})
