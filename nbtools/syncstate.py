"""The sync record: content hashes of both sides of each pair at its last sync.

It lives in one small JSON file, ``.nbtools-sync.json``, in the project root: the nearest
folder above the notebook that holds that file, a ``.git`` or a ``pyproject.toml`` (or
the path configured as ``[tool.nbtools.sync] state_file``). Teams may commit it (a fresh
clone then knows which side a teammate edited) or ignore it (a pair without a record is
still compared by content; only a real difference needs ``--prefer``). Hashes are of the
bytes on disk, so a pair in sync is confirmed without parsing anything. Paths in the file
are relative to its folder (sorted keys, one entry per pair: small, mergeable diffs).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nbtools.notebook import atomic_write

STATE_FILE = ".nbtools-sync.json"
_ROOT_MARKERS = (STATE_FILE, ".git", "pyproject.toml")
_VERSION = 1


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
    """Lazily loaded state files, keyed by the notebook path relative to each file."""

    def __init__(self, state_file: str | os.PathLike[str] | None = None) -> None:
        self._fixed = Path(state_file).absolute() if state_file else None
        self._roots: dict[Path, Path] = {}
        self._files: dict[Path, dict[str, Any]] = {}
        self._dirty: set[Path] = set()

    def state_file_for(self, notebook: Path) -> Path:
        if self._fixed is not None:
            return self._fixed
        folder = notebook.absolute().parent
        if folder not in self._roots:
            self._roots[folder] = _find_root(folder) / STATE_FILE
        return self._roots[folder]

    def _pairs(self, state_file: Path) -> dict[str, Any]:
        if state_file not in self._files:
            self._files[state_file] = _load(state_file)
        pairs: dict[str, Any] = self._files[state_file]
        return pairs

    def _key(self, state_file: Path, path: Path) -> str:
        return Path(os.path.relpath(path.absolute(), state_file.parent)).as_posix()

    def get(self, notebook: Path) -> Entry | None:
        state_file = self.state_file_for(notebook)
        raw = self._pairs(state_file).get(self._key(state_file, notebook))
        if not isinstance(raw, dict):
            return None
        try:
            return Entry(str(raw["script"]), str(raw["ipynb"]), str(raw["py"]))
        except KeyError:
            return None

    def script_path(self, notebook: Path, entry: Entry) -> Path:
        """The recorded script of ``notebook`` as a path usable from the current folder."""
        base = self.state_file_for(notebook).parent
        return Path(os.path.relpath(base / entry.script))

    def set(self, notebook: Path, script: Path, notebook_hash: str, script_hash: str) -> None:
        state_file = self.state_file_for(notebook)
        entry = Entry(self._key(state_file, script), notebook_hash, script_hash)
        pairs = self._pairs(state_file)
        key = self._key(state_file, notebook)
        if pairs.get(key) != entry.to_dict():
            pairs[key] = entry.to_dict()
            self._dirty.add(state_file)

    def remove(self, notebook: Path) -> None:
        state_file = self.state_file_for(notebook)
        if self._pairs(state_file).pop(self._key(state_file, notebook), None) is not None:
            self._dirty.add(state_file)

    def save(self) -> list[Path]:
        """Write the state files that changed; returns them."""
        written = []
        for state_file in sorted(self._dirty):
            document = {"version": _VERSION, "pairs": self._files[state_file]}
            data = (json.dumps(document, indent=1, sort_keys=True) + "\n").encode("utf-8")
            atomic_write(state_file, data)
            written.append(state_file)
        self._dirty.clear()
        return written


def _find_root(folder: Path) -> Path:
    for directory in (folder, *folder.parents):
        if any((directory / marker).exists() for marker in _ROOT_MARKERS):
            return directory
    return folder


def _load(state_file: Path) -> dict[str, Any]:
    # an unreadable or foreign record is treated as absent: pairs are then compared by
    # content, which never loses an edit
    try:
        document = json.loads(state_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    pairs = document.get("pairs") if isinstance(document, dict) else None
    return pairs if isinstance(pairs, dict) else {}
