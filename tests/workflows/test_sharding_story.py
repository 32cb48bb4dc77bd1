"""A team splits `nbtools run` over CI machines and gathers one report back."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from story import code, commit_all, jupyter_notebook, markdown, nbtools

pytestmark = pytest.mark.kernel


def _repo_with_notebooks(repo: Path) -> list[str]:
    jupyter_notebook(repo / "intro.ipynb", [markdown("# Intro"), code("print('hello')")])
    jupyter_notebook(repo / "analysis" / "load.ipynb", [code("data = list(range(10))\nsum(data)")])
    jupyter_notebook(repo / "analysis" / "plot data.ipynb", [code("x = [i * i for i in range(5)]")])
    jupyter_notebook(repo / "analysis" / "broken.ipynb", [code("1 / 0")])
    jupyter_notebook(repo / "reports" / "summary.ipynb", [code("import math\nmath.pi")])
    assert commit_all(repo, "notebooks").returncode == 0
    return sorted(str(p.relative_to(repo)) for p in repo.rglob("*.ipynb"))


def test_two_shards_on_two_machines_merge_into_one_junit_report(
    git_repo: Path, tmp_path: Path
) -> None:
    notebooks = _repo_with_notebooks(git_repo)
    out = tmp_path / "artifacts"
    out.mkdir()
    # each CI machine runs its shard and uploads its JSON report
    codes = []
    for k in (1, 2):
        shard = nbtools(
            "run",
            "--shard",
            f"{k}/2",
            "--format",
            "json",
            "-o",
            str(out / f"s{k}.json"),
            ".",
            cwd=git_repo,
        )
        codes.append(shard.returncode)
    assert sorted(codes) == [0, 1]  # broken.ipynb fails in exactly one of them
    # the merge job downloads them and publishes one JUnit report
    merged = nbtools(
        "report",
        "merge",
        str(out / "s1.json"),
        str(out / "s2.json"),
        "--format",
        "junit",
        "-o",
        str(out / "merged.xml"),
        cwd=git_repo,
    )
    assert merged.returncode == 1, merged.stderr
    cases = list(ET.parse(out / "merged.xml").getroot().iter("testcase"))
    names = sorted(str(Path(c.get("name", ""))) for c in cases)
    assert names == notebooks  # every notebook exactly once
    failed = [c.get("name") for c in cases if c.find("failure") is not None]
    assert [Path(str(f)).name for f in failed] == ["broken.ipynb"]

    # the merged JSON is what one run over everything says, with its exit code
    whole = nbtools("run", "--format", "json", ".", cwd=git_repo)
    as_json = nbtools(
        "run",
        "--merge-reports",
        str(out / "s2.json"),
        str(out / "s1.json"),
        "--format",
        "json",
        cwd=git_repo,
    )
    single, combined = json.loads(whole.stdout), json.loads(as_json.stdout)
    assert as_json.returncode == whole.returncode == 1
    assert set(combined) == set(single)
    assert combined["summary"] == single["summary"]
    verdicts = {n["path"]: n["verdict"] for n in combined["notebooks"]}
    assert verdicts == {n["path"]: n["verdict"] for n in single["notebooks"]}


def test_a_shard_whose_machine_died_fails_the_merge(git_repo: Path, tmp_path: Path) -> None:
    _repo_with_notebooks(git_repo)
    reports = []
    for k in (1, 3):  # shard 2 of 3 never uploaded its report
        target = tmp_path / f"s{k}.json"
        nbtools(
            "run", "--shard", f"{k}/3", "--format", "json", "-o", str(target), ".", cwd=git_repo
        )
        reports.append(str(target))
    merged = nbtools(
        "report",
        "merge",
        *reports,
        "--format",
        "junit",
        "-o",
        str(tmp_path / "m.xml"),
        cwd=git_repo,
    )
    assert merged.returncode == 2
    assert merged.stderr.strip().splitlines() == [
        f"error: shard 2/3 missing: got 2 of 3 reports ({reports[0]}, {reports[1]})"
    ]
    assert not (tmp_path / "m.xml").exists()


def _gitlab(k: int, n: int) -> dict[str, str]:
    """What GitLab gives the k-th job of `parallel: n` (other engines' variables unset)."""
    return {
        "GITLAB_CI": "true",
        "CI_NODE_INDEX": str(k),
        "CI_NODE_TOTAL": str(n),
        "NBTOOLS_SHARD": "",
        "CIRCLE_NODE_INDEX": "",
        "BUILDKITE_PARALLEL_JOB": "",
        "JOB_COMPLETION_INDEX": "",
    }


def test_gitlab_parallel_jobs_split_by_the_last_pipelines_durations(
    git_repo: Path, tmp_path: Path
) -> None:
    notebooks = _repo_with_notebooks(git_repo)
    jupyter_notebook(git_repo / "train.ipynb", [code("import time\ntime.sleep(4)")])
    commit_all(git_repo, "a slow notebook")
    notebooks = sorted([*notebooks, "train.ipynb"])

    def pipeline(name: str, *extra: str) -> list[list[str]]:
        reports, shards = [], []
        for k in (1, 2):
            target = tmp_path / f"{name}-{k}.json"
            nbtools(
                "run",
                "--shard",
                "auto",
                *extra,
                "--format",
                "json",
                "-o",
                str(target),
                ".",
                cwd=git_repo,
                env=_gitlab(k, 2),
            )
            data = json.loads(target.read_text())
            assert data["shard"] == {"index": k, "count": 2}
            shards.append(sorted(str(Path(n["path"])) for n in data["notebooks"]))
            reports.append(str(target))
        merged = nbtools(
            "report",
            "merge",
            *reports,
            "--format",
            "json",
            "-o",
            str(tmp_path / f"{name}.json"),
            cwd=git_repo,
        )
        assert merged.returncode == 1, merged.stderr  # broken.ipynb
        return shards

    first = pipeline("first")
    assert sorted(first[0] + first[1]) == notebooks
    # without timings, shards are balanced by file size: 3 notebooks each
    assert sorted(len(shard) for shard in first) == [3, 3]
    # the next pipeline balances by the durations in the first one's merged report:
    # the slow notebook's machine gets (nearly) nothing else
    second = pipeline("second", "--durations", str(tmp_path / "first.json"))
    assert sorted(second[0] + second[1]) == notebooks
    slow = next(shard for shard in second if "train.ipynb" in shard)
    assert len(slow) <= 2, second
