"""doctor's JUnit report agrees with its exit code: a warning is a passing case with a note."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from nbtools.cli import main
from nbtools.container.doctor import Check


def _doctor_junit(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    checks: list[Check],
) -> tuple[int, ET.Element]:
    import nbtools.container.doctor as doctor

    monkeypatch.setattr(doctor, "run_checks", lambda options, work_tree: checks)
    monkeypatch.chdir(tmp_path)
    code = main(["doctor", "--format", "junit"])
    return code, ET.fromstring(capsys.readouterr().out)


OK = Check("engine", "ok", "podman 4.9")
WARNING = Check("gpus", "warning", "no GPU visible", fix="pass --gpus all")
ERROR = Check("image", "error", "image not found", fix="pull it")


def test_a_warning_passes_with_a_note_as_the_exit_code_says(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, root = _doctor_junit(monkeypatch, capsys, tmp_path, [OK, WARNING])
    assert code == 0
    assert root.get("failures") == "0" and root.get("errors") == "0"
    case = root.find(".//testcase")
    assert case is not None and case.find("failure") is None
    out = case.find("system-out")
    assert out is not None and "doctor/gpus [warning] no GPU visible" in (out.text or "")


def test_a_broken_check_fails_as_the_exit_code_says(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, root = _doctor_junit(monkeypatch, capsys, tmp_path, [OK, WARNING, ERROR])
    assert code == 1
    assert root.get("failures") == "1"
    failure = root.find(".//testcase/failure")
    assert failure is not None and failure.get("type") == "doctor/image"
