"""The structure nbtools relies on, checked once when a notebook is read.

A notebook from a pull request (or a broken merge) may hold anything where a cell, an
output or metadata should be. Every command works on the parsed dicts, so the shape that
they rely on is checked up front, and a file that breaks it is one file-level error
(exit 2 with the JSON pointer of the first problem) instead of a crash that abandons the
batch. Only what nbtools reads is checked, and only where it is present (nbformat's
schema is stricter, and its validator costs more than the rest of a strip); values are
not checked beyond their type.
"""

from __future__ import annotations

from itertools import chain
from typing import Any, Iterator

#: containers nested deeper than this are refused: copying or writing them would hit
#: Python's recursion limit (real notebooks nest a few dozen levels at most)
MAX_DEPTH = 100


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__  # pragma: no cover - JSON has no other kinds


def pointer(*parts: object) -> str:
    """A JSON pointer (RFC 6901) to ``parts``."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


class StructureError(Exception):
    """The first place where a notebook does not have the shape nbtools relies on."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where or '/'}: {message}")
        self.where = where
        self.message = message


def _fail(path: tuple[object, ...], expected: str, value: Any) -> StructureError:
    return StructureError(pointer(*path), f"expected {expected}, got {_kind(value)}")


def _obj(value: Any, path: tuple[object, ...]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(path, "an object", value)
    return value


def _opt(mapping: dict[str, Any], key: str, path: tuple[object, ...], check: Any) -> None:
    if key in mapping:
        check(mapping[key], (*path, key))


def _object(value: Any, path: tuple[object, ...]) -> None:
    _obj(value, path)


def _string(value: Any, path: tuple[object, ...]) -> None:
    if not isinstance(value, str):
        raise _fail(path, "a string", value)


def _count(value: Any, path: tuple[object, ...]) -> None:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
        raise _fail(path, "an integer or null", value)


def _integer(value: Any, path: tuple[object, ...]) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise _fail(path, "an integer", value)


def _strings(value: Any, path: tuple[object, ...]) -> None:
    if not isinstance(value, list):
        raise _fail(path, "a list of strings", value)
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise _fail((*path, i), "a string", item)


def _multiline(value: Any, path: tuple[object, ...]) -> None:
    """nbformat's multiline string: a string or a list of strings."""
    if not isinstance(value, str):
        if not isinstance(value, list):
            raise _fail(path, "a string or a list of strings", value)
        _strings(value, path)


def _bundle(value: Any, path: tuple[object, ...]) -> None:
    """A mime bundle: JSON types hold any value, the others text."""
    for mime, data in _obj(value, path).items():
        if not mime.endswith("json"):
            _multiline(data, (*path, mime))


def _metadata(value: Any, path: tuple[object, ...]) -> None:
    meta = _obj(value, path)
    _opt(meta, "tags", path, _strings)
    _opt(meta, "nbtools", path, _object)
    _opt(meta, "jupyter", path, _object)


def _notebook_metadata(value: Any, path: tuple[object, ...]) -> None:
    meta = _obj(value, path)
    for key in ("kernelspec", "language_info", "jupytext", "nbtools"):
        if key in meta:
            table = _obj(meta[key], (*path, key))
            for name in ("name", "display_name", "language", "formats", "version"):
                if key != "language_info" or name != "version":
                    _opt(table, name, (*path, key), _string)


def _output(value: Any, path: tuple[object, ...], v3: bool) -> None:
    output = _obj(value, path)
    if "output_type" not in output:
        raise StructureError(pointer(*path), "an output without 'output_type'")
    _string(output["output_type"], (*path, "output_type"))
    _opt(output, "metadata", path, _object)
    _opt(output, "data", path, _bundle)
    _opt(output, "text", path, _multiline)
    _opt(output, "name", path, _string)
    _opt(output, "execution_count", path, _count)
    _opt(output, "prompt_number", path, _count)
    _opt(output, "traceback", path, _strings)
    _opt(output, "ename", path, _string)
    _opt(output, "evalue", path, _string)
    if v3:  # nbformat 3 keeps the mime data beside output_type, by short names
        for key in ("html", "latex", "png", "jpeg", "svg", "javascript", "markdown"):
            _opt(output, key, path, _multiline)


def _cell(value: Any, path: tuple[object, ...], v3: bool) -> None:
    cell = _obj(value, path)
    if "cell_type" not in cell:
        raise StructureError(pointer(*path), "a cell without 'cell_type'")
    _string(cell["cell_type"], (*path, "cell_type"))
    _opt(cell, "id", path, _string)
    _opt(cell, "metadata", path, _metadata)
    _opt(cell, "source", path, _multiline)
    _opt(cell, "input", path, _multiline)
    _opt(cell, "execution_count", path, _count)
    _opt(cell, "prompt_number", path, _count)
    if "attachments" in cell:
        for name, bundle in _obj(cell["attachments"], (*path, "attachments")).items():
            _bundle(bundle, (*path, "attachments", name))
    if "outputs" in cell:
        outputs = cell["outputs"]
        if not isinstance(outputs, list):
            raise _fail((*path, "outputs"), "a list", outputs)
        for i, output in enumerate(outputs):
            _output(output, (*path, "outputs", i), v3)


def _cells(value: Any, path: tuple[object, ...], v3: bool) -> None:
    if not isinstance(value, list):
        raise _fail(path, "a list", value)
    for i, cell in enumerate(value):
        _cell(cell, (*path, i), v3)


def depth(value: Any) -> int:
    """How deeply containers nest in ``value`` (a scalar is 0), one level per step in C."""
    levels = 0
    level = [value]
    while level:
        level = [v for v in level if type(v) is dict or type(v) is list]
        if not level:
            return levels
        levels += 1
        if levels > MAX_DEPTH:
            return levels
        level = list(chain.from_iterable(v.values() if type(v) is dict else v for v in level))
    return levels


def _deepest(value: Any, path: tuple[object, ...]) -> Iterator[tuple[object, ...]]:
    """The path of the first container nested beyond :data:`MAX_DEPTH` (for the message)."""
    stack: list[tuple[Any, tuple[object, ...]]] = [(value, path)]
    while stack:
        node, where = stack.pop()
        if len(where) > MAX_DEPTH:
            yield where
            return
        if isinstance(node, dict):
            stack.extend((v, (*where, k)) for k, v in reversed(list(node.items())))
        elif isinstance(node, list):
            stack.extend((v, (*where, i)) for i, v in reversed(list(enumerate(node))))


def validate(nb: dict[str, Any]) -> None:
    """Raise :class:`StructureError` at the first place ``nb`` breaks what nbtools relies on.

    ``nb`` is a parsed notebook whose ``nbformat`` (3 or 4) and top-level cell list (or
    worksheets) have already been checked.
    """
    if depth(nb) > MAX_DEPTH:
        where = next(_deepest(nb, ()), ())
        shown = pointer(*where[:6]) + ("/..." if len(where) > 6 else "")
        raise StructureError(shown, f"nested more than {MAX_DEPTH} levels deep")
    _opt(nb, "nbformat_minor", (), _integer)
    _opt(nb, "metadata", (), _notebook_metadata)
    if nb.get("nbformat") == 3:
        for i, worksheet in enumerate(nb["worksheets"]):
            sheet = _obj(worksheet, ("worksheets", i))
            _opt(sheet, "metadata", ("worksheets", i), _object)
            _opt(sheet, "cells", ("worksheets", i), lambda v, p: _cells(v, p, True))
    else:
        _cells(nb["cells"], ("cells",), False)
