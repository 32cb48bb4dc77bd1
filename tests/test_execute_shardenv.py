"""``--shard auto``: each CI engine's parallel-job variables -> (K 1-based, N)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import make_cell, make_nb, write_nb

from nbtools.errors import UsageError
from nbtools.execute.shardenv import ENGINES, detect, resolve_shard

# (what a user writes, the environment the engine gives the job, the shard it is)
CASES = [
    ("auto", {"CI_NODE_INDEX": "1", "CI_NODE_TOTAL": "3"}, (1, 3)),  # GitLab: 1-based
    ("auto", {"CI_NODE_INDEX": "3", "CI_NODE_TOTAL": "3"}, (3, 3)),
    ("auto", {"CI_NODE_TOTAL": "1"}, (1, 1)),  # GitLab, a job without parallel:
    ("auto", {"CIRCLE_NODE_INDEX": "0", "CIRCLE_NODE_TOTAL": "4"}, (1, 4)),  # CircleCI: 0-based
    ("auto", {"CIRCLE_NODE_INDEX": "3", "CIRCLE_NODE_TOTAL": "4"}, (4, 4)),
    ("auto", {"BUILDKITE_PARALLEL_JOB": "0", "BUILDKITE_PARALLEL_JOB_COUNT": "2"}, (1, 2)),
    ("auto", {"BUILDKITE_PARALLEL_JOB": "1", "BUILDKITE_PARALLEL_JOB_COUNT": "2"}, (2, 2)),
    ("auto", {"SEMAPHORE_JOB_INDEX": "2", "SEMAPHORE_JOB_COUNT": "2"}, (2, 2)),  # 1-based
    ("auto", {"SYSTEM_JOBPOSITIONINPHASE": "1", "SYSTEM_TOTALJOBSINPHASE": "5"}, (1, 5)),
    ("auto/4", {"JOB_COMPLETION_INDEX": "0"}, (1, 4)),  # Kubernetes: 0-based, total given
    ("auto/4", {"JOB_COMPLETION_INDEX": "3"}, (4, 4)),
    ("auto", {"JOB_COMPLETION_INDEX": "2", "NBTOOLS_SHARD_TOTAL": "3"}, (3, 3)),
    ("auto", {"NBTOOLS_SHARD": "2/4"}, (2, 4)),  # a GitHub matrix: shard: [1, 2, 3, 4]
    # GitHub's strategy.job-index (0-based) and strategy.job-total
    ("auto", {"NBTOOLS_SHARD_INDEX": "0", "NBTOOLS_SHARD_TOTAL": "2"}, (1, 2)),
    ("auto", {"NBTOOLS_SHARD": "1/2", "CI_NODE_INDEX": "2", "CI_NODE_TOTAL": "2"}, (1, 2)),
    ("auto/2", {"CI_NODE_INDEX": "2", "CI_NODE_TOTAL": "2"}, (2, 2)),  # totals agree
    ("2/5", {"CI_NODE_INDEX": "1", "CI_NODE_TOTAL": "2"}, (2, 5)),  # explicit K/N wins
]


@pytest.mark.parametrize(("text", "env", "expected"), CASES)
def test_shard_from_the_ci_engine(
    text: str, env: dict[str, str], expected: tuple[int, int]
) -> None:
    assert resolve_shard(text, env) == expected


ERRORS = [
    ("auto", {}, "no parallel CI job found"),
    ("auto", {"CI_NODE_INDEX": "", "CIRCLE_NODE_TOTAL": ""}, "no parallel CI job found"),
    ("auto", {"JOB_COMPLETION_INDEX": "1"}, "auto/N"),  # Kubernetes without a total
    ("auto", {"CI_NODE_INDEX": "0", "CI_NODE_TOTAL": "2"}, "outside 1..2"),  # 1-based
    ("auto", {"CIRCLE_NODE_INDEX": "2", "CIRCLE_NODE_TOTAL": "2"}, "outside 0..1"),
    ("auto/8", {"JOB_COMPLETION_INDEX": "8"}, "outside 0..7"),
    ("auto", {"CI_NODE_INDEX": "one", "CI_NODE_TOTAL": "2"}, "CI_NODE_INDEX='one'"),
    ("auto", {"NBTOOLS_SHARD": "3/2"}, "NBTOOLS_SHARD='3/2'"),
    ("auto/3", {"CI_NODE_INDEX": "1", "CI_NODE_TOTAL": "2"}, "shard 1 of 2, not of 3"),
    ("auto/x", {"CI_NODE_INDEX": "1", "CI_NODE_TOTAL": "2"}, "not a whole number"),
    ("auto/0", {"JOB_COMPLETION_INDEX": "0"}, "at least 1"),
    ("automatic", {}, "expected K/N"),
]


@pytest.mark.parametrize(("text", "env", "message"), ERRORS)
def test_what_cannot_be_a_shard_is_a_usage_error(
    text: str, env: dict[str, str], message: str
) -> None:
    with pytest.raises(UsageError) as caught:
        resolve_shard(text, env)
    assert message in str(caught.value)


def test_every_engine_is_detected_on_its_own() -> None:
    for engine in ENGINES:
        env = {
            engine.index_var: str(engine.base + 1),
            engine.total_var or "NBTOOLS_SHARD_TOTAL": "2",
        }
        found = detect(env)
        assert found is not None and found[:2] == (2, 2), engine
        assert engine.index_var in found[2]


@pytest.mark.kernel
def test_run_shard_auto_reads_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from nbtools.cli import main

    for i in range(3):
        write_nb(tmp_path / f"n{i}.ipynb", make_nb([make_cell(source=f"print({i})")]))
    for name in [e.index_var for e in ENGINES] + ["CI_NODE_TOTAL", "NBTOOLS_SHARD"]:
        monkeypatch.delenv(name, raising=False)
    seen = []
    for index in (0, 1):
        monkeypatch.setenv("CIRCLE_NODE_INDEX", str(index))
        monkeypatch.setenv("CIRCLE_NODE_TOTAL", "2")
        assert main(["run", "--shard", "auto", "--format", "json", str(tmp_path)]) == 0
        report = json.loads(capsys.readouterr().out)
        assert report["shard"] == {"index": index + 1, "count": 2}
        seen += [n["path"] for n in report["notebooks"]]
    assert sorted(seen) == sorted(str(tmp_path / f"n{i}.ipynb") for i in range(3))
    monkeypatch.delenv("CIRCLE_NODE_INDEX")
    monkeypatch.delenv("CIRCLE_NODE_TOTAL")
    assert main(["run", "--shard", "auto", str(tmp_path)]) == 2
    assert "no parallel CI job found" in capsys.readouterr().err
