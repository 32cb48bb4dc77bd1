"""Every command's ``--format json`` output validates against the shipped, versioned schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import REPO, make_cell, make_nb, run_git, write_nb

from nbtools.cli import main
from nbtools.renderers.json import SCHEMA_VERSION

SCHEMA_FILE = REPO / "nbtools" / "data" / "report.schema.json"
TOKEN = "ghp_" + "Zq8Xv2Lm4Nw7Rt1Yp9Ks3Hd6Fb0Gc5Jx2Ae"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def output(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    code = main([*args, "--format", "json"])
    data: dict[str, Any] = json.loads(capsys.readouterr().out)
    assert data["exit_code"] == code
    return data


def valid(validator: jsonschema.Draft202012Validator, data: dict[str, Any]) -> None:
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])


def test_the_schema_ships_in_the_package_and_in_docs() -> None:
    shipped = SCHEMA_FILE.read_text(encoding="utf-8")
    assert (REPO / "docs" / "report.schema.json").read_text(encoding="utf-8") == shipped
    schema = json.loads(shipped)
    assert schema["properties"]["schema_version"]["const"] == SCHEMA_VERSION
    from nbtools.commands import COMMANDS

    assert set(schema["properties"]["command"]["enum"]) == set(COMMANDS) - {"report"}


@pytest.fixture
def project(git_repo: Path) -> Path:
    write_nb(
        git_repo / "dirty.ipynb",
        make_nb(
            [
                make_cell(
                    source=f"token = '{TOKEN}'",
                    execution_count=3,
                    outputs=[{"output_type": "stream", "name": "stdout", "text": TOKEN}],
                )
            ]
        ),
    )
    write_nb(git_repo / "clean.ipynb", make_nb([make_cell(source="x = 1")]))
    (git_repo / "broken.ipynb").write_text("{ not json", encoding="utf-8")
    return git_repo


@pytest.mark.parametrize(
    "args",
    [
        ("strip", "--check"),
        ("strip",),
        ("scan",),
        ("check",),
        ("sync", "--check"),
    ],
)
def test_static_commands(
    project: Path,
    validator: jsonschema.Draft202012Validator,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
) -> None:
    monkeypatch.chdir(project)
    data = output(capsys, *args, ".")
    valid(validator, data)
    assert data["command"] == args[0] and data["schema_version"] == SCHEMA_VERSION
    assert data["exit_code"] == 2  # broken.ipynb: an unreadable input, the batch goes on
    assert any(f["status"] == "error" for f in data["files"])


def test_scan_findings_and_baseline(
    project: Path,
    validator: jsonschema.Draft202012Validator,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(project)
    (project / "broken.ipynb").unlink()
    data = output(capsys, "scan", ".")
    valid(validator, data)
    assert data["findings"] and TOKEN not in json.dumps(data)
    baseline = output(capsys, "scan", "--baseline", "b.json", "--update-baseline", ".")
    valid(validator, baseline)
    assert baseline["baseline"]["findings"] == len(data["findings"])
    valid(validator, output(capsys, "scan", "--baseline", "b.json", "."))


def test_pair_sync_install_and_doctor(
    project: Path,
    validator: jsonschema.Draft202012Validator,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(project)
    (project / "broken.ipynb").unlink()
    paired = output(capsys, "pair", "clean.ipynb")
    valid(validator, paired)
    assert (project / "clean.py").exists()
    valid(validator, output(capsys, "sync", "."))
    run_git(project, "add", "-A")
    status = output(capsys, "install", "--status")
    valid(validator, status)
    assert status["install"] and status["repository"]
    valid(validator, output(capsys, "install"))
    doctor = output(capsys, "doctor")  # no image given: a finding, checks listed
    valid(validator, doctor)
    assert doctor["checks"]


@pytest.mark.kernel
def test_run_its_shards_and_report_merge(
    tmp_path: Path,
    validator: jsonschema.Draft202012Validator,
    capsys: pytest.CaptureFixture[str],
) -> None:
    write_nb(tmp_path / "ok.ipynb", make_nb([make_cell(source="print(1)")]))
    write_nb(tmp_path / "fails.ipynb", make_nb([make_cell(source="1 / 0")]))
    write_nb(tmp_path / "order.ipynb", make_nb([make_cell(source="y"), make_cell(source="y=1")]))
    whole = output(capsys, "run", str(tmp_path))
    valid(validator, whole)
    assert {n["verdict"] for n in whole["notebooks"]} == {"pass", "fail_error"}
    shards = []
    for k in (1, 2):
        target = tmp_path / f"s{k}.json"
        main(["run", "--shard", f"{k}/2", "--format", "json", "-o", str(target), str(tmp_path)])
        shard = json.loads(target.read_text())
        valid(validator, shard)
        assert shard["shard"] == {"index": k, "count": 2}
        shards.append(str(target))
    capsys.readouterr()
    merged = output(capsys, "report", "merge", *shards)
    valid(validator, merged)
    assert merged["command"] == "run" and len(merged["notebooks"]) == 3


def test_the_schema_rejects_what_consumers_could_not_read(
    validator: jsonschema.Draft202012Validator,
) -> None:
    good = {
        "tool": "nbtools",
        "version": "0.1.0",
        "schema_version": SCHEMA_VERSION,
        "command": "run",
        "exit_code": 0,
        "summary": {},
        "files": [],
        "findings": [],
        "notebooks": [],
        "summary_line": "0 notebooks",
    }
    assert validator.is_valid(good)
    assert not validator.is_valid({**good, "schema_version": 2})
    assert not validator.is_valid({**good, "exit_code": 7})
    assert not validator.is_valid({k: v for k, v in good.items() if k != "notebooks"})
    bad_verdict = {**good, "notebooks": [{"path": "a", "verdict": "ok", "cells": []}]}
    assert not validator.is_valid(bad_verdict)
    assert validator.is_valid({**good, "added_later": True})  # additive changes are fine
