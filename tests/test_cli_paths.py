"""Paths named on the command line that do not exist: exit 2 for that path, the batch goes on."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from conftest import make_cell, make_nb, write_nb

from nbtools.cli import main

DIRTY = make_nb(
    [
        make_cell(
            "code",
            "print(1)",
            execution_count=1,
            outputs=[{"name": "stdout", "output_type": "stream", "text": ["1\n"]}],
        )
    ]
)


@pytest.mark.parametrize("command", ["strip", "scan", "check", "pair", "sync", "run"])
def test_a_missing_path_is_an_error_in_every_command(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main([command, "/no/such/dir"]) == 2
    err = capsys.readouterr().err
    assert "/no/such/dir: no such file or directory" in err
    assert "skipped" not in err


@pytest.mark.parametrize("command", ["doctor", "install"])
def test_a_missing_folder_is_an_error_for_single_folder_commands(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main([command, "nope"]) == 2
    assert "nope: no such file or directory" in capsys.readouterr().err
    assert not (tmp_path / ".git").exists()


def test_the_rest_of_the_batch_is_processed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    write_nb(tmp_path / "nbs" / "dirty.ipynb", copy.deepcopy(DIRTY))
    assert main(["strip", "nbs", "nbz"]) == 2
    out, err = capsys.readouterr()
    assert "fixed nbs/dirty.ipynb" in out
    assert "nbz: no such file or directory" in err and "1 changed, 1 file error" in err
    assert main(["strip", "nbs"]) == 0


def test_the_filter_takes_git_names_that_need_not_exist(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    import io
    import json
    import sys

    monkeypatch.chdir(tmp_path)
    data = json.dumps(DIRTY).encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert main(["filter", "--clean", "gone/nb.ipynb"]) == 0
    assert b'"outputs": []' in capsysbinary.readouterr().out
