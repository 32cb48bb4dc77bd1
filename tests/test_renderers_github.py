"""GitHub Actions output: escaping, annotation limits, log groups and the job summary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import make_cell

from nbtools.cli import main
from nbtools.findings import Finding, Severity, Where
from nbtools.renderers.github import (
    ANNOTATION_LIMIT,
    annotation,
    annotation_lines,
    escape_data,
    escape_property,
    job_summary,
    render,
    workflow_command,
    write_summary,
)
from nbtools.report import FileResult, FileStatus, Report


@pytest.mark.parametrize(
    ("raw", "data", "prop"),
    [
        ("plain text", "plain text", "plain text"),
        ("100%", "100%25", "100%25"),
        ("a\nb", "a%0Ab", "a%0Ab"),
        ("a\r\nb", "a%0D%0Ab", "a%0D%0Ab"),
        ("x: y", "x: y", "x%3A y"),
        ("a,b", "a,b", "a%2Cb"),
        ("%0A", "%250A", "%250A"),  # an already-escaped look-alike stays literal
        ("dir/ü.ipynb", "dir/ü.ipynb", "dir/ü.ipynb"),
    ],
)
def test_escaping(raw: str, data: str, prop: str) -> None:
    assert escape_data(raw) == data
    assert escape_property(raw) == prop


def test_workflow_command_shape() -> None:
    line = workflow_command(
        "error", "bad: thing\nmore", file="a,b.ipynb", line=3, col=None, title="r: x"
    )
    assert line == "::error file=a%2Cb.ipynb,line=3,title=r%3A x::bad: thing%0Amore"


def test_annotation_points_at_the_disk_line_and_names_the_cell(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path))
    monkeypatch.chdir(tmp_path)  # outside git: the workspace is the root
    finding = Finding(
        str(tmp_path / "nbs" / "a.ipynb"),
        "strip/outputs",
        "2 output(s)",
        cell_index=1,
        where=Where.OUTPUT,
        json_line=30,
        masked=None,
    )
    text = annotation(finding)
    assert text.startswith("::error file=nbs/a.ipynb,line=30,title=strip/outputs%3A ")
    assert text.endswith("::cell 2: 2 output(s)")


def _findings(n: int, severity: Severity) -> list[Finding]:
    return [
        Finding(f"nb{i}.ipynb", "test/x", f"finding {i}", severity, cell_index=0, json_line=i + 1)
        for i in range(n)
    ]


@pytest.mark.parametrize(("errors", "warnings"), [(0, 0), (3, 2), (10, 10), (11, 1), (250, 40)])
def test_annotations_stay_within_the_runner_limits(errors: int, warnings: int) -> None:
    report = Report("check")
    report.add_findings(_findings(errors, Severity.ERROR) + _findings(warnings, Severity.WARNING))
    lines, logs = annotation_lines(report)
    shown_errors = [line for line in lines if line.startswith("::error")]
    shown_warnings = [line for line in lines if line.startswith("::warning")]
    assert len(shown_errors) == min(errors, ANNOTATION_LIMIT)
    assert len(shown_warnings) == min(warnings, ANNOTATION_LIMIT)
    if errors > ANNOTATION_LIMIT:
        assert f"{errors - ANNOTATION_LIMIT + 1} more error finding(s)" in shown_errors[-1]
    # every finding is still in the log
    assert sum(len(v) for v in logs.values()) == errors + warnings


def test_render_groups_per_notebook(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    report = Report("check")
    report.add_file(FileResult("a.ipynb", FileStatus.CLEAN))
    report.add_file(FileResult("b.ipynb", FileStatus.FINDINGS))
    report.add_error("c.ipynb", "invalid JSON")
    report.add_findings([Finding("b.ipynb", "test/x", "boom", cell_index=2, json_line=9)])
    out = render(report, None)  # type: ignore[arg-type]
    assert "::group::a.ipynb: pass" in out
    assert "::group::b.ipynb: fail" in out
    assert "::group::c.ipynb: error" in out
    assert out.count("::endgroup::") == 3
    assert "::error file=c.ipynb,title=nbtools check%3A unreadable input::invalid JSON" in out


def test_job_summary_table_and_escaping() -> None:
    report = Report("run")
    report.add_file(FileResult("ok.ipynb", FileStatus.CLEAN))
    report.add_file(FileResult("we|ird.ipynb", FileStatus.FINDINGS, "fail_error"))
    report.add_findings(
        [Finding("we|ird.ipynb", "run/error", "ValueError: <bad> | pipe", cell_index=3)]
    )
    text = job_summary(report)
    assert "| notebook | verdict | details |" in text
    assert "| `we\\|ird.ipynb` | ❌ fail |" in text
    assert "&lt;bad&gt; \\| pipe" in text
    assert "| `ok.ipynb` | ✅ pass |" in text
    # failures come first
    assert text.index("we\\|ird") < text.index("ok.ipynb")


def test_job_summary_stays_under_the_limit() -> None:
    report = Report("run")
    for i in range(20000):
        report.add_file(
            FileResult(
                f"notebooks/very/long/path/number-{i:05d}.ipynb", FileStatus.FINDINGS, "x" * 100
            )
        )
    text = job_summary(report)
    assert len(text.encode("utf-8")) < 1024 * 1024
    assert "more file(s) not listed" in text


def test_write_summary_appends_and_respects_what_is_there(tmp_path: Path) -> None:
    report = Report("check")
    report.add_file(FileResult("a.ipynb", FileStatus.CLEAN))
    path = tmp_path / "summary.md"
    path.write_text("# earlier step\n", encoding="utf-8")
    write_summary(report, str(path))
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# earlier step\n")
    assert "## nbtools check" in text
    full = tmp_path / "full.md"
    full.write_bytes(b"x" * (1024 * 1024 - 100))
    write_summary(report, str(full))
    assert full.stat().st_size == 1024 * 1024 - 100  # no room left: nothing appended


def test_github_format_through_the_cli(
    nb_factory: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    summary = tmp_path / "step-summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path))
    nb_factory("dirty.ipynb", [make_cell(source="x", execution_count=2)])
    assert main(["strip", "--check", "-v", "--format", "github", "dirty.ipynb"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("::error file=dirty.ipynb,")
    assert "::group::dirty.ipynb: fail" in out
    assert "| `dirty.ipynb` | ❌ fail |" in summary.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("fmt", "flag", "written"),
    [
        ("github", None, True),
        ("github", "0", False),
        ("sarif", None, False),
        ("sarif", "1", True),
        ("junit", "1", True),
        ("json", "0", False),
    ],
)
def test_job_summary_switch(
    nb_factory: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: Any,
    fmt: str,
    flag: str | None,
    written: bool,
) -> None:
    monkeypatch.chdir(tmp_path)
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    if flag is None:
        monkeypatch.delenv("NBTOOLS_JOB_SUMMARY", raising=False)
    else:
        monkeypatch.setenv("NBTOOLS_JOB_SUMMARY", flag)
    nb_factory("a.ipynb", [make_cell(source="x = 1")])
    assert main(["check", "--format", fmt, "--output", str(tmp_path / "out"), "a.ipynb"]) == 0
    assert summary.exists() is written
    if written:
        assert "| `a.ipynb` | ✅ pass |" in summary.read_text(encoding="utf-8")


def test_job_summary_shows_a_nondeterministic_notebook_as_a_warning() -> None:
    # #11.16: the job summary showed `nondeterministic` as a plain pass
    from nbtools.findings import Severity

    report = Report("run")
    report.fail_on_warnings = False  # as `nbtools run` reports: warnings do not fail
    report.add_file(FileResult("ok.ipynb", FileStatus.CLEAN))
    report.add_file(FileResult("random.ipynb", FileStatus.CLEAN))
    message = "cell 2 differs between two fresh runs"
    report.add_findings(
        [Finding("random.ipynb", "run/nondeterministic", message, Severity.WARNING, cell_index=1)]
    )
    import nbtools.execute.rules  # noqa: F401 - registers the run/* rules

    text = job_summary(report)
    assert "| `random.ipynb` | 🟡 warning `nondeterministic` |" in text
    assert "run/nondeterministic cell 2 differs between two fresh runs" in text
    assert "| `ok.ipynb` | ✅ pass |" in text
    assert "1 pass, 1 warning" in text
    assert text.index("random.ipynb") < text.index("ok.ipynb")


def test_annotations_use_repository_paths_from_a_subfolder(
    git_repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    from conftest import make_nb, write_nb

    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    write_nb(git_repo / "nbs" / "a.ipynb", make_nb([make_cell(source="x", execution_count=1)]))
    monkeypatch.chdir(git_repo / "nbs")
    assert main(["strip", "--check", "-v", "--format", "github", "./a.ipynb"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("::error file=nbs/a.ipynb,"), out  # not ./a.ipynb nor a.ipynb
