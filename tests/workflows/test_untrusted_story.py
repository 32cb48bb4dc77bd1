"""A pull request's own pyproject.toml tries to choose the program nbtools runs; CI's --config wins."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from container_support import IMAGE, require
from story import code, commit_all, git, jupyter_notebook, nbtools


def test_pull_request_cannot_pick_the_engine_but_ci_config_runs_the_notebook(
    git_repo: Path, tmp_path: Path
) -> None:
    jupyter_notebook(
        git_repo / "nbs" / "greet.ipynb", [code("import os\nprint(os.environ['GREETING'])")]
    )
    commit_all(git_repo, "notebook")
    # the pull request: a nested pyproject.toml naming a script it ships as the engine,
    # and a variable that would load a library of its choosing into a local kernel
    git(git_repo, "checkout", "-q", "-b", "pr")
    marker = tmp_path / "pwned"
    evil = git_repo / "nbs" / "engine.sh"
    evil.write_text(f"#!/bin/sh\ntouch {marker}\n", encoding="utf-8")
    evil.chmod(evil.stat().st_mode | stat.S_IXUSR)
    (git_repo / "nbs" / "pyproject.toml").write_text(
        '[tool.nbtools.run]\nengine = "./engine.sh"\nenv = ["LD_PRELOAD=./x.so"]\n',
        encoding="utf-8",
    )
    commit_all(git_repo, "pr")

    refused = nbtools("run", "--image", "img:1", "nbs", cwd=git_repo)
    assert refused.returncode == 2
    assert "nbs/pyproject.toml: tool.nbtools.run.engine = './engine.sh' is refused" in (
        refused.stderr
    )
    assert "--engine" in refused.stderr and "--config" in refused.stderr
    assert not marker.exists()

    # CI keeps its settings outside the tree and names them with --config
    ci = tmp_path / "ci.toml"
    ci.write_text('[tool.nbtools.run]\nenv = ["GREETING=hello from CI"]\n', encoding="utf-8")
    ran = nbtools("run", "--config", str(ci), "--format", "json", "nbs", cwd=git_repo)
    assert ran.returncode == 0, ran.stderr
    report = json.loads(ran.stdout)
    assert [n["verdict"] for n in report["notebooks"]] == ["pass"]
    assert not marker.exists()


def test_notebook_naming_a_script_as_its_kernel_fails_alone(git_repo: Path, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    script = git_repo / "nbs" / "kernel.sh"
    script.parent.mkdir(parents=True)
    script.write_text(f"#!/bin/sh\ntouch {marker}\n", encoding="utf-8")
    script.chmod(0o755)
    jupyter_notebook(git_repo / "nbs" / "good.ipynb", [code("print('ok')")])
    evil = jupyter_notebook(git_repo / "nbs" / "evil.ipynb", [code("1")])
    nb = json.loads(evil.read_text(encoding="utf-8"))
    nb["metadata"]["kernelspec"]["name"] = "../nbs/kernel.sh"
    evil.write_text(json.dumps(nb, indent=1) + "\n", encoding="utf-8")
    commit_all(git_repo, "pr with a crafted kernelspec")

    ran = nbtools("run", "--format", "json", "nbs", cwd=git_repo)
    assert ran.returncode == 1
    verdicts = {n["path"]: n for n in json.loads(ran.stdout)["notebooks"]}
    assert verdicts["nbs/good.ipynb"]["verdict"] == "pass"
    assert "'../nbs/kernel.sh' is not a plain kernel name" in verdicts["nbs/evil.ipynb"]["failure"]
    assert not marker.exists()


@pytest.mark.container
@pytest.mark.kernel
def test_notebook_cannot_plant_a_git_hook_for_the_next_checkout(
    git_repo: Path, tmp_path: Path
) -> None:
    engine = require("podman")
    marker = tmp_path / "pwned"
    hook = f"#!/bin/sh\\ntouch {marker}\\n"
    jupyter_notebook(
        git_repo / "nbs" / "train.ipynb",
        [
            code("open('model.txt', 'w').write('weights')  # an output next to the notebook"),
            code(
                "import os, stat\n"
                "path = '../.git/hooks/post-checkout'\n"
                "try:\n"
                f"    open(path, 'w').write({hook!r})\n"
                "    os.chmod(path, 0o755)\n"
                "except OSError as exc:\n"
                "    print('blocked:', exc)"
            ),
        ],
    )
    commit_all(git_repo, "a pull request's notebook")

    ran = nbtools(
        "run", "--engine", engine, "--image", IMAGE, "--format", "json", "nbs", cwd=git_repo
    )
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout)["notebooks"][0]["verdict"] == "pass"
    # the reviewer's next git command runs no hook, and the work tree is as committed
    git(git_repo, "checkout", "-q", "-b", "review")
    assert not marker.exists()
    assert not (git_repo / ".git" / "hooks" / "post-checkout").exists()
    assert git(git_repo, "status", "--porcelain").stdout == ""
