"""Walk a notebook's parts (sources, text outputs, tracebacks, metadata) with their locations.

Everything works on the parsed strings, never on the JSON text, so an escaped quote or
``\\n`` cannot hide a key; binary payloads (images, PDFs, widget state) are skipped without
being decoded. Disk lines (``json_line``) are computed only for notebooks with findings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence, Tuple, Union

from nbtools.findings import Finding, Rule, Suppression, Where, content_digest, register_rules
from nbtools.notebook import NotebookFile, cell_lists, multiline
from nbtools.notebook.positions import LineMap
from nbtools.secrets.engine import Engine, Hit, strip_ansi
from nbtools.secrets.masking import fingerprints, mask, secret_finding
from nbtools.suppress import IN_SOURCE, cell_allowance, inline_allowance, suppress_in_notebook

REMOVED_CREDENTIAL = "strip/credential-in-output"
register_rules(
    Rule(
        REMOVED_CREDENTIAL,
        "credential-removed-from-output",
        "An output that strip removed held a credential",
        "Stripping removes it from the notebook, not from wherever it went before (a push, a "
        "shared copy, the git history): rotate the credential.",
        tags=("secret", "external/cwe/cwe-798"),
        security_severity=7.5,
    )
)

_SKIP_MIME_PREFIXES = ("image/", "audio/", "video/", "application/vnd.jupyter.widget-")
_SKIP_MIMES = frozenset({"application/pdf", "application/octet-stream", "image/svg+xml"})
_SKIP_METADATA = frozenset({"widgets", "execution", "collapsed", "scrolled", "jupyter"})
#: nbformat 3 display outputs keep mime data under short keys
_V3_TEXT_KEYS = ("text", "html", "latex", "json", "javascript", "markdown")

_WHERE = {"code": Where.SOURCE, "markdown": Where.MARKDOWN}

JsonPath = Tuple[Union[str, int], ...]


@dataclass
class Location:
    """Where a part comes from; ``elements`` maps lines back to a JSON list on disk."""

    where: Where
    cell_index: int | None = None
    cell_id: str | None = None
    output_index: int | None = None
    field: str | None = None
    path: JsonPath = ()
    elements: list[str] | None = None
    joined: bool = False  # elements joined with newlines (tracebacks)
    prefix: int = 0  # characters before the value ("key: " for metadata and JSON leaves)
    line_applies: bool = True


def _leaves(value: Any, path: JsonPath, depth: int = 0) -> list[tuple[JsonPath, str]]:
    """String leaves of a JSON value (bounded depth)."""
    if isinstance(value, str):
        return [(path, value)]
    if depth > 12:
        return []
    out: list[tuple[JsonPath, str]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            out.extend(_leaves(item, (*path, str(key)), depth + 1))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out.extend(_leaves(item, (*path, index), depth + 1))
    return out


def _join(value: Any) -> str:
    """nbformat's multiline string (a string or a list of strings) as one string."""
    if isinstance(value, str):
        return value
    try:
        return "".join(value)
    except TypeError:  # a list with non-strings in a malformed notebook
        return multiline(value)


def _dotted(path: Sequence[str | int]) -> str:
    return ".".join(str(p) for p in path)


def _key_value_parts(
    value: Any, base: Location | None, json_base: JsonPath, field_prefix: str, skip: frozenset[str]
) -> list[tuple[str, Location | None]]:
    """``key: value`` texts for the string leaves, so keyword rules see the key."""
    parts: list[tuple[str, Location | None]] = []
    for sub, leaf in _leaves(value, ()):
        if sub and isinstance(sub[0], str) and sub[0] in skip:
            continue
        if len(leaf) < 8:
            continue
        key = next((str(p) for p in reversed(sub) if isinstance(p, str)), "value")
        if base is None:
            parts.append((f"{key}: {leaf}", None))
            continue
        label = _dotted(sub)
        loc = Location(
            base.where,
            base.cell_index,
            base.cell_id,
            base.output_index,
            f"{field_prefix}{label}" if field_prefix else label,
            (*json_base, *sub),
            prefix=len(key) + 2,
            line_applies=base.where is Where.OUTPUT,
        )
        parts.append((f"{key}: {leaf}", loc))
    return parts


def notebook_parts(nb: dict[str, Any], locate: bool = True) -> list[tuple[str, Location | None]]:
    """Every scannable text of a notebook, with its location unless ``locate`` is False.

    A scan first collects the texts alone (most notebooks have no finding) and walks
    again with locations only when there is a hit; both walks are this one function,
    so the parts come in the same order.
    """
    parts: list[tuple[str, Location | None]] = []
    v3 = nb.get("nbformat") == 3
    index = -1
    for ws_index, cells in enumerate(cell_lists(nb)):
        for in_list, cell in enumerate(cells):
            index += 1
            if not isinstance(cell, dict):
                continue
            base: JsonPath = (
                ("worksheets", ws_index, "cells", in_list) if v3 else ("cells", in_list)
            )
            parts.extend(_cell_parts(cell, index, base, v3, locate))
    meta = nb.get("metadata")
    if isinstance(meta, dict):
        loc = Location(Where.METADATA) if locate else None
        parts.extend(_key_value_parts(meta, loc, ("metadata",), "", _SKIP_METADATA))
    return parts


def _cell_parts(
    cell: dict[str, Any], index: int, base: JsonPath, v3: bool, locate: bool
) -> list[tuple[str, Location | None]]:
    parts: list[tuple[str, Location | None]] = []
    cell_type = cell.get("cell_type")
    cell_id = cell.get("id") if isinstance(cell.get("id"), str) else None
    where = _WHERE.get(str(cell_type), Where.RAW)
    key = "input" if v3 and cell_type == "code" else "source"
    src = cell.get(key)
    if src:
        elements = src if isinstance(src, list) else None
        loc = (
            Location(where, index, cell_id, path=(*base, key), elements=elements)
            if locate
            else None
        )
        parts.append((_join(src), loc))
    attachments = cell.get("attachments")
    if isinstance(attachments, dict):
        for name in attachments:
            loc = (
                Location(
                    Where.ATTACHMENT,
                    index,
                    cell_id,
                    field=f"attachments.{name}",
                    path=(*base, "attachments", name),
                )
                if locate
                else None
            )
            parts.append((str(name), loc))
    meta = cell.get("metadata")
    if isinstance(meta, dict) and meta:
        loc = Location(Where.METADATA, index, cell_id) if locate else None
        parts.extend(_key_value_parts(meta, loc, (*base, "metadata"), "", _SKIP_METADATA))
    outputs = cell.get("outputs")
    if isinstance(outputs, list):
        for out_index, output in enumerate(outputs):
            if isinstance(output, dict):
                parts.extend(_output_parts(output, index, cell_id, out_index, base, locate))
    return parts


def _output_parts(
    output: dict[str, Any],
    index: int,
    cell_id: str | None,
    k: int,
    base: JsonPath,
    locate: bool,
) -> list[tuple[str, Location | None]]:
    parts: list[tuple[str, Location | None]] = []
    out_base: JsonPath = (*base, "outputs", k) if locate else ()

    def text_part(value: Any, field_name: str, path: JsonPath, joined: bool = False) -> None:
        if joined:
            elements = [v for v in value if isinstance(v, str)] if isinstance(value, list) else None
            text = "\n".join(elements) if elements is not None else str(value)
        else:
            elements = value if isinstance(value, list) else None
            text = _join(value)
        if not text:
            return
        loc = (
            Location(Where.OUTPUT, index, cell_id, k, field_name, path, elements, joined)
            if locate
            else None
        )
        parts.append((strip_ansi(text), loc))

    otype = output.get("output_type")
    if otype == "stream":
        text_part(output.get("text"), "text", (*out_base, "text"))
    elif otype in ("error", "pyerr"):
        if isinstance(output.get("evalue"), str):
            text_part(output["evalue"], "evalue", (*out_base, "evalue"))
        text_part(output.get("traceback") or [], "traceback", (*out_base, "traceback"), True)
    data = output.get("data")
    if isinstance(data, dict):
        for mime, value in data.items():
            if mime in _SKIP_MIMES or mime.startswith(_SKIP_MIME_PREFIXES):
                continue
            path: JsonPath = (*out_base, "data", mime)
            if isinstance(value, (dict, list)) and "json" in mime:
                loc = Location(Where.OUTPUT, index, cell_id, k) if locate else None
                parts.extend(_key_value_parts(value, loc, path, f"data.{mime}.", frozenset()))
            else:
                text_part(value, f"data.{mime}", path)
    elif otype in ("pyout", "display_data"):  # nbformat 3
        for key in _V3_TEXT_KEYS:
            if key in output:
                text_part(output[key], key, (*out_base, key))
    return parts


def _element_line(loc: Location, line: int) -> tuple[JsonPath, int | None]:
    """The JSON path of the list element holding ``line`` of the joined text."""
    if loc.elements is None:
        return loc.path, None
    current = 1
    for element_index, element in enumerate(loc.elements):
        span = element.count("\n") + (1 if loc.joined else 0)
        if line < current + max(span, 1) or element_index == len(loc.elements) - 1:
            return (*loc.path, element_index), element_index
        current += span
    return loc.path, None


def _line_text(text: str, offset: int) -> str:
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    return text[start : end if end != -1 else len(text)]


def _comment(hit: Hit, text: str) -> str | None:
    """The justification of an allow comment on the hit's line (a source or an output line)."""
    return inline_allowance(_line_text(text, hit.start), hit.rule.id)


def scan_notebook(nbfile: NotebookFile, engine: Engine, root: str | None = None) -> list[Finding]:
    """Scan a parsed notebook; the notebook is not read again.

    Fingerprints use the path relative to ``root`` (see :func:`masking.key_path`). Findings
    that a comment, a cell tag or cell metadata allows are returned marked as suppressed
    (:mod:`nbtools.suppress`)."""
    texts = [text for text, _ in notebook_parts(nbfile.nb, locate=False)]
    result: list[Finding] = []
    hits = engine.scan(texts)
    if not hits:
        return result
    parts = notebook_parts(nbfile.nb)
    linemap = LineMap(nbfile.text)
    for hit in hits:
        text, loc = parts[hit.part]
        assert loc is not None  # the located walk builds every location
        line: int | None = hit.line if loc.where is not Where.METADATA else None
        json_path, _ = _element_line(loc, hit.line)
        json_line = linemap.line(*json_path) or linemap.line(*loc.path)
        finding = secret_finding(
            nbfile.path,
            root,
            hit,
            cell_index=loc.cell_index,
            cell_id=loc.cell_id,
            where=loc.where,
            output_index=loc.output_index,
            field=loc.field,
            line=line,
            json_line=json_line,
        )
        why = _comment(hit, text)
        if why is not None:
            finding.suppression = Suppression(IN_SOURCE, "comment", finding.location, why)
        result.append(finding)
    suppress_in_notebook(result, nbfile.nb)
    return result


def scan_removed_outputs(
    path: str, removed: Sequence[tuple[int, dict[str, Any], list[Any]]], engine: Engine
) -> list[Finding]:
    """Credentials in outputs that strip removed (cell index, cell, outputs): the file will not
    show them any more, but whoever saw them (a push, a shared copy) may still have them."""
    texts: list[str] = []
    places: list[Location] = []
    for index, cell, outputs in removed:
        cell_id = cell.get("id") if isinstance(cell.get("id"), str) else None
        for k, output in enumerate(outputs):
            if isinstance(output, dict):
                for text, loc in _output_parts(output, index, cell_id, k, (), True):
                    assert loc is not None
                    texts.append(text)
                    places.append(loc)
    found: list[Finding] = []
    for hit in engine.scan(texts):
        loc = places[hit.part]
        finding = Finding(
            path=path,
            rule=REMOVED_CREDENTIAL,
            message=f"credential removed from outputs: rotate it ({hit.rule.summary}, "
            f"{hit.rule.id})",
            cell_index=loc.cell_index,
            cell_id=loc.cell_id,
            where=Where.OUTPUT,
            output_index=loc.output_index,
            field=loc.field,
            line=hit.line,
            masked=mask(hit.value),
            content_hash=content_digest(hit.value),
            fingerprint=fingerprints(path, None, hit.rule.id, hit.value)[0],
            extra={"secret_rule": hit.rule.id},
        )
        why = _comment(hit, texts[hit.part])
        if why is not None:
            finding.suppression = Suppression(IN_SOURCE, "comment", finding.location, why)
        found.append(finding)
    cells = {index: cell for index, cell, _ in removed}
    for finding in found:
        allowed = cell_allowance(cells.get(finding.cell_index or 0), finding.rule)
        if finding.suppression is None and allowed is not None:
            where = f"{path}:cell {(finding.cell_index or 0) + 1}"
            finding.suppression = Suppression(IN_SOURCE, allowed[0], where, allowed[1])
    return found
