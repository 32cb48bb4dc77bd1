"""Stories: a token printed in an output was committed, then stripped; ``nbtools scan`` of the
work tree is clean, ``--history`` still finds it and names the commit to rewrite. And a plain
git pre-commit hook running ``nbtools scan --staged`` stops the next leak before it lands."""

from __future__ import annotations

import json
import os
import random
import stat
import string
import sys
from pathlib import Path

from story import code, commit_all, git, jupyter_notebook, nbtools, stream


def _token() -> str:
    rng = random.Random(8)
    return "hf_" + "".join(rng.choice(string.ascii_letters) for _ in range(34))


def test_stripped_leak_is_found_in_history(git_repo: Path) -> None:
    token = _token()
    nb = jupyter_notebook(
        git_repo / "train.ipynb",
        [code("!env | grep HF", [stream(f"HF_TOKEN={token}\n")], 1), code("train()", [], 2)],
    )
    commit_all(git_repo, "first run")
    leak = git(git_repo, "rev-parse", "HEAD").stdout.strip()
    assert nbtools("strip", str(nb), cwd=git_repo).returncode in (0, 1)
    commit_all(git_repo, "strip outputs")

    assert nbtools("scan", ".", cwd=git_repo).returncode == 0
    found = nbtools("scan", "--history", "--format", "json", cwd=git_repo)
    assert found.returncode == 1, found.stderr
    [finding] = json.loads(found.stdout)["findings"]
    assert finding["commit"] == leak and finding["rule"] == "scan/huggingface-token"
    assert (finding["cell_index"], finding["where"], finding["line"]) == (0, "output", 1)
    assert token not in found.stdout
    text = nbtools("scan", "--history", cwd=git_repo).stdout
    assert f"in commit {leak[:12]}" in text and "rotate it at Hugging Face" in text


def test_plain_git_hook_with_staged_blocks_the_commit(git_repo: Path) -> None:
    hook = git_repo / ".git" / "hooks" / "pre-commit"
    pythonpath = os.environ.get("PYTHONPATH", "")
    hook.write_text(
        f"#!/bin/sh\nPYTHONPATH='{pythonpath}' exec '{sys.executable}' -m nbtools scan --staged\n",
        encoding="utf-8",
    )
    hook.chmod(hook.stat().st_mode | stat.S_IEXEC)
    jupyter_notebook(git_repo / "ok.ipynb", [code("print(1)", [stream("1\n")], 1)])
    assert commit_all(git_repo, "fine").returncode == 0

    token = _token()
    jupyter_notebook(git_repo / "leak.ipynb", [code(f"login(token='{token}')")])
    blocked = commit_all(git_repo, "leak")
    assert blocked.returncode != 0
    assert "leak.ipynb" in blocked.stdout + blocked.stderr
    assert git(git_repo, "log", "--oneline").stdout.count("\n") == 1
