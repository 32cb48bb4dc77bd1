"""Story: a data scientist's notebook leaks credentials that have no prefix (a kaggle.json
printed by ``!cat``, an ``sshpass -p`` line); ``nbtools scan`` names each and says to rotate it,
``--fix`` clears the leaking output, and the source line is fixed by hand."""

from __future__ import annotations

import json
import random
import string
from pathlib import Path

from story import code, commit_all, jupyter_notebook, nbtools, stream


def test_context_secrets_are_reported_fixed_and_rescanned(git_repo: Path) -> None:
    rng = random.Random(4)
    key = "".join(rng.choice("0123456789abcdef") for _ in range(32))
    password = "Qz" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(12))
    kaggle = json.dumps({"username": "jdoe", "key": key})
    nb = jupyter_notebook(
        git_repo / "fetch.ipynb",
        [
            code("!cat ~/.kaggle/kaggle.json", [stream(kaggle + "\n")], 1),
            code(f"!sshpass -p '{password}' scp data.csv analyst@10.0.0.5:/srv", [], 2),
        ],
    )
    commit_all(git_repo, "fetch data")

    first = nbtools("scan", "--format", "json", "fetch.ipynb", cwd=git_repo)
    assert first.returncode == 1, first.stderr
    found = {f["rule"]: f for f in json.loads(first.stdout)["findings"]}
    assert set(found) == {"scan/kaggle-json-key", "scan/cli-sshpass"}
    assert "rotate it at Kaggle" in found["scan/kaggle-json-key"]["message"]
    assert "git history" in found["scan/cli-sshpass"]["message"]
    assert key not in first.stdout and password not in first.stdout

    fixed = nbtools("scan", "--fix", "--format", "json", "fetch.ipynb", cwd=git_repo)
    assert [f["rule"] for f in json.loads(fixed.stdout)["findings"]] == ["scan/cli-sshpass"]
    assert key not in nb.read_text(encoding="utf-8")

    text = nb.read_text(encoding="utf-8").replace(f"-p '{password}'", '-p \\"$SSH_PASS\\"')
    nb.write_text(text, encoding="utf-8")
    assert nbtools("scan", "fetch.ipynb", cwd=git_repo).returncode == 0
