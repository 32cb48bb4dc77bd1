"""The command-line frame through ``main([...])`` and the real console entry."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import make_cell, make_nb, nbtools_cli, write_nb

from nbtools import __version__
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
CLEAN = make_nb([make_cell("code", "print(1)")])


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    write_nb(tmp_path / "dirty.ipynb", copy.deepcopy(DIRTY))
    write_nb(tmp_path / "clean.ipynb", copy.deepcopy(CLEAN))
    (tmp_path / "broken.ipynb").write_text("{not json")
    write_nb(tmp_path / ".ipynb_checkpoints" / "dirty-checkpoint.ipynb", copy.deepcopy(DIRTY))
    write_nb(tmp_path / "sub" / "deep.ipynb", copy.deepcopy(DIRTY))
    return tmp_path


@pytest.mark.parametrize(
    ("argv", "code", "stdout_has", "stderr_has"),
    [
        (["strip", "--check", "clean.ipynb"], 0, [], ["1 unchanged"]),
        (
            ["strip", "--check", "dirty.ipynb"],
            1,
            ["would fix dirty.ipynb (outputs: 1, counts: 1)"],
            [],
        ),
        (
            ["strip", "--check", "broken.ipynb", "dirty.ipynb"],
            2,
            ["would fix dirty.ipynb"],
            ["broken.ipynb: invalid JSON"],
        ),
        (
            ["strip", "--check", "."],
            2,
            ["would fix ./dirty.ipynb", "would fix ./sub/deep.ipynb"],
            ["broken.ipynb"],
        ),
        (["strip", "--check", "missing.ipynb"], 2, [], ["missing.ipynb: no such file"]),
        (["strip", "--bogus"], 2, [], ["unrecognized arguments: --bogus"]),
        (["frobnicate"], 2, [], ["unknown command 'frobnicate'"]),
        (["strip", "-q", "--check", "dirty.ipynb"], 1, ["would fix"], []),
    ],
)
def test_table(
    tree: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    code: int,
    stdout_has: list[str],
    stderr_has: list[str],
) -> None:
    monkeypatch.chdir(tree)
    assert main(argv) == code
    out, err = capsys.readouterr()
    for text in stdout_has:
        assert text in out
    for text in stderr_has:
        assert text in err
    assert "checkpoint" not in out


def test_check_writes_nothing_and_agrees_with_strip(
    tree: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tree)
    before = {p: p.read_bytes() for p in tree.rglob("*.ipynb")}
    assert main(["strip", "--check", "--format", "json", "."]) == 2
    would = {
        f["path"]
        for f in json.loads(capsys.readouterr().out)["files"]
        if f["status"] == "would_change"
    }
    assert {p: p.read_bytes() for p in tree.rglob("*.ipynb")} == before
    assert main(["strip", "--format", "json", "."]) == 2  # broken.ipynb still broken
    changed = {
        f["path"] for f in json.loads(capsys.readouterr().out)["files"] if f["status"] == "changed"
    }
    assert changed == would == {"./dirty.ipynb", "./sub/deep.ipynb"}
    assert main(["strip", "--check", "dirty.ipynb", "sub", "clean.ipynb"]) == 0


def test_strip_fixes_and_second_run_is_clean(
    tree: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tree)
    assert main(["strip", "dirty.ipynb"]) == 1
    assert "fixed dirty.ipynb" in capsys.readouterr().out
    assert json.loads((tree / "dirty.ipynb").read_text())["cells"][0]["outputs"] == []
    assert main(["strip", "dirty.ipynb"]) == 0


def test_diff_shows_change_without_writing(
    tree: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tree)
    before = (tree / "dirty.ipynb").read_bytes()
    assert main(["strip", "--diff", "dirty.ipynb"]) == 1
    out = capsys.readouterr().out
    assert "--- a/dirty.ipynb" in out and '-   "execution_count": 1,' in out
    assert (tree / "dirty.ipynb").read_bytes() == before


def test_json_format_shape(
    tree: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tree)
    main(["strip", "--check", "-v", "--format", "json", "dirty.ipynb"])
    data = json.loads(capsys.readouterr().out)
    assert data["command"] == "strip" and data["exit_code"] == 1 and data["version"] == __version__
    assert data["summary"]["would_change"] == 1
    finding = data["findings"][0]
    assert {
        "path",
        "cell_index",
        "cell_id",
        "line",
        "json_line",
        "rule",
        "message",
        "severity",
    } <= set(finding)
    assert finding["path"] == "dirty.ipynb" and finding["cell_index"] == 0
    disk_lines = (tree / "dirty.ipynb").read_text().splitlines()
    by_rule = {f["rule"]: f["json_line"] for f in data["findings"]}
    assert '"execution_count": 1' in disk_lines[by_rule["strip/execution-count"] - 1]
    assert '"outputs": [' in disk_lines[by_rule["strip/outputs"] - 1]


def test_output_file(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tree)
    assert (
        main(["strip", "--check", "--format", "json", "--output", "report.json", "dirty.ipynb"])
        == 1
    )
    assert json.loads((tree / "report.json").read_text())["command"] == "strip"


def test_stdin_to_stdout(tree: Path) -> None:
    raw = (tree / "dirty.ipynb").read_bytes()
    proc = nbtools_cli("strip", "-", input=raw)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["cells"][0]["outputs"] == []
    clean = (tree / "clean.ipynb").read_bytes()
    assert nbtools_cli("strip", "-", input=clean).stdout == clean
    # a broken document passes through untouched, with an error and exit 2
    proc = nbtools_cli("strip", "-", input=b"{oops")
    assert proc.returncode == 2 and proc.stdout == b"{oops" and b"invalid JSON" in proc.stderr


@pytest.mark.parametrize(
    ("args", "env", "colored"),
    [
        (["--color", "always"], {}, True),
        (["--color", "never"], {"FORCE_COLOR": "1"}, False),
        ([], {"FORCE_COLOR": "1"}, True),
        ([], {"NO_COLOR": "1", "FORCE_COLOR": "1"}, False),
        ([], {}, False),  # not a terminal
    ],
)
def test_color(tree: Path, args: list[str], env: dict, colored: bool) -> None:
    clean_env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("NO_COLOR", "FORCE_COLOR", "PRE_COMMIT_COLOR")
    }
    proc = subprocess.run(
        [sys.executable, "-m", "nbtools", "strip", "--check", "-v", *args, "dirty.ipynb"],
        cwd=tree,
        capture_output=True,
        env={**clean_env, **env},
        check=False,
    )
    assert proc.returncode == 1
    assert (b"\x1b[" in proc.stdout) is colored


def test_version_and_help() -> None:
    proc = nbtools_cli("--version")
    assert proc.returncode == 0 and proc.stdout.decode().strip() == f"nbtools {__version__}"
    proc = nbtools_cli("--help")
    assert proc.returncode == 0 and b"strip" in proc.stdout
    assert nbtools_cli().returncode == 2


@pytest.mark.parametrize("argv", [["--version"], ["strip", "--check", "."]])
def test_lean_start_up(tmp_path: Path, argv: list[str]) -> None:
    write_nb(tmp_path / "a.ipynb", copy.deepcopy(DIRTY))
    code = (
        "import sys; from nbtools.cli import main\n"
        f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'nbclient', 'jupytext', 'nbconvert', 'tensorflow', 'nbformat', 'jupyter_client', 'IPython', 'tqdm'})\n"
        "print(heavy)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert proc.stdout.strip().splitlines()[-1] == "[]"


def test_internal_error_is_exit_3(
    monkeypatch: pytest.MonkeyPatch, tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import nbtools.commands.strip as strip_command

    def explode(request: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(strip_command, "execute", explode)
    monkeypatch.chdir(tree)
    assert main(["strip", "clean.ipynb"]) == 3
    assert "internal error" in capsys.readouterr().err


def test_keyboard_interrupt_is_130(monkeypatch: pytest.MonkeyPatch, tree: Path) -> None:
    import nbtools.commands.strip as strip_command

    def interrupt(request: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(strip_command, "execute", interrupt)
    monkeypatch.chdir(tree)
    assert main(["strip", "clean.ipynb"]) == 130
