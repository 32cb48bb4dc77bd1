"""Pairing formats, and where a pairing is recorded: jupytext's ``formats`` value.

Pairing is recorded the way jupytext records it, so Jupyter with jupytext keeps working:
``metadata.jupytext.formats`` in the notebook (e.g. ``ipynb,py:percent`` or
``ipynb,scripts//py:percent``) and the same ``formats`` line in the script's YAML header.
Path arithmetic for these simple formats is done here without importing jupytext; anything
fancier (root-relative ``///`` prefixes, several text formats) is left to jupytext itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbtools.errors import UsageError

if TYPE_CHECKING:
    from nbtools.notebook import NotebookDict

NOTEBOOK_SUFFIX = ".ipynb"
DEFAULT_FORMAT = "py:percent"
#: text formats nbtools pairs with (extension -> jupytext format names). jupytext does every
#: conversion; these need nothing beyond jupytext and its dependencies (``md:myst`` uses
#: markdown-it-py and mdit-py-plugins, installed with it). pandoc and quarto need programs.
FORMATS: dict[str, tuple[str, ...]] = {
    ".py": ("percent", "light", "hydrogen", "nomarker"),
    ".md": ("markdown", "myst"),
    ".Rmd": ("rmarkdown",),
}
#: the extensions of paired text files, for the commands that look for them
TEXT_SUFFIXES = tuple(FORMATS)
FORMAT_NAMES = tuple(dict.fromkeys(n for names in FORMATS.values() for n in names))
_SPEC_RE = re.compile(
    r"^(?:(?P<prefix>[^:,]*?)//)?(?P<ext>\.?[A-Za-z0-9]+)(?::(?P<name>[a-z_]+))?$"
)
_CODING_RE = re.compile(r"^#.*coding[:=]")
_HEADER_FORMATS_RE = re.compile(r"^(?:#\s+)?\s*formats:\s*['\"]?(?P<formats>[^'\"\n]+?)['\"]?\s*$")


@dataclass(frozen=True)
class PairFormat:
    """A text format: extension, jupytext format name and an optional sub-folder.

    An empty ``format_name`` (``ipynb,py``) leaves the choice to jupytext, as jupytext does.
    ``config`` is the jupytext configuration that applies (see :func:`jupytext_config`);
    it is passed to every conversion, so metadata filters and options agree with jupytext.
    """

    extension: str = ".py"
    format_name: str = "percent"
    prefix: str = ""  # folder of the script relative to the notebook's, e.g. "scripts"
    config: Any = field(default=None, compare=False, hash=False, repr=False)
    #: the whole ``formats`` value when the notebook pairs with several text files
    all_formats: str = field(default="", compare=False, hash=False, repr=False)

    @property
    def jupytext_fmt(self) -> str:
        """The format argument of ``jupytext.reads``/``writes`` (``py:percent``)."""
        ext = self.extension[1:]
        return f"{ext}:{self.format_name}" if self.format_name else ext

    @property
    def formats(self) -> str:
        """The ``jupytext.formats`` value jupytext writes for this pairing."""
        if self.all_formats:
            return self.all_formats
        prefix = f"{self.prefix}//" if self.prefix else ""
        return f"ipynb,{prefix}{self.jupytext_fmt}"

    def with_config(self, config: Any) -> PairFormat:
        return PairFormat(self.extension, self.format_name, self.prefix, config, self.all_formats)

    def script_for(self, notebook: Path) -> Path:
        folder = notebook.parent / self.prefix if self.prefix else notebook.parent
        return folder / (notebook.stem + self.extension)

    def notebook_for(self, script: Path) -> Path | None:
        """The notebook a script pairs with, or None when the script is not in the sub-folder."""
        if script.suffix != self.extension:
            return None
        folder = script.parent
        if self.prefix:
            parts = Path(self.prefix).parts
            if folder.parts[-len(parts) :] != parts:
                return None
            for _ in parts:
                folder = folder.parent
        return folder / (script.stem + NOTEBOOK_SUFFIX)


def parse_format(spec: str) -> PairFormat:
    """``py:percent``, ``md:myst``, ``Rmd`` or ``scripts//py:percent`` as a :class:`PairFormat`."""
    match = _SPEC_RE.match(spec.strip())
    ext = (match.group("ext") or "") if match else ""
    ext = ext if ext.startswith(".") else f".{ext}"
    name = (match.group("name") or "") if match else ""
    if match is None or ext not in FORMATS or (name and name not in FORMATS[ext]):
        choices = ", ".join(f"{e[1:]}:{n}" for e, names in FORMATS.items() for n in names)
        raise UsageError(
            f"unsupported pairing format {spec!r}; use one of {choices} (FOLDER//FORMAT for "
            "another folder)"
        )
    prefix = (match.group("prefix") or "").strip("/")
    return PairFormat(ext, name, prefix)


def text_formats(formats: str) -> list[PairFormat]:
    """Every text format paired with the notebook in a jupytext ``formats`` value, in order.

    Empty for values this module does not handle itself (no notebook in it, a prefixed
    notebook, root-relative ``///`` prefixes, formats nbtools does not pair with).
    """
    entries = [e.strip() for e in formats.split(",") if e.strip()]
    if "ipynb" not in entries and ".ipynb" not in entries:
        return []
    found: list[PairFormat] = []
    seen: set[tuple[str, str]] = set()
    for entry in entries:
        if entry in ("ipynb", ".ipynb") or "///" in entry:
            continue
        try:
            fmt = parse_format(entry)
        except UsageError:
            continue
        if (fmt.prefix, fmt.extension) in seen:
            continue  # one file per path (jupytext refuses such a value anyway)
        seen.add((fmt.prefix, fmt.extension))
        found.append(fmt)
    if len(found) > 1:  # several text files: each member keeps the whole value
        whole = ",".join(entries)
        found = [PairFormat(f.extension, f.format_name, f.prefix, None, whole) for f in found]
    return found


def format_from_formats(formats: str) -> PairFormat | None:
    """The first text format of a jupytext ``formats`` value such as ``ipynb,py:percent``
    (None when there is none nbtools handles, see :func:`text_formats`)."""
    found = text_formats(formats)
    return found[0] if found else None


def notebook_formats(nb: NotebookDict) -> str | None:
    """``metadata.jupytext.formats`` of a notebook, if it is a string."""
    jt = (nb.get("metadata") or {}).get("jupytext")
    formats = jt.get("formats") if isinstance(jt, dict) else None
    return formats if isinstance(formats, str) else None


def header_formats(text: str) -> str | None:
    """The ``formats`` line of a jupytext header (``# ---`` in scripts, ``---`` in markdown),
    read without YAML."""
    lines = text.lstrip("\ufeff").splitlines()[:60]
    # jupytext keeps a shebang and an encoding line above the header
    while lines and (lines[0].startswith("#!") or _CODING_RE.match(lines[0])):
        lines = lines[1:]
    if not lines or lines[0].rstrip() not in ("# ---", "---"):
        return None
    fence = lines[0].rstrip()
    for line in lines[1:]:
        if line.rstrip() == fence:
            return None
        match = _HEADER_FORMATS_RE.match(line)
        if match:
            return match.group("formats")
    return None


def with_pairing(nb: NotebookDict, fmt: PairFormat | None) -> NotebookDict:
    """A copy of ``nb`` with ``metadata.jupytext.formats`` set (or removed for None)."""
    out = dict(nb)
    metadata = dict(nb.get("metadata") or {})
    jt = dict(metadata.get("jupytext") or {})
    if fmt is None:
        jt.pop("formats", None)
    else:
        jt = _set_key(jt, "formats", fmt.formats)
    if jt:
        metadata = _set_key(metadata, "jupytext", jt)
    else:
        metadata.pop("jupytext", None)
    out["metadata"] = metadata
    return out


def _set_key(mapping: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    """Set ``key``; a new key goes where sorted order puts it when the keys were sorted
    (nbformat sorts keys, so the next save in Jupyter does not move it again)."""
    keys = list(mapping)
    out = dict(mapping)
    out[key] = value
    if key not in keys and keys == sorted(keys):
        return {k: out[k] for k in sorted(out)}
    return out
