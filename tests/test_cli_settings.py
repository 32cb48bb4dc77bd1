"""Global settings resolve once (command line, then [tool.nbtools], then defaults) and travel
in the Request; no command reads the raw arguments."""

from __future__ import annotations

import copy
import json
import re
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
COMMANDS = Path(__file__).resolve().parent.parent / "nbtools" / "commands"


def test_no_command_reads_global_settings_from_args() -> None:
    pattern = re.compile(r"args\b[\w.]*\.(format|output|color|quiet|verbose)\b|vars\(args\)")
    offenders = [
        f"{path.name}:{n}: {line.strip()}"
        for path in sorted(COMMANDS.glob("*.py"))
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert offenders == []


@pytest.fixture
def dirty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return write_nb(tmp_path / "nb.ipynb", copy.deepcopy(DIRTY))


def test_format_from_config_gives_strip_its_findings(
    dirty: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Path("pyproject.toml").write_text('[tool.nbtools]\nformat = "json"\n')
    assert main(["strip", "--check", "nb.ipynb"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert {f["rule"] for f in data["findings"]} == {"strip/outputs", "strip/execution-count"}
    # the command line still wins
    assert main(["strip", "--check", "--format", "text", "nb.ipynb"]) == 1
    assert capsys.readouterr().out.startswith("would fix nb.ipynb")


def test_a_bad_format_in_config_names_the_key(
    dirty: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Path("pyproject.toml").write_text('[tool.nbtools]\nformat = "xml"\n')
    assert main(["strip", "nb.ipynb"]) == 2
    assert "tool.nbtools.format must be one of github, json" in capsys.readouterr().err


def test_color_from_config(dirty: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Path("pyproject.toml").write_text('[tool.nbtools]\ncolor = "always"\n')
    assert main(["check", "nb.ipynb"]) == 1
    assert "\x1b[" in capsys.readouterr().out
    assert main(["check", "--color", "never", "nb.ipynb"]) == 1
    assert "\x1b[" not in capsys.readouterr().out


@pytest.mark.parametrize(
    ("flags", "shown"),
    [
        ([], ["fixed nb.ipynb (outputs: 1, counts: 1)"]),
        (["-q"], []),  # fixed as asked: nothing to say
        (["-qq"], []),
    ],
)
def test_quiet_strip(
    dirty: Path, capsys: pytest.CaptureFixture[str], flags: list[str], shown: list[str]
) -> None:
    assert main(["strip", *flags, "nb.ipynb"]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines() == shown
    assert ("nbtools strip:" in err) is (not flags)


def test_quiet_keeps_what_needs_attention(dirty: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["strip", "-q", "--check", "nb.ipynb"]) == 1
    assert capsys.readouterr().out.startswith("would fix nb.ipynb")
    assert main(["strip", "-qq", "--check", "nb.ipynb"]) == 1
    assert capsys.readouterr().out == ""
    assert main(["strip", "-qq", "--check", "--format", "json", "nb.ipynb"]) == 1
    assert json.loads(capsys.readouterr().out)["exit_code"] == 1  # data is never quietened


def test_output_file_gets_the_resolved_format(
    dirty: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Path("pyproject.toml").write_text('[tool.nbtools]\nformat = "json"\n')
    assert main(["strip", "--check", "--output", "report.json", "nb.ipynb"]) == 1
    assert capsys.readouterr().out == ""
    data = json.loads(Path("report.json").read_text())
    assert data["files"][0]["status"] == "would_change" and data["findings"]


def test_output_in_a_new_folder_is_written_and_an_unwritable_one_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write_nb(tmp_path / "nb.ipynb", copy.deepcopy(DIRTY))
    assert main(["strip", "--check", "--format", "json", "-o", "reports/s.json", "nb.ipynb"]) == 1
    assert json.loads((tmp_path / "reports" / "s.json").read_text())["findings"]
    (tmp_path / "file").write_text("")
    assert main(["strip", "--check", "-o", "file/s.json", "nb.ipynb"]) == 2
    assert "file/s.json: cannot write the report" in capsys.readouterr().err
