"""Each command's typed result reaches the JSON report under the keys and in the order it
always had, and its view words the summary and text lines."""

from __future__ import annotations

import json
from typing import Any

from nbtools.console import Console
from nbtools.container.doctor import Check
from nbtools.findings import Finding, Suppression
from nbtools.gitsetup import Action
from nbtools.renderers import json as json_renderer
from nbtools.renderers import text as text_renderer
from nbtools.renderers.views import VIEWS, View, view_for
from nbtools.report import FileResult, FileStatus, Report, Verb
from nbtools.results import (
    BaselineUpdate,
    CheckResult,
    DoctorResult,
    FilterResult,
    InstallResult,
    ScanResult,
    SyncResult,
)

COMMON = ["tool", "version", "schema_version", "command", "exit_code", "summary", "files"]
COMMON += ["findings"]


def _json(report: Report, verbosity: int = 0) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(json_renderer.render(report, Console(verbosity=verbosity)))
    return data


def _text(report: Report, verbosity: int = 0) -> list[str]:
    return text_renderer.render(report, Console(verbosity=verbosity, color="never")).splitlines()


def _suppressed(path: str = "nb.ipynb") -> Finding:
    note = Suppression("inSource", "cell tag", f"{path}:cell 1", "cell tagged `nbtools-allow`")
    return Finding(path, "scan/github-token", "token", suppression=note)


def test_every_view_module_has_its_view() -> None:
    for command in VIEWS:
        view = view_for(Report(command))
        assert isinstance(view, View) and type(view) is not View, command
    assert type(view_for(Report("strip"))) is View


def test_doctor_checks_summary_and_text_lines() -> None:
    report = Report("doctor")
    report.result = DoctorResult(
        [
            Check("engine", "ok", "podman 4.3.1"),
            Check("image", "warning", "old", "pull it"),
            Check("gpus", "error", "none", "install drivers"),
        ]
    )
    data = _json(report)
    assert list(data) == [*COMMON, "checks", "summary_line"]
    assert data["checks"][1] == {
        "check": "image",
        "status": "warning",
        "message": "old",
        "fix": "pull it",
    }
    assert data["summary_line"] == report.summary_line() == "1 ok, 1 warning(s), 1 broken"
    assert _text(report) == ["ok       engine      podman 4.3.1"]


def test_doctor_without_checks_says_what_every_command_says() -> None:
    """Every path named was missing: doctor never ran, and nothing claims it did."""
    report = Report("doctor")
    report.add_error("nope", "no such file or directory")
    assert list(_json(report)) == COMMON
    assert report.summary_line() == "1 file error"
    assert _text(report) == []


def test_install_repository_actions_and_nothing_to_remove() -> None:
    report = Report("install")
    action = Action("attributes", ".gitattributes", "added", "*.ipynb filter=nbtools")
    report.result = InstallResult("/repo", [action])
    report.add_file(FileResult(".gitattributes", FileStatus.ADDED, "attributes", verb=Verb.ADDED))
    data = _json(report)
    assert list(data) == [*COMMON, "repository", "install"]
    assert data["repository"] == "/repo"
    assert data["install"] == [
        {
            "component": "attributes",
            "location": ".gitattributes",
            "state": "added",
            "detail": "*.ipynb filter=nbtools",
        }
    ]
    assert report.summary_line() == "1 added"
    empty = Report("install", result=InstallResult("/repo", [], nothing_to_remove=True))
    data = _json(empty)
    assert list(data) == [*COMMON, "repository", "install", "summary_line"]
    assert data["summary_line"] == empty.summary_line() == "nothing to remove"


def test_scan_git_baseline_and_suppressions() -> None:
    report = Report("scan")
    baseline = BaselineUpdate(".b.json", 3, written=False)
    report.result = ScanResult(git={"mode": "staged", "blobs": 2}, baseline=baseline)
    report.add_findings([_suppressed()])
    data = _json(report)
    sections = ["git", "baseline", "summary_line", "suppressed", "suppressions"]
    assert list(data) == [*COMMON, *sections]
    assert data["git"] == {"mode": "staged", "blobs": 2}
    assert data["baseline"] == {"path": ".b.json", "findings": 3}
    assert data["summary_line"] == report.summary_line()
    assert report.summary_line() == "baseline unchanged: 3 findings accepted"
    assert data["suppressed"][0]["suppression"]["source"] == "cell tag"
    assert data["suppressions"] == [
        {"source": "cell tag", "location": "nb.ipynb:cell 1", "kind": "inSource", "count": 1}
    ]
    written = Report("scan", result=ScanResult(baseline=BaselineUpdate(".b.json", 1, True)))
    assert written.summary_line() == "baseline wrote: 1 findings accepted"


def test_scan_counts_what_the_baseline_accepted() -> None:
    report = Report("scan", [FileResult("a.ipynb", FileStatus.CLEAN)])
    report.result = ScanResult(baselined=0)
    data = _json(report)
    assert list(data) == [*COMMON, "baselined"]
    assert data["baselined"] == 0
    assert report.summary_line() == "1 clean"
    assert list(_json(Report("scan", result=ScanResult()))) == COMMON


def test_check_lists_its_checks_then_suppressions() -> None:
    report = Report("check", result=CheckResult(["strip", "secrets"]))
    assert list(_json(report)) == [*COMMON, "checks"]
    report.add_findings([_suppressed()])
    data = _json(report)
    assert list(data) == [*COMMON, "checks", "suppressed", "suppressions"]
    assert data["checks"] == ["strip", "secrets"]


def test_filter_capabilities_and_files_served() -> None:
    report = Report("filter", result=FilterResult(["clean", "smudge"], {"clean": 2}))
    data = _json(report)
    assert list(data) == [*COMMON, "filter"]
    assert data["filter"] == {"capabilities": ["clean", "smudge"], "served": {"clean": 2}}
    assert list(_json(Report("filter"))) == COMMON  # --clean, --textconv, --check-staged


def test_sync_counts_its_pairs_in_its_own_words() -> None:
    pairs = {FileStatus.SKIPPED: 9, FileStatus.CHANGED: 1, FileStatus.ERROR: 2}
    report = Report("sync", result=SyncResult(pairs))
    report.add_error("missing.ipynb", "no such file or directory")  # not a pair: not counted
    data = _json(report)
    assert list(data) == [*COMMON, "summary_line"]
    assert data["summary_line"] == report.summary_line() == "1 synced, 9 not paired, 2 errors"
    assert Report("sync", result=SyncResult({})).summary_line() == "no pairs"
    assert Report("sync").summary_line() == "no files"  # sync never ran


def test_install_verbs_are_left_out_of_quiet_output() -> None:
    report = Report("install", result=InstallResult("/repo"))
    report.add_file(FileResult("diff.x", FileStatus.UNCHANGED, "git config", verb=Verb.KEPT))
    assert _text(report) == ["kept diff.x (git config)"]
    assert _text(report, verbosity=-1) == []


def test_run_sections_are_shown_as_they_are_until_run_has_a_view() -> None:
    report = Report("run")
    report.sections.update(
        notebooks=[{"path": "a.ipynb"}], summary_line="1 notebook", text_lines=["--- a"]
    )
    data = _json(report)
    assert list(data) == [*COMMON, "notebooks", "summary_line"]
    assert report.summary_line() == "1 notebook"
    assert _text(report) == ["--- a"]
