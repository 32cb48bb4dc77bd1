"""``-`` is standard input for every command that reads file content (strip, scan, check),
named by ``--stdin-filename``: one idiom, in nbtools.discovery."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat

TOKEN = "ghp_" + "R8x2mQ7vLk3NpZ9tWc4YbH6sJd1FgA5eUo0i"  # made up


def _nbtools(args: list[str], stdin: bytes, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "nbtools", *args], input=stdin, capture_output=True, cwd=cwd
    )


def _notebook(source: str, outputs: list[dict[str, object]]) -> bytes:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(source, execution_count=1)
    cell.outputs = [nbformat.from_dict(o) for o in outputs]
    nb.cells = [cell]
    return nbformat.writes(nb).encode()


def test_scan_reads_stdin_and_never_prints_the_credential(tmp_path: Path) -> None:
    text = f'token = "{TOKEN}"\n'.encode()
    proc = _nbtools(["scan", "--format", "json", "-"], text, tmp_path)
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    assert [f["path"] for f in report["findings"]] == ["-"]
    assert TOKEN.encode() not in proc.stdout + proc.stderr


def test_scan_reads_a_notebook_on_stdin_by_its_stdin_filename(tmp_path: Path) -> None:
    raw = _notebook(f'key = "{TOKEN}"', [])
    proc = _nbtools(
        ["scan", "--format", "json", "--stdin-filename", "nb.ipynb", "-"], raw, tmp_path
    )
    assert proc.returncode == 1, proc.stderr
    (finding,) = json.loads(proc.stdout)["findings"]
    assert finding["path"] == "nb.ipynb" and finding["cell_index"] == 0  # a cell, not text


def test_scan_fix_cannot_take_stdin(tmp_path: Path) -> None:
    proc = _nbtools(["scan", "--fix", "-"], b"", tmp_path)
    assert proc.returncode == 2 and b"cannot take - (stdin)" in proc.stderr


def test_check_reads_a_notebook_on_stdin(tmp_path: Path) -> None:
    output = {"output_type": "stream", "name": "stdout", "text": ["hi\n"]}
    proc = _nbtools(
        ["check", "--format", "json", "--stdin-filename", "a.ipynb", "-"],
        _notebook("print('hi')", [output]),
        tmp_path,
    )
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    assert {f["rule"] for f in report["findings"]} >= {"strip/outputs"}
    assert [f["path"] for f in report["files"]] == ["a.ipynb"]


def test_check_names_a_broken_stdin_and_exits_2(tmp_path: Path) -> None:
    proc = _nbtools(["check", "-"], b"{not json", tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.startswith(b"error: -: ")
