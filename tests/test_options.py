"""One declaration per option: the flag and the ``[tool.nbtools.<command>]`` key of every
command come from its :class:`~nbtools.options.Option` table, and every module is a Command."""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path

import pytest

from nbtools.cli import build_parser, main
from nbtools.commands import COMMANDS
from nbtools.config import GLOBAL_OPTIONS, Config, resolve
from nbtools.options import Option, add_options, config_only


def _flags(parser: argparse.ArgumentParser) -> dict[str, str]:
    """flag -> dest of every optional argument of ``parser``'s only sub-command."""
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    (command,) = sub.choices.values()
    return {flag: a.dest for a in command._actions for flag in a.option_strings}


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_command_module_is_a_command(name: str) -> None:
    module = importlib.import_module(COMMANDS[name][0])
    assert name == module.NAME
    assert isinstance(module.INHERIT, tuple) and isinstance(module.PATHS_EXIST, bool)
    assert all(isinstance(option, Option) for option in module.OPTIONS.values())
    assert callable(module.add_arguments) and callable(module.execute)
    assert not hasattr(module, "HELP")  # the one help line is COMMANDS'


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_option_with_a_flag_is_on_the_command_line(name: str) -> None:
    parser, module = build_parser(name)
    assert module is not None
    flags = _flags(parser)
    for key, option in {**GLOBAL_OPTIONS, **module.OPTIONS}.items():
        for flag in option.flag_names(key):
            assert flags.get(flag) == key, f"{name}: {flag} should set {key}"
        for flag, _, _ in option.presets:
            assert flags.get(flag) == key
    declared = {
        flag
        for key, option in {**GLOBAL_OPTIONS, **module.OPTIONS}.items()
        for flag in (*option.flag_names(key), *(p[0] for p in option.presets))
    }
    assert set(flags) - {"-h", "--help"} == declared  # no flag declared anywhere else


def test_a_setting_comes_from_the_flag_or_the_table_by_one_name() -> None:
    options = {
        "max_size": Option(int, 0, "a size", metavar="N"),
        "tags": Option(list, (), "tags", convert=tuple),
        "fork": Option(bool, True, "no fork server", flags=("--no-fork",)),
        "mode": Option(str, "a", "mode", choices=("a", "b"), presets=(("--b", "b", "as b"),)),
        "once": Option(bool, False, "this run only", configurable=False),
    }
    parser = argparse.ArgumentParser()
    add_options(parser, options)
    config = Config("pyproject.toml", {"cmd": {"max_size": 3, "tags": "x", "once": True}})
    values = vars(parser.parse_args([]))
    assert resolve(values, config, "cmd", options) == {
        "max_size": 3,
        "tags": ("x",),
        "fork": True,
        "mode": "a",
        "once": False,  # not a configuration key: the table cannot set it
    }
    values = vars(parser.parse_args(["--max-size", "5", "--tags", "y", "z", "--no-fork", "--b"]))
    resolved = resolve(values, config, "cmd", options)
    assert resolved["max_size"] == 5 and resolved["tags"] == ("y", "z")
    assert resolved["fork"] is False and resolved["mode"] == "b"


def test_config_only_settings_have_no_flag() -> None:
    options = config_only({"keep_output": Option(bool, False, "keep")})
    parser = argparse.ArgumentParser()
    add_options(parser, options)
    with pytest.raises(SystemExit):
        parser.parse_args(["--keep-output"])


def test_a_command_level_fail_on_falls_back_to_the_global_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.nbtools]\nfail_on = "bogus"\n')
    monkeypatch.chdir(tmp_path)
    assert main(["check", "."]) == 2
    assert "tool.nbtools.fail_on must be one of error, warning, note" in capsys.readouterr().err
    (tmp_path / "pyproject.toml").write_text(
        '[tool.nbtools]\nfail_on = "note"\n[tool.nbtools.check]\nfail_on = "nope"\n'
    )
    assert main(["check", "."]) == 2
    assert "tool.nbtools.check.fail_on must be one of" in capsys.readouterr().err
