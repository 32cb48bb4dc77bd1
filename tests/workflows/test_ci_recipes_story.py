"""The README's "CI at scale" recipes, lived through: GitLab `parallel:` jobs and a Kubernetes
Indexed Job, their scripts run as the engine would run them (its variables set, one job per
shard), then the merge job, twice in a row so the second pipeline uses the first one's timings."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml
from story import code, commit_all, jupyter_notebook

from nbtools.execute.shardenv import ENGINES, SHARD_VARIABLE, TOTAL_VARIABLE

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.kernel

# every engine's shard variables, cleared so the machine running the tests cannot interfere
CLEAN = dict.fromkeys(
    [SHARD_VARIABLE, TOTAL_VARIABLE]
    + [name for e in ENGINES for name in (e.index_var, e.total_var) if name],
    "",
)


def readme_yaml(marker: str) -> dict[str, Any]:
    """The yaml block of the README's CI at scale section that contains ``marker``."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## CI at scale", 1)[1]
    blocks = re.findall(r"```yaml\n(.*?)```", section, re.S)
    block = next(b for b in blocks if marker in b)
    data: dict[str, Any] = yaml.safe_load(block)
    return data


@pytest.fixture
def shell_env(tmp_path: Path) -> dict[str, str]:
    """`nbtools` on PATH (this checkout), `pip install` a no-op, as in the job's image."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, body in (
        ("nbtools", f'exec "{sys.executable}" -m nbtools "$@"\n'),
        ("pip", "exit 0\n"),
    ):
        script = bin_dir / name
        script.write_text("#!/bin/sh\n" + body)
        script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return {
        **os.environ,
        **CLEAN,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }


def sh(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", "-c", script], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


def _notebooks(repo: Path, folder: str) -> list[str]:
    names = []
    for i in range(5):
        path = repo / folder / f"step{i}.ipynb"
        jupyter_notebook(path, [code(f"value = {i}\nprint(value * 2)")])
        names.append(path.name)
    jupyter_notebook(repo / folder / "fails.ipynb", [code("raise RuntimeError('bad data')")])
    commit_all(repo, "notebooks")
    return sorted([*names, "fails.ipynb"])


def test_the_gitlab_recipe_two_pipelines_in_a_row(
    git_repo: Path, shell_env: dict[str, str]
) -> None:
    notebooks = _notebooks(git_repo, "notebooks")
    pipeline = readme_yaml("parallel:")
    shard_job, merge_job = pipeline["notebooks"], pipeline["notebooks-report"]
    count = int(shard_job["parallel"])
    assert merge_job["when"] == "always" and merge_job["needs"] == ["notebooks"]

    def run_pipeline() -> ET.Element:
        for artefact in git_repo.glob("shard-*.json"):
            artefact.unlink()
        for index in range(1, count + 1):  # GitLab numbers parallel jobs from 1
            env = {**shell_env, "CI_NODE_INDEX": str(index), "CI_NODE_TOTAL": str(count)}
            proc = sh("\n".join(shard_job["script"]), git_repo, env)
            assert proc.returncode in (0, 1), proc.stderr
        merged = sh("\n".join(merge_job["script"]), git_repo, shell_env)
        assert merged.returncode == 1, merged.stderr  # fails.ipynb, as one run would say
        return ET.parse(git_repo / "nbtools.xml").getroot()

    first = run_pipeline()
    names = sorted(Path(str(c.get("name"))).name for c in first.iter("testcase"))
    assert names == notebooks
    assert first.get("failures") == "1"
    assert (git_repo / ".nbtools" / "last-run.json").is_file()  # the cache the next one reads
    pages = {p.name for p in (git_repo / "html").glob("*.html")}
    # one executed page per notebook, plus each one's verdict page and the index
    assert len({p for p in pages if not p.endswith(".verdict.html")} - {"index.html"}) == len(
        notebooks
    )
    assert "index.html" in pages

    second = run_pipeline()  # now with --durations from the cache
    assert sorted(Path(str(c.get("name"))).name for c in second.iter("testcase")) == notebooks

    # a shard job that died before uploading its report: the merge job says so
    (git_repo / "shard-3.json").unlink()
    merged = sh("\n".join(merge_job["script"]), git_repo, shell_env)
    assert merged.returncode == 2
    assert "shard 3/4 missing" in merged.stderr


def test_the_kubernetes_indexed_job_recipe(
    git_repo: Path, tmp_path: Path, shell_env: dict[str, str]
) -> None:
    notebooks = _notebooks(git_repo, "notebooks")
    job = readme_yaml("completionMode")
    spec = job["spec"]
    assert spec["completionMode"] == "Indexed"
    container = spec["template"]["spec"]["containers"][0]
    reports = tmp_path / "reports"
    reports.mkdir()
    script = container["args"][0].replace("/reports", str(reports))
    script = script.replace("/work/notebooks", str(git_repo / "notebooks"))
    env = {**shell_env, **{e["name"]: e["value"] for e in container["env"]}}
    for index in range(int(spec["completions"])):  # the control plane sets it from 0
        pod = sh(script, git_repo, {**env, "JOB_COMPLETION_INDEX": str(index)})
        assert pod.returncode == 0, pod.stderr  # failing notebooks do not fail the pod
    merged = sh(
        f"nbtools report merge {reports}/shard-*.json --format junit -o {reports}/nbtools.xml",
        git_repo,
        shell_env,
    )
    assert merged.returncode == 1, merged.stderr
    cases = ET.parse(reports / "nbtools.xml").getroot().iter("testcase")
    assert sorted(Path(str(c.get("name"))).name for c in cases) == notebooks
