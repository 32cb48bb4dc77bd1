"""An unreadable file is one line naming it and why (exit 2), whatever command reads it.

The wording comes from one place (:func:`nbtools.errors.read_failure`); these tests also pin
the files that used to escape as internal errors (exit 3): a report, a timing file or a
baseline nested too deeply for json, and a baseline that is not UTF-8.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import make_cell, make_nb, write_nb

from nbtools.cli import main
from nbtools.errors import InputError, read_failure
from nbtools.notebook import parse_json, read_notebook

BAD_FILES = {
    "deep": (b"[" * 100_000 + b"]" * 100_000, "invalid JSON: nested too deeply"),
    "not-utf8": (b'{"a": "\xff"}', "not UTF-8 text (byte 7)"),
    "truncated": (b'{"a": [1, 2', "invalid JSON: Expecting ',' delimiter at line 1 column 12"),
    "huge-int": (b"[" + b"7" * 5000 + b"]", "unreadable JSON value: Exceeds the limit (4300"),
}


def _one_line_error(capsys: pytest.CaptureFixture[str], args: list[str]) -> str:
    assert main(args) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_each_json_failure_has_one_wording(kind: str) -> None:
    content, reason = BAD_FILES[kind]
    with pytest.raises(InputError) as raised:
        parse_json(content, "f.json")
    assert raised.value.reason.startswith(reason)
    assert raised.value.reason == raised.value.reason.splitlines()[0]


def test_os_errors_are_worded_by_kind(tmp_path: Path) -> None:
    assert read_failure(FileNotFoundError(2, "No such file or directory")) == "no such file"
    assert read_failure(IsADirectoryError(21, "Is a directory")) == "is a directory"
    assert (
        read_failure(PermissionError(13, "Permission denied")) == "cannot read: Permission denied"
    )
    with pytest.raises(InputError, match="is a directory"):
        read_notebook(tmp_path)


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
@pytest.mark.parametrize(
    ("command", "what"),
    [
        (["report", "merge", "{file}"], "not a readable JSON report ("),
        (["run", "--shard", "1/2", "--durations", "{file}", "{nb}"], "unreadable timing file ("),
        (["scan", "--baseline", "{file}", "{nb}"], "unreadable baseline ("),
    ],
    ids=["report-merge", "run-durations", "scan-baseline"],
)
def test_unreadable_json_inputs_are_one_line_errors(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    kind: str,
    command: list[str],
    what: str,
) -> None:
    content, reason = BAD_FILES[kind]
    bad = tmp_path / "bad.json"
    bad.write_bytes(content)
    nb = tmp_path / "a.ipynb"
    write_nb(nb, make_nb([make_cell("markdown", "# a")]))
    monkeypatch.chdir(tmp_path)
    args = [arg.format(file=bad, nb=nb) for arg in command]
    line = _one_line_error(capsys, args)
    assert f"{bad}: {what}{reason}" in line


def test_scan_words_a_file_it_cannot_read_as_the_notebook_reader_does(tmp_path: Path) -> None:
    from nbtools.secrets.scanner import scan_path

    for path in (tmp_path, tmp_path / "missing.ipynb"):
        with pytest.raises(InputError) as raised:
            read_notebook(path)
        assert scan_path(str(path)).error == raised.value.reason
