"""What to execute for an input path: the notebook, or its paired script when that is the
source of truth (with the notebook's stored outputs carried over for comparison).

Pairing rules come from :mod:`nbtools.pairs.find` (jupytext's ``formats`` metadata); the
script is converted with jupytext. Each code cell of a script-based notebook is mapped
to the script line where its source starts, so failures point into the ``.py``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbtools.errors import InputError, read_failure
from nbtools.notebook import NotebookFile, iter_cells, read_notebook, source_text


@dataclass
class Source:
    """One notebook to execute and where its parts live on disk."""

    path: str  # the input as the user named it (or as discovery found it)
    nb: dict[str, Any]  # what runs: cells from the source of truth, stored outputs
    nbfile: NotebookFile | None  # the .ipynb on disk, when there is one
    script: str | None = None  # the paired script, when it is the source of truth
    script_lines: dict[int, int] = field(default_factory=dict)  # cell index -> .py line
    script_text: str | None = None  # the script as read (a write must not outlive an edit)

    @property
    def folder(self) -> str:
        return os.path.dirname(os.path.abspath(self.path)) or "."

    @property
    def kernel_name(self) -> str:
        spec = (self.nb.get("metadata") or {}).get("kernelspec") or {}
        name = spec.get("name") if isinstance(spec, dict) else None
        return name if isinstance(name, str) and name else "python3"

    def changed_on_disk(self) -> str | None:
        """Which file of this source no longer holds what was read at the start, if any."""
        if self.nbfile is not None:
            try:
                with open(self.nbfile.path, "rb") as handle:
                    if handle.read() != self.nbfile.raw:
                        return self.nbfile.path
            except OSError:
                return self.nbfile.path
        if self.script is not None and self.script_text is not None:
            try:
                with open(self.script, encoding="utf-8", newline="") as handle:
                    current = handle.read()
            except (OSError, UnicodeDecodeError):
                return self.script
            if current.replace("\r\n", "\n") != self.script_text.replace("\r\n", "\n"):
                return self.script
        return None

    def identity(self) -> str:
        """One key per pair, so a notebook and its script named together run once."""
        target = self.nbfile.path if self.nbfile is not None else self.path
        return os.path.realpath(target)


def load_source(path: str) -> Source:
    """Read ``path`` (a notebook or a paired script); raises InputError."""
    from nbtools.pairs import convert as pairconvert
    from nbtools.pairs import find as pairing

    try:
        pair = pairing.find_pair(path)
    except InputError:
        raise
    except Exception:  # noqa: BLE001 - unusual pairing metadata: run the file itself
        pair = None
    notebook = pair.notebook if pair is not None else None
    script = pair.script if pair is not None else None
    is_script = not path.endswith(".ipynb")
    if is_script and (pair is None or script is None or Path(path) != script):
        pair = None
    nbfile = None
    if not is_script:
        nbfile = read_notebook(path)
    elif notebook is not None and notebook.is_file():
        nbfile = read_notebook(notebook)
    if pair is None or script is None or not script.is_file():
        if nbfile is None:
            raise InputError(path, "not a notebook, and no paired notebook format in its header")
        return Source(path, nbfile.nb, nbfile)
    if not is_script and pairing.source_of_truth(path) != script:
        return Source(path, nbfile.nb if nbfile else {}, nbfile)
    try:
        text = script.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(script), read_failure(exc)) from None
    nb = pairconvert.text_to_notebook(text, pair.fmt, str(script))
    if nbfile is not None:
        nb = _with_outputs(nb, nbfile.nb)
    return Source(path, nb, nbfile, str(script), script_lines(nb, text), text)


def _with_outputs(nb: dict[str, Any], stored: dict[str, Any]) -> dict[str, Any]:
    """Script cells with the stored notebook's outputs, matched by source (jupytext's way).

    Both go through nbformat's reader first: the stored notebook holds its sources as
    lists of lines (as Jupyter writes them), which jupytext's matching cannot compare.
    """
    from jupytext.combine import combine_inputs_with_outputs

    from nbtools.execute.nodes import as_dict, as_node

    # it returns the combined notebook (its first argument is left as it was)
    return as_dict(combine_inputs_with_outputs(as_node(nb), as_node(stored)))


def script_lines(nb: dict[str, Any], text: str) -> dict[int, int]:
    """Cell index -> the 1-based script line holding the cell's line 1 (code cells)."""
    lines = [line.rstrip() for line in text.splitlines()]
    found: dict[int, int] = {}
    position = 0
    for index, cell in enumerate(iter_cells(nb)):
        if cell.get("cell_type") != "code":
            continue
        source = [line.rstrip() for line in source_text(cell).splitlines()]
        first = next((line for line in source if line.strip()), None)
        if first is None:
            continue
        # jupytext comments magics out in scripts (`%time x` -> `# %time x`)
        for at in range(position, len(lines)):
            if lines[at] in (first, f"# {first}"):
                found[index] = at + 1 - source.index(first)  # the cell's line 1
                position = at + 1
                break
    return found
