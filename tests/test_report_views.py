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
from nbtools.renderers.views import VIEWS, View, headline, view_for
from nbtools.report import FileResult, FileStatus, Report, Verb
from nbtools.results import (
    BaselineUpdate,
    CacheUse,
    ChangedSince,
    CheckResult,
    DoctorResult,
    FilterResult,
    InstallResult,
    RunResult,
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
    assert data["summary_line"] == headline(report) == "1 ok, 1 warning(s), 1 broken"
    assert _text(report) == ["ok       engine      podman 4.3.1"]


def test_doctor_without_checks_says_what_every_command_says() -> None:
    """Every path named was missing: doctor never ran, and nothing claims it did."""
    report = Report("doctor")
    report.add_error("nope", "no such file or directory")
    assert list(_json(report)) == COMMON
    assert headline(report) == "1 file error"
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
    assert headline(report) == "1 added"
    empty = Report("install", result=InstallResult("/repo", [], nothing_to_remove=True))
    data = _json(empty)
    assert list(data) == [*COMMON, "repository", "install", "summary_line"]
    assert data["summary_line"] == headline(empty) == "nothing to remove"


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
    assert data["summary_line"] == headline(report)
    assert headline(report) == "baseline unchanged: 3 findings accepted"
    assert data["suppressed"][0]["suppression"]["source"] == "cell tag"
    assert data["suppressions"] == [
        {"source": "cell tag", "location": "nb.ipynb:cell 1", "kind": "inSource", "count": 1}
    ]
    written = Report("scan", result=ScanResult(baseline=BaselineUpdate(".b.json", 1, True)))
    assert headline(written) == "baseline wrote: 1 findings accepted"


def test_scan_counts_what_the_baseline_accepted() -> None:
    report = Report("scan", [FileResult("a.ipynb", FileStatus.CLEAN)])
    report.result = ScanResult(baselined=0)
    data = _json(report)
    assert list(data) == [*COMMON, "baselined"]
    assert data["baselined"] == 0
    assert headline(report) == "1 clean"
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
    assert data["summary_line"] == headline(report) == "1 synced, 9 not paired, 2 errors"
    assert headline(Report("sync", result=SyncResult({}))) == "no pairs"
    assert headline(Report("sync")) == "no files"  # sync never ran


def test_install_verbs_are_left_out_of_quiet_output() -> None:
    report = Report("install", result=InstallResult("/repo"))
    report.add_file(FileResult("diff.x", FileStatus.UNCHANGED, "git config", verb=Verb.KEPT))
    assert _text(report) == ["kept diff.x (git config)"]
    assert _text(report, verbosity=-1) == []


def _run_result(**given: Any) -> RunResult:
    notebooks = [
        {"path": "a.ipynb", "verdict": "pass", "cached": True},
        {"path": "b.ipynb", "verdict": "fail_error"},
    ]
    return RunResult(notebooks=notebooks, elapsed_s=2.04, explanations=["--- b.ipynb: x"], **given)


def test_a_run_says_what_it_ran_over_on_and_with_in_order() -> None:
    interpreter = {"python": "/venv/bin/python", "source": "venv", "reason": "the venv"}
    result = _run_result(
        cache=CacheUse(served=1, stored=0),
        interpreter=interpreter,
        changed_since=ChangedSince("main", {"b.ipynb": "b.ipynb changed"}, 1),
        shard=(2, 3),
    )
    report = Report("run", result=result)
    report.add_file(FileResult("a.ipynb", FileStatus.CLEAN, duration_s=0.0, cached=True))
    report.add_file(FileResult("b.ipynb", FileStatus.FINDINGS, "fail_error", duration_s=1.5))
    data = _json(report)
    sections = ["shard", "changed_since", "interpreter", "cache", "notebooks", "summary_line"]
    assert list(data) == [*COMMON, *sections]
    assert data["shard"] == {"index": 2, "count": 3}
    assert data["changed_since"] == {
        "ref": "main",
        "selected": {"b.ipynb": "b.ipynb changed"},
        "unchanged": 1,
    }
    assert data["cache"] == {"served": 1, "stored": 0}
    assert data["interpreter"] == interpreter
    assert (
        data["summary_line"]
        == headline(report)
        == (
            "2 notebooks: 1 fail_error, 1 pass (1 cached) in 2.0 s; "
            "kernels ran on /venv/bin/python: the venv"
        )
    )
    # the run's facts follow the file's own: its time, then served or the verdict's cause
    assert data["files"] == [
        {"path": "a.ipynb", "status": "clean", "duration_s": 0.0, "cached": True},
        {
            "path": "b.ipynb",
            "status": "findings",
            "message": "fail_error",
            "duration_s": 1.5,
            "cause": None,
        },
    ]
    assert _text(report) == ["--- b.ipynb: x"]
    assert _text(report, verbosity=-1) == ["--- b.ipynb: x"]


def test_a_merged_run_puts_what_its_shards_said_first_and_counts_its_shards() -> None:
    extra = {"interpreter": {"image": "tf:2.9"}, "warnings_seen": ["w1", "w2"]}
    report = Report("run", result=_run_result(merged_shards=2, extra=extra))
    data = _json(report)
    assert list(data) == [*COMMON, "interpreter", "warnings_seen", "notebooks", "summary_line"]
    # a merge words its summary as a single run does (cached count; the interpreter when
    # the merge found one for every shard, not a section copied from a shard), and the shards
    assert (
        data["summary_line"]
        == headline(report)
        == ("2 notebooks: 1 fail_error, 1 pass (1 cached) in 2.0 s (longest of 2 shards)")
    )
    one = Report("run", result=_run_result(merged_shards=1))
    assert headline(one) == "2 notebooks: 1 fail_error, 1 pass (1 cached) in 2.0 s"
    assert _text(report) == ["--- b.ipynb: x"]


def test_a_run_that_ran_nothing_reads_as_any_command() -> None:
    """Every path named was missing: the CLI reports the files, and nothing ran."""
    report = Report("run")
    report.add_error("gone.ipynb", "no such file or directory")
    assert list(_json(report)) == COMMON
    assert headline(report) == "1 file error"
    assert _text(report) == []
    empty = Report("run", result=RunResult())
    assert headline(empty) == "0 notebooks: nothing run in 0.0 s"
