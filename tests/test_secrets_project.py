"""Project rules and allowlists in ``[tool.nbtools.scan]``, through ``main([...])``."""

from __future__ import annotations

import json
import random
import string
from pathlib import Path
from typing import Any

import pytest
from conftest import make_cell, make_nb, write_nb

from nbtools.cli import main

RNG = random.Random(9)
ACME = "acme_" + "".join(RNG.choice(string.ascii_letters + string.digits) for _ in range(32))
OUTPUT = {"output_type": "stream", "name": "stdout", "text": ["1\n"]}
GHP = "ghp_" + "".join(RNG.choice(string.ascii_letters + string.digits) for _ in range(36))

RULE = """
[[tool.nbtools.scan.rules]]
id = "acme-api-key"
regex = 'acme_(?P<secret>[A-Za-z0-9]{32})'
keywords = ["acme_"]
severity = "warning"
provider = "Acme"
description = "Acme API key"
"""


def project(tmp_path: Path, toml: str, cells: dict[str, str]) -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.nbtools]\n" + toml, encoding="utf-8")
    for name, source in cells.items():
        write_nb(tmp_path / name, make_nb([make_cell("code", source)]))
    return tmp_path


def scan(tmp_path: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any]:
    code = main(["scan", "--format", "json", *args, str(tmp_path)])
    return code, json.loads(capsys.readouterr().out)


def test_a_project_rule_finds_the_companys_own_token(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project(tmp_path, RULE, {"nb.ipynb": f"client = acme.Client('{ACME}')"})
    code, data = scan(tmp_path, capsys, "--fail-on", "warning")
    assert code == 1
    [finding] = data["findings"]
    assert finding["rule"] == "scan/acme-api-key" and finding["severity"] == "warning"
    assert "rotate it at Acme" in finding["message"] and ACME not in json.dumps(data)


def test_the_regex_is_searched_in_the_line_not_only_at_the_keyword(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    toml = """
[[tool.nbtools.scan.rules]]
id = "internal-db"
regex = 'dbpass\\s*=\\s*"(?P<secret>[^"]{10,})"'
keywords = ["internal"]
"""
    project(tmp_path, toml, {"nb.ipynb": 'dbpass = "Zx81kqPa02mn"  # internal warehouse'})
    code, data = scan(tmp_path, capsys)
    assert code == 1 and [f["rule"] for f in data["findings"]] == ["scan/internal-db"]


def test_allowlist_by_path_glob_reports_those_findings_as_suppressed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    toml = (
        '[[tool.nbtools.scan.allowlist]]\npaths = ["fixtures/**"]\n'
        'description = "fake keys for the tests"\n'
    )
    project(tmp_path, toml, {"fixtures/fake.ipynb": f"t = '{GHP}'", "real.ipynb": f"t = '{GHP}'"})
    code, data = scan(tmp_path, capsys)
    assert code == 1
    live = [f for f in data["findings"] if not f.get("suppression")]
    assert [Path(f["path"]).name for f in live] == ["real.ipynb"]
    [quiet] = data["suppressed"]
    assert Path(quiet["path"]).name == "fake.ipynb"
    assert quiet["suppression"]["source"] == "allowlist"
    assert quiet["suppression"]["justification"] == "fake keys for the tests"
    write_nb(tmp_path / "real.ipynb", make_nb([make_cell("code", "x = 1")]))
    assert scan(tmp_path, capsys)[0] == 0  # only suppressed findings left


def test_allowlist_by_rule_in_some_paths(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    toml = (
        '[[tool.nbtools.scan.allowlist]]\npaths = ["demo/*"]\nrules = ["scan/github-token"]\n'
        'description = "demo tokens are revoked"\n'
    )
    project(tmp_path, toml, {"demo/a.ipynb": f"t = '{GHP}'\npassword = 'Zq8!kd02LmpQ'"})
    code, data = scan(tmp_path, capsys)
    assert code == 1
    assert [f["rule"] for f in data["findings"]] == ["scan/secret-assignment"]


def test_allowlist_by_value_regex_needs_a_trusted_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A value regex drops findings unseen: only a --config file may do that."""
    toml = "[[tool.nbtools.scan.allowlist]]\nregexes = ['^ghp_']\n"
    project(tmp_path, toml, {"a.ipynb": f"t = '{GHP}'"})
    code = main(["scan", "--format", "json", str(tmp_path)])
    captured = capsys.readouterr()
    assert code == 1 and "apply only with --config" in captured.err
    assert [f["rule"] for f in json.loads(captured.out)["findings"]] == ["scan/github-token"]
    config = str(tmp_path / "pyproject.toml")
    code, data = scan(tmp_path, capsys, "--config", config)
    assert code == 0 and data["findings"] == []


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[[tool.nbtools.scan.rules]]\nid = "x"\nregex = "("\nkeywords = ["x"]\n', "invalid regex"),
        ('[[tool.nbtools.scan.rules]]\nid = "x"\nregex = "x+"\n', "keyword"),
        ('[[tool.nbtools.scan.rules]]\nid = "jwt"\nregex = "x+"\nkeywords = ["x"]\n', "already"),
        ('[[tool.nbtools.scan.rules]]\nid = "Bad Id"\nregex = "x"\nkeywords = ["x"]\n', ".id"),
        ("[[tool.nbtools.scan.allowlist]]\ndescription = 'nothing'\n", "names no"),
        ("[[tool.nbtools.scan.allowlist]]\npaths = ['a']\nregexes = ['b']\n", "not both"),
    ],
)
def test_bad_project_config_is_a_usage_error_naming_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], toml: str, message: str
) -> None:
    project(tmp_path, toml, {"a.ipynb": "x = 1"})
    assert main(["scan", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "tool.nbtools.scan" in err and message in err


def test_check_uses_the_projects_rules_and_a_later_call_does_not_inherit_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """check's secrets check is scan's engine, project rules included; and each command
    configures the engine for its own project, so nothing leaks into the next call."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with_rule = project(tmp_path / "a", RULE, {"nb.ipynb": f"client = acme.Client('{ACME}')"})
    main(
        ["check", "--select", "secrets", "--fail-on", "warning", "--format", "json", str(with_rule)]
    )
    found = json.loads(capsys.readouterr().out)
    assert [f["rule"] for f in found["findings"]] == ["scan/acme-api-key"]

    without = project(tmp_path / "b", "", {"nb.ipynb": f"client = acme.Client('{ACME}')"})
    main(["check", "--select", "secrets", "--format", "json", str(without)])
    rules = {f["rule"] for f in json.loads(capsys.readouterr().out)["findings"]}
    assert "scan/acme-api-key" not in rules  # the generic entropy rule may still see it


def test_check_suppresses_what_the_scan_allowlist_accepts_as_scan_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One tree, two commands, one answer: check (the plain hook) and scan report the same
    allowlisted credential as suppressed, and fail on the same one."""
    toml = (
        '[[tool.nbtools.scan.allowlist]]\npaths = ["fixtures/**"]\n'
        'description = "fake keys for the tests"\n'
    )
    project(tmp_path, toml, {"fixtures/fake.ipynb": f"t = '{GHP}'", "real.ipynb": f"t = '{GHP}'"})
    by_command = {}
    for command in (["scan"], ["check", "--select", "secrets"]):
        code = main([*command, "--format", "json", str(tmp_path)])
        data = json.loads(capsys.readouterr().out)
        by_command[command[0]] = (
            code,
            [(Path(f["path"]).name, f["rule"]) for f in data["findings"]],
            [(Path(f["path"]).name, f["suppression"]["source"]) for f in data["suppressed"]],
        )
    assert (
        by_command["check"]
        == by_command["scan"]
        == (
            1,
            [("real.ipynb", "scan/github-token")],
            [("fake.ipynb", "allowlist")],
        )
    )
    # the allowlist is the credential scan's: a paths-only entry leaves other checks alone
    write_nb(
        tmp_path / "fixtures" / "fake.ipynb",
        make_nb([make_cell("code", "1", execution_count=1, outputs=[OUTPUT])]),
    )
    main(["check", "--format", "json", str(tmp_path / "fixtures")])
    rules = {f["rule"] for f in json.loads(capsys.readouterr().out)["findings"]}
    assert any(rule.startswith("strip/") for rule in rules)


def test_the_commit_hook_uses_the_projects_rules_and_allowlists(
    git_repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``nbtools filter --check-staged`` (what the plain pre-commit hook runs) finds a
    project-rule credential in what is staged, and lets an allowlisted fixture through."""
    from conftest import run_git

    monkeypatch.chdir(git_repo)
    allow = '[[tool.nbtools.scan.allowlist]]\npaths = ["fixtures/**"]\n'
    project(
        git_repo,
        RULE.replace('"warning"', '"error"') + allow,
        {"nb.ipynb": f"client = acme.Client('{ACME}')", "fixtures/f.ipynb": f"t = '{GHP}'"},
    )
    run_git(git_repo, "add", ".")
    capsys.readouterr()
    assert main(["filter", "--check-staged", "fixtures/f.ipynb"]) == 0
    assert main(["filter", "--check-staged", "nb.ipynb"]) == 1
    out = capsys.readouterr().out
    assert "scan/acme-api-key" in out and ACME not in out
