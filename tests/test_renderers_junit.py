"""JUnit XML: one test case per notebook, file/line attributes, shard-unique suites, merging."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from conftest import make_cell

from nbtools.cli import main
from nbtools.findings import Finding, Severity, Where
from nbtools.renderers.junit import clean, merge, render, suite_name
from nbtools.report import FileResult, FileStatus, Report
from nbtools.results import RunResult


def _report(shard: tuple[int, int] | None = None) -> Report:
    report = Report("run", result=RunResult(shard=shard))
    report.add_file(FileResult("ok.ipynb", FileStatus.CLEAN, duration_s=1.5))
    report.add_file(FileResult("bad.ipynb", FileStatus.FINDINGS, duration_s=2.25))
    report.add_file(FileResult("skip.ipynb", FileStatus.SKIPPED, "tagged skip"))
    report.add_error("broken.ipynb", "invalid JSON")
    report.add_findings(
        [
            Finding(
                "bad.ipynb",
                "run/error",
                "ZeroDivisionError: division by zero \x1b[31m",
                cell_index=4,
                where=Where.SOURCE,
                line=2,
                json_line=57,
            ),
            Finding("bad.ipynb", "run/not-run", "not run", cell_index=6),
            Finding("ok.ipynb", "run/slow", "slow cell", Severity.NOTE, cell_index=0),
        ]
    )
    return report


def _parse(text: str) -> ET.Element:
    return ET.fromstring(text.encode("utf-8"))


def test_one_testcase_per_notebook_with_verdicts() -> None:
    root = _parse(render(_report(), None))  # type: ignore[arg-type]
    suite = root.find("testsuite")
    assert suite is not None
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert list(cases) == ["ok.ipynb", "bad.ipynb", "skip.ipynb", "broken.ipynb"]
    assert (
        suite.get("tests"),
        suite.get("failures"),
        suite.get("errors"),
        suite.get("skipped"),
    ) == ("4", "1", "1", "1")
    assert root.get("tests") == "4"
    bad = cases["bad.ipynb"]
    assert bad.get("classname") == "nbtools.run"
    assert bad.get("file") == "bad.ipynb"
    assert bad.get("line") == "57"
    assert bad.get("time") == "2.250"
    failure = bad.find("failure")
    assert failure is not None
    # the failing cell is named in the message, escape codes gone
    assert failure.get("message", "").startswith("bad.ipynb:cell 5:2: run/error ZeroDivisionError")
    assert "\x1b" not in failure.get("message", "")
    assert "run/not-run" in (failure.text or "")
    assert cases["broken.ipynb"].find("error") is not None
    assert cases["skip.ipynb"].find("skipped") is not None
    ok = cases["ok.ipynb"]
    assert ok.find("failure") is None
    assert "slow cell" in (ok.findtext("system-out") or "")


@pytest.mark.parametrize(
    ("shard", "expected"),
    [
        (None, "nbtools run"),
        ((2, 4), "nbtools run [shard 2/4]"),
        ((1, 3), "nbtools run [shard 1/3]"),
    ],
)
def test_suite_name_names_the_shard(
    shard: tuple[int, int] | None, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NBTOOLS_SHARD", raising=False)
    assert suite_name(Report("run", result=RunResult(shard=shard))) == expected
    assert suite_name(Report("run")) == "nbtools run"  # a run that ran nothing


def test_shard_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NBTOOLS_SHARD", "3/5")
    assert suite_name(Report("check")) == "nbtools check [shard 3/5]"


def test_shards_merge_into_one_document(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NBTOOLS_SHARD", raising=False)
    files = []
    for k in (1, 2):
        path = tmp_path / f"junit-{k}.xml"
        path.write_text(render(_report((k, 2)), None), encoding="utf-8")  # type: ignore[arg-type]
        files.append(path)
    root = _parse(merge(files))
    names = [s.get("name") for s in root.iter("testsuite")]
    assert names == ["nbtools run [shard 1/2]", "nbtools run [shard 2/2]"]
    assert len(set(names)) == 2
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("8", "2", "2")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", "plain"),
        ("\x1b[0;31mred\x1b[0m", "red"),
        ("nul\x00bell\x07", "nul?bell?"),
        ("tab\tnl\n", "tab\tnl\n"),
        ("ü €", "ü €"),
    ],
)
def test_clean_keeps_xml_valid(text: str, expected: str) -> None:
    assert clean(text) == expected


def test_junit_through_the_cli(
    nb_factory: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NBTOOLS_SHARD", raising=False)
    nb_factory("dirty.ipynb", [make_cell(source="1/0", execution_count=1)])
    nb_factory("clean.ipynb", [make_cell(source="x = 1")])
    assert main(["strip", "--check", "--format", "junit", "dirty.ipynb", "clean.ipynb"]) == 1
    root = _parse(capsys.readouterr().out)
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert cases["dirty.ipynb"].find("failure") is not None
    assert cases["clean.ipynb"].find("failure") is None
    assert root.find("testsuite").get("name") == "nbtools strip"  # type: ignore[union-attr]
