"""Which notebook pairs with which script, and the conversions between them (via jupytext).

Pairing is recorded the way jupytext records it, so Jupyter with jupytext keeps working:
``metadata.jupytext.formats`` in the notebook (e.g. ``ipynb,py:percent`` or
``ipynb,scripts//py:percent``) and the same ``formats`` line in the script's YAML header.
Path arithmetic for these simple formats is done here without importing jupytext; anything
fancier (root-relative ``///`` prefixes, several text formats) is left to jupytext itself.
"""

from __future__ import annotations

import copy
import json
import os
import re
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbtools.discovery import upward
from nbtools.errors import InputError, UsageError
from nbtools.notebook import NotebookDict, read_notebook

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


# --- the jupytext configuration (jupytext.toml, [tool.jupytext] in pyproject.toml) ---

#: jupytext.config.JUPYTEXT_CONFIG_FILES, named here so that finding none imports nothing
JUPYTEXT_CONFIG_FILES = (
    "jupytext",
    "jupytext.toml",
    "jupytext.yml",
    "jupytext.yaml",
    "jupytext.json",
    ".jupytext",
    ".jupytext.toml",
    ".jupytext.yml",
    ".jupytext.yaml",
    ".jupytext.json",
    ".jupytext.py",
)
_configs: dict[tuple[str, int, int], Any] = {}


def jupytext_config_file(path: str | os.PathLike[str]) -> str | None:
    """The jupytext configuration file that applies to ``path``, as jupytext finds it: the
    nearest folder holding one of its files or a ``pyproject.toml`` with ``[tool.jupytext]``
    (in that order), but never above ``path``'s repository (see :func:`tree_root`)."""
    folder = os.path.dirname(os.path.abspath(path))
    root = tree_root(path)
    for directory in upward(folder):
        present = _names_in(directory)
        for name in JUPYTEXT_CONFIG_FILES:
            if name in present and os.path.isfile(os.path.join(directory, name)):
                return os.path.join(directory, name)
        pyproject = os.path.join(directory, "pyproject.toml")
        if "pyproject.toml" in present and _has_jupytext_table(pyproject):
            return pyproject
        if os.path.realpath(directory) == root:
            break
    return None


_tables: dict[tuple[str, int, int], bool] = {}


def _has_jupytext_table(pyproject: str) -> bool:
    try:
        st = os.stat(pyproject)
    except OSError:
        return False
    key = (pyproject, st.st_mtime_ns, st.st_size)
    if key not in _tables:
        _tables[key] = _read_jupytext_table(pyproject)
    return _tables[key]


def _read_jupytext_table(pyproject: str) -> bool:
    try:
        with open(pyproject, "rb") as handle:
            data = handle.read()
    except OSError:
        return False
    if b"jupytext" not in data:
        return False
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python < 3.11
        import tomli as tomllib
    try:
        tool = tomllib.loads(data.decode("utf-8")).get("tool")
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(tool, dict) and tool.get("jupytext") is not None


def jupytext_config(path: str | os.PathLike[str]) -> Any:
    """The jupytext configuration of ``path`` (a ``JupytextConfiguration``), or None.

    Loaded and validated by jupytext itself, so every key jupytext honours applies (formats,
    metadata filters, cell markers, ...). A ``.jupytext.py`` is Python code that jupytext
    would run; nbtools runs no code from the tree, so a pair under one is refused. The
    user's global jupytext configuration is not read: the repository alone decides.
    """
    found = jupytext_config_file(path)
    if found is None:
        return None
    if found.endswith(".py"):
        raise InputError(
            path,
            f"{found} is a jupytext configuration in Python: nbtools does not run code from "
            "the tree; use jupytext.toml or [tool.jupytext] in pyproject.toml",
        )
    try:
        st = os.stat(found)
    except OSError:
        return None
    key = (found, st.st_mtime_ns, st.st_size)  # loaded once per batch, again once edited
    if key not in _configs:
        from jupytext.config import load_jupytext_configuration_file

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # deprecated keys still apply
                _configs[key] = load_jupytext_configuration_file(found)
        except Exception as exc:  # noqa: BLE001 - jupytext raises many types for bad files
            detail = " ".join(str(exc).split())[:300]
            raise InputError(path, f"invalid jupytext configuration {found}: {detail}") from None
    return _configs[key]


def config_formats(path: str | os.PathLike[str], config: Any) -> str | None:
    """The pairing the jupytext configuration gives ``path`` (its ``formats``), if any."""
    if config is None or not getattr(config, "formats", None):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = config.default_formats(str(path))
    except Exception:  # noqa: BLE001 - a formats value jupytext cannot apply to this path
        return None
    return value if isinstance(value, str) else None


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


#: outside git, the nearest folder holding one of these bounds a pair (else the notebook's own)
_PROJECT_MARKERS = ("pyproject.toml", ".nbtools-sync.json")


_present: dict[tuple[str, int], frozenset[str]] = {}


def _names_in(directory: str) -> frozenset[str]:
    """Which of the files pairing looks for (``.git``, project markers, jupytext's
    configuration) exist in ``directory``; asked once until the folder changes."""
    try:
        key = (directory, os.stat(directory).st_mtime_ns)
    except OSError:
        return frozenset()
    found = _present.get(key)
    if found is None:
        names = (".git", *_PROJECT_MARKERS, *JUPYTEXT_CONFIG_FILES)
        found = frozenset(n for n in names if os.path.exists(os.path.join(directory, n)))
        _present[key] = found
    return found


def tree_root(path: str | os.PathLike[str]) -> str:
    """The folder every file of ``path``'s pair must stay in (resolved, symlinks included).

    The git work tree holding ``path``; outside git, the nearest folder above it with a
    ``pyproject.toml`` or a sync record; else ``path``'s own folder. Found from where the
    file is named, not where a symlink points, so a link cannot move the boundary.
    """
    folder = os.path.dirname(os.path.abspath(path))
    known = _roots.get(folder)
    if known is not None:
        return known
    folders = list(upward(folder))
    root = next((d for d in folders if ".git" in _names_in(d)), None)
    if root is None:
        markers = frozenset(_PROJECT_MARKERS)
        root = next((d for d in folders if _names_in(d) & markers), folder)
    _roots[folder] = os.path.realpath(root)
    return _roots[folder]


_roots: dict[str, str] = {}


def forget_trees() -> None:
    """Forget the repository roots found so far (each command starts afresh)."""
    _roots.clear()


def is_inside(path: str | os.PathLike[str], root: str) -> bool:
    """Whether ``path`` resolves (symlinks included) to ``root`` or below it."""
    real = os.path.realpath(path)
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


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
            raise InputError(script, f"cannot read: {exc.strerror or exc}") from None
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
    from nbtools.syncstate import SyncState, file_hash

    entry = SyncState().get(pair.notebook, pair.script)
    if (
        entry is not None
        and entry.script_hash == file_hash(pair.script)
        and entry.notebook_hash != file_hash(pair.notebook)
    ):
        return pair.notebook
    return pair.script


# --- conversions (jupytext is imported here only, when a conversion is needed) ---


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
