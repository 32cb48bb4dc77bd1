"""Story: a team teaches ``nbtools scan`` its internal token format in ``pyproject.toml``,
finds a leaked one, and allowlists the fake tokens its test fixtures need."""

from __future__ import annotations

import json
import random
import string
from pathlib import Path

from story import code, commit_all, jupyter_notebook, nbtools

PYPROJECT = """
[tool.nbtools.scan]
[[tool.nbtools.scan.rules]]
id = "acme-api-key"
regex = 'acme_(?P<secret>[A-Za-z0-9]{32})'
keywords = ["acme_"]
provider = "Acme"
"""


def test_team_rule_then_allowlist_for_fixtures(git_repo: Path) -> None:
    rng = random.Random(2)
    token = "acme_" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(32))
    (git_repo / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    jupyter_notebook(git_repo / "report.ipynb", [code(f"client = acme.Client('{token}')")])
    jupyter_notebook(git_repo / "tests" / "fixtures" / "fake.ipynb", [code(f"t = '{token}'")])
    commit_all(git_repo, "report")

    first = nbtools("scan", "--format", "json", ".", cwd=git_repo)
    assert first.returncode == 1, first.stderr
    found = json.loads(first.stdout)["findings"]
    assert sorted(Path(f["path"]).name for f in found) == ["fake.ipynb", "report.ipynb"]
    assert all(f["rule"] == "scan/acme-api-key" and "Acme" in f["message"] for f in found)

    with (git_repo / "pyproject.toml").open("a", encoding="utf-8") as handle:
        handle.write('\n[[tool.nbtools.scan.allowlist]]\npaths = ["tests/fixtures/**"]\n')
    second = nbtools("scan", "--format", "json", ".", cwd=git_repo)
    assert second.returncode == 1
    assert [Path(f["path"]).name for f in json.loads(second.stdout)["findings"]] == ["report.ipynb"]
