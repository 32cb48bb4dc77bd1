"""Malformed notebook structure is a file-level error naming the JSON pointer of the problem."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Callable

import pytest
from conftest import make_cell, make_nb, write_nb

from nbtools.cli import main
from nbtools.structure import MAX_DEPTH, depth, pointer

GOOD = make_nb(
    [
        make_cell("markdown", "# hi"),
        make_cell("code", "print(1)", execution_count=1),
        make_cell("code", "x", outputs=[{"output_type": "stream", "name": "stdout", "text": "1"}]),
        make_cell("code", "y"),
    ]
)


def _set(*path: Any, value: Any) -> Callable[[dict[str, Any]], None]:
    def damage(nb: dict[str, Any]) -> None:
        node: Any = nb
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value

    return damage


CASES = [
    (_set("cells", 3, "metadata", value=[]), "/cells/3/metadata: expected an object, got a list"),
    (_set("metadata", value="x"), "/metadata: expected an object, got a string"),
    (_set("cells", 1, value=5), "/cells/1: expected an object, got an integer"),
    (
        _set("cells", 2, "outputs", 0, value=None),
        "/cells/2/outputs/0: expected an object, got null",
    ),
    (_set("cells", 2, "outputs", value={}), "/cells/2/outputs: expected a list, got an object"),
    (
        _set("cells", 0, "source", value=7),
        "/cells/0/source: expected a string or a list of strings",
    ),
    (_set("cells", 0, "source", value=["a", 1]), "/cells/0/source/1: expected a string, got an"),
    (
        _set("cells", 1, "execution_count", value="1"),
        "/cells/1/execution_count: expected an integer",
    ),
    (_set("cells", 1, "metadata", value={"tags": "x"}), "/cells/1/metadata/tags: expected a list"),
    (_set("metadata", "kernelspec", value=[]), "/metadata/kernelspec: expected an object"),
    (_set("metadata", "jupytext", value={"formats": 1}), "/metadata/jupytext/formats: expected a"),
    (
        _set("cells", 2, "outputs", 0, "text", value={}),
        "/cells/2/outputs/0/text: expected a string",
    ),
    (
        _set("cells", 2, "outputs", 0, value={}),
        "/cells/2/outputs/0: an output without 'output_type'",
    ),
    (_set("cells", 1, value={"source": "x"}), "/cells/1: a cell without 'cell_type'"),
    (_set("nbformat_minor", value="5"), "/nbformat_minor: expected an integer, got a string"),
    (_set("cells", 0, "attachments", value={"a/b.png": []}), "/cells/0/attachments/a~1b.png: exp"),
]


@pytest.mark.parametrize("command", [["strip"], ["scan"], ["check"], ["strip", "--check"]])
@pytest.mark.parametrize(("damage", "message"), CASES, ids=[m for _, m in CASES])
def test_malformed_structure_is_exit_2_with_the_pointer_and_the_batch_goes_on(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: list[str],
    damage: Callable[[dict[str, Any]], None],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    nb = copy.deepcopy(GOOD)
    damage(nb)
    bad = write_nb(tmp_path / "a.ipynb", nb)
    before = bad.read_bytes()
    write_nb(tmp_path / "b.ipynb", copy.deepcopy(GOOD))
    assert main([*command, "--format", "json", "a.ipynb", "b.ipynb"]) == 2
    out, err = capsys.readouterr()
    assert f"a.ipynb: {message}" in err
    files = {f["path"]: f for f in json.loads(out)["files"]}
    assert files["a.ipynb"]["status"] == "error" and files["b.ipynb"]["status"] != "error"
    assert bad.read_bytes() == before


def test_pointer_escapes_and_depth() -> None:
    assert pointer("cells", 0, "a/b~c") == "/cells/0/a~1b~0c"
    assert depth({"a": [1, {"b": []}]}) == 4 and depth(5) == 0
    deep: Any = []
    for _ in range(MAX_DEPTH + 5):
        deep = [deep]
    assert depth(deep) > MAX_DEPTH


def test_every_real_fixture_is_valid(tmp_path: Path) -> None:
    from nbtools.notebook import read_notebook

    real = Path(__file__).parent / "fixtures" / "real"
    paths = sorted(real.glob("*.ipynb"))
    assert paths
    for path in paths:
        read_notebook(path)  # no InputError


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[tool.nbtools]\nexclude = 5", "tool.nbtools.exclude must be a list, not int"),
        ("[tool.nbtools]\nextend_exclude = [1]", "tool.nbtools.extend_exclude must be a list of"),
        ("[tool.nbtools]\ncolor = 'pink'", "tool.nbtools.color must be one of auto"),
        ("[tool.nbtools]\nformat = 3", "tool.nbtools.format must be a string"),
        ("[tool.nbtools.strip]\nmax_output_size = -1", "strip.max_output_size must not be neg"),
        ("[tool.nbtools.strip]\nextra_keys = [1]", "strip.extra_keys must be a list of strings"),
        ("[tool.nbtools.strip]\nkeep_output = 1", "strip.keep_output must be bool"),
        ("[tool.nbtools.run]\ntimeout = -1.0", "tool.nbtools.run.timeout must not be negative"),
        ("[tool.nbtools.run]\ntimeout = nan", "tool.nbtools.run.timeout must not be negative"),
        ("[tool.nbtools.scan]\njobs = true", "tool.nbtools.scan.jobs must be int"),
    ],
)
def test_wrong_config_types_are_exit_2_naming_the_key(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    toml: str,
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text(toml + "\n")
    write_nb(tmp_path / "nb.ipynb", copy.deepcopy(GOOD))
    command = toml.split("]", maxsplit=1)[0].rpartition(".")[2]
    command = command if command in ("strip", "run", "scan") else "strip"
    assert main([command, "nb.ipynb"]) == 2
    err = capsys.readouterr().err
    assert message in err and "internal error" not in err


@pytest.mark.parametrize(
    "argv", [["strip", "--max-output-size", "-1"], ["run", "--timeout", "-2"], ["scan", "-j", "-1"]]
)
def test_negative_numbers_on_the_command_line_are_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    write_nb(tmp_path / "nb.ipynb", copy.deepcopy(GOOD))
    assert main([*argv, str(tmp_path / "nb.ipynb")]) == 2
    assert "must not be negative" in capsys.readouterr().err
