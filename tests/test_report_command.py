"""``nbtools report merge`` (and ``run --merge-reports``): shards' JSON reports -> one report."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from nbtools.cli import main
from nbtools.renderers.json import file_data, to_data
from nbtools.report import FileResult, FileStatus
from nbtools.reportmerge import file_from_dict, finding_from_dict, merge
from nbtools.results import RunResult

SINGLE_RUN_KEYS = {
    "tool",
    "version",
    "schema_version",
    "command",
    "exit_code",
    "summary",
    "files",
    "findings",
    "notebooks",
    "summary_line",
}


def _notebook(path: str, verdict: str = "pass", duration: float = 0.5) -> dict[str, Any]:
    cells: list[dict[str, Any]] = [{"index": 0, "status": "ok", "duration_s": 0.1}]
    if verdict == "fail_error":
        cells = [{"index": 0, "status": "error", "ename": "ZeroDivisionError", "line": 1}]
    return {
        "path": path,
        "verdict": verdict,
        "first_divergent_cell": 0 if verdict != "pass" else None,
        "reason": "cell 1 raised ZeroDivisionError" if verdict == "fail_error" else None,
        "duration_s": duration,
        "cells": cells,
    }


def _finding(path: str, rule: str = "run/error", severity: str = "error") -> dict[str, Any]:
    return {
        "path": path,
        "cell_index": 0,
        "cell_id": "c0",
        "where": "source",
        "output_index": None,
        "field": None,
        "line": 1,
        "json_line": 10,
        "column": None,
        "rule": rule,
        "severity": severity,
        "message": "cell 1 raised ZeroDivisionError (division by zero)",
        "masked": None,
        "fingerprint": "f" * 32,
    }


def shard_report(k: int, n: int, notebooks: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    """A report as `nbtools run --shard K/N --format json` writes it."""
    files: list[dict[str, Any]] = []
    findings: list[dict[str, Any]] = []
    for entry in notebooks:
        ok = entry["verdict"] in ("pass", "pass_with_warnings", "nondeterministic")
        file: dict[str, Any] = {"path": entry["path"], "status": "clean" if ok else "findings"}
        if not ok:
            file["message"] = entry["verdict"]
            findings.append(_finding(entry["path"]))
        if entry["verdict"] == "nondeterministic":
            findings.append(_finding(entry["path"], "run/nondeterministic", "warning"))
        file["duration_s"] = entry["duration_s"]
        files.append(file)
    data = {
        "tool": "nbtools",
        "version": "0.1.0",
        "command": "run",
        "exit_code": 0,
        "summary": {},
        "files": files,
        "findings": findings,
        "shard": {"index": k, "count": n},
        "notebooks": notebooks,
        "summary_line": f"{len(notebooks)} notebooks: ... in {k}.5 s",
    }
    data.update(extra)
    return data


def write(tmp_path: Path, name: str, data: dict[str, Any]) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


@pytest.fixture
def shards(tmp_path: Path) -> list[str]:
    one = shard_report(1, 2, [_notebook("nb/a.ipynb"), _notebook("nb/c.ipynb", "fail_error")])
    two = shard_report(2, 2, [_notebook("nb/b.ipynb", duration=2.0)])
    return [write(tmp_path, "s1.json", one), write(tmp_path, "s2.json", two)]


def merged_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main([*args, "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


def test_merge_has_the_shape_and_exit_code_of_a_single_run(
    shards: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, data = merged_json(capsys, "report", "merge", *shards)
    assert code == 1 and data["exit_code"] == 1
    assert set(data) >= SINGLE_RUN_KEYS and "shard" not in data
    assert [n["path"] for n in data["notebooks"]] == ["nb/a.ipynb", "nb/b.ipynb", "nb/c.ipynb"]
    assert [f["path"] for f in data["files"]] == ["nb/a.ipynb", "nb/b.ipynb", "nb/c.ipynb"]
    assert data["summary"] == {"clean": 2, "findings": 1, "findings_error": 1}
    assert data["summary_line"] == (
        "3 notebooks: 1 fail_error, 2 pass in 2.5 s (longest of 2 shards)"
    )
    assert data["findings"][0]["fingerprint"] == "f" * 32  # kept, not recomputed


def test_merge_is_the_same_whatever_the_order_of_the_shards(
    shards: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    _, forward = merged_json(capsys, "report", "merge", *shards)
    _, backward = merged_json(capsys, "report", "merge", *reversed(shards))
    assert forward == backward


def test_run_merge_reports_is_the_same_command_and_honours_format_and_output(
    shards: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "merged.xml"
    assert main(["run", "--merge-reports", *shards, "--format", "junit", "-o", str(target)]) == 1
    assert capsys.readouterr().out == ""  # the report went to the file, not stdout
    suite = ET.parse(target).getroot().find("testsuite")
    assert suite is not None
    names = [case.get("name") for case in suite.iter("testcase")]
    assert names == ["nb/a.ipynb", "nb/b.ipynb", "nb/c.ipynb"]
    assert suite.get("failures") == "1" and suite.get("name") == "nbtools run"
    _, via_run = merged_json(capsys, "run", "--merge-reports", *shards)
    _, via_report = merged_json(capsys, "report", "merge", *shards)
    assert via_run == via_report


@pytest.mark.parametrize("fmt", ["text", "sarif", "github"])
def test_every_format_renders_a_merged_report(
    shards: list[str], fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", "merge", *shards, "--format", fmt]) == 1
    out = capsys.readouterr().out
    if fmt == "sarif":
        results = json.loads(out)["runs"][0]["results"]
        assert [r["ruleId"] for r in results] == ["run/error"]
        assert results[0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 10
        return
    assert "nb/c.ipynb:cell 1" in out and "nb/a.ipynb:cell" not in out
    if fmt == "github":
        assert "::error file=nb/c.ipynb,line=10," in out
    if fmt == "text":
        assert "--- nb/c.ipynb: cell 1 raised ZeroDivisionError" in out


def test_all_passing_or_nondeterministic_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one = shard_report(1, 2, [_notebook("a.ipynb")])
    two = shard_report(2, 2, [_notebook("b.ipynb", "nondeterministic")])
    code, data = merged_json(
        capsys, "report", "merge", write(tmp_path, "1.json", one), write(tmp_path, "2.json", two)
    )
    assert code == 0 and data["summary"]["findings_warning"] == 1


def test_an_unreadable_notebook_in_a_shard_exits_2_as_a_single_run_would(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one = shard_report(1, 2, [_notebook("a.ipynb")])
    one["files"].append({"path": "broken.ipynb", "status": "error", "message": "not JSON"})
    two = shard_report(2, 2, [_notebook("b.ipynb")])
    code, data = merged_json(
        capsys, "report", "merge", write(tmp_path, "1.json", one), write(tmp_path, "2.json", two)
    )
    assert code == 2 and data["exit_code"] == 2


def _one_line_error(capsys: pytest.CaptureFixture[str], args: list[str]) -> str:
    assert main(args) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_a_missing_shard_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    reports = [
        write(tmp_path, f"{k}.json", shard_report(k, 4, [_notebook(f"n{k}.ipynb")]))
        for k in (1, 2, 4)
    ]
    line = _one_line_error(capsys, ["report", "merge", *reports, "--format", "junit"])
    assert "shard 3/4 missing" in line and "3 of 4" in line


def test_a_duplicated_shard_is_an_error(
    shards: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    line = _one_line_error(capsys, ["report", "merge", shards[0], shards[1], shards[0]])
    assert "shard 1/2 given twice" in line


def test_shards_of_different_runs_are_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one = write(tmp_path, "1.json", shard_report(1, 2, [_notebook("a.ipynb")]))
    other = write(tmp_path, "x.json", shard_report(2, 3, [_notebook("b.ipynb")]))
    assert "different runs" in _one_line_error(capsys, ["report", "merge", one, other])


def test_a_notebook_run_by_two_shards_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one = write(tmp_path, "1.json", shard_report(1, 2, [_notebook("a.ipynb")]))
    two = write(tmp_path, "2.json", shard_report(2, 2, [_notebook("a.ipynb")]))
    line = _one_line_error(capsys, ["report", "merge", one, two])
    assert "a.ipynb ran in shard 1/2 and in shard 2/2" in line


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("not json", "not a readable JSON report"),
        ('{"tool": "nbtools", "command": "scan"}', "not of `run`"),
        ("[1, 2]", "not an nbtools --format json report"),
        (
            '{"tool": "nbtools", "command": "run", "shard": {"index": 3, "count": 2}}',
            "invalid shard metadata",
        ),
        ('{"tool": "nbtools", "command": "run", "notebooks": [1]}', "not a list of entries"),
    ],
)
def test_what_is_not_a_shard_report_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, expected: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    assert expected in _one_line_error(capsys, ["report", "merge", str(path)])
    missing = str(tmp_path / "missing.json")
    assert "no such report" in _one_line_error(capsys, ["report", "merge", missing])


def test_a_whole_run_report_converts_to_another_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    whole = shard_report(1, 1, [_notebook("a.ipynb"), _notebook("b.ipynb", "fail_error")])
    del whole["shard"]
    assert main(["report", "merge", write(tmp_path, "all.json", whole), "--format", "junit"]) == 1
    root = ET.fromstring(capsys.readouterr().out)
    assert root.get("tests") == "2" and root.get("failures") == "1"


def test_findings_round_trip_through_json() -> None:
    from nbtools.findings import Finding, Severity, Where

    finding = Finding(
        "x.ipynb",
        "run/error",
        "boom",
        Severity.WARNING,
        cell_index=2,
        cell_id="abc",
        where=Where.SOURCE,
        line=3,
        json_line=40,
        extra={"custom": 1},
    )
    again = finding_from_dict(finding.to_dict())
    assert again.to_dict() == finding.to_dict()


def test_other_sections_are_merged_not_dropped() -> None:
    one = shard_report(1, 2, [_notebook("a.ipynb")], warnings_seen=["w1"], image="tf:2.9")
    two = shard_report(2, 2, [_notebook("b.ipynb")], warnings_seen=["w2"], image="tf:2.9")
    report = merge([("1.json", one), ("2.json", two)])
    assert isinstance(report.result, RunResult)
    assert report.result.extra == {"warnings_seen": ["w1", "w2"], "image": "tf:2.9"}
    data = to_data(report)
    assert list(data)[-4:] == ["warnings_seen", "image", "notebooks", "summary_line"]


LOCAL = {"python": "/ci/venv/bin/python", "source": "active", "reason": "the active venv"}


def test_a_merge_sums_the_cache_counts_and_names_the_one_interpreter(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The summary of a merged run reads as a single run's: cached notebooks counted, and
    the interpreter named when every shard ran on the same one."""
    served = {**_notebook("a.ipynb"), "cached": True}
    one = shard_report(1, 2, [served], interpreter=LOCAL, cache={"served": 1, "stored": 0})
    two = shard_report(
        2, 2, [_notebook("b.ipynb")], interpreter=LOCAL, cache={"served": 0, "stored": 1}
    )
    paths = [write(tmp_path, "1.json", one), write(tmp_path, "2.json", two)]
    code, data = merged_json(capsys, "report", "merge", *paths)
    assert code == 0
    assert data["cache"] == {"served": 1, "stored": 1}
    assert data["interpreter"] == LOCAL
    assert data["summary_line"] == (
        "2 notebooks: 2 pass (1 cached) in 2.5 s (longest of 2 shards); "
        "kernels ran on /ci/venv/bin/python: the active venv"
    )


def test_shards_on_different_interpreters_are_listed_not_summarised(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image = {"image": "tf:2.9", "source": "image"}
    one = shard_report(1, 2, [_notebook("a.ipynb")], interpreter=LOCAL, note="first")
    two = shard_report(2, 2, [_notebook("b.ipynb")], interpreter=image, note="second")
    paths = [write(tmp_path, "1.json", one), write(tmp_path, "2.json", two)]
    _, forward = merged_json(capsys, "report", "merge", *paths)
    _, backward = merged_json(capsys, "report", "merge", *reversed(paths))
    assert forward == backward  # shard 1's sections first, whatever the order named
    assert "interpreter" not in forward and forward["interpreters"] == [LOCAL, image]
    assert forward["note"] == "first"
    assert "kernels ran" not in forward["summary_line"]


@pytest.mark.parametrize(
    ("section", "value"),
    [("cache", {"served": "many"}), ("cache", [1]), ("interpreter", {"python": ["x"]})],
)
def test_a_malformed_section_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], section: str, value: Any
) -> None:
    path = write(tmp_path, "1.json", shard_report(1, 1, [_notebook("a.ipynb")], **{section: value}))
    line = _one_line_error(capsys, ["report", "merge", path])
    assert path in line and repr(section) in line


def test_an_unknown_file_status_is_a_malformed_entry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one = shard_report(1, 1, [_notebook("a.ipynb")])
    one["files"][0]["status"] = "bogus"
    line = _one_line_error(capsys, ["report", "merge", write(tmp_path, "1.json", one)])
    assert "malformed file or finding entry: 'bogus' is not a valid FileStatus" in line


_RUN_FILES = st.builds(
    FileResult,
    st.sampled_from(["a.ipynb", "b/c.ipynb"]),
    st.sampled_from(list(FileStatus)),
    st.sampled_from(["", "fail_error"]),
    duration_s=st.none() | st.floats(0, 1e6) | st.integers(0, 10**6),
    cause=st.none() | st.sampled_from(["timeout", "hidden-state"]),
    cached=st.booleans(),
)


@given(_RUN_FILES)
def test_a_file_entry_reads_back_as_it_was_written(result: FileResult) -> None:
    """What `report merge` reads of a shard's file is what that shard wrote of it."""
    written = file_data(result)
    assert file_data(file_from_dict(json.loads(json.dumps(written)))) == written


def test_a_suppressed_finding_stays_suppressed() -> None:
    from nbtools.findings import Suppression

    entry = _finding("a.ipynb")
    entry["suppression"] = Suppression("inSource", "cell tag", "a.ipynb:cell 1").to_dict()
    one = shard_report(1, 1, [_notebook("a.ipynb")])
    one["findings"] = [entry]
    report = merge([("1.json", one)])
    assert report.findings == [] and len(report.suppressed) == 1
    assert report.suppressed[0].suppression == Suppression("inSource", "cell tag", "a.ipynb:cell 1")
    assert report.exit_code == 0


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
FINDING_KEYS = ["path", "rule", "severity", "cell_index", "where", "line", "json_line", "masked"]


@st.composite
def hostile_shard(draw: st.DrawFn, k: int) -> dict[str, Any]:
    """A shard report whose entries have arbitrary values where nbtools writes typed ones."""
    data = shard_report(k, 2, [_notebook(f"n{k}.ipynb", "fail_error")])
    keys = ["verdict", "cells", "reason", "path", "duration_s", "html", "cause"]
    data["notebooks"][0].update(draw(st.dictionaries(st.sampled_from(keys), JSON)))
    finding = data["findings"][0]
    finding.update(draw(st.dictionaries(st.sampled_from(FINDING_KEYS), JSON, max_size=3)))
    data["files"][0].update(draw(st.dictionaries(st.sampled_from(["status", "message"]), JSON)))
    keys = st.sampled_from(["shard", "summary_line", "other", "interpreter", "cache"])
    extra = draw(st.dictionaries(keys, JSON))
    data.update(extra)
    return data


def _with(k: int, **facts: Any) -> dict[str, Any]:
    data = shard_report(k, 2, [_notebook(f"n{k}.ipynb", "fail_error")])
    data["notebooks"][0].update(facts)
    return data


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(one=hostile_shard(1), two=hostile_shard(2))
@example(one=_with(1, duration_s="a"), two=_with(2, path="../../\0x", html=["x"]))
@example(one=_with(1, duration_s=float("nan")), two=_with(2, verdict={"a": 1}))
@example(one=_with(1, path="../../etc/x", html="../../y.html"), two=_with(2, cause=3))
@example(
    one={**_with(1), "interpreter": {"python": None, "reason": 3}},
    two={**_with(2), "cache": {"served": -1}},
)
def test_hostile_reports_are_refused_in_one_line_or_render_in_every_format(
    one: dict[str, Any], two: dict[str, Any]
) -> None:
    from nbtools.console import Console
    from nbtools.errors import NbtoolsError
    from nbtools.renderers import FORMATS, render

    try:
        report = merge([("1.json", one), ("2.json", two)])
    except NbtoolsError as exc:
        assert "\n" not in str(exc)
        return
    console = Console(verbosity=-1, color="never")
    for fmt in FORMATS:
        if fmt != "github":
            assert render(report, fmt, console)
    assert report.exit_code in (0, 1, 2, 3)
    # the --html index of a merge: every page inside the folder, whatever the entries say
    import tempfile

    from nbtools.execute.html import write_index
    from nbtools.renderers.views import headline

    assert isinstance(report.result, RunResult)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder, "html")
        write_index(str(out), report.result.notebooks, headline(report))
        assert {p.parent for p in Path(folder).rglob("*") if p.is_file()} == {out}
