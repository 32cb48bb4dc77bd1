"""The README's git-filter recipe, executed: the `nbtools install` lines it shows run as shown,
and what they write is exactly what its ini block says (so the documentation cannot drift)."""

from __future__ import annotations

import json
import re
import shlex
import sys
from pathlib import Path

from story import code, git, jupyter_notebook, nbtools, stream

REPO = Path(__file__).resolve().parents[2]


def _section() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    return readme.split("## Git integration", 1)[1].split("\n## ", 1)[0]


def _documented() -> tuple[list[list[str]], dict[str, str], list[str]]:
    """The commands of the bash block, the git config of the ini block, the attributes line."""
    section = _section()
    bash = re.search(r"```bash\n(.*?)```", section, re.S)
    ini = re.search(r"```ini\n(.*?)```", section, re.S)
    assert bash and ini, "the README's git section lost its bash or ini block"
    commands = [
        shlex.split(line.split("#", 1)[0])
        for line in bash.group(1).splitlines()
        if line.strip().startswith("nbtools ")
    ]
    config: dict[str, str] = {}
    attributes: list[str] = []
    table = ""
    for raw in ini.group(1).splitlines():
        line = re.split(r"\s{2,}#|^#", raw, maxsplit=1)[0].strip()
        if not line:
            attributes_next = raw.strip().startswith("# .gitattributes")
            table = ".gitattributes" if attributes_next else table
            continue
        header = re.match(r'\[(\w+) "(\w+)"\]', line)
        if header:
            table = f"{header.group(1)}.{header.group(2)}"
        elif table == ".gitattributes":
            attributes.append(line)
        else:
            key, value = (part.strip() for part in line.split("=", 1))
            config[f"{table}.{key}"] = value
    return commands, config, attributes


def test_the_readme_git_recipe_does_what_it_says(git_repo: Path) -> None:
    commands, documented, attributes = _documented()
    assert ["nbtools", "install"] in commands and ["nbtools", "install", "--uninstall"] in commands
    assert set(documented) == {
        "filter.nbtools.process",
        "filter.nbtools.clean",
        "filter.nbtools.smudge",
        "filter.nbtools.required",
        "diff.nbtools.textconv",
    }
    assert attributes == ["*.ipynb filter=nbtools diff=nbtools"]

    assert nbtools(*commands[0][1:], cwd=git_repo).returncode == 0
    python = shlex.quote(sys.executable)
    for key, value in documented.items():
        written = git(git_repo, "config", "--get", key).stdout.strip()
        assert written == value.replace("<python>", python), key
    assert (git_repo / ".gitattributes").read_text().splitlines() == attributes
    assert nbtools("install", "--status", cwd=git_repo).returncode == 0

    # what the recipe promises: stored stripped, the working copy keeps its outputs
    nb = jupyter_notebook(git_repo / "nb.ipynb", [code("print(1)", [stream("1\n")], count=1)])
    git(git_repo, "add", "nb.ipynb")
    assert '"outputs": []' in git(git_repo, "show", ":nb.ipynb").stdout
    assert json.loads(nb.read_text(encoding="utf-8"))["cells"][0]["outputs"][0]["text"] == ["1\n"]

    assert nbtools("install", "--uninstall", cwd=git_repo).returncode == 0
    assert git(git_repo, "config", "--get", "filter.nbtools.clean", check=False).stdout == ""
