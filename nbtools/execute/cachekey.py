"""The run cache's keys: everything known about a notebook's run before it runs.

A key hashes the code cells' text and execution tags (markdown and stored outputs do not
change what runs), the options that change execution, the kernel's identity (interpreter
and its installed distributions, or the image's digest), nbtools' version and the
notebook's path. What the kernel then reads is checked by the store
(:mod:`nbtools.execute.cache`).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

#: the format of the entries; another version's folder is never read
VERSION = 1
EXEC_TAGS = ("skip-execution", "raises-exception")


def digest(value: Any) -> str:
    """sha256 of a JSON-able value in canonical form."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def code_cells(nb: dict[str, Any]) -> list[tuple[int, str, list[str]]]:
    """``(index, source, execution tags)`` of each code cell: all that runs."""
    cells = []
    for index, cell in enumerate(nb.get("cells") or []):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        text = "".join(source) if isinstance(source, list) else str(source)
        tags = (cell.get("metadata") or {}).get("tags") or []
        tags = sorted(t for t in tags if t in EXEC_TAGS) if isinstance(tags, list) else []
        cells.append((index, text, tags))
    return cells


def notebook_key(nb: dict[str, Any], relpath: str, context: dict[str, Any]) -> str:
    """The key of everything known before running: code, path, ``context`` (options,
    kernel identity, nbtools' version)."""
    from nbtools import __version__

    cells = [[text, tags] for _, text, tags in code_cells(nb)]
    return digest(
        {"v": VERSION, "nbtools": __version__, "path": relpath, "cells": cells, "ctx": context}
    )


#: what an interpreter says of itself: version and the distributions it can import
_IDENTITY_CODE = r"""
import json, os, site, sys
dirs = [p for p in sys.path if p and os.path.isdir(p)]
dists = []
for d in dirs:
    try:
        dists.extend(n for n in os.listdir(d) if n.endswith((".dist-info", ".egg-info", ".egg-link", ".pth")))
    except OSError:
        pass
print(json.dumps({"version": sys.version, "executable": sys.executable, "prefix": sys.prefix,
                  "dists": sorted(set(dists))}))
"""

_IDENTITIES: dict[str, Any] = {}


def forget_identities() -> None:
    """Ask interpreters and engines again (each run: a ``pip install`` or a pull may
    have happened since the last one in this process)."""
    _IDENTITIES.clear()


def interpreter_identity(python: str, env: dict[str, str] | None = None) -> Any:
    """An interpreter's path, version and installed distributions (a ``pip install``
    changes it); None when it cannot be asked (then nothing is cached)."""
    import subprocess

    memo = digest([python, env or {}])
    if memo not in _IDENTITIES:
        try:
            done = subprocess.run(
                [python, "-c", _IDENTITY_CODE],
                capture_output=True,
                timeout=60,
                env=env,
                check=False,
                cwd="/",
            )
            found: Any = json.loads(done.stdout) if done.returncode == 0 else None
        except (OSError, ValueError, subprocess.SubprocessError):
            found = None
        _IDENTITIES[memo] = found and {"python": python, **found}
    return _IDENTITIES[memo]


def image_identity(engine: str, image: str) -> str | None:
    """The image's id (content digest of its config): a rebuilt or re-pulled tag differs."""
    import subprocess

    memo = f"image\0{engine}\0{image}"
    if memo not in _IDENTITIES:
        try:
            done = subprocess.run(
                [engine, "image", "inspect", "--format", "{{.Id}}", image],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            out = done.stdout.strip()
            _IDENTITIES[memo] = out if done.returncode == 0 and out else None
        except (OSError, subprocess.SubprocessError):
            _IDENTITIES[memo] = None
    found: str | None = _IDENTITIES[memo]
    return found
