"""``nbtools filter --clean`` and ``--textconv``: what git runs (the process mode is in test_gitfilter)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import make_cell, make_nb, nbtools_cli, write_nb

from nbtools.cli import main
from nbtools.commands.filter import clean_bytes
from nbtools.strip import StripOptions

OUTPUT = {"name": "stdout", "output_type": "stream", "text": ["hi\n"]}


def dirty_bytes(tmp_path: Path, name: str = "nb.ipynb") -> bytes:
    nb = make_nb([make_cell("code", "print('hi')", execution_count=1, outputs=[OUTPUT])])
    return write_nb(tmp_path / name, nb).read_bytes()


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"{nope", "invalid JSON"),
        (b"", "empty file"),
        (b'{"cells": []}', "not a notebook"),
        (b"\xff\xfe", "not UTF-8"),
    ],
)
def test_clean_bytes_passes_unreadable_input_through(raw: bytes, reason: str) -> None:
    out, why = clean_bytes(raw, "x.ipynb", StripOptions())
    assert out is raw
    assert why is not None
    assert reason in why


def test_clean_bytes_strips_and_keeps_clean_input_identical(tmp_path: Path) -> None:
    raw = dirty_bytes(tmp_path)
    out, why = clean_bytes(raw, "nb.ipynb", StripOptions())
    assert why is None
    assert json.loads(out)["cells"][0]["outputs"] == []
    again, _ = clean_bytes(out, "nb.ipynb", StripOptions())
    assert again is out  # nothing to strip: the very same bytes


def test_clean_mode_on_stdin(tmp_path: Path) -> None:
    raw = dirty_bytes(tmp_path)
    proc = nbtools_cli("filter", "--clean", "nb.ipynb", cwd=tmp_path, input=raw)
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["cells"][0]["outputs"] == []
    assert proc.stderr == b""  # git shows stderr on every add: stay quiet


def test_clean_mode_broken_input_exits_0_with_a_warning(tmp_path: Path) -> None:
    proc = nbtools_cli("filter", "--clean", "bad.ipynb", cwd=tmp_path, input=b"{broken")
    assert (proc.returncode, proc.stdout) == (0, b"{broken")
    assert b"bad.ipynb: invalid JSON" in proc.stderr


def test_clean_mode_follows_configuration(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.nbtools]\nexclude = ['keep/**']\n[tool.nbtools.strip]\nkeep_output = true\n"
        "[tool.nbtools.filter]\nkeep_count = true\n"
    )
    raw = dirty_bytes(tmp_path)
    proc = nbtools_cli("filter", "--clean", "nb.ipynb", cwd=tmp_path, input=raw)
    assert proc.stdout == raw  # keep_output (strip table) and keep_count (filter table)
    raw = raw.replace(b'"outputs"', b'"metadata": {"ExecuteTime": {}}, "outputs"', 1)
    proc = nbtools_cli("filter", "--clean", "keep/nb.ipynb", cwd=tmp_path, input=raw)
    assert proc.stdout == raw  # excluded: untouched even with volatile metadata


def test_textconv_renders_a_stripped_notebook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    monkeypatch.chdir(tmp_path)
    dirty_bytes(tmp_path)
    assert main(["filter", "--textconv", "nb.ipynb"]) == 0
    assert capsysbinary.readouterr().out == b"# kernel: python3\n\n# %%\nprint('hi')\n"


def test_textconv_shows_outputs_that_strip_keeps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[tool.nbtools.strip]\nkeep_output = true\n")
    dirty_bytes(tmp_path, "sub/nb.ipynb")
    assert main(["filter", "--textconv", str(tmp_path / "sub" / "nb.ipynb")]) == 0
    assert capsysbinary.readouterr().out.endswith(b"print('hi')\n# >> [stdout]\n# >> hi\n")


def test_textconv_of_a_broken_file_shows_it_as_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.ipynb").write_bytes(b"{half a notebook")
    assert main(["filter", "--textconv", "bad.ipynb"]) == 0
    assert capsysbinary.readouterr().out == b"{half a notebook"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["filter", "--textconv"], "exactly one file"),
        (["filter", "--textconv", "missing.ipynb"], "missing.ipynb: no such file"),
        (["filter", "--clean", "--process"], "not allowed with"),
    ],
)
def test_usage_errors(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_filter_and_install_start_lean() -> None:
    """git starts the filter on every add: none of the heavy Jupyter modules may load."""
    code = (
        "import sys, nbtools.cli, nbtools.commands.filter, nbtools.commands.install, "
        "nbtools.gitfilter, nbtools.textconv; "
        "print(sorted(m for m in ('nbclient', 'jupytext', 'nbconvert', 'nbformat', "
        "'jupyter_client', 'tqdm', 'yaml') if m in sys.modules))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]"
