"""Which notebook pairs with which text file: from the notebook's metadata, the script's
header or the jupytext configuration, never leaving the repository.

The formats are read in :mod:`nbtools.pairs.formats`, the configuration in
:mod:`nbtools.pairs.jupytext_config`, the repository's bounds in :mod:`nbtools.pairs.tree`;
conversions are in :mod:`nbtools.pairs.convert`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from nbtools.errors import InputError, read_failure
from nbtools.notebook import NotebookDict, read_notebook
from nbtools.pairs.formats import (
    NOTEBOOK_SUFFIX,
    PairFormat,
    header_formats,
    notebook_formats,
    text_formats,
)
from nbtools.pairs.jupytext_config import config_formats, jupytext_config
from nbtools.pairs.tree import is_inside, tree_root


@dataclass(frozen=True)
class Pair:
    """A notebook and its paired script (either may be missing on disk).

    ``member`` is the script's place among the notebook's text files (``ipynb,py:percent,md``
    pairs it with two: members 0 and 1).
    """

    notebook: Path
    script: Path
    fmt: PairFormat
    member: int = 0


def contained(pair: Pair, named: Path | None = None) -> Pair:
    """``pair`` when both of its files resolve inside the notebook's tree (see
    :func:`tree_root`); raises :class:`InputError` naming ``named`` (the file the user gave,
    the notebook by default) otherwise.

    Pairing metadata and sync records come from the files, which a pull request controls:
    a prefix such as ``../../victim//`` or a script that is a symlink to ``/etc/passwd``
    must never make nbtools read or write outside the repository.
    """
    named = named if named is not None else pair.notebook
    root = tree_root(pair.notebook)
    for side, path in (("notebook", pair.notebook), ("script", pair.script)):
        if not is_inside(path, root):
            link = " (a symlink)" if os.path.islink(path) else ""
            raise InputError(
                named,
                f"paired {side} {path}{link} ({pair.fmt.formats}) resolves outside the "
                f"repository {root}; refused",
            )
    return pair


def pairs_of_notebook(path: str | Path, nb: NotebookDict | None = None) -> list[Pair]:
    """Every text file a notebook pairs with (its metadata, else jupytext's configuration).

    Raises :class:`InputError` when a pair would leave the repository (see :func:`contained`).
    """
    notebook = Path(path)
    if nb is None:
        nb = read_notebook(notebook).nb
    config = jupytext_config(notebook)
    # the notebook's own formats first, then the configuration's (as jupytext pairs them)
    formats = notebook_formats(nb) or config_formats(notebook, config)
    return [
        contained(Pair(notebook, fmt.script_for(notebook), fmt.with_config(config), member))
        for member, fmt in enumerate(text_formats(formats) if formats else [])
    ]


def pair_of_notebook(path: str | Path, nb: NotebookDict | None = None) -> Pair | None:
    """The pair a notebook declares (its first text file), or None when it is not paired.

    Raises :class:`InputError` when a pair would leave the repository (see :func:`contained`).
    """
    pairs = pairs_of_notebook(path, nb)
    return pairs[0] if pairs else None


def pair_of_script(path: str | Path, text: str | None = None) -> Pair | None:
    """The pair of a script: from its header, else a same-named notebook that claims it."""
    script = Path(path)
    if not is_inside(script, tree_root(script)):
        text = ""  # a symlink leaving the tree is never read; a notebook claiming it is refused
    if text is None:
        try:
            with script.open(encoding="utf-8", errors="replace") as handle:
                text = handle.read(8192)  # the header is at the top
        except OSError as exc:
            raise InputError(script, read_failure(exc)) from None
    config = jupytext_config(script)
    declared = header_formats(text)
    formats = declared or config_formats(script, config)
    for member, fmt in enumerate(text_formats(formats) if formats else []):
        notebook = fmt.notebook_for(script)
        if notebook is None or fmt.script_for(notebook) != script:
            continue
        if not declared and not notebook.is_file():
            return None  # jupytext.toml pairs every .md: without a notebook, just a document
        return contained(Pair(notebook, script, fmt.with_config(config), member), script)
    # no usable header: a notebook beside it (or one folder up) may still claim this script
    for candidate in (
        script.with_suffix(NOTEBOOK_SUFFIX),
        script.parent.parent / script.with_suffix(NOTEBOOK_SUFFIX).name,
    ):
        if candidate.is_file():
            try:
                pairs = pairs_of_notebook(candidate)
            except InputError:
                continue
            for pair in pairs:
                if pair.script == script:
                    return pair
    return None


def find_pair(path: str | Path) -> Pair | None:
    """The pair a notebook or script belongs to, or None."""
    p = Path(path)
    return pair_of_notebook(p) if p.suffix == NOTEBOOK_SUFFIX else pair_of_script(p)


def paired_script(notebook_path: str | Path) -> Path | None:
    """The existing script paired with a notebook, or None."""
    pair = pair_of_notebook(notebook_path)
    return pair.script if pair is not None and pair.script.is_file() else None


def paired_notebook(script_path: str | Path) -> Path | None:
    """The existing notebook paired with a script, or None."""
    pair = pair_of_script(script_path)
    return pair.notebook if pair is not None and pair.notebook.is_file() else None


def source_of_truth(path: str | Path) -> Path:
    """The file to execute or read for ``path``: the script when the pair has both files.

    The script wins because it is what teams review, unless the sync record shows that
    only the notebook changed since the last sync (then the script is stale).
    """
    p = Path(path)
    try:
        pair = find_pair(p)
    except InputError:
        return p
    if pair is None or not (pair.notebook.is_file() and pair.script.is_file()):
        return p
    from nbtools.pairs.state import SyncState, file_hash

    entry = SyncState().get(pair.notebook, pair.script)
    if (
        entry is not None
        and entry.script_hash == file_hash(pair.script)
        and entry.notebook_hash != file_hash(pair.notebook)
    ):
        return pair.notebook
    return pair.script
