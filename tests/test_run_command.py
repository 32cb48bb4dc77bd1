"""``nbtools run`` end to end through ``main([...])`` on real kernels."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import make_cell, make_nb, shared_path, write_nb

from nbtools.cli import main
from nbtools.execute.source import load_source, script_lines

pytestmark = pytest.mark.kernel

OUT = {"name": "stdout", "output_type": "stream", "text": "3\n"}


def _nb(tmp_path: Path, name: str, *sources: str, **kwargs: Any) -> Path:
    cells = [make_cell(source=s) for s in sources]
    return write_nb(tmp_path / name, make_nb(cells, **kwargs))


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["run", "--format", "json", *args])
    out = capsys.readouterr().out
    return code, json.loads(out)


def test_json_report_and_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = _nb(tmp_path, "good.ipynb", "x = 1", "print(x + 2)")
    bad = _nb(tmp_path, "bad.ipynb", "import math", "y = 1\nmath.sqrt(-1)")
    before = {p: p.read_bytes() for p in (good, bad)}
    code, report = run_json(capsys, "-j", "2", str(tmp_path))
    assert code == 1
    entries = {Path(n["path"]).name: n for n in report["notebooks"]}
    assert set(entries) == {"good.ipynb", "bad.ipynb"}
    for entry in entries.values():
        assert {"path", "verdict", "first_divergent_cell", "reason", "duration_s", "cells"} <= set(
            entry
        )
    assert entries["good.ipynb"]["verdict"] == "pass"
    assert entries["bad.ipynb"]["verdict"] == "fail_error"
    assert entries["bad.ipynb"]["first_divergent_cell"] == 1
    cell = entries["bad.ipynb"]["cells"][1]
    assert (cell["status"], cell["ename"], cell["line"]) == ("error", "ValueError", 2)
    [finding] = report["findings"]
    assert finding["rule"] == "run/error" and finding["cell_index"] == 1
    assert finding["line"] == 2 and finding["json_line"] is not None
    disk_line = bad.read_text().splitlines()[finding["json_line"] - 1]
    assert "math.sqrt(-1)" in disk_line
    # the user's files are untouched by default
    assert {p: p.read_bytes() for p in (good, bad)} == before
    assert main(["run", "-q", str(good)]) == 0


def test_write_stores_the_executed_notebook(tmp_path: Path) -> None:
    import nbformat

    path = _nb(tmp_path, "a.ipynb", "print(1 + 2)")
    assert main(["run", "-q", "--write", str(path)]) == 0
    nb = json.loads(path.read_text())
    assert nb["cells"][0]["outputs"] == [OUT]
    nbformat.validate(nbformat.reads(path.read_text(), as_version=4))
    mtime = path.stat().st_mtime_ns
    assert main(["run", "-q", "--write", str(path)]) == 0
    assert path.stat().st_mtime_ns == mtime  # same bytes: not rewritten


def test_text_report_shows_the_failing_cell_and_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _nb(tmp_path, "t.ipynb", "a = 1", "def f():\n    return undefined_thing\nf()")
    assert main(["run", "--color", "never", str(path)]) == 1
    captured = capsys.readouterr()
    [line] = [x for x in captured.out.splitlines() if x.startswith(f"{path}:cell 2:3: run/error")]
    assert "NameError" in line and "undefined_thing" in line
    assert "    def f():" in captured.out and "undefined_thing" in captured.out
    assert "\x1b[" not in captured.out
    # not a terminal: one line per notebook in the log, then the summary
    assert f"fail_error {path}" in captured.err
    assert "nbtools run: 1 notebook: 1 fail_error" in captured.err


def test_keep_going_env_and_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.nbtools.run]\nkeep_going = true\n")
    path = _nb(tmp_path, "k.ipynb", "1/0", "import os; print(os.environ['GREETING'])", "x")
    code, report = run_json(capsys, "--env", "GREETING=hi", str(path))
    assert code == 1
    statuses = [c["status"] for c in report["notebooks"][0]["cells"]]
    assert statuses == ["error", "ok", "error"]
    assert len(report["findings"]) == 2
    assert main(["run", "--env", "NOEQUALS", str(path)]) == 2


def test_unknown_kernel_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _nb(tmp_path, "a.ipynb", "1")
    assert main(["run", "--kernel", "no-such-kernel-xyz", str(path)]) == 2
    assert "jupyter kernelspec list" in capsys.readouterr().err


def test_kernel_death_and_timeout_findings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _nb(tmp_path, "die.ipynb", "import os; os._exit(1)")
    _nb(tmp_path, "hang.ipynb", "import time; time.sleep(1e6)")
    _nb(tmp_path, "ok.ipynb", "1")
    code, report = run_json(capsys, "--timeout", "1", str(tmp_path))
    assert code == 1
    rules = {Path(f["path"]).name: f["rule"] for f in report["findings"]}
    assert rules == {"die.ipynb": "run/kernel-died", "hang.ipynb": "run/timeout"}
    verdicts = {Path(n["path"]).name: n["verdict"] for n in report["notebooks"]}
    assert verdicts == {"die.ipynb": "fail_error", "hang.ipynb": "fail_error", "ok.ipynb": "pass"}


def test_html_and_shards(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Two shards write their pages into one folder (as CI gathers artifacts); each one's
    index.html lists its own notebooks, and the merge writes the index of them all."""
    import re

    notebooks = tmp_path / "nbs"
    for i in range(3):
        _nb(notebooks, f"n{i}.ipynb", f"print({i})")
    _nb(notebooks, "fails.ipynb", "raise RuntimeError('boom')")
    html = tmp_path / "html"
    seen: list[str] = []
    reports = []
    for k in (1, 2):
        target = tmp_path / f"shard{k}.json"
        args = ["--shard", f"{k}/2", "--html", str(html), "--format", "json", "-o", str(target)]
        assert main(["run", *args, str(notebooks)]) in (0, 1)
        report = json.loads(target.read_text())
        seen += [Path(n["path"]).name for n in report["notebooks"]]
        assert report["shard"] == {"index": k, "count": 2}
        reports.append(str(target))
    assert sorted(seen) == ["fails.ipynb", "n0.ipynb", "n1.ipynb", "n2.ipynb"]
    index = html / "index.html"
    assert index.read_text().count("<tr data-verdict") < 4  # the last shard's alone
    capsys.readouterr()
    assert main(["run", "--merge-reports", *reports, "--format", "json"]) == 1
    merged = json.loads(capsys.readouterr().out)
    assert sorted(Path(n["path"]).name for n in merged["notebooks"]) == sorted(seen)
    assert merged["summary_line"].startswith("4 notebooks: 1 fail_error, 3 pass in ")
    page = (html / html_file(notebooks / "fails.ipynb")).read_text()
    assert 'id="nbtools-failure"' in page and "boom" in page

    assert main(["report", "merge", *reports, "--html", str(html)]) == 1
    text = index.read_text()
    assert text.count("<tr data-verdict") == 4
    assert "4 notebooks: 1 fail_error, 3 pass" in text
    links = re.findall(r'href="([^"#]+\.html)"', text)
    assert len(links) == 8 and all((html / link).is_file() for link in links)


def html_file(path: Path) -> str:
    from nbtools.execute.html import html_name

    return html_name(str(path))


SCRIPT = """# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
# ---

# %%
a = 1

# %%
b = a + 1
print(b)

# %%
c = 3
raise KeyError('from the script')
"""


def test_paired_script_is_the_source_of_truth(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    metadata = {
        "jupytext": {"formats": "ipynb,py:percent"},
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
    }
    notebook = _nb(tmp_path, "p.ipynb", "a = 1", "b = a + 1\nprint(b)", "c = 3", metadata=metadata)
    script = tmp_path / "p.py"
    script.write_text(SCRIPT)
    source = load_source(str(notebook))
    assert source.script == str(script)
    assert source.script_lines == {0: 8, 1: 11, 2: 15}
    code, report = run_json(capsys, str(notebook))
    assert code == 1
    [entry] = report["notebooks"]
    assert entry["script"] == str(script) and entry["script_line"] == 15
    error = next(f for f in report["findings"] if f["rule"] == "run/error")
    assert error["path"] == str(script) and error["json_line"] == 16
    assert SCRIPT.splitlines()[error["json_line"] - 1].startswith("raise KeyError")
    # naming the script and the notebook runs the pair once
    _, again = run_json(capsys, str(notebook), str(script))
    assert len(again["notebooks"]) == 1


def test_script_lines_follow_commented_magics() -> None:
    nb = make_nb([make_cell(source="%time x = 1"), make_cell(source="\ny = 2")])
    text = "# %%\n# %time x = 1\n\n# %%\ny = 2\n"
    assert script_lines(nb, text) == {0: 2, 1: 4}


def test_differing_outputs_get_a_second_run_and_nondeterminism_does_not_fail(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stored = {"name": "stdout", "output_type": "stream", "text": "0.5\n"}
    cells = [
        make_cell(source="import random", execution_count=1),
        make_cell(source="print(random.random())", execution_count=2, outputs=[stored]),
        make_cell(
            source="print('fixed')", execution_count=3, outputs=[{**stored, "text": "old\n"}]
        ),
    ]
    write_nb(tmp_path / "nd.ipynb", make_nb(cells))
    code, report = run_json(capsys, str(tmp_path / "nd.ipynb"))
    [entry] = report["notebooks"]
    # cell 3 is stable across two fresh runs, so its stale output is real hidden state
    assert (entry["verdict"], entry["first_hidden_state_cell"], entry["runs"]) == (
        "fail_mismatch",
        2,
        2,
    )
    assert entry["first_divergent_cell"] == 1  # the random cell diverged first
    assert code == 1
    cells[2]["outputs"] = [{**stored, "text": "fixed\n"}]
    write_nb(tmp_path / "nd.ipynb", make_nb(cells))
    code, report = run_json(capsys, str(tmp_path / "nd.ipynb"))
    [entry] = report["notebooks"]
    assert (entry["verdict"], entry["first_divergent_cell"], entry["runs"]) == (
        "nondeterministic",
        1,
        2,
    )
    assert code == 0
    assert [f["rule"] for f in report["findings"]] == ["run/nondeterministic"]
    assert report["findings"][0]["severity"] == "warning"


def test_the_static_analysis_runs_once_per_notebook(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # the second-run decision and the verdict share one analysis (it read the file's JSON
    # text for the findings' lines, and ran twice, before #12)
    from nbtools.hidden_state import static

    analysed: list[str] = []
    real = static.analyze_notebook

    def counting(nb: dict[str, Any], path: str, *args: Any, **kwargs: Any) -> Any:
        analysed.append(Path(path).name)
        return real(nb, path, *args, **kwargs)

    monkeypatch.setattr(static, "analyze_notebook", counting)
    stale = {"name": "stdout", "output_type": "stream", "text": "5\n"}
    nb = make_nb([make_cell(source="print(4)", execution_count=1, outputs=[stale])])
    write_nb(tmp_path / "stale.ipynb", nb)
    _nb(tmp_path, "fine.ipynb", "x = 1")
    code, report = run_json(capsys, "-j", "1", str(tmp_path))
    runs = {Path(e["path"]).name: e["runs"] for e in report["notebooks"]}
    assert runs == {"stale.ipynb": 2, "fine.ipynb": 1}  # the stale one was asked twice
    assert sorted(analysed) == ["fine.ipynb", "stale.ipynb"]
    assert code == 1


def test_repeat_two_runs_each_notebook_twice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _nb(tmp_path, "r.ipynb", "print(1)")
    code, report = run_json(capsys, "--repeat", "2", str(path))
    assert code == 0
    assert report["notebooks"][0]["runs"] == 2
    assert len(report["notebooks"][0]["repeat_durations_s"]) == 2


@pytest.mark.shared
@pytest.mark.slow
def test_hidden_state_corpus_verdicts(capsys: pytest.CaptureFixture[str]) -> None:
    corpus = shared_path("corpus", "hidden-state")
    labels = json.loads((corpus / "labels.json").read_text())
    labels = labels.get("notebooks", labels)
    _, report = run_json(capsys, "-j", "2", str(corpus))
    got = {
        Path(n["path"]).name: (n["verdict"], n["first_divergent_cell"]) for n in report["notebooks"]
    }
    expected = {
        name: (label["expected_verdict"], label["first_divergent_cell"])
        for name, label in labels.items()
        if name.endswith(".ipynb")
    }
    reasons = {  # say why, for the ones that differ
        Path(n["path"]).name: (n["reason"], n.get("failure"))
        for n in report["notebooks"]
        if got.get(Path(n["path"]).name) != expected.get(Path(n["path"]).name)
    }
    assert got == expected, reasons


def test_ctrl_c_stops_the_run_and_every_kernel(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys
    import time

    from test_execute_executor import descendants

    from nbtools.execute.reaper import pid_alive

    for i in range(4):
        _nb(tmp_path, f"s{i}.ipynb", "import time; time.sleep(1e6)")
    proc = subprocess.Popen(
        [sys.executable, "-m", "nbtools", "run", "-j", "2", str(tmp_path)],
        stderr=subprocess.PIPE,
        # a background job inherits an ignored SIGINT; a terminal's Ctrl-C does not
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(descendants(proc.pid)) < 3:
        time.sleep(0.2)  # the fork server and two kernels are up
    started = descendants(proc.pid)
    assert len(started) >= 3
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert b"interrupted" in err
    time.sleep(0.5)  # orphans would have been re-parented by now, not gone
    assert not [pid for pid in started if pid_alive(pid)]


def test_a_paired_notebook_saved_by_jupyter_keeps_its_outputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Jupyter stores sources and outputs as lists of lines; jupytext's matching of the
    # script's cells to the stored outputs needs them joined (#11.1)
    stored = {"name": "stdout", "output_type": "stream", "text": ["2\n"]}
    cells = [make_cell(execution_count=1, outputs=[stored])]
    cells[0]["source"] = ["a = 1\n", "b = a + 1\n", "print(b)"]
    metadata = {"jupytext": {"formats": "ipynb,py:percent"}}
    notebook = write_nb(tmp_path / "j.ipynb", make_nb(cells, metadata=metadata))
    (tmp_path / "j.py").write_text("# %%\na = 1\nb = a + 1\nprint(b)\n")
    source = load_source(str(notebook))
    assert source.script == str(tmp_path / "j.py")
    assert source.nb["cells"][0]["outputs"] == [{**stored, "text": "2\n"}]
    code, report = run_json(capsys, str(notebook))
    [entry] = report["notebooks"]
    assert (code, entry["verdict"]) == (0, "pass")
    assert entry["cells"][0]["reproduced"] is True


def test_output_cap_blames_the_cell_that_crossed_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # #11.11: a big print in the last cell gave `pass`; in a middle cell the next was blamed
    last = _nb(tmp_path, "last.ipynb", "x = 1", "print('x' * 3_000_000)")
    middle = _nb(tmp_path, "middle.ipynb", "print('x' * 3_000_000)", "y = 2")
    code, report = run_json(capsys, "--max-output-bytes", "1000000", str(last), str(middle))
    assert code == 1
    entries = {Path(n["path"]).name: n for n in report["notebooks"]}
    for name, cell in (("last.ipynb", 1), ("middle.ipynb", 0)):
        entry = entries[name]
        assert entry["verdict"] == "fail_error"
        assert entry["first_divergent_cell"] == cell
        assert entry["cells"][cell]["status"] == "output_limit"
        assert f"in cell {cell + 1}, which printed 3.0 MB" in entry["reason"]
        assert "died" not in entry["reason"]
    assert entries["middle.ipynb"]["cells"][1]["status"] == "not_run"
    rules = {(Path(f["path"]).name, f["rule"], f["cell_index"]) for f in report["findings"]}
    assert rules == {("last.ipynb", "run/output-limit", 1), ("middle.ipynb", "run/output-limit", 0)}


def test_write_keeps_an_edit_saved_while_the_notebook_ran(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # #17.7: `run --write` overwrote an edit saved to the notebook while it ran
    import threading
    import time

    path = _nb(tmp_path, "slow.ipynb", "import time; time.sleep(3)", "print('done')")
    edited = make_nb([make_cell(source="print('the user edited this')")])

    def save_meanwhile() -> None:
        time.sleep(1.0)
        write_nb(path, edited)

    saver = threading.Thread(target=save_meanwhile)
    saver.start()
    code, report = run_json(capsys, "--write", str(path))
    saver.join()
    assert code == 1
    assert json.loads(path.read_text()) == edited  # the user's version wins
    [entry] = report["notebooks"]
    assert entry["verdict"] == "pass" and entry["written"] is False
    assert "changed on disk while the notebook ran" in entry["write_conflict"]
    [finding] = report["findings"]
    assert (finding["rule"], finding["path"]) == ("run/write-conflict", str(path))
    # nothing changed meanwhile: written as before
    assert main(["run", "-q", "--write", str(path)]) == 0
    assert json.loads(path.read_text())["cells"][0]["outputs"][0]["text"] == (
        "the user edited this\n"
    )


def test_a_pair_is_changed_on_disk_when_its_script_is(tmp_path: Path) -> None:
    metadata = {"jupytext": {"formats": "ipynb,py:percent"}}
    notebook = _nb(tmp_path, "p.ipynb", "a = 1", metadata=metadata)
    script = tmp_path / "p.py"
    script.write_text("# %%\na = 2\n")
    source = load_source(str(notebook))
    assert source.changed_on_disk() is None
    script.write_text("# %%\na = 3\n")
    assert source.changed_on_disk() == str(script)
    script.write_text("# %%\na = 2\n")
    notebook.write_text(notebook.read_text() + "\n")
    assert source.changed_on_disk() == str(notebook)


def test_parallel_report_lists_notebooks_in_the_order_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With ``-j 2`` the slow first notebook finishes last; the report still lists it first,
    in the files, the findings and the text report's explanations."""
    _nb(tmp_path, "a_slow.ipynb", "import time\ntime.sleep(3)\nraise KeyError('slow')")
    _nb(tmp_path, "b_fast.ipynb", "raise KeyError('fast')")
    code, report = run_json(capsys, "-j", "2", str(tmp_path))
    assert code == 1
    order = ["a_slow.ipynb", "b_fast.ipynb"]
    assert [Path(f["path"]).name for f in report["files"]] == order
    assert [Path(f["path"]).name for f in report["findings"]] == order
    assert [Path(n["path"]).name for n in report["notebooks"]] == order
    assert main(["run", "-j", "2", str(tmp_path)]) == 1
    text = capsys.readouterr().out
    assert text.index("KeyError: 'slow'") < text.index("KeyError: 'fast'")
