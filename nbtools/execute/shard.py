"""``--shard K/N``: a deterministic, duration-balanced share of the notebooks, and merging
the shards' JSON reports back into one.

Every shard computes the same assignment from the same inputs: notebooks are taken
longest first (ties by path) and each goes to the least-loaded shard (ties: the lowest
shard). Durations come from a timing file or a previous ``--format json`` report; a
notebook without a known duration is weighted by the median known duration, or, when
none is known, all are weighted by file size.
"""

from __future__ import annotations

import json
import os
import statistics
from typing import Any, Sequence

from nbtools.errors import READ_ERRORS, InputError, UsageError, read_failure


def parse_shard(text: str) -> tuple[int, int]:
    """``"2/5"`` -> ``(2, 5)``; K is 1-based."""
    try:
        k_text, n_text = text.split("/")
        k, n = int(k_text), int(n_text)
    except ValueError:
        raise UsageError(f"--shard {text!r}: expected K/N, e.g. 1/4") from None
    if n < 1 or not 1 <= k <= n:
        raise UsageError(f"--shard {text!r}: K must be between 1 and N")
    return k, n


def _key(path: str) -> str:
    return os.path.normpath(path).replace(os.sep, "/")


def load_durations(path: str) -> dict[str, float]:
    """Seconds per notebook from ``{"path": seconds}`` or a previous JSON report."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        raise InputError(path, "no such timing file") from None
    except READ_ERRORS as exc:
        raise InputError(path, f"unreadable timing file ({read_failure(exc)})") from None
    entries: Any = data.get("notebooks") if isinstance(data, dict) else None
    durations: dict[str, float] = {}
    if isinstance(entries, list):
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            # a notebook served by the run cache: what it took when it last ran
            seconds = entry.get("cached_duration_s", entry.get("duration_s"))
            if isinstance(seconds, (int, float)) and not isinstance(seconds, bool):
                durations[_key(str(entry.get("path")))] = float(seconds)
    elif isinstance(data, dict):
        for name, value in data.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                durations[_key(name)] = float(value)
    return durations


def weights(paths: Sequence[str], durations: dict[str, float]) -> list[float]:
    """The expected cost of each path (see the module docstring)."""
    known = [durations[_key(p)] for p in paths if _key(p) in durations]
    if not known:
        return [float(_size(p)) for p in paths]
    fallback = statistics.median(known)
    return [durations.get(_key(p), fallback) for p in paths]


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def assign(paths: Sequence[str], costs: Sequence[float], count: int) -> list[int]:
    """The 0-based shard of each path (longest processing time first)."""
    order = sorted(range(len(paths)), key=lambda i: (-costs[i], _key(paths[i])))
    loads = [0.0] * count
    shard_of = [0] * len(paths)
    for i in order:
        target = min(range(count), key=lambda s: (loads[s], s))
        shard_of[i] = target
        loads[target] += costs[i]
    return shard_of


def select(
    paths: Sequence[str], k: int, n: int, durations: dict[str, float] | None = None
) -> list[str]:
    """The paths of shard ``k`` of ``n`` (1-based), in their input order."""
    shard_of = assign(paths, weights(paths, durations or {}), n)
    return [p for p, s in zip(paths, shard_of) if s == k - 1]
