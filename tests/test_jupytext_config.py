"""jupytext's own configuration (jupytext.toml, [tool.jupytext]) applies to pair, sync and check,
loaded by jupytext itself, and results agree with the jupytext CLI on the same tree."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from nbtools.cli import main
from nbtools.pairs.find import pair_of_notebook
from nbtools.pairs.jupytext_config import jupytext_config

pytestmark = pytest.mark.git

FILTERS = 'notebook_metadata_filter = "-all"\ncell_metadata_filter = "-all"\n'


def notebook(path: Path) -> Path:
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("# Title"),
            nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["keep"]}),
        ]
    )
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


def jupytext_sync(folder: Path, name: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "jupytext", "--sync", name],
        cwd=folder,
        check=True,
        capture_output=True,
    )


@pytest.mark.parametrize(
    "where",
    [
        ("jupytext.toml", 'formats = "ipynb,py:percent"\n' + FILTERS),
        ("pyproject.toml", '[tool.jupytext]\nformats = "ipynb,py:percent"\n' + FILTERS),
        (
            ".jupytext.yml",
            'formats: "ipynb,py:percent"\nnotebook_metadata_filter: "-all"\n'
            'cell_metadata_filter: "-all"\n',
        ),
    ],
)
def test_sync_makes_what_jupytext_makes_with_the_same_configuration(
    git_repo: Path, tmp_path: Path, where: tuple[str, str]
) -> None:
    name, content = where
    (git_repo / name).write_text(content, encoding="utf-8")
    nb = notebook(git_repo / "nbs" / "nb.ipynb")
    scratch = tmp_path / "scratch"
    shutil.copytree(git_repo, scratch, ignore=shutil.ignore_patterns(".git"))
    jupytext_sync(scratch / "nbs", "nb.ipynb")
    before = nb.read_bytes()
    assert main(["sync", str(git_repo)]) == 1  # paired by the configuration: script created
    script = git_repo / "nbs" / "nb.py"
    assert script.read_text(encoding="utf-8") == (scratch / "nbs" / "nb.py").read_text(
        encoding="utf-8"
    )
    assert "jupytext" not in script.read_text(encoding="utf-8")  # the filters applied
    assert nb.read_bytes() == before  # no metadata added, as jupytext --sync
    assert main(["sync", "--check", str(git_repo)]) == 0
    assert main(["check", "--select", "sync", str(nb)]) == 0
    # an edit on the script side, read back with the same filters (tags kept on the cell)
    script.write_text(script.read_text(encoding="utf-8").replace("x = 1", "x = 2"), "utf-8")
    assert main(["check", "--select", "sync", str(nb)]) == 1
    assert main(["sync", str(nb)]) == 1
    cells = json.loads(nb.read_bytes())["cells"]
    assert cells[1]["source"] == ["x = 2"]


def test_pair_uses_the_configured_formats(git_repo: Path) -> None:
    (git_repo / "jupytext.toml").write_text('formats = "ipynb,scripts//py:light"\n', "utf-8")
    nb = notebook(git_repo / "nb.ipynb")
    assert main(["pair", str(nb)]) == 1
    script = git_repo / "scripts" / "nb.py"
    assert script.is_file() and "# %%" not in script.read_text(encoding="utf-8")
    assert "jupytext" not in json.loads(nb.read_bytes())["metadata"]
    pair = pair_of_notebook(nb)
    assert pair is not None and pair.script == script
    # the command line still wins
    other = notebook(git_repo / "other.ipynb")
    assert main(["pair", "--formats", "py:percent", str(other)]) == 1
    assert "# %%" in (git_repo / "other.py").read_text(encoding="utf-8")


def test_the_notebooks_own_formats_win_over_the_configuration(git_repo: Path) -> None:
    (git_repo / "jupytext.toml").write_text('formats = "ipynb,scripts//py:light"\n', "utf-8")
    nb = notebook(git_repo / "nb.ipynb")
    assert main(["pair", "--formats", "py:percent", str(nb)]) == 1
    pair = pair_of_notebook(nb)
    assert pair is not None and pair.script == git_repo / "nb.py"


def test_a_python_configuration_is_never_run(
    git_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    marker = git_repo.parent / "ran"
    (git_repo / ".jupytext.py").write_text(
        f"open({str(marker)!r}, 'w').close()\nc.formats = 'ipynb,py:percent'\n", "utf-8"
    )
    nb = notebook(git_repo / "nb.ipynb")
    assert main(["pair", str(nb)]) == 2
    assert main(["sync", str(nb)]) == 2
    assert main(["check", "--select", "sync", str(nb)]) == 2
    assert not marker.exists()
    assert "does not run code from the tree" in capsys.readouterr().err


def test_an_invalid_configuration_is_one_error(
    git_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (git_repo / "jupytext.toml").write_text("no_such_option = 1\n", "utf-8")
    nb = notebook(git_repo / "nb.ipynb")
    assert main(["sync", str(nb)]) == 2
    assert "invalid jupytext configuration" in capsys.readouterr().err


def test_the_lookup_stops_at_the_repository(git_repo: Path) -> None:
    (git_repo.parent / "jupytext.toml").write_text('formats = "ipynb,py:percent"\n', "utf-8")
    nb = notebook(git_repo / "nb.ipynb")
    assert jupytext_config(nb) is None
    assert pair_of_notebook(nb) is None


def test_documents_without_a_notebook_are_not_pairs(git_repo: Path) -> None:
    (git_repo / "jupytext.toml").write_text('formats = "ipynb,md"\n', "utf-8")
    (git_repo / "README.md").write_text("# Project\n", encoding="utf-8")
    notebook(git_repo / "nb.ipynb")
    assert main(["sync", str(git_repo)]) == 1  # nb.md created; README.md left alone
    assert (git_repo / "nb.md").is_file()
    assert not (git_repo / "README.ipynb").exists()
    assert main(["sync", "--check", str(git_repo)]) == 0
