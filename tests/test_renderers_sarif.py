"""SARIF output: valid against the official 2.1.0 schema, stable rule ids, disk lines, no secrets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import make_cell, shared_path
from sarif_support import check_sarif, upload_problems

from nbtools.cli import main
from nbtools.findings import Finding, Rule, Severity, Where, register_rules
from nbtools.renderers.sarif import FINGERPRINT_KEY, artifact_uri, to_sarif
from nbtools.report import FileResult, FileStatus, Report

SECRET = "AKIAIOSFODNN7EXAMPLE"


@pytest.fixture(autouse=True)
def _planted_rule() -> None:
    """A rule of this module's own (conftest's registry reset takes it away again)."""
    register_rules(
        Rule("test/planted", "planted", "A planted test finding", "Help text for the planted rule.")
    )


def _validate(log: dict[str, Any]) -> None:
    check_sarif(log)


def _report() -> Report:
    report = Report("scan")
    report.add_file(FileResult("nb dir/a.ipynb", FileStatus.FINDINGS))
    report.add_error("broken.ipynb", "invalid JSON: Expecting value at line 1 column 1")
    report.add_findings(
        [
            Finding(
                "nb dir/a.ipynb",
                "test/planted",
                "an AWS access key",
                cell_index=2,
                cell_id="abc",
                where=Where.SOURCE,
                line=3,
                json_line=41,
                masked="AKIA************MPLE",
            ),
            Finding(
                "script.py", "test/unregistered", "plain file", Severity.WARNING, line=7, column=5
            ),
            Finding("c.ipynb", "test/planted", "no line known", Severity.NOTE, cell_index=0),
        ]
    )
    return report


def test_sarif_validates_against_the_official_schema() -> None:
    _validate(to_sarif(_report()))


def test_sarif_rules_results_and_locations() -> None:
    log = to_sarif(_report())
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["test/planted", "test/unregistered"]
    assert "Help text for the planted rule." in rules[0]["help"]["markdown"]
    first, plain, noline = run["results"]
    assert first["ruleId"] == "test/planted"
    assert rules[first["ruleIndex"]]["id"] == "test/planted"
    physical = first["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == "nb%20dir/a.ipynb"
    assert physical["region"] == {"startLine": 41}
    assert first["properties"]["cell"] == 3
    assert first["properties"]["cell_id"] == "abc"
    assert first["properties"]["line_in_cell"] == 3
    assert first["partialFingerprints"][FINGERPRINT_KEY]
    # a plain file: its own line and column are the disk position
    assert plain["level"] == "warning"
    assert plain["locations"][0]["physicalLocation"]["region"] == {"startLine": 7, "startColumn": 5}
    # no disk line: the file as a whole, line 1 (code scanning needs a startLine)
    assert noline["level"] == "note"
    assert noline["locations"][0]["physicalLocation"]["region"] == {"startLine": 1}
    notifications = run["invocations"][0]["toolExecutionNotifications"]
    assert "broken.ipynb" in notifications[0]["message"]["text"]
    assert run["invocations"][0]["exitCode"] == 2


def test_sarif_fingerprints_do_not_depend_on_lines() -> None:
    a = Finding("a.ipynb", "test/planted", "m", cell_index=1, cell_id="x", line=2, json_line=10)
    b = Finding("a.ipynb", "test/planted", "m", cell_index=1, cell_id="x", line=5, json_line=90)
    report_a, report_b = Report("scan"), Report("scan")
    report_a.add_findings([a])
    report_b.add_findings([b])
    fp_a = to_sarif(report_a)["runs"][0]["results"][0]["partialFingerprints"]
    fp_b = to_sarif(report_b)["runs"][0]["results"][0]["partialFingerprints"]
    assert fp_a == fp_b


def test_sarif_carries_only_the_masked_secret() -> None:
    text = json.dumps(to_sarif(_report()))
    assert SECRET not in text
    assert "AKIA************MPLE" in text


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("a.ipynb", "a.ipynb"),
        ("sub/ü b.ipynb", "sub/%C3%BC%20b.ipynb"),
        ("x#1.ipynb", "x%231.ipynb"),
    ],
)
def test_artifact_uri_is_relative_and_encoded(tmp_path: Path, path: str, expected: str) -> None:
    assert artifact_uri(str(tmp_path / path), str(tmp_path)) == expected


def test_artifact_uri_outside_root_is_a_file_uri(tmp_path: Path) -> None:
    assert artifact_uri("/elsewhere/a.ipynb", str(tmp_path)) == "file:///elsewhere/a.ipynb"


def test_sarif_through_the_cli(
    nb_factory: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    nb_factory("dirty.ipynb", [make_cell(source="x = 1", execution_count=4)])
    out = tmp_path / "out.sarif"
    code = main(
        ["strip", "--check", "-v", "--format", "sarif", "--output", str(out), "dirty.ipynb"]
    )
    assert code == 1
    log = json.loads(out.read_text(encoding="utf-8"))
    _validate(log)
    results = log["runs"][0]["results"]
    assert [r["ruleId"] for r in results] == ["strip/unclean"]  # one result per file
    assert (
        results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "dirty.ipynb"
    )
    assert capsys.readouterr().out == ""  # the report went to the file


def test_sarif_of_a_clean_run_is_valid(
    nb_factory: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    nb_factory("clean.ipynb", [make_cell(source="x = 1")])
    assert main(["strip", "--check", "--format", "sarif", "clean.ipynb"]) == 0
    log = json.loads(capsys.readouterr().out)
    assert log["runs"][0]["results"] == []
    _validate(log)


def _sarif_of(args: list[str], capsys: Any) -> dict[str, Any]:
    main([*args, "--format", "sarif"])
    log: dict[str, Any] = json.loads(capsys.readouterr().out)
    _validate(log)
    return log


def _uris(log: dict[str, Any]) -> list[str]:
    return [
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in log["runs"][0]["results"]
    ]


def test_locations_are_relative_to_the_repository_root_from_a_subfolder(
    git_repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    from conftest import make_nb, run_git, write_nb

    for key in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_SHA", "GITHUB_REF"):
        monkeypatch.delenv(key, raising=False)
    write_nb(
        git_repo / "nbs" / "deep" / "a.ipynb", make_nb([make_cell(source="x", execution_count=1)])
    )
    run_git(git_repo, "remote", "add", "origin", "https://user:s3cret@example.com/team/repo.git")
    run_git(git_repo, "add", "-A")
    run_git(git_repo, "commit", "-q", "-m", "c")
    head = run_git(git_repo, "rev-parse", "HEAD").stdout.strip()
    monkeypatch.chdir(git_repo / "nbs")
    log = _sarif_of(["strip", "--check", "deep/a.ipynb"], capsys)
    run = log["runs"][0]
    assert _uris(log) == ["nbs/deep/a.ipynb"]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == git_repo.resolve().as_uri() + "/"
    (provenance,) = run["versionControlProvenance"]
    assert provenance == {
        "repositoryUri": "https://example.com/team/repo.git",  # never the credentials
        "revisionId": head,
        "branch": "main",
        "mappedTo": {"uriBaseId": "%SRCROOT%"},
    }
    # the same file named from the root, by an absolute path, or from a sibling folder
    monkeypatch.chdir(git_repo)
    assert _uris(_sarif_of(["strip", "--check", "nbs/deep/a.ipynb"], capsys)) == [
        "nbs/deep/a.ipynb"
    ]
    monkeypatch.chdir(git_repo / "nbs" / "deep")
    path = str(git_repo / "nbs" / "deep" / "a.ipynb")
    assert _uris(_sarif_of(["strip", "--check", path], capsys)) == ["nbs/deep/a.ipynb"]


def test_provenance_from_the_github_environment_outside_git(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nbtools.repo import provenance, repo_root

    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path))
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
    monkeypatch.setenv("GITHUB_REPOSITORY", "team/repo")
    monkeypatch.setenv("GITHUB_SHA", "a" * 40)
    monkeypatch.setenv("GITHUB_REF", "refs/heads/feature")
    (tmp_path / "sub").mkdir()
    assert repo_root(str(tmp_path / "sub")) == str(tmp_path)
    assert provenance(str(tmp_path)) == {
        "repositoryUri": "https://github.com/team/repo",
        "revisionId": "a" * 40,
        "branch": "feature",
    }


@pytest.mark.parametrize(
    ("remote", "uri"),
    [
        ("git@github.com:team/repo.git", "ssh://github.com/team/repo.git"),
        ("https://x-access-token:ghs_abc@github.com/team/repo", "https://github.com/team/repo"),
        ("ssh://git@host:2222/repo.git", "ssh://host:2222/repo.git"),
        ("/srv/git/repo.git", "file:///srv/git/repo.git"),
    ],
)
def test_remote_uris_carry_no_credentials(remote: str, uri: str) -> None:
    from nbtools.repo import clean_remote

    assert clean_remote(remote) == uri


def test_strip_reports_one_result_per_file(
    nb_factory: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    outputs = [{"output_type": "stream", "name": "stdout", "text": "hi\n"}]
    cells = [
        make_cell(source=f"print({i})", execution_count=i + 1, outputs=outputs) for i in range(6)
    ]
    nb_factory("a.ipynb", cells)
    nb_factory("b.ipynb", [make_cell(source="x", execution_count=3)])
    log = _sarif_of(["strip", "--check", "a.ipynb", "b.ipynb"], capsys)
    results = log["runs"][0]["results"]
    assert [(r["ruleId"], r["level"]) for r in results] == [
        ("strip/unclean", "warning"),
        ("strip/unclean", "warning"),
    ]
    assert _uris(log) == ["a.ipynb", "b.ipynb"]
    assert "12 finding(s) in 6 cell(s)" in results[0]["message"]["text"]
    assert "6 cell-outputs" in results[0]["message"]["text"]
    assert "6 execution-count" in results[0]["message"]["text"]
    assert results[0]["properties"]["counts"] == {
        "strip/outputs": 6,
        "strip/execution-count": 6,
    }
    # the JSON report still lists every change
    main(["strip", "--check", "--format", "json", "a.ipynb"])
    assert len(json.loads(capsys.readouterr().out)["findings"]) == 12


def _fingerprints(log: dict[str, Any]) -> list[str]:
    return [r["partialFingerprints"][FINGERPRINT_KEY] for r in log["runs"][0]["results"]]


@pytest.mark.parametrize(
    "args",
    [
        ["scan", "corpus/secrets", "corpus/public"],
        ["check", "corpus/hidden-state", "corpus/public"],
    ],
)
def test_fingerprints_are_unique_on_the_corpus(
    args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.chdir(shared_path())
    log = _sarif_of(args, capsys)
    results = log["runs"][0]["results"]
    assert len(results) > 20
    prints = _fingerprints(log)
    assert len(set(prints)) == len(prints)
    github = [r["partialFingerprints"]["primaryLocationLineHash"] for r in results]
    assert len(set(github)) == len(github)
    # the occurrence counter is a last resort: distinct findings differ in their identity
    assert sum(not p.endswith(":1") for p in prints) <= len(prints) // 10


def test_fingerprints_never_carry_the_secret(
    nb_factory: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    import hashlib

    monkeypatch.chdir(tmp_path)
    key = "AKIA" + "QWERTYUIOPASDFGH"
    nb_factory("a.ipynb", [make_cell(source=f"k = '{key}'\nj = '{key}'")])
    log = _sarif_of(["scan", "a.ipynb"], capsys)
    prints = _fingerprints(log)
    assert len(prints) == 2 and len(set(prints)) == 2  # the same key twice in one cell
    text = json.dumps(log)
    assert key not in text
    assert hashlib.sha256(key.encode()).hexdigest()[:16] not in text


def _moved_cell_prints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any, minor: int
) -> tuple[list[str], list[str]]:
    from conftest import make_nb, write_nb

    monkeypatch.chdir(tmp_path)
    leak = make_cell(source="token = 'ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8'")
    other = make_cell(source="print(1)")
    use = make_cell(source="print(undefined_thing)")
    path = tmp_path / "a.ipynb"
    write_nb(path, make_nb([leak, other, use], minor=minor))
    before = _fingerprints(_sarif_of(["scan", "a.ipynb"], capsys))
    before += _fingerprints(_sarif_of(["check", "a.ipynb"], capsys))
    nb = json.loads(path.read_text(encoding="utf-8"))
    nb["cells"] = [nb["cells"][1], nb["cells"][2], nb["cells"][0]]  # the leak moves down
    path.write_text(json.dumps(nb, indent=1), encoding="utf-8")
    after = _fingerprints(_sarif_of(["scan", "a.ipynb"], capsys))
    after += _fingerprints(_sarif_of(["check", "a.ipynb"], capsys))
    return before, after


def test_fingerprints_are_stable_when_cells_move(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    before, after = _moved_cell_prints(tmp_path, monkeypatch, capsys, minor=5)
    assert len(before) >= 2
    assert sorted(before) == sorted(after)


def test_fingerprints_use_the_cell_index_without_ids(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    before, after = _moved_cell_prints(tmp_path, monkeypatch, capsys, minor=4)
    assert before and set(before) != set(after)  # nbformat < 4.5: the index is all there is


def test_a_run_over_the_result_limit_is_cut_and_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import nbtools.renderers.sarif as sarif

    monkeypatch.setattr(sarif, "MAX_RESULTS", 5)
    report = Report("check")
    notes = [Finding(f"n{i}.ipynb", "test/planted", "n", Severity.NOTE) for i in range(6)]
    errors = [Finding(f"e{i}.ipynb", "test/planted", "e") for i in range(3)]
    report.add_findings([*notes, *errors])
    log = to_sarif(report, provenance=False)
    check_sarif(log)
    run = log["runs"][0]
    assert [r["level"] for r in run["results"]] == ["note", "note", "error", "error", "error"]
    (notice,) = run["invocations"][0]["toolExecutionNotifications"]
    assert notice["message"]["text"].startswith("4 of 9 results left out")


def test_the_upload_checks_catch_what_code_scanning_rejects() -> None:
    log = to_sarif(_report(), provenance=False)
    assert upload_problems(log) == []
    result = log["runs"][0]["results"][0]
    result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] = "file:///abs/a.ipynb"
    result["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    del result["partialFingerprints"]
    log["runs"][0]["tool"]["driver"]["rules"][0]["fullDescription"]["text"] = "x" * 1001
    found = " | ".join(upload_problems(log))
    for problem in ("not relative", "startLine", "primaryLocationLineHash", "fullDescription"):
        assert problem in found
