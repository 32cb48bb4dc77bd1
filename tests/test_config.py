"""``[tool.nbtools]``: discovery by walking up, precedence, warnings, errors."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from conftest import make_cell, make_nb, write_nb

from nbtools.cli import main
from nbtools.config import Config, find_pyproject, load_config, resolve, unknown_keys
from nbtools.errors import ConfigError
from nbtools.options import Option

NB = make_nb(
    [
        make_cell(
            "code",
            "1",
            execution_count=1,
            metadata={"collapsed": True},
            outputs=[{"name": "stdout", "output_type": "stream", "text": ["1\n"]}],
        )
    ]
)


def project(tmp_path: Path, toml: str) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text(toml)
    write_nb(tmp_path / "nbs" / "a.ipynb", copy.deepcopy(NB))
    return tmp_path


def test_found_by_walking_up_and_stops_at_repo_root(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.nbtools]\n")
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "a" / "b").mkdir(parents=True)
    assert find_pyproject(repo / "a" / "b") is None  # the outer file is beyond the repo root
    (repo / "pyproject.toml").write_text("[tool.nbtools.strip]\nkeep_count = true\n")
    assert find_pyproject(repo / "a" / "b") == str(repo / "pyproject.toml")
    assert load_config([str(repo / "a" / "b")]).root == repo
    assert load_config([str(repo / "a" / "b")]).table("strip") == {"keep_count": True}


def test_pyproject_without_table_is_skipped(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    assert find_pyproject(tmp_path) is None


def test_precedence_cli_then_table_then_defaults() -> None:
    options = {
        "keep_count": Option(bool, False),
        "extra_keys": Option(list, (), convert=tuple),
        "max": Option(int, 0),
    }
    config = Config(
        Path("pyproject.toml"), {"strip": {"keep_count": True, "extra_keys": "metadata.x"}}
    )
    resolved = resolve({"keep_count": None, "extra_keys": None, "max": 5}, config, "strip", options)
    assert resolved == {"keep_count": True, "extra_keys": ("metadata.x",), "max": 5}
    resolved = resolve(
        {"keep_count": False, "extra_keys": None, "max": None}, config, "strip", options
    )
    assert resolved["keep_count"] is False and resolved["max"] == 0


def test_unknown_keys_are_listed() -> None:
    config = Config(
        Path("p"),
        {"exclude": [], "strip": {"keep_count": True, "bogus": 1, "check": True}, "nonsense": 2},
    )
    options = {"keep_count": Option(bool, False), "check": Option(bool, configurable=False)}
    assert unknown_keys(config, "strip", options, ["strip"]) == [
        "tool.nbtools.nonsense",
        "tool.nbtools.strip.bogus",
        "tool.nbtools.strip.check",  # a flag of one run, not a setting
    ]


def test_wrong_type_is_a_config_error() -> None:
    config = Config(Path("pyproject.toml"), {"strip": {"keep_count": "yes"}})
    with pytest.raises(ConfigError, match="tool.nbtools.strip.keep_count must be bool"):
        resolve({}, config, "strip", {"keep_count": Option(bool, False)})


def test_config_drives_strip_and_cli_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(
        tmp_path,
        '[tool.nbtools.strip]\nkeep_count = true\nkeep_keys = ["cell.metadata.collapsed"]\nwhat = 1\n',
    )
    monkeypatch.chdir(root)
    assert main(["strip", "nbs"]) == 1
    assert "unknown configuration key tool.nbtools.strip.what" in capsys.readouterr().err
    cell = json.loads((root / "nbs" / "a.ipynb").read_text())["cells"][0]
    assert (
        cell["execution_count"] == 1
        and cell["metadata"] == {"collapsed": True}
        and cell["outputs"] == []
    )


def test_global_exclude(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path, '[tool.nbtools]\nexclude = ["nbs/**"]\n')
    monkeypatch.chdir(root)
    assert main(["strip", "--check", "."]) == 0
    assert "would fix" not in capsys.readouterr().out


def test_invalid_toml_and_explicit_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path, "[tool.nbtools\n")
    monkeypatch.chdir(root)
    assert main(["strip", "--check", "nbs"]) == 2
    assert "invalid TOML" in capsys.readouterr().err
    other = tmp_path / "other.toml"
    other.write_text("[tool.nbtools.strip]\nkeep_output = true\n")
    assert main(["strip", "--config", str(other), "nbs"]) == 1
    assert json.loads((root / "nbs" / "a.ipynb").read_text())["cells"][0]["outputs"]
    assert main(["strip", "--config", str(tmp_path / "nope.toml"), "nbs"]) == 2
