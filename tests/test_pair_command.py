"""``nbtools pair`` end to end: real jupytext, real git repositories, the public corpus."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest
from conftest import make_cell, make_nb, shared_path, write_nb

from nbtools.cli import main
from nbtools.pairs.find import paired_notebook, paired_script
from nbtools.pairs.formats import header_formats

pytestmark = pytest.mark.git


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and ".git" not in p.parts
    }


@pytest.mark.shared
def test_corpus_pair_then_first_sync_changes_no_cell(
    git_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = shared_path("corpus", "public")
    work = git_repo / "nbs"
    shutil.copytree(corpus, work, copy_function=shutil.copyfile)  # shared/ has no write bits
    assert main(["pair", str(work)]) == 2  # two notebooks cannot be paired, the rest are
    err = capsys.readouterr().err
    assert "nbformat__test3.ipynb: nbformat 3 notebook; upgrade it first" in err
    assert "nbformat__test4plus.ipynb: jupytext cannot convert it" in err
    paired = 0
    for original in sorted(corpus.glob("*.ipynb")):
        nb_path = work / original.name
        script = nb_path.with_suffix(".py")
        if not script.exists():
            continue
        paired += 1
        before, after = json.loads(original.read_bytes()), json.loads(nb_path.read_bytes())
        assert after["cells"] == before["cells"], original.name
        assert after["metadata"]["jupytext"]["formats"] == "ipynb,py:percent"
        assert header_formats(script.read_text(encoding="utf-8")) == "ipynb,py:percent"
        assert paired_script(nb_path) == script and paired_notebook(script) == nb_path
    assert paired == 62
    assert (git_repo / ".nbtools-sync.json").is_file()  # the record sits in the project root
    before_sync = snapshot(work)
    assert main(["sync", str(work)]) == 0
    assert main(["sync", "--check", str(work)]) == 0
    assert snapshot(work) == before_sync  # nothing rewritten, not even touched
    assert main(["pair", str(work)]) == 2  # pairing again changes nothing either
    assert snapshot(work) == before_sync


def test_jupytext_reads_what_pair_writes(git_repo: Path) -> None:
    import jupytext
    from jupytext.paired_paths import paired_paths

    nb_path = write_nb(git_repo / "nb.ipynb", make_nb([make_cell("code", "x = 1")]))
    assert main(["pair", str(nb_path)]) == 1
    nb = nbformat.read(str(nb_path), as_version=4)
    nbformat.validate(nb)
    formats = nb.metadata["jupytext"]["formats"]
    assert [p for p, _ in paired_paths(str(nb_path), "ipynb", formats)] == [
        str(nb_path),
        str(git_repo / "nb.py"),
    ]
    text_nb = jupytext.read(git_repo / "nb.py")
    assert text_nb.metadata["jupytext"]["formats"] == "ipynb,py:percent"
    assert text_nb.cells[0].source == "x = 1"


@pytest.mark.parametrize(
    ("args", "script", "marker"),
    [
        ([], "nb.py", "# %%"),
        (["--formats", "py:light"], "nb.py", None),
        (["--formats", "scripts//py:percent"], "scripts/nb.py", "# %%"),
        (["--formats", "ipynb,scripts//py:percent"], "scripts/nb.py", "# %%"),
    ],
)
def test_formats(git_repo: Path, args: list[str], script: str, marker: str | None) -> None:
    nb_path = write_nb(
        git_repo / "nb.ipynb", make_nb([make_cell("code", "x = 1"), make_cell("code", "y = 2")])
    )
    assert main(["pair", *args, str(nb_path)]) == 1
    text = (git_repo / script).read_text(encoding="utf-8")
    assert (marker in text) if marker else ("# %%" not in text and "y = 2" in text)
    assert main(["sync", "--check", str(git_repo / script)]) == 0


def test_formats_from_config(git_repo: Path) -> None:
    (git_repo / "pyproject.toml").write_text(
        '[tool.nbtools.pair]\nformats = "scripts//py:percent"\n', encoding="utf-8"
    )
    nb_path = write_nb(git_repo / "nb.ipynb", make_nb([make_cell("code", "x = 1")]))
    assert main(["pair", str(nb_path)]) == 1
    assert (git_repo / "scripts" / "nb.py").is_file()


def test_bad_format_is_a_usage_error(git_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    nb_path = write_nb(git_repo / "nb.ipynb", make_nb([make_cell("code", "x = 1")]))
    assert main(["pair", "--formats", "md:pandoc", str(nb_path)]) == 2
    assert "unsupported pairing format" in capsys.readouterr().err


def test_pair_a_script_creates_its_notebook(git_repo: Path) -> None:
    script = git_repo / "analysis.py"
    script.write_text(
        "# %% [markdown]\n# # Title\n\n# %%\nimport os\n%time x = 1\n", encoding="utf-8"
    )
    assert main(["pair", str(script)]) == 1
    nb = nbformat.read(str(git_repo / "analysis.ipynb"), as_version=4)
    nbformat.validate(nb)
    assert [c.cell_type for c in nb.cells] == ["markdown", "code"]
    assert nb.cells[1].source == "import os\n%time x = 1"
    assert "text_representation" not in nb.metadata["jupytext"]
    assert header_formats(script.read_text(encoding="utf-8")) == "ipynb,py:percent"
    assert main(["sync", "--check", str(script)]) == 0


def test_existing_different_script_is_not_overwritten(
    git_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nb_path = write_nb(git_repo / "nb.ipynb", make_nb([make_cell("code", "x = 1")]))
    script = git_repo / "nb.py"
    script.write_text("# %%\nx = 'mine'\n", encoding="utf-8")
    assert main(["pair", str(nb_path)]) == 1
    assert script.read_text(encoding="utf-8") == "# %%\nx = 'mine'\n"
    assert "--prefer ipynb" in capsys.readouterr().out
    assert main(["sync", str(nb_path)]) == 1  # no record and different: a conflict
    assert main(["sync", "--prefer", "py", str(nb_path)]) == 1
    assert nbformat.read(str(nb_path), as_version=4).cells[0].source == "x = 'mine'"


def test_unpair(git_repo: Path) -> None:
    nb_path = write_nb(git_repo / "nb.ipynb", make_nb([make_cell("code", "x = 1")]))
    original = nb_path.read_bytes()
    assert main(["pair", str(nb_path)]) == 1
    assert main(["pair", "--unpair", str(nb_path)]) == 1
    assert nb_path.read_bytes() == original  # layout and key order are back as they were
    script = git_repo / "nb.py"
    assert script.is_file() and header_formats(script.read_text(encoding="utf-8")) is None
    assert paired_notebook(script) is None
    assert main(["pair", "--unpair", str(nb_path)]) == 0


def test_existing_matching_script_gets_the_pairing_header(git_repo: Path) -> None:
    nb_path = write_nb(
        git_repo / "nb.ipynb", make_nb([make_cell("code", "x = 1"), make_cell("markdown", "Hi")])
    )
    script = git_repo / "nb.py"
    script.write_text(
        "# %%\nx = 1\n\n# %% [markdown]\n# Hi\n", encoding="utf-8"
    )  # same cells, no header
    assert main(["pair", str(nb_path)]) == 1
    text = script.read_text(encoding="utf-8")
    assert header_formats(text) == "ipynb,py:percent" and text.endswith(
        "# %%\nx = 1\n\n# %% [markdown]\n# Hi\n"
    )
    assert main(["sync", "--check", str(nb_path)]) == 0


@pytest.mark.parametrize(
    ("args", "expected_exit", "message"),
    [
        (["pair", "--unpair", "nb.py"], 2, "name the notebook to unpair, not the script"),
        (["pair", "--unpair", "plain.ipynb"], 0, ""),
        (["pair", "--formats", "scripts//py:percent", "elsewhere/nb2.py"], 2, "not in the folder"),
        (["pair", "broken.ipynb", "plain.ipynb"], 2, "broken.ipynb: invalid JSON"),
    ],
)
def test_pair_refusals(
    git_repo: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    expected_exit: int,
    message: str,
) -> None:
    monkeypatch.chdir(git_repo)
    write_nb(git_repo / "plain.ipynb", make_nb([make_cell("code", "x = 1")]))
    (git_repo / "nb.py").write_text("# %%\nx = 1\n", encoding="utf-8")
    (git_repo / "elsewhere").mkdir()
    (git_repo / "elsewhere" / "nb2.py").write_text("x = 1\n", encoding="utf-8")
    (git_repo / "broken.ipynb").write_text("{", encoding="utf-8")
    assert main(args) == expected_exit
    assert message in capsys.readouterr().err


def test_pair_a_script_whose_notebook_exists_pairs_that_notebook(git_repo: Path) -> None:
    nb_path = write_nb(git_repo / "nb.ipynb", make_nb([make_cell("code", "x = 1")]))
    (git_repo / "nb.py").write_text("# %%\nx = 1\n", encoding="utf-8")
    assert main(["pair", str(git_repo / "nb.py")]) == 1  # the notebook gains its pairing
    assert main(["pair", str(git_repo / "nb.py")]) == 0  # already paired
    assert paired_script(nb_path) == git_repo / "nb.py"
    assert main(["pair", str(git_repo / "missing.py")]) == 2
