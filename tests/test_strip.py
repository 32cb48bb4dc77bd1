"""Strip rules on synthetic notebooks, and on every notebook of the public corpus."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import make_cell, make_nb, shared_path, write_nb

from nbtools.notebook import iter_cells, read_notebook, source_text, write_notebook
from nbtools.strip import pop_dotted, strip_notebook
from nbtools.stripsettings import StripOptions

STREAM = {"name": "stdout", "output_type": "stream", "text": ["hi\n"]}
RESULT = {
    "data": {"text/plain": ["2"]},
    "execution_count": 3,
    "metadata": {},
    "output_type": "execute_result",
}


def volatile_cell(**metadata: Any) -> dict[str, Any]:
    return make_cell(
        "code", "1 + 1", execution_count=3, outputs=[copy.deepcopy(STREAM)], metadata=metadata
    )


def test_outputs_counts_and_volatile_metadata_go_keepers_stay() -> None:
    cell = volatile_cell(
        ExecuteTime={"start_time": "x"},
        execution={"iopub.status.busy": "x"},
        collapsed=True,
        scrolled=True,
        trusted=True,
        papermill={"duration": 1},
        colab={"base_uri": "x"},
        pycharm={"name": "#%%"},
        vscode={"languageId": "python"},
        jupyter={"outputs_hidden": True, "source_hidden": True},
        tags=["parameters"],
        slideshow={"slide_type": "slide"},
        editable=False,
        custom_key=1,
    )
    md = make_cell(
        "markdown", "# T", metadata={"heading_collapsed": True, "hidden": True, "tags": ["intro"]}
    )
    md["attachments"] = {"a.png": {"image/png": "iVBORw0KGgo="}}
    nb = make_nb(
        [cell, md],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python", "version": "3.11.7"},
            "jupytext": {"formats": "ipynb,py:percent"},
            "widgets": {"state": {}},
            "signature": "sha256:x",
            "papermill": {"duration": 3},
            "vscode": {"interpreter": {"hash": "abc"}},
            "colab": {"provenance": [], "name": "x.ipynb"},
        },
    )
    result = strip_notebook(nb)
    assert result.changed
    code = nb["cells"][0]
    assert code["outputs"] == [] and code["execution_count"] is None
    assert code["metadata"] == {
        "jupyter": {"source_hidden": True},
        "tags": ["parameters"],
        "slideshow": {"slide_type": "slide"},
        "editable": False,
        "custom_key": 1,
    }
    assert code["id"] == "cell-0"
    assert nb["cells"][1]["metadata"] == {"tags": ["intro"]}
    assert nb["cells"][1]["attachments"] == {"a.png": {"image/png": "iVBORw0KGgo="}}
    assert nb["metadata"] == {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
        "jupytext": {"formats": "ipynb,py:percent"},
        "colab": {"name": "x.ipynb"},
    }
    rules = {c.rule for c in result.changes}
    assert rules == {"strip/outputs", "strip/execution-count", "strip/metadata"}


def test_emptied_jupyter_dict_is_removed() -> None:
    nb = make_nb([volatile_cell(jupyter={"outputs_hidden": True})])
    strip_notebook(nb)
    assert nb["cells"][0]["metadata"] == {}


def test_strip_is_idempotent() -> None:
    nb = make_nb([volatile_cell(collapsed=True), make_cell("markdown", "x")])
    strip_notebook(nb)
    again = copy.deepcopy(nb)
    assert not strip_notebook(again).changed
    assert again == nb


@pytest.mark.parametrize(
    ("metadata", "tags", "options", "kept"),
    [
        ({}, ["keep_output"], StripOptions(), True),
        ({"keep_output": True}, [], StripOptions(), True),
        ({"keep_output": False}, [], StripOptions(keep_output=True), False),
        ({"init_cell": True}, [], StripOptions(), True),
        ({"init_cell": True}, [], StripOptions(strip_init_cells=True), False),
        ({}, [], StripOptions(keep_output=True), True),
        ({}, [], StripOptions(), False),
    ],
)
def test_keep_output_rules(
    metadata: dict[str, Any], tags: list, options: StripOptions, kept: bool
) -> None:
    md = dict(metadata)
    if tags:
        md["tags"] = tags
    cell = make_cell("code", "1", execution_count=2, outputs=[copy.deepcopy(RESULT)], metadata=md)
    nb = make_nb([cell])
    strip_notebook(nb, options)
    assert bool(nb["cells"][0]["outputs"]) is kept
    assert nb["cells"][0]["execution_count"] is None
    if kept:
        assert nb["cells"][0]["outputs"][0]["execution_count"] is None


def test_keep_count_keeps_counts_everywhere() -> None:
    cell = make_cell("code", "1", execution_count=2, outputs=[copy.deepcopy(RESULT)])
    nb = make_nb([cell])
    strip_notebook(nb, StripOptions(keep_output=True, keep_count=True))
    assert nb["cells"][0]["execution_count"] == 2
    assert nb["cells"][0]["outputs"][0]["execution_count"] == 3


def test_notebook_level_keep_output() -> None:
    nb = make_nb(
        [make_cell("code", "1", outputs=[copy.deepcopy(STREAM)])], metadata={"keep_output": True}
    )
    strip_notebook(nb)
    assert nb["cells"][0]["outputs"] == [STREAM]


def test_max_output_size_drops_only_large_kept_outputs() -> None:
    big = {"name": "stdout", "output_type": "stream", "text": ["x" * 5000]}
    cell = make_cell(
        "code", "1", outputs=[copy.deepcopy(STREAM), big], metadata={"tags": ["keep_output"]}
    )
    nb = make_nb([cell])
    strip_notebook(nb, StripOptions(max_output_size=1000))
    assert nb["cells"][0]["outputs"] == [STREAM]


def test_drop_tagged_and_empty_cells() -> None:
    cells = [
        make_cell("code", "keep"),
        make_cell("code", "scratch", metadata={"tags": ["scratch"]}),
        make_cell("code", "   \n"),
        make_cell("markdown", ""),
        make_cell("code", "x", metadata={"tags": ["remove_cell"]}),
    ]
    nb = make_nb(cells)
    result = strip_notebook(
        nb, StripOptions(drop_tagged_cells=("scratch", "remove_cell"), drop_empty_cells=True)
    )
    assert [source_text(c) for c in nb["cells"]] == ["keep"]
    assert [c.cell_index for c in result.changes] == [1, 2, 3, 4]


def test_extra_and_keep_keys() -> None:
    cell = volatile_cell(collapsed=True, custom={"a": 1, "b": 2})
    nb = make_nb([cell], metadata={"celltoolbar": "Tags"})
    options = StripOptions(
        extra_keys=("cell.metadata.custom.a", "metadata.celltoolbar"),
        keep_keys=frozenset({"cell.metadata.collapsed"}),
    )
    strip_notebook(nb, options)
    assert nb["cells"][0]["metadata"] == {"collapsed": True, "custom": {"b": 2}}
    assert nb["metadata"] == {}


def test_keys_with_dots_are_matched_whole() -> None:
    metadata = {"application/vnd.databricks.v1+cell": {"x": 1}, "a": {"b.c": 1, "d": 2}}
    assert pop_dotted(metadata, "application/vnd.databricks.v1+cell")
    assert pop_dotted(metadata, "a.b.c")
    assert metadata == {"a": {"d": 2}}
    assert not pop_dotted(metadata, "a.missing")


def test_v3_notebooks_are_stripped() -> None:
    v3 = {
        "nbformat": 3,
        "nbformat_minor": 0,
        "metadata": {"signature": "sha256:x", "name": "old"},
        "worksheets": [
            {
                "cells": [
                    {
                        "cell_type": "code",
                        "input": "1",
                        "prompt_number": 4,
                        "outputs": [{"output_type": "pyout"}],
                        "metadata": {},
                        "language": "python",
                    }
                ],
                "metadata": {},
            }
        ],
    }
    assert strip_notebook(v3).changed
    cell = v3["worksheets"][0]["cells"][0]
    assert cell["outputs"] == [] and cell["prompt_number"] is None and "execution_count" not in cell
    assert v3["metadata"] == {"name": "old"}


# --- the public corpus -------------------------------------------------------------


def _content(nb: dict[str, Any]) -> list:
    return [
        (c.get("cell_type"), source_text(c), c.get("attachments"), c.get("id"))
        for c in iter_cells(nb)
    ]


@pytest.mark.shared
def test_every_public_notebook_strips_validly_and_idempotently(tmp_path: Path) -> None:
    import nbformat

    corpus = shared_path("corpus", "public")
    work = tmp_path / "public"
    shutil.copytree(corpus, work)
    notebooks = sorted(work.glob("*.ipynb"))
    assert len(notebooks) >= 60
    for path in notebooks:
        path.chmod(0o644)
        original = json.loads(path.read_text(encoding="utf-8-sig"))
        nbfile = read_notebook(path)
        strip_notebook(nbfile.nb)
        write_notebook(nbfile)
        stripped = json.loads(path.read_text(encoding="utf-8-sig"))
        assert _content(stripped) == _content(original), path.name
        assert all(
            not c.get("outputs") for c in iter_cells(stripped) if c.get("cell_type") == "code"
        ), path.name
        as_nb = nbformat.reads(path.read_text(encoding="utf-8-sig"), as_version=nbformat.NO_CONVERT)
        nbformat.validate(as_nb)
        # second pass: nothing to do, nothing written
        before = path.stat().st_mtime_ns
        again = read_notebook(path)
        assert not strip_notebook(again.nb).changed, path.name
        assert write_notebook(again) is False
        assert path.stat().st_mtime_ns == before


@pytest.mark.shared
def test_strip_probe_kitchen_sink(tmp_path: Path) -> None:
    probe = shared_path("corpus", "strip-probe", "kitchen_sink.ipynb")
    nbfile = read_notebook(probe)
    strip_notebook(nbfile.nb, StripOptions(drop_tagged_cells=("remove_cell",)))
    cells = {c["id"]: c for c in nbfile.nb["cells"]}
    assert "dropme" not in cells
    assert cells["keepme"]["outputs"] and cells["keepmeta"]["outputs"] and cells["init"]["outputs"]
    assert cells["widget"]["outputs"] == []
    assert cells["a1b2c3d4"]["metadata"]["tags"] == ["parameters"]
    assert "ExecuteTime" not in cells["a1b2c3d4"]["metadata"]
    assert set(nbfile.nb["metadata"]) >= {"kernelspec", "jupytext", "language_info"}
    assert not {"widgets", "signature", "papermill", "vscode"} & set(nbfile.nb["metadata"])
    assert cells["md-attach"]["attachments"]


def test_strip_reports_a_credential_in_the_outputs_it_removes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Whatever the hook order, a token printed in an output is not stripped without a word."""
    import json as _json

    from nbtools.cli import main

    token = "ghp_R8x2Kq9LmZ4vT7bN1cW5yH3jD6fG0sAeP2uX"  # made up; nbtools: allow
    leak = {"output_type": "stream", "name": "stdout", "text": [f"GITHUB_TOKEN={token}\n"]}
    cells = [
        make_cell(source="!env", execution_count=1, outputs=[leak]),
        make_cell(source="print(1)", execution_count=2, outputs=[STREAM]),
    ]
    path = write_nb(tmp_path / "nb.ipynb", make_nb(cells))
    assert main(["strip", "--format", "json", str(path)]) == 1
    out = capsys.readouterr()
    data = _json.loads(out.out)
    (finding,) = data["findings"]
    assert finding["rule"] == "strip/credential-in-output"
    assert (finding["cell_index"], finding["output_index"]) == (0, 0)
    assert "rotate" in finding["message"] and finding["secret_rule"] == "scan/github-token"
    assert token not in out.out + out.err
    assert token not in path.read_text()  # stripped all the same
    # nothing left to remove: the next run passes
    assert main(["strip", str(path)]) == 0
