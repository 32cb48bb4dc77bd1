"""Stories of pair and sync: with jupytext, with git, and on trees a pull request controls."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from story import code, commit_all, jupyter_notebook, markdown, nbtools, result, stream


def test_a_pull_request_cannot_make_sync_write_outside_the_repository(git_repo: Path) -> None:
    # a .py file of the maintainer's, beside the checkout
    victim = git_repo.parent / "victim" / "analysis.py"
    victim.parent.mkdir()
    victim.write_text("important = True\n", encoding="utf-8")
    secret = git_repo.parent / "passwd"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n", encoding="utf-8")
    # the pull request: a notebook paired "up and out", a crafted record, a symlinked script
    nb = jupyter_notebook(
        git_repo / "nbs" / "analysis.ipynb",
        [markdown("# Evil"), code("important = False")],
        jupytext={"formats": "ipynb,../../victim//py:percent"},
    )
    jupyter_notebook(
        git_repo / "nbs" / "leak.ipynb", [code("x = 1")], jupytext={"formats": "ipynb,py:percent"}
    )
    (git_repo / "nbs" / "leak.py").symlink_to(secret)
    record = {
        "version": 1,
        "pairs": {
            "nbs/analysis.ipynb": {
                "ipynb": "0" * 64,
                "py": "1" * 64,
                "script": "../victim/analysis.py",
            }
        },
    }
    (git_repo / ".nbtools-sync.json").write_text(json.dumps(record), encoding="utf-8")
    assert commit_all(git_repo, "pull request").returncode == 0
    leak_before = (git_repo / "nbs" / "leak.ipynb").read_bytes()

    # the maintainer syncs, then checks, the way the README says
    synced = nbtools("sync", "--prefer", "ipynb", ".", cwd=git_repo)
    assert synced.returncode == 2, synced.stderr
    assert "outside the repository" in synced.stderr
    again = nbtools("sync", "--prefer", "py", ".", cwd=git_repo)
    assert again.returncode == 2
    checked = nbtools("check", ".", cwd=git_repo)
    assert checked.returncode == 2
    assert "outside the repository" in checked.stderr

    assert victim.read_text(encoding="utf-8") == "important = True\n"
    assert (git_repo / "nbs" / "leak.ipynb").read_bytes() == leak_before
    assert "root:x" not in nb.read_text(encoding="utf-8")
    assert not (git_repo.parent / "victim" / "analysis.ipynb").exists()


def jupytext_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jupytext", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )


def test_a_pair_made_with_jupytext_then_edited_on_the_script_side(git_repo: Path) -> None:
    # a teammate pairs in Jupyter with jupytext, runs the notebook, and commits both files
    jupyter_notebook(
        git_repo / "analysis.ipynb",
        [markdown("# Analysis"), code("data = [1, 2, 3]\nprint(sum(data))", [stream("6\n")], 1)],
    )
    jupytext_cli("--set-formats", "ipynb,py:percent", "analysis.ipynb", cwd=git_repo)
    assert commit_all(git_repo, "paired with jupytext").returncode == 0
    # I edit the script in my editor; there is no .nbtools-sync.json anywhere
    script = git_repo / "analysis.py"
    script.write_text(
        script.read_text(encoding="utf-8").replace("[1, 2, 3]", "[1, 2, 3, 4]"), encoding="utf-8"
    )
    synced = nbtools("sync", ".", cwd=git_repo)
    assert synced.returncode == 1, synced.stdout + synced.stderr
    assert "only the script changed" in synced.stdout
    nb = json.loads((git_repo / "analysis.ipynb").read_text(encoding="utf-8"))
    assert nb["cells"][1]["source"] == ["data = [1, 2, 3, 4]\n", "print(sum(data))"]
    assert nb["cells"][0]["source"] == ["# Analysis"]  # untouched cell, as Jupyter wrote it
    # the second command: CI's check agrees, and jupytext sees the same pair
    assert nbtools("check", "--select", "sync", ".", cwd=git_repo).returncode == 0
    assert nbtools("sync", "--check", ".", cwd=git_repo).returncode == 0
    read_back = jupytext_cli("--to", "ipynb", "--output", "-", "analysis.py", cwd=git_repo)
    cells = json.loads(read_back.stdout)["cells"]
    assert ["".join(c["source"]) for c in cells] == ["".join(c["source"]) for c in nb["cells"]]


def test_a_paired_notebook_whose_script_is_missing_gets_it_as_jupytext_would(
    git_repo: Path, tmp_path: Path
) -> None:
    cells = [markdown("# Report"), code("import math\nmath.pi", [result("3.14", 1)], 1)]
    nb = jupyter_notebook(
        git_repo / "nbs" / "report.ipynb", cells, jupytext={"formats": "ipynb,scripts//py:percent"}
    )
    assert commit_all(git_repo, "notebook only").returncode == 0
    # what jupytext --sync makes of the same notebook, in a scratch copy
    scratch = tmp_path / "scratch" / "nbs"
    scratch.mkdir(parents=True)
    shutil.copyfile(nb, scratch / "report.ipynb")
    jupytext_cli("--sync", "report.ipynb", cwd=scratch)
    first = nbtools("sync", "--check", ".", cwd=git_repo)
    assert first.returncode == 1 and "script was missing" in first.stdout
    synced = nbtools("sync", ".", cwd=git_repo)
    assert synced.returncode == 1, synced.stderr
    assert "the script was missing; created it from the notebook" in synced.stdout
    made = (git_repo / "nbs" / "scripts" / "report.py").read_text(encoding="utf-8")
    assert made == (scratch / "scripts" / "report.py").read_text(encoding="utf-8")
    assert nbtools("sync", "--check", ".", cwd=git_repo).returncode == 0
    assert nbtools("check", "--select", "sync", ".", cwd=git_repo).returncode == 0


def test_a_team_jupytext_configuration_is_honoured(git_repo: Path, tmp_path: Path) -> None:
    # the team pairs every notebook through pyproject.toml, without metadata in the headers
    (git_repo / "pyproject.toml").write_text(
        '[tool.jupytext]\nformats = "ipynb,py:percent"\n'
        'notebook_metadata_filter = "-all"\ncell_metadata_filter = "-all"\n',
        encoding="utf-8",
    )
    nb = jupyter_notebook(
        git_repo / "explore.ipynb",
        [markdown("# Explore"), code("n = 10\nprint(n)", [stream("10\n")], 1, tags=["slow"])],
    )
    assert commit_all(git_repo, "a notebook saved in Jupyter").returncode == 0
    # what jupytext itself makes of it
    scratch = tmp_path / "scratch"
    shutil.copytree(git_repo, scratch, ignore=shutil.ignore_patterns(".git"))
    jupytext_cli("--sync", "explore.ipynb", cwd=scratch)

    assert nbtools("check", "--select", "sync", ".", cwd=git_repo).returncode == 1
    assert nbtools("sync", ".", cwd=git_repo).returncode == 1
    script = git_repo / "explore.py"
    assert script.read_text(encoding="utf-8") == (scratch / "explore.py").read_text("utf-8")
    assert commit_all(git_repo, "the script").returncode == 0
    # an edit on the script side, then the two commands of the pre-commit hooks
    script.write_text(script.read_text("utf-8").replace("n = 10", "n = 20"), "utf-8")
    assert nbtools("sync", ".", cwd=git_repo).returncode == 1
    assert nbtools("check", "--select", "sync", ".", cwd=git_repo).returncode == 0
    cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
    assert cells[1]["source"] == ["n = 20\n", "print(n)"]
    assert cells[1]["metadata"] == {"tags": ["slow"]}  # filtered out of the script, kept here


def test_sync_never_loses_a_cell_or_a_notebook(git_repo: Path) -> None:
    # a notebook whose second cell holds a line that py:percent reads as a cell marker
    nb = jupyter_notebook(
        git_repo / "prep.ipynb",
        [code("import os"), code("a = 1\n# %% not a new cell, a comment\nb = 2"), code("c = 3")],
    )
    refused = nbtools("pair", "prep.ipynb", cwd=git_repo)
    assert refused.returncode == 2 and "cell 2 does not survive" in refused.stderr
    # the team pairs it with jupytext anyway, commits, and someone edits the script
    jupytext_cli("--set-formats", "ipynb,py:percent", "prep.ipynb", cwd=git_repo)
    assert commit_all(git_repo, "paired").returncode == 0
    script = git_repo / "prep.py"
    script.write_text(script.read_text("utf-8").replace("c = 3", "c = 4"), "utf-8")
    before = nb.read_bytes()
    checked = nbtools("sync", "--check", ".", cwd=git_repo)
    synced = nbtools("sync", ".", cwd=git_repo)
    assert checked.returncode == synced.returncode == 1
    assert "would not survive" in synced.stdout
    assert nb.read_bytes() == before  # cell 2 was not split in two
    assert nbtools("check", "--select", "sync", ".", cwd=git_repo).returncode == 1

    # an editor crash leaves the script of another pair empty: the notebook is kept
    other = jupyter_notebook(git_repo / "other.ipynb", [code("x = 1"), code("y = 2")])
    assert nbtools("pair", "other.ipynb", cwd=git_repo).returncode == 1
    (git_repo / "other.py").write_text("", encoding="utf-8")
    kept = other.read_bytes()
    emptied = nbtools("sync", "other.ipynb", cwd=git_repo)
    assert emptied.returncode == 1 and "the script is empty" in emptied.stdout
    assert other.read_bytes() == kept
    restored = nbtools("sync", "--prefer", "ipynb", "other.ipynb", cwd=git_repo)
    assert restored.returncode == 1 and "y = 2" in (git_repo / "other.py").read_text("utf-8")
    assert nbtools("sync", "--check", "other.ipynb", cwd=git_repo).returncode == 0


def test_a_notebook_paired_with_a_script_and_a_myst_document(git_repo: Path) -> None:
    # the docs team reviews MyST, the developers a percent script: jupytext pairs all three
    jupyter_notebook(
        git_repo / "guide.ipynb",
        [markdown("# Guide\n\nHow to *add*."), code("a = 2\nb = 3\na + b", [result("5", 1)], 1)],
    )
    jupytext_cli("--set-formats", "ipynb,py:percent,md:myst", "guide.ipynb", cwd=git_repo)
    assert commit_all(git_repo, "paired three ways").returncode == 0
    assert nbtools("sync", "--check", ".", cwd=git_repo).returncode == 0
    # a writer edits the MyST file only
    myst = git_repo / "guide.md"
    myst.write_text(myst.read_text("utf-8").replace("How to *add*.", "How to *sum*."), "utf-8")
    synced = nbtools("sync", ".", cwd=git_repo)
    assert synced.returncode == 1, synced.stdout + synced.stderr
    nb = json.loads((git_repo / "guide.ipynb").read_text("utf-8"))
    assert nb["cells"][0]["source"] == ["# Guide\n", "\n", "How to *sum*."]
    assert nb["cells"][1]["outputs"][0]["data"] == {"text/plain": ["5"]}  # output kept
    assert "How to *sum*." in (git_repo / "guide.py").read_text("utf-8")
    # the next commands agree that all three are in sync, and so does jupytext
    assert nbtools("sync", "--check", ".", cwd=git_repo).returncode == 0
    assert nbtools("check", "--select", "sync", ".", cwd=git_repo).returncode == 0
    back = jupytext_cli("--to", "ipynb", "--output", "-", "guide.py", cwd=git_repo)
    assert "".join(json.loads(back.stdout)["cells"][0]["source"]) == "# Guide\n\nHow to *sum*."
