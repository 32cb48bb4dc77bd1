"""Reading, walking and writing notebooks: the API every command uses.

One module per job: :mod:`~nbtools.notebook.io` reads, parses, renders and writes (the plain
json path, and the one place that picks a faster one), :mod:`~nbtools.notebook.fast` holds
the orjson paths and knows where they are exact, :mod:`~nbtools.notebook.elide` skips base64
payloads for strip, :mod:`~nbtools.notebook.layout` keeps a file's own formatting,
:mod:`~nbtools.notebook.files` replaces files safely, :mod:`~nbtools.notebook.cells` walks a
parsed notebook and :mod:`~nbtools.notebook.positions` finds a value's line on disk.
Callers import from here, except for positions (imported where a finding needs a line).
"""

from __future__ import annotations

from nbtools.notebook.cells import (
    NotebookDict,
    cell_lists,
    iter_cells,
    multiline,
    source_text,
    tags_of,
)
from nbtools.notebook.files import atomic_write, write_target
from nbtools.notebook.io import (
    NotebookFile,
    check_structure,
    decode,
    dumps,
    loads_notebook,
    parse_json,
    read_notebook,
    require_v4,
    write_notebook,
)
from nbtools.notebook.layout import BOM, NBFORMAT_LAYOUT, Layout, detect_layout

__all__ = [
    "BOM",
    "NBFORMAT_LAYOUT",
    "Layout",
    "NotebookDict",
    "NotebookFile",
    "atomic_write",
    "cell_lists",
    "check_structure",
    "decode",
    "detect_layout",
    "dumps",
    "iter_cells",
    "loads_notebook",
    "multiline",
    "parse_json",
    "read_notebook",
    "require_v4",
    "source_text",
    "tags_of",
    "write_notebook",
    "write_target",
]
