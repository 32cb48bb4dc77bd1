"""``--shard K/N``: deterministic, complete, duration-balanced; shard reports merge."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nbtools.errors import InputError, UsageError
from nbtools.execute.shard import (
    assign,
    load_durations,
    parse_shard,
    select,
    weights,
)


@pytest.mark.parametrize(("text", "expected"), [("1/1", (1, 1)), ("2/4", (2, 4)), ("4/4", (4, 4))])
def test_parse_shard(text: str, expected: tuple[int, int]) -> None:
    assert parse_shard(text) == expected


@pytest.mark.parametrize("text", ["0/2", "3/2", "1/0", "a/b", "1", "1/2/3"])
def test_parse_shard_rejects(text: str) -> None:
    with pytest.raises(UsageError, match="--shard"):
        parse_shard(text)


def test_shards_partition_the_notebooks_the_same_way_everywhere() -> None:
    paths = [f"nb/{i:02}.ipynb" for i in range(23)]
    durations = {p: float((i * 7) % 11 + 1) for i, p in enumerate(paths)}
    shards = [select(paths, k, 4, durations) for k in range(1, 5)]
    assert sorted(p for shard in shards for p in shard) == paths
    assert shards == [select(list(reversed(paths)), k, 4, durations)[::-1] for k in range(1, 5)]
    loads = [sum(durations[p] for p in shard) for shard in shards]
    assert max(loads) - min(loads) <= max(durations.values())  # greedy LPT bound


def test_balance_follows_durations_not_counts() -> None:
    paths = ["big.ipynb", "a.ipynb", "b.ipynb", "c.ipynb"]
    shard_of = assign(paths, [9.0, 3.0, 3.0, 3.0], 2)
    assert shard_of == [0, 1, 1, 1]


def test_durations_from_timing_file_or_previous_report(tmp_path: Path) -> None:
    timing = tmp_path / "t.json"
    timing.write_text(json.dumps({"./a.ipynb": 2, "b.ipynb": 4.5}))
    assert load_durations(str(timing)) == {"a.ipynb": 2.0, "b.ipynb": 4.5}
    report = tmp_path / "r.json"
    report.write_text(json.dumps({"notebooks": [{"path": "a.ipynb", "duration_s": 1.25}]}))
    assert load_durations(str(report)) == {"a.ipynb": 1.25}
    with pytest.raises(InputError):
        load_durations(str(tmp_path / "missing.json"))


def test_unknown_durations_use_the_median_or_file_sizes(tmp_path: Path) -> None:
    assert weights(["a", "b", "c"], {"a": 1.0, "b": 3.0}) == [1.0, 3.0, 2.0]
    small, large = tmp_path / "s.ipynb", tmp_path / "l.ipynb"
    small.write_text("x")
    large.write_text("x" * 100)
    assert weights([str(small), str(large)], {}) == [1.0, 100.0]
