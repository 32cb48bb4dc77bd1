"""The formats teams pair with: md, md:myst, Rmd, py:hydrogen besides py:percent and py:light
(jupytext converts), and a notebook paired with several text files at once."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from nbtools.cli import main

pytestmark = pytest.mark.git

FORMATS = ["py:percent", "py:light", "py:hydrogen", "md", "md:myst", "Rmd"]


def notebook(path: Path) -> Path:
    out = nbformat.v4.new_output("stream", name="stdout", text="3\n")
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("# Title\n\nSome *text*."),
            nbformat.v4.new_code_cell("x = 1\nprint(x + 2)", outputs=[out], execution_count=1),
            nbformat.v4.new_code_cell("y = x * 2", metadata={"tags": ["keep"]}),
        ]
    )
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


def text_file(nb: Path, fmt: str) -> Path:
    return nb.with_suffix("." + fmt.split(":", maxsplit=1)[0])


@pytest.mark.parametrize("fmt", FORMATS)
def test_pair_writes_what_jupytext_writes_and_sync_follows_edits(
    git_repo: Path, tmp_path: Path, fmt: str
) -> None:
    nb = notebook(git_repo / "nb.ipynb")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    shutil.copy(nb, scratch / "nb.ipynb")
    subprocess.run(
        [sys.executable, "-m", "jupytext", "--set-formats", f"ipynb,{fmt}", "nb.ipynb"],
        cwd=scratch,
        check=True,
        capture_output=True,
    )
    assert main(["pair", "--formats", fmt, str(nb)]) == 1
    paired = text_file(nb, fmt)
    assert paired.read_text("utf-8") == text_file(scratch / "nb.ipynb", fmt).read_text("utf-8")
    assert main(["sync", "--check", str(git_repo)]) == 0
    paired.write_text(paired.read_text("utf-8").replace("y = x * 2", "y = x * 3"), "utf-8")
    assert main(["check", "--select", "sync", str(nb)]) == 1
    assert main(["sync", "--check", str(git_repo)]) == 1
    assert main(["sync", str(git_repo)]) == 1
    cells = json.loads(nb.read_bytes())["cells"]
    assert "".join(cells[2]["source"]) == "y = x * 3"
    assert cells[1]["outputs"][0]["text"] == ["3\n"]  # the unchanged cell keeps its output
    assert cells[2]["metadata"] == {"tags": ["keep"]}
    assert main(["sync", "--check", str(git_repo)]) == 0
    assert main(["check", "--select", "sync", str(nb)]) == 0


def test_several_text_files_are_synced_together(git_repo: Path) -> None:
    nb = notebook(git_repo / "nb.ipynb")
    assert main(["pair", "--formats", "ipynb,py:percent,md", str(nb)]) == 1
    py, md = git_repo / "nb.py", git_repo / "nb.md"
    assert "formats: ipynb,py:percent,md" in py.read_text("utf-8")
    assert "formats: ipynb,py:percent,md" in md.read_text("utf-8")
    assert main(["sync", "--check", str(git_repo)]) == 0
    # an edit in the markdown file reaches the notebook and the script in one run
    md.write_text(md.read_text("utf-8").replace("y = x * 2", "y = x * 5"), "utf-8")
    assert main(["check", "--select", "sync", str(nb)]) == 1
    assert main(["sync", str(md)]) == 1
    assert "y = x * 5" in py.read_text("utf-8")
    assert "".join(json.loads(nb.read_bytes())["cells"][2]["source"]) == "y = x * 5"
    assert main(["sync", "--check", str(git_repo)]) == 0
    assert main(["check", "--select", "sync", str(nb)]) == 0
    # different edits in both text files: nothing is lost
    py.write_text(py.read_text("utf-8").replace("x = 1", "x = 10"), "utf-8")
    md.write_text(md.read_text("utf-8").replace("x = 1", "x = 20"), "utf-8")
    assert main(["sync", str(git_repo)]) == 1
    assert "x = 20" in md.read_text("utf-8")
    assert "x = 10" in "".join(json.loads(nb.read_bytes())["cells"][1]["source"])
    assert main(["sync", "--check", str(git_repo)]) == 1  # still in conflict: md vs notebook
    # unpairing forgets every text file
    assert main(["pair", "--unpair", str(nb)]) == 1
    assert "formats" not in py.read_text("utf-8") and "formats" not in md.read_text("utf-8")
