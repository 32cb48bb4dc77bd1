"""The sync record: content hashes of both sides of each pair at its last sync.

It lives in one small JSON file, ``.nbtools-sync.json``, in the project root: the nearest
folder above the notebook that holds that file, a ``.git`` or a ``pyproject.toml`` (or
the path configured as ``[tool.nbtools.sync] state_file``). Teams may commit it (a fresh
clone then knows which side a teammate edited) or ignore it (a pair without a record is
still compared by content; only a real difference needs ``--prefer``). Hashes are of the
bytes on disk, so a pair in sync is confirmed without parsing anything. Paths in the file
are relative to its folder (sorted keys, one entry per pair: small, mergeable diffs).

The record is untrusted input (a pull request can commit one): an entry only says which
side changed, never which files to touch. Malformed content is ignored with a warning, an
entry recorded for another script than the pair's own is ignored, and a record that
resolves outside the pair's repository (a symlink, a configured ``../`` path) is neither
read nor written, unless it was named on the command line or in a ``--config`` file.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from nbtools.notebook import atomic_write, write_target
from nbtools.options import Option

if TYPE_CHECKING:
    from nbtools.config import Config
    from nbtools.report import Report

STATE_FILE = ".nbtools-sync.json"
_ROOT_MARKERS = (STATE_FILE, ".git", "pyproject.toml")
_VERSION = 1
_HASH_RE = re.compile(r"^[0-9a-f]{64}$")

#: ``--state-file`` / ``state_file``: read by pair and sync (and by check, from the config)
STATE_FILE_OPTION = Option(
    str, "", "the sync record (default: .nbtools-sync.json in the project root)", metavar="PATH"
)


def configured_state_file(value: str, config: Config) -> str | None:
    """The sync record's path; a relative one is relative to the ``pyproject.toml``."""
    if value and not os.path.isabs(value) and config.path is not None:
        value = str(config.root / value)
    return value or None


def open_state(value: str, config: Config, from_command_line: bool) -> SyncState:
    """The sync record; one named on the command line or in ``--config`` is trusted (it may
    lie outside the repository), one from a ``pyproject.toml`` in the tree is not."""
    trusted = from_command_line or config.trusted
    return SyncState(configured_state_file(value, config), trusted=trusted)


def save_state(state: SyncState, report: Report) -> None:
    """Write the record; a failure is the record's error in the report, not a crash."""
    try:
        state.save()
    except OSError as exc:
        report.add_error(
            exc.filename or STATE_FILE, f"cannot write the sync record: {exc.strerror or exc}"
        )


def show_warnings(state: SyncState, warn: Callable[[str], None]) -> None:
    """What the sync record made nbtools ignore (on stderr; never a failure on its own)."""
    for message in state.warnings:
        warn(message)
    state.warnings.clear()


def file_hash(path: str | os.PathLike[str]) -> str | None:
    """sha256 of a file's bytes, or None when it cannot be read."""
    try:
        return bytes_hash(Path(path).read_bytes())
    except OSError:
        return None


def bytes_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Entry:
    """Both sides of one pair at its last sync."""

    script: str  # relative to the state file's folder, with / separators
    notebook_hash: str
    script_hash: str

    def to_dict(self) -> dict[str, str]:
        return {"ipynb": self.notebook_hash, "py": self.script_hash, "script": self.script}


class SyncState:
    """Lazily loaded state files, keyed by the notebook path relative to each file.

    ``state_file`` fixes one record for every pair; ``trusted`` says it was chosen by the
    caller (command line, ``--config``), so it may lie outside the repository.
    ``warnings`` collects what was ignored, for the command to show.
    """

    def __init__(
        self, state_file: str | os.PathLike[str] | None = None, trusted: bool = False
    ) -> None:
        self._fixed = Path(state_file).absolute() if state_file else None
        self._trusted = trusted and self._fixed is not None
        self._roots: dict[Path, Path] = {}
        self._files: dict[Path, dict[str, Any]] = {}
        self._dirty: set[Path] = set()
        self._refused: set[Path] = set()
        self.warnings: list[str] = []

    def state_file_for(self, notebook: Path) -> Path:
        if self._fixed is not None:
            return self._fixed
        folder = notebook.absolute().parent
        if folder not in self._roots:
            self._roots[folder] = _find_root(folder) / STATE_FILE
        return self._roots[folder]

    def _usable(self, state_file: Path, notebook: Path) -> bool:
        """Whether the record may be read and written for ``notebook`` (inside its tree)."""
        if self._trusted:
            return True
        from nbtools.pairs.tree import is_inside, tree_root

        root = tree_root(notebook)
        if is_inside(state_file, root):
            return True
        if state_file not in self._refused:
            self._refused.add(state_file)
            self.warnings.append(
                f"{state_file}: sync record resolves outside the repository {root}; "
                "ignored (not read, not written)"
            )
        return False

    def _pairs(self, state_file: Path) -> dict[str, Any]:
        if state_file not in self._files:
            self._files[state_file] = _load(state_file, self.warnings)
        pairs: dict[str, Any] = self._files[state_file]
        return pairs

    def _key(self, state_file: Path, path: Path) -> str:
        return Path(os.path.relpath(path.absolute(), state_file.parent)).as_posix()

    def get(self, notebook: Path, script: Path | None = None, member: int = 0) -> Entry | None:
        """The record of ``notebook``'s last sync; None when there is none, or when it was
        recorded for another script than ``script`` (another pairing: it tells nothing).

        A notebook's first text file is recorded under the notebook's path; its other text
        files (``member`` > 0, see :class:`~nbtools.pairs.find.Pair`) under their own paths.
        """
        state_file = self.state_file_for(notebook)
        if not self._usable(state_file, notebook):
            return None
        keyed = script if member and script is not None else notebook
        raw = self._pairs(state_file).get(self._key(state_file, keyed))
        if not isinstance(raw, dict):
            return None
        entry = Entry(raw["script"], raw["ipynb"], raw["py"])  # validated on load
        if script is not None and entry.script != self._key(state_file, script):
            return None
        return entry

    def set(
        self,
        notebook: Path,
        script: Path,
        notebook_hash: str,
        script_hash: str,
        member: int = 0,
    ) -> None:
        state_file = self.state_file_for(notebook)
        if not self._usable(state_file, notebook):
            return
        entry = Entry(self._key(state_file, script), notebook_hash, script_hash)
        pairs = self._pairs(state_file)
        key = self._key(state_file, script if member else notebook)
        if pairs.get(key) != entry.to_dict():
            pairs[key] = entry.to_dict()
            self._dirty.add(state_file)

    def remove(self, notebook: Path, *members: Path) -> None:
        """Forget the notebook's record, and those of its other text files ``members``."""
        state_file = self.state_file_for(notebook)
        if not self._usable(state_file, notebook):
            return
        for path in (notebook, *members):
            if self._pairs(state_file).pop(self._key(state_file, path), None) is not None:
                self._dirty.add(state_file)

    def save(self) -> list[Path]:
        """Write the state files that changed; returns them."""
        written = []
        for state_file in sorted(self._dirty):
            document = {"version": _VERSION, "pairs": self._files[state_file]}
            data = (json.dumps(document, indent=1, sort_keys=True) + "\n").encode("utf-8")
            # inside the repository (checked before reading) or named by the caller: a link
            # is rewritten through, a read-only record is refused
            atomic_write(
                write_target(str(state_file), os.path.dirname(os.path.realpath(state_file))), data
            )
            written.append(state_file)
        self._dirty.clear()
        return written


#: where committed versions are looked up, in order: staged (pre-commit sees the index), then HEAD
COMMITTED = (":", "HEAD:")


def committed_versions(*paths: Path) -> list[list[bytes | None]]:
    """The bytes of ``paths`` in git's index and in HEAD (one list per place, in
    :data:`COMMITTED` order; None where a file is not there). Empty outside git.

    The common base of a pair that has no sync record: a pair made by jupytext and committed,
    then edited on one side, is decided by which side differs from what was committed.
    """
    from nbtools.discovery import git_root

    top = git_root(os.path.realpath(paths[0].absolute().parent)) if paths else None
    if top is None:
        return []
    top = os.path.realpath(top)
    names = []
    for path in paths:
        rel = os.path.relpath(os.path.realpath(path), top).replace(os.sep, "/")
        if rel.startswith("../") or any(c in rel for c in "\n\r"):
            return []  # outside this work tree, or a name the batch protocol cannot carry
        names.append(rel)
    import subprocess  # only for a pair without a record

    request = "".join(f"{place}{name}\n" for place in COMMITTED for name in names)
    try:
        proc = subprocess.run(
            ["git", "cat-file", "--batch"],
            input=request.encode("utf-8"),
            capture_output=True,
            cwd=top,
            check=False,
            timeout=60,
        )
    except (OSError, subprocess.SubprocessError):
        return []
    if proc.returncode != 0:
        return []
    blobs = _parse_batch(proc.stdout, len(COMMITTED) * len(names))
    return [blobs[k : k + len(names)] for k in range(0, len(blobs), len(names))]


def _parse_batch(out: bytes, count: int) -> list[bytes | None]:
    """``git cat-file --batch`` output: ``<oid> blob <size>\\n<bytes>\\n`` or ``<name> missing``."""
    blobs: list[bytes | None] = []
    pos = 0
    for _ in range(count):
        end = out.find(b"\n", pos)
        if end < 0:
            break
        header = out[pos:end].split()
        pos = end + 1
        if len(header) == 3 and header[1] == b"blob" and header[2].isdigit():
            size = int(header[2])
            blobs.append(out[pos : pos + size])
            pos += size + 1
        else:  # missing, ambiguous, or not a blob (a tree, a submodule)
            if len(header) == 3 and header[2].isdigit():
                pos += int(header[2]) + 1
            blobs.append(None)
    blobs.extend([None] * (count - len(blobs)))
    return blobs


def _find_root(folder: Path) -> Path:
    for directory in (folder, *folder.parents):
        if any((directory / marker).exists() for marker in _ROOT_MARKERS):
            return directory
    return folder


def _load(state_file: Path, warnings: list[str]) -> dict[str, Any]:
    # an unreadable, foreign or hostile record is treated as absent (entry by entry): pairs
    # are then compared by content and the committed versions, which never loses an edit
    try:
        data = state_file.read_bytes()
    except OSError:
        return {}
    try:
        document = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError):
        document = None
    pairs = document.get("pairs") if isinstance(document, dict) else None
    if not isinstance(pairs, dict):
        warnings.append(f"{state_file}: not a sync record; ignored")
        return {}
    valid = {key: value for key, value in pairs.items() if _valid_entry(key, value)}
    if len(valid) != len(pairs):
        warnings.append(
            f"{state_file}: {len(pairs) - len(valid)} malformed sync record entr"
            f"{'y' if len(pairs) - len(valid) == 1 else 'ies'} ignored"
        )
    return valid


def _valid_entry(key: Any, value: Any) -> bool:
    if not (isinstance(key, str) and isinstance(value, dict)):
        return False
    script, nb_hash, py_hash = value.get("script"), value.get("ipynb"), value.get("py")
    return (
        isinstance(script, str)
        and bool(script)
        and isinstance(nb_hash, str)
        and isinstance(py_hash, str)
        and bool(_HASH_RE.match(nb_hash))
        and bool(_HASH_RE.match(py_hash))
    )
