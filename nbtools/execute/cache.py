"""The run cache (``nbtools run --cache DIR``): a passing result is served again only while
nothing it depended on changed.

A result depends on two things, looked up in two steps (like ccache's manifests):

- what is known before running, hashed into the *key*
  (:func:`~nbtools.execute.cachekey.notebook_key`): the code
  cells' text and execution tags (markdown and stored outputs do not change what runs),
  the options that change execution, the kernel's identity (interpreter and its installed
  distributions, or the image's digest), nbtools' version and the notebook's path;
- what the kernel actually read (:mod:`nbtools.execute.audit`), stored with the entry as
  ``{repository-relative path: sha256 or null (missing)}`` and checked against the files
  now: an entry is served only if every recorded input still hashes the same.

Entries are untrusted input (a cache restored in CI was written by another job): each is
validated (format version, key, shape, paths that stay inside the repository) and
ignored with a warning otherwise. Writes are atomic (a temporary file renamed into
place), so parallel workers and shards may share the folder; the folder is bounded
(least recently used entries go first; a hit refreshes an entry's mtime).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from nbtools.execute.cachekey import VERSION, code_cells, digest

CACHED_VERDICTS = ("pass", "pass_with_warnings")
_HEX = re.compile(r"^[0-9a-f]{64}$")
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$", re.IGNORECASE)


def parse_size(text: str) -> int:
    """``500M``, ``2G``, ``100000`` -> bytes (``--cache-max-size``)."""
    found = _SIZE.match(str(text))
    if not found:
        raise ValueError(f"not a size: {text!r} (e.g. 500M, 2G)")
    scale = 1024 ** " kmgt".index(found.group(2).lower() or " ")
    return int(float(found.group(1)) * scale)


def file_hash(path: str) -> str | None:
    """sha256 of a file's content; None when it is missing or not a regular file."""
    h = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                h.update(block)
    except OSError:
        return None
    return h.hexdigest()


def _inside(root: str, rel: Any) -> str | None:
    """The absolute path of a repository-relative ``rel``, None if it could leave the root."""
    if not isinstance(rel, str) or not rel or "\x00" in rel or rel.startswith(("/", "\\")):
        return None
    parts = rel.split("/")
    if any(p in ("", ".", "..") for p in parts) or os.path.isabs(rel):
        return None
    path = os.path.join(root, *parts)
    real_root = os.path.realpath(root)
    real = os.path.realpath(path)
    if os.path.commonpath([real_root, real]) != real_root:
        return None  # a link out of the tree
    return path


@dataclass
class Hit:
    """A stored result that still holds."""

    entry: dict[str, Any]
    code_indices: list[int]
    executed_nb: dict[str, Any] | None


@dataclass
class RunCache:
    """A cache folder; ``warn`` receives one line per ignored entry."""

    folder: str
    max_size: int = 1 << 30
    warn: Callable[[str], None] = lambda message: None
    _hashes: dict[str, str | None] = field(default_factory=dict)

    @property
    def entries_dir(self) -> str:
        return os.path.join(self.folder, f"v{VERSION}")

    def _hash(self, root: str, rel: str) -> str | None:
        path = _inside(root, rel)
        if path is None:
            return "outside"  # never equal to a hash: such an entry never matches
        if path not in self._hashes:
            self._hashes[path] = file_hash(path)
        return self._hashes[path]

    def forget(self) -> None:
        """Hash files again from now on (after notebooks ran and may have written)."""
        self._hashes.clear()

    def _candidates(self, key: str) -> list[str]:
        folder = os.path.join(self.entries_dir, key[:2])
        try:
            names = os.listdir(folder)
        except OSError:
            return []
        found = [
            os.path.join(folder, n) for n in names if n.startswith(key) and n.endswith(".json")
        ]
        return sorted(found, key=_mtime, reverse=True)  # the newest variant first

    def lookup(self, key: str, root: str) -> Hit | None:
        """The stored result under ``key`` whose recorded inputs all still hash the same."""
        for path in self._candidates(key):
            data = self._read(path, key, root)
            if data is None:
                continue
            inputs: dict[str, Any] = data["inputs"]
            if all(self._hash(root, rel) == want for rel, want in inputs.items()):
                try:
                    os.utime(path)  # recently used: evicted last
                except OSError:
                    pass
                return Hit(dict(data["entry"]), list(data["code_cells"]), data["executed_nb"])
        return None

    def _read(self, path: str, key: str, root: str) -> dict[str, Any] | None:
        try:
            with open(path, encoding="utf-8") as handle:
                data = json.load(handle)
        except FileNotFoundError:
            return None  # evicted by another worker meanwhile
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            self.warn(f"run cache: ignoring unreadable entry {path}: {exc}")
            return None
        problem = _problem(data, key, root)
        if problem:
            self.warn(f"run cache: ignoring entry {path}: {problem}")
            return None
        return data  # type: ignore[no-any-return]

    def store(
        self,
        key: str,
        root: str,
        inputs: list[str],
        entry: dict[str, Any],
        code_indices: list[int],
        executed_nb: dict[str, Any] | None,
        notebook: str = "",
    ) -> str | None:
        """Store a passing result; returns the entry's path (None: not stored).
        ``notebook``: its repository-relative path (for ``--changed-since``)."""
        if entry.get("verdict") not in CACHED_VERDICTS:
            return None
        hashes: dict[str, str | None] = {}
        for rel in inputs:
            if _inside(root, rel) is None:
                return None
            hashes[rel] = file_hash(os.path.join(root, *rel.split("/")))
        data = {
            "nbtools_cache": VERSION,
            "key": key,
            "notebook": notebook,
            "inputs": hashes,
            "entry": entry,
            "code_cells": code_indices,
            "executed_nb": executed_nb,
            "stored": time.time(),
        }
        folder = os.path.join(self.entries_dir, key[:2])
        target = os.path.join(folder, f"{key}-{digest(hashes)[:16]}.json")
        try:
            os.makedirs(folder, exist_ok=True)
            inside = os.path.join(os.path.realpath(self.folder), f"v{VERSION}", key[:2])
            if os.path.realpath(folder) != inside:
                # a link inside the cache (a tree may ship one) never takes a write elsewhere
                self.warn(f"run cache: {folder} is a link; not stored")
                return None
            _write_marker(self.folder)
            fd, temp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    json.dump(data, handle, ensure_ascii=False, separators=(",", ":"))
                os.replace(temp, target)  # atomic: a reader sees the old file or the new
            except BaseException:
                _unlink(temp)
                raise
        except OSError as exc:
            self.warn(f"run cache: cannot store {target}: {exc}")
            return None
        return target

    def recorded_inputs(self) -> dict[str, set[str]]:
        """Repository-relative notebook path -> every file its stored runs read."""
        found: dict[str, set[str]] = {}
        for dirpath, _, names in os.walk(self.entries_dir):
            for name in names:
                if name.startswith(".tmp-") or not name.endswith(".json"):
                    continue
                try:
                    with open(os.path.join(dirpath, name), encoding="utf-8") as handle:
                        data = json.load(handle)
                except (OSError, ValueError, UnicodeDecodeError):
                    continue
                if not isinstance(data, dict) or data.get("nbtools_cache") != VERSION:
                    continue
                notebook, inputs = data.get("notebook"), data.get("inputs")
                if isinstance(notebook, str) and isinstance(inputs, dict):
                    paths = {p for p in inputs if isinstance(p, str)}
                    found.setdefault(notebook, set()).update(paths)
        return found

    def prune(self) -> int:
        """Evict least recently used entries until the folder holds at most ``max_size``
        bytes (and stray temporary files older than an hour); returns how many went."""
        files: list[tuple[float, int, str]] = []
        now = time.time()
        removed = 0
        for dirpath, _, names in os.walk(self.entries_dir):
            for name in names:
                path = os.path.join(dirpath, name)
                try:
                    st = os.stat(path)
                except OSError:
                    continue
                if name.startswith(".tmp-"):
                    if now - st.st_mtime > 3600:
                        removed += _unlink(path)
                    continue
                files.append((st.st_mtime, st.st_size, path))
        total = sum(size for _, size, _ in files)
        for _, size, path in sorted(files):
            if total <= self.max_size:
                break
            removed += _unlink(path)
            total -= size
        return removed


def _problem(data: Any, key: str, root: str) -> str | None:
    """Why a stored entry cannot be trusted (None: its shape is valid)."""
    if not isinstance(data, dict):
        return "not an nbtools run cache entry"
    if data.get("nbtools_cache") != VERSION:
        return (
            f"unknown format version {data.get('nbtools_cache')!r} (this nbtools reads {VERSION})"
        )
    if data.get("key") != key:
        return "its key does not match its name (a foreign or renamed entry)"
    inputs = data.get("inputs")
    if not isinstance(inputs, dict) or not all(
        _inside(root, rel) is not None and (h is None or (isinstance(h, str) and _HEX.match(h)))
        for rel, h in inputs.items()
    ):
        return "malformed inputs"
    entry = data.get("entry")
    if not isinstance(entry, dict) or entry.get("verdict") not in CACHED_VERDICTS:
        return "malformed result"
    cells = entry.get("cells")
    if not isinstance(cells, list) or not all(
        isinstance(c, dict) and isinstance(c.get("index"), int) for c in cells
    ):
        return "malformed cells"
    indices = data.get("code_cells")
    if not isinstance(indices, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in indices
    ):
        return "malformed cell indices"
    executed = data.get("executed_nb")
    if executed is not None and not (
        isinstance(executed, dict)
        and isinstance(executed.get("cells"), list)
        and all(isinstance(c, dict) for c in executed["cells"])
    ):
        return "malformed executed notebook"
    return None


def serve(hit: Hit, nb: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The stored report entry and executed notebook, renumbered for ``nb``'s cells (its
    markdown may have changed since): code cell *n* then is code cell *n* now."""
    now = [index for index, _, _ in code_cells(nb)]
    moved = dict(zip(hit.code_indices, now))

    def renumber(value: Any) -> Any:
        return moved.get(value, value) if isinstance(value, int) else value

    entry = dict(hit.entry)
    for name in ("first_divergent_cell", "first_hidden_state_cell"):
        entry[name] = renumber(entry.get(name))
    entry["cells"] = [{**c, "index": renumber(c["index"])} for c in entry["cells"]]
    executed = None
    if hit.executed_nb is not None:
        stored = hit.executed_nb["cells"]
        executed = json.loads(json.dumps(nb))
        for old, new in moved.items():
            if old < len(stored) and new < len(executed["cells"]):
                cell = executed["cells"][new]
                cell["outputs"] = stored[old].get("outputs", [])
                cell["execution_count"] = stored[old].get("execution_count")
    return entry, executed


def _write_marker(folder: str) -> None:
    """CACHEDIR.TAG: backup tools skip the folder (and say what it is)."""
    path = os.path.join(folder, "CACHEDIR.TAG")
    if os.path.lexists(path):  # a link (even a dangling one a tree ships) is never followed
        return
    try:
        # exclusive create: never opens what another process (or a link) put there
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(
                "Signature: 8a477f597d28d172789f06886806bc55\n"
                "# nbtools run cache (nbtools run --cache); safe to delete\n"
            )
    except OSError:
        pass


def _mtime(path: str) -> float:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return 0.0


def _unlink(path: str) -> int:
    try:
        os.unlink(path)
        return 1
    except OSError:
        return 0
