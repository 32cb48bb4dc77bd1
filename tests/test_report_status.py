"""File statuses and verbs: each has its words in the summary and text report, and its JSON
value (the same string as before they were enums)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nbtools.console import Console
from nbtools.renderers import json as json_renderer
from nbtools.renderers import text as text_renderer
from nbtools.renderers.views import STATUS_PHRASES, headline, status_phrase
from nbtools.report import CHANGED_STATUSES, FileResult, FileStatus, Report, Verb


def _json(report: Report) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(json_renderer.render(report, Console()))
    return data


def _text(report: Report) -> list[str]:
    return text_renderer.render(report, Console(color="never")).splitlines()


@pytest.mark.parametrize("status", list(FileStatus))
def test_every_file_status_has_a_summary_phrase_and_a_json_value(status: FileStatus) -> None:
    assert status in STATUS_PHRASES
    assert status_phrase(status, 2).startswith("2 ") and len(status_phrase(status, 2)) > 2
    report = Report("strip", [FileResult("a.ipynb", status)])
    data = _json(report)
    assert data["files"] == [{"path": "a.ipynb", "status": status.value}]
    assert data["summary"] == {status.value: 1}
    assert FileStatus(data["files"][0]["status"]) is status
    # the value wherever text is made of it, on every Python version (ElementTree writes a
    # JUnit attribute with "%s")
    assert str(status) == f"{status}" == "%s" % status == status.value  # noqa: UP031
    assert status == status.value  # code comparing with strings keeps working


def test_the_summary_lists_every_status_in_its_fixed_order() -> None:
    report = Report("strip", [FileResult(f"{s.value}.ipynb", s) for s in reversed(FileStatus)])
    assert headline(report) == (
        "1 clean, 1 unchanged, 1 changed, 1 would change, 1 with findings, 1 excluded, "
        "1 skipped, 1 file error, 1 added, 1 conflict, 1 installed, 1 removed, 1 updated"
    )
    assert status_phrase(FileStatus.ERROR, 2) == "2 file errors"
    assert status_phrase(FileStatus.FINDINGS, 2) == "2 with findings"


@pytest.mark.parametrize("verb", list(Verb))
def test_every_verb_lists_its_file_in_text_and_json(verb: Verb) -> None:
    report = Report("pair", [FileResult("a.ipynb", FileStatus.CHANGED, "why", verb=verb)])
    assert _text(report) == [f"{verb.value} a.ipynb (why)"]
    assert _json(report)["files"][0]["verb"] == verb.value == str(verb)


def test_a_status_read_as_a_string_is_the_same_status() -> None:
    """A status read back from a JSON report (``report merge``) is parsed into the enum;
    the string still matches it."""
    assert FileStatus("would_change") is FileStatus.WOULD_CHANGE
    assert FileStatus.WOULD_CHANGE in CHANGED_STATUSES and "would_change" in CHANGED_STATUSES
    with pytest.raises(ValueError, match="no-such-status"):
        FileStatus("no-such-status")


def test_file_entries_keep_their_key_order() -> None:
    report = Report("sync")
    report.add_file(
        FileResult(
            "a.ipynb",
            FileStatus.CONFLICT,
            "both changed",
            cause="c",
            verb=Verb.CONFLICT,
            duration_s=1.0,
            action="conflict",
            script="a.py",
        )
    )
    report.add_file(FileResult("-", FileStatus.UNCHANGED, stripped=False))
    report.add_file(FileResult("b.ipynb", FileStatus.CLEAN, duration_s=0.0, cached=True))
    files = _json(report)["files"]
    assert list(files[0]) == [
        *("path", "status", "message", "script", "action", "verb", "duration_s", "cause")
    ]
    assert files[1] == {"path": "-", "status": "unchanged", "stripped": False}
    assert files[2] == {"path": "b.ipynb", "status": "clean", "duration_s": 0.0, "cached": True}


@given(st.lists(st.sampled_from(list(FileStatus)), max_size=30))
def test_each_status_is_counted_once_in_the_json_and_the_summary(
    statuses: list[FileStatus],
) -> None:
    report = Report("strip", [FileResult(f"{i}.ipynb", s) for i, s in enumerate(statuses)])
    first_seen = list(dict.fromkeys(statuses))
    summary = _json(report)["summary"]
    assert list(summary.items()) == [(s.value, statuses.count(s)) for s in first_seen]
    listed = [s for s in STATUS_PHRASES if s in statuses]  # the summary's fixed order
    expected = ", ".join(status_phrase(s, statuses.count(s)) for s in listed) or "no files"
    assert headline(report) == expected
