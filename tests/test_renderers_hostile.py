"""Hostile file names and notebook text cannot inject anything into a machine format.

Names with line breaks, workflow commands (``::warning``, ``##[``), percent escapes,
control characters, Markdown and XML specials, and bytes that are not UTF-8.
"""

from __future__ import annotations

import json
import os
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from nbtools.cli import main

TOKEN = "ghp_" + "abcdefghijklmnopqrstuvwxyz0123456789"
NAMES = [
    "a\n::warning file=x::pwned.ipynb",
    "::error::x.ipynb",
    "%0A%25.ipynb",
    "ctrl\x1b]0;title\x07\x1b[31m\x0b.ipynb",
    "a,b:c.ipynb",
    "x`](javascript:evil)|<b>&amp;.ipynb",
    "##[warning]x.ipynb",
    "line\r::notice::cr.ipynb",
]
NOTEBOOK = {
    "cells": [
        {
            "cell_type": "code",
            "metadata": {"tags": ["t\n::warning::tag"]},
            "source": [f'k = "{TOKEN}"\n', "::error::in the source\n##[error]x"],
            "outputs": [{"output_type": "stream", "name": "stdout", "text": ["1"]}],
            "execution_count": 1,
        }
    ],
    "metadata": {},
    "nbformat": 4,
    "nbformat_minor": 5,
}
OUR_COMMANDS = ("::error ", "::warning ", "::notice ", "::error::", "::group::", "::endgroup::")


@pytest.fixture
def hostile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    if sys.platform != "linux":
        pytest.skip("file names with any byte need a Linux file system")
    tree = tmp_path / "tree"
    tree.mkdir()
    text = json.dumps(NOTEBOOK)
    for name in NAMES:
        (tree / name).write_text(text)
    with open(os.fsencode(str(tree)) + b"/\xff\xfe.ipynb", "w") as handle:
        handle.write(text)
    (tree / "broken\n::warning::b.ipynb").write_text("{")
    monkeypatch.chdir(tree)
    return sorted(os.listdir("."))


def _run(command: str, fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    out = tmp_path / f"report.{fmt}"
    assert main([command, "--format", fmt, "--output", str(out), "."]) == 2
    err = capsys.readouterr().err
    _assert_inert(err.splitlines())
    return out.read_text(encoding="utf-8")


def _assert_inert(lines: list[str], ours: tuple[str, ...] = ()) -> None:
    for line in lines:
        if ours and line.startswith(ours):
            continue
        assert not line.strip().startswith("::"), line
        assert "##[" not in line, line
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", line), repr(line)


@pytest.mark.parametrize("command", ["check", "scan"])
def test_github_commands_and_log_lines_cannot_be_injected(
    hostile: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: str,
) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    text = _run(command, "github", tmp_path, capsys)
    lines = text.splitlines()
    _assert_inert(lines, OUR_COMMANDS)
    assert sum(line.startswith("::group::") for line in lines) == len(hostile)
    assert not any(line.startswith("::warning file=x") for line in lines)
    for line in lines:
        if line.startswith(("::error ", "::warning ", "::notice ")):
            properties = line.split(" ", 1)[1].split("::", 1)[0]
            for prop in properties.split(","):
                key, _, value = prop.partition("=")
                assert key in {"file", "line", "col", "title"}
                assert ":" not in value and "\n" not in value
    # the job summary: one table row per file, three cells each, no markup from names
    rows = [r for r in summary.read_text(encoding="utf-8").splitlines() if r.startswith("| ")]
    assert len(rows) == 2 + len(hostile)
    for row in rows:
        assert len(re.findall(r"(?<!\\)\|", row)) == 4, row
        prose = re.sub(r"(`+) .*? \1|(`+)[^`].*?\2", "", row)  # code spans show text as is
        assert "<b>" not in prose and "](javascript" not in prose.replace("\\]", "")
    assert "\\udcff\\udcfe" in summary.read_text(encoding="utf-8")


@pytest.mark.parametrize("command", ["check", "scan"])
def test_text_report_lines_are_inert(
    hostile: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    text = _run(command, "text", tmp_path, capsys)
    _assert_inert(text.splitlines())
    assert "a\\n::warning file=x::pwned.ipynb" in text


@pytest.mark.parametrize("command", ["check", "scan"])
def test_junit_is_well_formed_xml_without_control_characters(
    hostile: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    text = _run(command, "junit", tmp_path, capsys)
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", text)
    root = ET.fromstring(text.encode("utf-8"))
    cases = root.findall(".//testcase")
    assert len(cases) == len(hostile)


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_json_formats_parse_and_keep_every_file_apart(
    hostile: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    data = json.loads(_run("scan", fmt, tmp_path, capsys))
    if fmt == "json":
        assert len(data["files"]) == len(hostile)
        assert "./\udcff\udcfe.ipynb" in {f["path"] for f in data["files"]}
    else:
        uris = {
            loc["physicalLocation"]["artifactLocation"]["uri"]
            for result in data["runs"][0]["results"]
            for loc in result["locations"]
        }
        assert "%FF%FE.ipynb" in uris and "a%0A%3A%3Awarning%20file%3Dx%3A%3Apwned.ipynb" in uris
