"""The text ``nbtools run`` shows of its notebooks (renderers.verdicts): the failing cell,
one log line per notebook; and its summary (renderers.views.run)."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from nbtools.renderers.verdicts import FailedNotebook, explain, notebook_line
from nbtools.renderers.views.run import run_summary


def test_a_failing_cell_with_its_source_and_traceback() -> None:
    failed = FailedNotebook(
        "a.ipynb",
        "cell 2 raised ValueError (bad)",
        cell=1,
        source="y = 1\nraise ValueError('bad')",
        traceback=["ValueError    Traceback", "", "ValueError: bad"],
    )
    assert explain(failed) == [
        "--- a.ipynb: cell 2 raised ValueError (bad)",
        "cell 2:",
        "    y = 1",
        "    raise ValueError('bad')",
        "ValueError    Traceback",
        "",
        "ValueError: bad",
    ]


def test_a_mismatch_in_a_paired_script_shows_both_outputs() -> None:
    failed = FailedNotebook(
        "a.ipynb",
        "cell 1 does not reproduce",
        cell=0,
        script="a.py",
        script_line=7,
        source="print(4)",
        compared={"stored": "5", "fresh": "4"},
    )
    assert explain(failed)[1:] == ["cell 1 (a.py:7):", "    print(4)", "  stored: 5", "  fresh: 4"]


def test_no_cell_to_show() -> None:
    assert explain(FailedNotebook("a.ipynb", "the kernel failed to start")) == [
        "--- a.ipynb: the kernel failed to start"
    ]


def _paint(text: str, colour: str) -> str:
    return f"<{colour}>{text}</{colour}>"


def test_log_lines() -> None:
    entry: dict[str, Any] = {"path": "a.ipynb", "verdict": "pass", "duration_s": 1.234}
    assert notebook_line(entry, _paint) == "<green>pass</green> a.ipynb (1.23 s)"
    entry.update(verdict="nondeterministic", reason="cell 1 differs\nmore", cached=True)
    assert notebook_line(entry, _paint) == (
        "<yellow>nondeterministic</yellow> a.ipynb (cached): cell 1 differs"
    )
    entry.update(verdict="fail_error", cached=False)
    assert notebook_line(entry, _paint).startswith("<red>fail_error</red> a.ipynb (1.23 s): ")


@given(st.lists(st.sampled_from(["pass", "fail_error", "nondeterministic"]), max_size=6))
def test_the_summary_counts_every_verdict(verdicts: list[str]) -> None:
    entries = [{"verdict": v, "cached": i % 2 == 0} for i, v in enumerate(verdicts)]
    line = run_summary(entries, 2.04, {"image": "tf:2.9"})
    assert line.startswith(f"{len(verdicts)} notebook")
    for verdict in set(verdicts):
        assert f"{verdicts.count(verdict)} {verdict}" in line
    assert " in 2.0 s" in line
    assert line.endswith("; kernels ran in the image tf:2.9") == bool(verdicts)
    assert ("cached)" in line) == bool(verdicts)
    assert "nothing run" in run_summary([], 0.0)
