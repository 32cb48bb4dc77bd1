"""``nbtools pair``: pair notebooks with scripts (jupytext formats), or ``--unpair`` them."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from nbtools.discovery import collect_files
from nbtools.errors import InputError, UsageError
from nbtools.notebook import (
    NBFORMAT_LAYOUT,
    atomic_write,
    decode,
    dumps,
    read_notebook,
    require_v4,
    write_notebook,
    write_target,
)
from nbtools.options import Option
from nbtools.pairs.convert import notebook_to_text, roundtrip, text_to_notebook
from nbtools.pairs.find import Pair, contained, pairs_of_notebook
from nbtools.pairs.formats import (
    DEFAULT_FORMAT,
    NOTEBOOK_SUFFIX,
    TEXT_SUFFIXES,
    PairFormat,
    format_from_formats,
    header_formats,
    notebook_formats,
    parse_format,
    text_formats,
    with_pairing,
)
from nbtools.pairs.jupytext_config import config_formats, jupytext_config
from nbtools.pairs.state import (
    STATE_FILE_OPTION,
    bytes_hash,
    open_state,
    save_state,
    show_warnings,
)
from nbtools.pairs.tree import forget_trees, is_inside, tree_root
from nbtools.report import FileResult, FileStatus, Report, Verb

if TYPE_CHECKING:
    import argparse

    from nbtools.commands import Request
    from nbtools.notebook import NotebookDict
    from nbtools.pairs.state import SyncState

NAME = "pair"
INHERIT = ("sync",)  # state_file is shared with `nbtools sync`
PATHS_EXIST = True

OPTIONS: dict[str, Option] = {
    "formats": Option(
        str,
        DEFAULT_FORMAT,
        "text format: py:percent (default: jupytext.toml's formats, else this), py:light, "
        "py:hydrogen, md, md:myst, Rmd, FOLDER//FORMAT, or several: ipynb,py:percent,md",
        metavar="FORMAT",
    ),
    "unpair": Option(
        bool,
        False,
        "remove the pairing metadata (the script is kept, its header no longer pairs it)",
        configurable=False,
    ),
    "state_file": STATE_FILE_OPTION,
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths", nargs="*", default=["."], help="notebooks, scripts to pair, or directories"
    )


def execute(request: Request) -> Report:
    report = Report(NAME)
    forget_trees()
    fmt: PairFormat | None = None  # None: the jupytext configuration's, else py:percent
    if "formats" in request.given or "formats" in request.config.table(NAME):
        spec = request.options["formats"]
        fmt = format_from_formats(spec) if "ipynb" in spec else parse_format(spec)
        if fmt is None:
            raise UsageError(f"unsupported pairing formats {spec!r}")
    options = request.options
    state = open_state(options["state_file"], request.config, "state_file" in request.given)
    files = collect_files(
        request.paths, (NOTEBOOK_SUFFIX,), request.exclude, request.config.root_dir
    )
    for extra in request.paths:  # scripts are paired only when named explicitly
        if extra.endswith(TEXT_SUFFIXES) and os.path.isfile(extra) and extra not in files:
            files.append(extra)
    for path in files:
        try:
            if options["unpair"]:
                result = _unpair(Path(path), state)
            elif path.endswith(NOTEBOOK_SUFFIX):
                result = _pair_notebook(Path(path), fmt, state)
            else:
                result = _pair_script(Path(path), fmt, state)
        except InputError as exc:
            report.add_error(exc.path, exc.reason)
            continue
        except OSError as exc:
            report.add_error(path, f"cannot write: {exc.strerror or exc}")
            continue
        report.add_file(result)
    save_state(state, report)
    show_warnings(state, request.console.warning)
    return report


def _with_config(
    path: Path, fmt: PairFormat | None, declared: str | None = None
) -> tuple[PairFormat, bool]:
    """``fmt`` (else ``declared`` formats, else the jupytext configuration's, else
    py:percent), carrying the jupytext configuration that applies to ``path``; and whether
    the configuration chose it (then, as with jupytext, the notebook needs no metadata)."""
    config = jupytext_config(path)
    by_config = False
    if fmt is None:
        formats = declared
        if not formats:
            formats = config_formats(path, config)
            by_config = formats is not None and format_from_formats(formats) is not None
        fmt = (format_from_formats(formats) if formats else None) or parse_format(DEFAULT_FORMAT)
    return fmt.with_config(config), by_config


def _pair_notebook(path: Path, fmt: PairFormat | None, state: SyncState) -> FileResult:
    fmt, by_config = _with_config(path, fmt)
    members = [m.with_config(fmt.config) for m in text_formats(fmt.formats)] or [fmt]
    scripts = [contained(Pair(path, m.script_for(path), m)).script for m in members]  # first
    nbfile = read_notebook(path)
    require_v4(nbfile)
    # paired by jupytext.toml: the notebook keeps its metadata as is (jupytext --sync agrees)
    nb = (
        nbfile.nb if by_config and not notebook_formats(nbfile.nb) else with_pairing(nbfile.nb, fmt)
    )
    texts = [notebook_to_text(nb, m, path) for m in members]
    from nbtools.pairs.diff import unrepresentable

    for member, text in zip(members, texts):
        broken = unrepresentable(nb, text_to_notebook(text, member, path), member.jupytext_fmt)
        if broken:  # the script would split or merge cells: a later sync would change the notebook
            raise InputError(path, f"not paired: {broken[0].message.split('; nothing')[0]}")
    script_names = ", ".join(map(str, scripts))
    wrote_script = False
    differing: list[str] = []
    for member, script, text in zip(members, scripts, texts):
        outcome = _write_member(path, nb, member, script, text)
        if outcome is None:
            differing.append(str(script))
        wrote_script = wrote_script or bool(outcome)
    wrote_nb = write_notebook(nbfile, nb, tree_root(path))
    if differing:
        # never overwrite a script that says something else: pair, and let sync decide
        return FileResult(
            str(path),
            FileStatus.CHANGED if wrote_nb or wrote_script else FileStatus.UNCHANGED,
            f"{', '.join(differing)} already exist{'s' if len(differing) == 1 else ''} and "
            f"differ{'s' if len(differing) == 1 else ''}; keep one side with "
            f"`nbtools sync --prefer ipynb {path}` or `--prefer py`",
            script=script_names,
            verb=Verb.PAIRED_NOT_SYNCED,
        )
    new_nb_hash = bytes_hash(nbfile.render_bytes(nb))
    for k, script in enumerate(scripts):
        state.set(path, script, new_nb_hash, bytes_hash(script.read_bytes()), k)
    if wrote_nb or wrote_script:
        return FileResult(
            str(path),
            FileStatus.CHANGED,
            f"with {script_names} ({fmt.formats})",
            script=script_names,
            verb=Verb.PAIRED,
        )
    return FileResult(str(path), FileStatus.UNCHANGED, "already paired", script=script_names)


def _write_member(
    path: Path, nb: NotebookDict, fmt: PairFormat, script: Path, text: str
) -> bool | None:
    """Write one text file of the pairing: True written, False already right, None when an
    existing file says something else (it is never overwritten)."""
    if not script.is_file():
        script.parent.mkdir(parents=True, exist_ok=True)
        _write(script, text.encode("utf-8"))
        return True
    existing = script.read_bytes()
    if existing == text.encode("utf-8"):
        return False
    from nbtools.pairs.diff import compare

    existing_text = decode(existing, script)
    diffs = compare(
        nb, roundtrip(nb, fmt, path), text_to_notebook(existing_text, fmt, script), existing_text
    )
    if diffs:
        return None
    if header_formats(existing_text) != header_formats(text):
        _write(script, text.encode("utf-8"))
        return True
    return False


def _pair_script(script: Path, fmt: PairFormat | None, state: SyncState) -> FileResult:
    if not is_inside(script, tree_root(script)):
        raise InputError(script, "a symlink resolving outside the repository; refused")
    try:
        raw = script.read_bytes()
    except FileNotFoundError:
        raise InputError(script, "no such file") from None
    text = decode(raw, script)
    declared = header_formats(text)
    if declared and format_from_formats(declared) is not None:
        fmt = None  # the script's own header decides
    fmt, by_config = _with_config(script, fmt, declared)
    notebook = fmt.notebook_for(script)
    if notebook is None or fmt.script_for(notebook) != script:
        raise InputError(script, f"not in the folder that format {fmt.formats!r} pairs scripts in")
    contained(Pair(notebook, script, fmt), script)
    if notebook.is_file():
        return _pair_notebook(notebook, None if by_config else fmt, state)
    nb = _plain_notebook(text_to_notebook(text, fmt, script))
    if not by_config:
        nb = with_pairing(nb, fmt)
    new_text = notebook_to_text(nb, fmt, script)
    nb_data = dumps(nb, NBFORMAT_LAYOUT).encode("utf-8")
    _write(notebook, nb_data)
    if new_text != text:
        _write(script, new_text.encode("utf-8"))
    state.set(notebook, script, bytes_hash(nb_data), bytes_hash(new_text.encode("utf-8")))
    return FileResult(
        str(notebook),
        FileStatus.CHANGED,
        f"created from {script} ({fmt.formats})",
        script=str(script),
        verb=Verb.PAIRED,
    )


def _write(path: Path, data: bytes) -> None:
    """Replace ``path`` atomically: a link is rewritten through (inside the repository),
    a read-only file is refused (``PermissionError``, reported as cannot write)."""
    atomic_write(write_target(str(path), tree_root(path)), data)


def _plain_notebook(nb: NotebookDict) -> NotebookDict:
    """A notebook read from a script, as nbformat would save it (sorted keys)."""
    jt = (nb.get("metadata") or {}).get("jupytext")
    if isinstance(jt, dict):
        jt.pop("text_representation", None)  # jupytext keeps this in the script only
        # a script without a header reads back with "-all" filters, which would keep the
        # pairing out of the header jupytext looks for
        for key in ("notebook_metadata_filter", "cell_metadata_filter"):
            if jt.get(key) == "-all":
                del jt[key]
        if not jt:
            nb["metadata"].pop("jupytext")
    sorted_nb: NotebookDict = json.loads(json.dumps(nb, sort_keys=True))
    return sorted_nb


def _unpair(path: Path, state: SyncState) -> FileResult:
    if path.suffix != NOTEBOOK_SUFFIX:
        raise InputError(path, "name the notebook to unpair, not the script")
    nbfile = read_notebook(path)
    pairs = pairs_of_notebook(path, nbfile.nb)
    if not pairs:
        return FileResult(str(path), FileStatus.UNCHANGED, "not paired")
    wrote = write_notebook(nbfile, with_pairing(nbfile.nb, None), tree_root(path))
    for pair in pairs:
        if pair.script.is_file():
            raw = pair.script.read_bytes()
            lines = decode(raw, pair.script).splitlines(keepends=True)
            kept = _drop_header_formats(lines)
            if kept != lines:
                _write(pair.script, "".join(kept).encode("utf-8"))
                wrote = True
    state.remove(path, *(p.script for p in pairs[1:]))
    scripts = ", ".join(str(p.script) for p in pairs)
    status = FileStatus.CHANGED if wrote else FileStatus.UNCHANGED
    return FileResult(str(path), status, f"from {scripts}", verb=Verb.UNPAIRED)


def _drop_header_formats(lines: list[str]) -> list[str]:
    """The script without the ``formats:`` line of its header (nothing else changes)."""
    start = next((n for n, line in enumerate(lines[:3]) if line.rstrip() in ("# ---", "---")), None)
    if start is None:
        return lines
    fence = lines[start].rstrip()
    for n, line in enumerate(lines[start + 1 :], start=start + 1):
        if line.rstrip() == fence:
            break
        if line.lstrip("#").strip().startswith("formats:"):
            return lines[:n] + lines[n + 1 :]
    return lines
