"""Odd values in one notebook are an error for that file (exit 2); the batch goes on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import make_cell, make_nb, write_nb

from nbtools.cli import main
from nbtools.errors import InputError
from nbtools.notebook import loads_notebook

DIRTY = make_nb([make_cell("code", "print(1)", execution_count=1)])


def _with_metadata_value(literal: str) -> bytes:
    text = json.dumps(make_nb([make_cell("code", "x = 1", execution_count=2)]), indent=1)
    return text.replace('"kernelspec": {', '"odd": ' + literal + ',\n  "kernelspec": {', 1).encode()


HOSTILE: dict[str, tuple[bytes, str]] = {
    # Python 3.11 says "(4300 digits)", the 3.8 backport "(4300) for integer string conversion"
    "huge-int": (_with_metadata_value("7" * 5000), "Exceeds the limit (4300"),
    "deep-json": (_with_metadata_value("[" * 5000 + "]" * 5000), "nested too deeply"),
    "deep-ok-json": (_with_metadata_value("[" * 500 + "]" * 500), "levels deep"),
    "not-utf8": (_with_metadata_value('"\xff"').replace("\xff".encode(), b"\xff"), "not UTF-8"),
    "truncated": (_with_metadata_value("1")[:-20], "invalid JSON"),
}


@pytest.mark.parametrize("command", [["strip"], ["strip", "--check"], ["scan"], ["check"]])
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_an_odd_value_is_an_error_for_its_file_only(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: list[str],
    name: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    raw, message = HOSTILE[name]
    (tmp_path / "odd.ipynb").write_bytes(raw)
    write_nb(tmp_path / "z_dirty.ipynb", json.loads(json.dumps(DIRTY)))
    code = main([*command, "--format", "json", "odd.ipynb", "z_dirty.ipynb"])
    assert code == 2
    out, err = capsys.readouterr()
    assert "odd.ipynb: " in err and message in err
    statuses = {f["path"]: f["status"] for f in json.loads(out)["files"]}
    assert statuses["odd.ipynb"] == "error"
    assert statuses["z_dirty.ipynb"] != "error"  # the rest of the batch was processed
    assert (tmp_path / "odd.ipynb").read_bytes() == raw


def test_a_long_integer_under_the_limit_is_kept_exactly(tmp_path: Path) -> None:
    raw = _with_metadata_value("9" * 4000)
    path = tmp_path / "nb.ipynb"
    path.write_bytes(raw)
    assert main(["strip", str(path)]) == 1
    assert ("9" * 4000).encode() in path.read_bytes()


def test_a_lone_surrogate_escape_is_written_back_as_it_was(tmp_path: Path) -> None:
    raw = _with_metadata_value('"\\ud800 and \\u00e9"').replace(b'"x = 1"', b'"caf\xc3\xa9"')
    path = tmp_path / "nb.ipynb"
    path.write_bytes(raw)
    assert main(["strip", str(path)]) == 1  # the execution count goes
    written = path.read_bytes()
    assert b'"\\ud800 and \xc3\xa9"' in written and b'"execution_count": null' in written


def test_the_reader_turns_parse_failures_into_input_errors() -> None:
    for raw, message in HOSTILE.values():
        with pytest.raises(InputError, match="nb.ipynb: ") as info:
            loads_notebook(raw, "nb.ipynb")
        assert message in str(info.value)
