"""Notebook I/O shared by every command: read once, write only on change, keep the layout.

A notebook is parsed into plain dicts and lists (key order kept), together with the
:class:`~nbtools.notebook.layout.Layout` of the file it came from, so that a rewrite keeps
what the user had. The plain path (json) is the reference; :func:`_parse` (for reading)
and :func:`dumps_bytes` (for writing) are the one place each that takes the faster orjson
path instead (:mod:`nbtools.notebook.fast`), which only ever answers where its result is
exactly the plain one. For strip, large base64 values are not even parsed
(:mod:`nbtools.notebook.elide`).
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

from nbtools.errors import InputError, read_failure
from nbtools.notebook.fast import INEXACT, dumps_exact, loads_exact, pays_off
from nbtools.notebook.files import atomic_write, write_target
from nbtools.notebook.layout import (
    BOM_BYTES,
    NBFORMAT_LAYOUT,
    Layout,
    detect_layout_bytes,
    frame,
    has_stray_separators,
    keep_file_lines,
)

if TYPE_CHECKING:
    from nbtools.notebook.cells import NotebookDict
    from nbtools.notebook.elide import Payloads

SUPPORTED_MAJOR = (3, 4)
ELIDE_MIN_BYTES = 64 * 1024  # smaller notebooks hold no payload worth skipping


def decode(raw: bytes, path: object) -> str:
    """Decode a notebook's bytes as UTF-8 (with or without a BOM)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(path, read_failure(exc)) from None


def _plain_loads(text: str, path: object) -> Any:
    """``json.loads`` whose failures are one-line :class:`InputError`s naming the file."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:  # ValueError: e.g. a 5000-digit integer
        raise InputError(path, read_failure(exc)) from None


def _parse(document: bytes | str, path: object, fast: bool) -> tuple[Any, str | None]:
    """The one place a parser is picked: orjson with ``fast`` where its result is exactly
    json's, else json (which also words the error). Returns the value and, from json, the
    decoded text."""
    if fast:
        data = loads_exact(document)
        if data is not INEXACT:
            return data, None
    text = decode(document, path) if isinstance(document, bytes) else document
    return _plain_loads(text, path), text


def parse_json(document: str | bytes, path: object, fast: bool = True) -> Any:
    """Parse JSON text (or UTF-8 bytes), raising :class:`InputError` on failure; ``fast``:
    through orjson where that is exact (for batches, where its import is soon repaid)."""
    return _parse(document, path, fast)[0]


def dumps(nb: Any, layout: Layout = NBFORMAT_LAYOUT) -> str:
    """Serialise ``nb`` the way its file was written (see :class:`Layout`), by json."""
    # surrogatepass: a lone surrogate (read from a \udXXX escape) survives the round trip
    return _plain_bytes(nb, layout, "surrogatepass").decode("utf-8", "surrogatepass")


def dumps_bytes(nb: Any, layout: Layout = NBFORMAT_LAYOUT, fast: bool = True) -> bytes:
    """:func:`dumps` as UTF-8 bytes; with ``fast``, through orjson where that is byte-identical.

    The one place a writer is picked. ``fast`` only for values from a JSON parse
    (see :func:`~nbtools.notebook.fast.dumps_exact`).
    """
    data = dumps_exact(nb, layout) if fast else None
    if data is None:
        # a lone surrogate (read from a \udXXX escape) can only sit inside a JSON string,
        # where backslashreplace writes it back as the very same escape
        return _plain_bytes(nb, layout, "backslashreplace")
    return frame(data, layout)


def _plain_bytes(nb: Any, layout: Layout, errors: str) -> bytes:
    text = json.dumps(
        nb,
        indent=layout.indent,
        separators=(layout.item_separator, layout.key_separator),
        ensure_ascii=layout.ensure_ascii,
    )
    return frame(text.encode("utf-8", errors), layout)


class NotebookFile:
    """A notebook read from disk (or stdin) with everything needed to write it back.

    ``text`` (the document without a BOM) is decoded only when something asks for it:
    parsing works on the bytes, and most notebooks never need their text.
    """

    def __init__(
        self,
        path: str,
        raw: bytes,
        nb: NotebookDict,
        layout: Layout,
        text: str | None = None,
        payloads: Payloads | None = None,
    ) -> None:
        self.path = path
        self.raw = raw
        self.nb = nb
        self.layout = layout
        self._text = text
        # values that ``nb`` holds as placeholders (see nbtools.notebook.elide); restored on render
        self.payloads = payloads

    @property
    def text(self) -> str:
        if self._text is None:
            body = self.raw[len(BOM_BYTES) :] if self.layout.bom else self.raw
            self._text = decode(body, self.path)
        return self._text

    @property
    def major(self) -> int:
        return int(self.nb.get("nbformat", 0))

    @property
    def minor(self) -> int:
        return int(self.nb.get("nbformat_minor", 0))

    def render_bytes(self, nb: NotebookDict | None = None) -> bytes:
        """The bytes of ``nb`` (default: this notebook) in this file's layout."""
        # only what the parse returned (stripped in place, say) is sure to hold JSON values
        # alone, which the orjson writer needs; importing orjson costs more than json.dumps
        # needs for what a small notebook leaves to write
        parsed = nb is None or nb is self.nb
        fast = parsed and pays_off(len(self.raw))
        data = dumps_bytes(self.nb if nb is None else nb, self.layout, fast=fast)
        if self.payloads:
            from nbtools.notebook.elide import restore_payloads

            data = restore_payloads(data, self.payloads)
        if data != self.raw and has_stray_separators(self.raw, self.layout):
            data = self._keep_stray_layout(data)
        return data

    def render(self, nb: NotebookDict | None = None) -> str:
        """The text of ``nb`` (default: this notebook) in this file's layout."""
        return self.render_bytes(nb).decode("utf-8")

    def _keep_stray_layout(self, data: bytes) -> bytes:
        """``data`` with every line nbtools did not change spelled as the file had it.

        A hand-edited file may space one key unlike the rest (``"attachments" : {``),
        which one :class:`Layout` cannot say (see :func:`keep_file_lines`). The result
        must parse to what ``data`` holds, or ``data`` is written as it is.
        """
        try:
            original = loads_notebook(self.raw, self.path).nb
        except InputError:  # pragma: no cover - the file was read once already
            return data
        before = dumps_bytes(original, self.layout, fast=False)
        merged = keep_file_lines(self.raw, before, data)
        if merged is None:
            return data
        try:
            same = json.loads(merged.lstrip(BOM_BYTES)) == json.loads(data.lstrip(BOM_BYTES))
        except (ValueError, RecursionError):
            same = False
        return merged if same else data


def check_structure(data: Any, path: object) -> NotebookDict:
    """Refuse anything that is not a notebook of a supported nbformat."""
    if not isinstance(data, dict):
        raise InputError(path, "not a notebook: the JSON document is not an object")
    major = data.get("nbformat")
    if not isinstance(major, int) or isinstance(major, bool):
        raise InputError(path, "not a notebook: no integer 'nbformat' key")
    if major not in SUPPORTED_MAJOR:
        raise InputError(path, f"unsupported nbformat {major} (nbtools reads nbformat 3 and 4)")
    if major == 4 and not isinstance(data.get("cells"), list):
        raise InputError(path, "not a notebook: nbformat 4 without a 'cells' list")
    if major == 3 and not isinstance(data.get("worksheets"), list):
        raise InputError(path, "not a notebook: nbformat 3 without a 'worksheets' list")
    from nbtools.structure import StructureError, validate

    try:
        validate(data)
    except StructureError as exc:
        raise InputError(path, str(exc)) from None
    return data


def loads_notebook(raw: bytes, path: str, elide: bool = False) -> NotebookFile:
    """Parse notebook bytes (already read) into a :class:`NotebookFile`.

    With ``elide`` (for strip, which drops most outputs), large base64 values are not
    parsed: ``nb`` holds placeholders for them (see :mod:`nbtools.notebook.elide`), and
    :meth:`NotebookFile.render_bytes` writes the original bytes back; what is left is
    small enough that orjson parses it (where that is exact, as :func:`_parse` decides).
    """
    bom = raw.startswith(BOM_BYTES)
    body = raw[len(BOM_BYTES) :] if bom else raw
    if not body or body.isspace():
        raise InputError(path, "empty file, not a notebook")
    document, payloads = body, None
    if elide and len(body) >= ELIDE_MIN_BYTES:
        from nbtools.notebook.elide import elide_payloads

        elided, found = elide_payloads(body)
        if found:
            document, payloads = elided, found
    try:
        data, text = _parse(document, path, fast=payloads is not None or pays_off(len(body)))
    except InputError:
        if payloads is None:
            raise
        data, text = _parse(body, path, fast=False)  # say where, in the file as it is
        payloads = None
    return NotebookFile(
        path=path,
        raw=raw,
        nb=check_structure(data, path),
        layout=detect_layout_bytes(body, bom),
        text=text if payloads is None else None,  # with placeholders, not the file's text
        payloads=payloads,
    )


def read_notebook(path: str | os.PathLike[str], elide: bool = False) -> NotebookFile:
    """Read and parse a notebook file once (``elide``: see :func:`loads_notebook`)."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise InputError(path, read_failure(exc)) from None
    return loads_notebook(raw, os.fspath(path), elide=elide)


def require_v4(nbfile: NotebookFile) -> None:
    """Refuse nbformat 3 for commands that only work on nbformat 4."""
    if nbfile.major != 4:
        raise InputError(
            nbfile.path,
            f"nbformat {nbfile.major} notebook; upgrade it first with "
            f"`jupyter nbconvert --to notebook --nbformat 4 --inplace {nbfile.path}`",
        )


def write_notebook(
    nbfile: NotebookFile, nb: NotebookDict | None = None, root: str | None = None
) -> bool:
    """Write ``nb`` to ``nbfile.path`` in its layout if the bytes differ; True if written.

    Links and read-only files are handled by :func:`write_target` (``root``: the
    repository a link's target must stay in).
    """
    data = nbfile.render_bytes(nb)
    if data == nbfile.raw:
        return False
    atomic_write(write_target(nbfile.path, root), data)
    return True
