"""Conversions between a notebook and its paired text file, by jupytext.

jupytext (and nbformat) are imported here only, when a conversion is needed: commands that
only find pairs or compare hashes never pay for them.
"""

from __future__ import annotations

import copy
import json
import warnings
from typing import TYPE_CHECKING

from nbtools.errors import InputError

if TYPE_CHECKING:
    from nbtools.notebook import NotebookDict
    from nbtools.pairs.formats import PairFormat


def notebook_to_text(nb: NotebookDict, fmt: PairFormat, path: object = "<notebook>") -> str:
    """The script text jupytext writes for ``nb``."""
    import jupytext
    import nbformat
    from nbformat.v4.rwbase import rejoin_lines

    # jupytext expects what nbformat.read returns: multiline strings joined
    node = rejoin_lines(nbformat.from_dict(copy.deepcopy(nb)))  # type: ignore[no-untyped-call]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "nbformat 4.x not tested with Jupytext"
            return str(jupytext.writes(node, fmt=fmt.jupytext_fmt, config=fmt.config))
    except Exception as exc:  # noqa: BLE001 - jupytext raises many types for odd notebooks
        raise InputError(path, f"jupytext cannot convert it: {type(exc).__name__}: {exc}") from None


def text_to_notebook(text: str, fmt: PairFormat, path: object = "<script>") -> NotebookDict:
    """The notebook jupytext reads from a script, as plain dicts."""
    import jupytext

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            node = jupytext.reads(text, fmt=fmt.jupytext_fmt, config=fmt.config)
    except Exception as exc:  # noqa: BLE001 - jupytext raises many types for bad input
        detail = " ".join(str(exc).split())[:300]  # YAML errors span several lines
        raise InputError(
            path, f"jupytext cannot parse it: {type(exc).__name__}: {detail}"
        ) from None
    data: NotebookDict = json.loads(json.dumps(node))
    return data


def roundtrip(nb: NotebookDict, fmt: PairFormat, path: object = "<notebook>") -> NotebookDict:
    """``nb`` as it reads back from its script: what the script side is compared against."""
    return text_to_notebook(notebook_to_text(nb, fmt, path), fmt, path)
