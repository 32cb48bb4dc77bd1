"""Pairing: formats, path arithmetic (checked against jupytext's own), lookups, conversions."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import make_cell, make_nb, write_nb

from nbtools.errors import InputError, UsageError
from nbtools.pairs.convert import notebook_to_text, text_to_notebook
from nbtools.pairs.find import (
    find_pair,
    pair_of_script,
    paired_notebook,
    paired_script,
    source_of_truth,
)
from nbtools.pairs.formats import (
    PairFormat,
    format_from_formats,
    header_formats,
    parse_format,
    with_pairing,
)
from nbtools.pairs.state import SyncState, file_hash


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("py:percent", PairFormat(".py", "percent", "")),
        ("py:light", PairFormat(".py", "light", "")),
        (".py:percent", PairFormat(".py", "percent", "")),
        ("scripts//py:percent", PairFormat(".py", "percent", "scripts")),
        ("a/b//py:light", PairFormat(".py", "light", "a/b")),
    ],
)
def test_parse_format(spec: str, expected: PairFormat) -> None:
    assert parse_format(spec) == expected


@pytest.mark.parametrize(
    "spec", ["py:sphinx-ish", "ipynb:percent", "nonsense", "", "md:percent", "qmd", "R:percent"]
)
def test_parse_format_refuses(spec: str) -> None:
    with pytest.raises(UsageError, match="format"):
        parse_format(spec)


@pytest.mark.parametrize(
    ("formats", "expected"),
    [
        ("ipynb,py:percent", PairFormat(".py", "percent")),
        ("ipynb,py", PairFormat(".py", "")),  # jupytext's default for .py decides
        ("ipynb,scripts//py:percent", PairFormat(".py", "percent", "scripts")),
        ("py:percent,ipynb", PairFormat(".py", "percent")),
        ("ipynb,md", PairFormat(".md", "")),
        ("ipynb,md:myst", PairFormat(".md", "myst")),
        ("ipynb,Rmd", PairFormat(".Rmd", "")),
        ("ipynb,py:hydrogen", PairFormat(".py", "hydrogen")),
        ("ipynb,qmd", None),  # quarto needs a program of its own
        ("py:percent,md", None),  # no notebook in the pairing
        ("notebooks///ipynb,scripts///py:percent", None),  # left to jupytext
    ],
)
def test_format_from_formats(formats: str, expected: PairFormat | None) -> None:
    assert format_from_formats(formats) == expected


@pytest.mark.parametrize(
    "spec", ["py:percent", "py:light", "scripts//py:percent", "md:myst", "docs//Rmd", "py"]
)
def test_paths_agree_with_jupytext(spec: str) -> None:
    from jupytext.paired_paths import paired_paths

    fmt = parse_format(spec)
    notebook = Path("/work/proj/nb.ipynb")
    expected = dict(paired_paths(str(notebook), "ipynb", fmt.formats))
    script = fmt.script_for(notebook)
    assert str(script) in expected
    assert fmt.notebook_for(script) == notebook


def test_notebook_for_outside_prefix_folder() -> None:
    assert parse_format("scripts//py:percent").notebook_for(Path("/p/other/nb.py")) is None


def test_with_pairing_keeps_sorted_keys_and_removes() -> None:
    nb = make_nb([make_cell("code", "x = 1")])
    nb["metadata"]["language_info"] = {"name": "python"}
    paired = with_pairing(nb, parse_format("py:percent"))
    assert list(paired["metadata"]) == ["jupytext", "kernelspec", "language_info"]
    assert paired["metadata"]["jupytext"] == {"formats": "ipynb,py:percent"}
    assert "jupytext" not in nb["metadata"]  # the input is not modified
    assert with_pairing(paired, None)["metadata"] == nb["metadata"]


def test_header_formats_reads_jupytext_header() -> None:
    fmt = parse_format("scripts//py:percent")
    nb = with_pairing(make_nb([make_cell("code", "x = 1")]), fmt)
    text = notebook_to_text(nb, fmt)
    assert header_formats(text) == "ipynb,scripts//py:percent"
    assert header_formats("import os\n") is None
    assert header_formats("# ---\n# title: x\n# ---\n# formats: ipynb,py\n") is None


def _pair_on_disk(tmp_path: Path, spec: str = "py:percent") -> tuple[Path, Path]:
    fmt = parse_format(spec)
    nb = with_pairing(make_nb([make_cell("code", "x = 1")]), fmt)
    notebook = write_nb(tmp_path / "nb.ipynb", nb)
    script = fmt.script_for(notebook)
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(notebook_to_text(nb, fmt), encoding="utf-8")
    return notebook, script


@pytest.mark.parametrize("spec", ["py:percent", "py:light", "scripts//py:percent"])
def test_lookups_both_ways(tmp_path: Path, spec: str) -> None:
    notebook, script = _pair_on_disk(tmp_path, spec)
    assert paired_script(notebook) == script
    assert paired_notebook(script) == notebook
    pair = find_pair(script)
    assert pair is not None and pair.notebook == notebook and pair.script == script


def test_script_without_header_found_through_the_notebook(tmp_path: Path) -> None:
    notebook, script = _pair_on_disk(tmp_path)
    script.write_text("x = 1\n", encoding="utf-8")
    pair = pair_of_script(script)
    assert pair is not None and pair.notebook == notebook


def test_unpaired_files(tmp_path: Path) -> None:
    notebook = write_nb(tmp_path / "plain.ipynb", make_nb([make_cell("code", "x = 1")]))
    module = tmp_path / "module.py"
    module.write_text("import os\n", encoding="utf-8")
    assert paired_script(notebook) is None
    assert paired_notebook(module) is None
    assert source_of_truth(notebook) == notebook
    assert source_of_truth(module) == module


def test_missing_partner_is_not_returned(tmp_path: Path) -> None:
    notebook, script = _pair_on_disk(tmp_path)
    script.unlink()
    assert paired_script(notebook) is None
    assert source_of_truth(notebook) == notebook


def test_source_of_truth(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()  # the project root, where the sync record lives
    notebook, script = _pair_on_disk(tmp_path)
    assert source_of_truth(notebook) == script  # no record: the reviewed script wins
    state = SyncState()
    state.set(notebook, script, file_hash(notebook) or "", file_hash(script) or "")
    state.save()
    assert source_of_truth(notebook) == script
    notebook.write_text(
        notebook.read_text(encoding="utf-8").replace("x = 1", "x = 2"), encoding="utf-8"
    )
    # only the notebook changed since the last sync: the script is stale
    assert source_of_truth(notebook) == notebook
    assert source_of_truth(script) == notebook


def test_text_to_notebook_refuses_bad_header() -> None:
    text = "# ---\n# jupyter:\n#   jupytext: [unclosed\n#   formats: ipynb,py\n# ---\nx = 1\n"
    with pytest.raises(InputError, match="jupytext cannot parse it"):
        text_to_notebook(text, parse_format("py:percent"), "bad.py")


def test_conversion_round_trip_keeps_cells() -> None:
    fmt = parse_format("py:percent")
    nb = make_nb(
        [
            make_cell("markdown", "# Title\n\nSome *text*"),
            make_cell("code", "%matplotlib inline\nx = 1", metadata={"tags": ["parameters"]}),
            make_cell("raw", "raw text"),
        ]
    )
    back = text_to_notebook(notebook_to_text(nb, fmt), fmt)
    assert [(c["cell_type"], c["source"]) for c in back["cells"]] == [
        (c["cell_type"], c["source"]) for c in nb["cells"]
    ]
    assert back["cells"][1]["metadata"] == {"tags": ["parameters"]}
