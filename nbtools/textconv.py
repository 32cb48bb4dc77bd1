"""A readable text rendering of a notebook for ``git diff`` (git's ``textconv``).

Cells come out in jupytext's percent format (``# %%``, ``# %% [markdown]``), which
people already read in scripts; markdown and raw lines are commented the same way.
Kept outputs are summarised below their cell (text shown, binary data counted) so a
diff still says when an output changed. Deliberately dependency-free: git runs this
once per side of every diffed notebook.
"""

from __future__ import annotations

from typing import Any

from nbtools.notebook import NotebookDict, iter_cells, multiline, source_text, tags_of

#: text outputs longer than this many lines are cut (the diff stays readable)
MAX_OUTPUT_LINES = 40


def _comment(text: str) -> list[str]:
    return [f"# {line}" if line else "#" for line in text.splitlines()]


def _header(cell: dict[str, Any]) -> str:
    kind = cell.get("cell_type")
    header = "# %%" if kind == "code" else f"# %% [{kind}]"
    tags = tags_of(cell)
    if tags:
        header += f" tags={tags!r}"
    return header


def _output_lines(output: Any) -> list[str]:
    if not isinstance(output, dict):
        return []
    kind = output.get("output_type")
    if kind == "stream":
        return _text_block(f"[{output.get('name', 'stream')}]", multiline(output.get("text")))
    if kind == "error":
        return [f"# >> [error] {output.get('ename', '')}: {output.get('evalue', '')}"]
    data = output.get("data")
    if not isinstance(data, dict):  # nbformat 3 keeps mime data at the top level
        data = {k: v for k, v in output.items() if k not in ("output_type", "metadata")}
    if "text/plain" in data or "text" in data:
        return _text_block(f"[{kind}]", multiline(data.get("text/plain", data.get("text"))))
    return [
        f"# >> [{kind}] {mime}: {len(multiline(value))} characters"
        for mime, value in data.items()
        if not mime.startswith("application/vnd.jupyter.widget")
    ]


def _text_block(label: str, text: str) -> list[str]:
    lines = text.splitlines()
    shown = [f"# >> {label}"] + [f"# >> {line}" for line in lines[:MAX_OUTPUT_LINES]]
    if len(lines) > MAX_OUTPUT_LINES:
        shown.append(f"# >> ... {len(lines) - MAX_OUTPUT_LINES} more lines")
    return shown


def render_text(nb: NotebookDict) -> str:
    """The notebook as percent-format text (one block per cell)."""
    lines: list[str] = []
    metadata = nb.get("metadata")
    kernelspec = metadata.get("kernelspec") if isinstance(metadata, dict) else None
    if isinstance(kernelspec, dict) and kernelspec.get("name"):
        lines.append(f"# kernel: {kernelspec.get('name')}")
    for cell in iter_cells(nb):
        if not isinstance(cell, dict):
            continue
        if lines:
            lines.append("")
        lines.append(_header(cell))
        source = source_text(cell)
        lines.extend(source.splitlines() if cell.get("cell_type") == "code" else _comment(source))
        for output in cell.get("outputs") or []:
            lines.extend(_output_lines(output))
        attachments = cell.get("attachments")
        if isinstance(attachments, dict):
            lines.extend(f"# >> [attachment] {name}" for name in attachments)
    return "\n".join(lines) + "\n"
