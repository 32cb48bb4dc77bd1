"""``nbtools check``: one read-only pass, combined findings, exit codes, strip config honoured."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import make_cell, make_nb, write_nb

from nbtools.checks import CHECKS, CheckContext, check_notebook
from nbtools.cli import main
from nbtools.notebook import read_notebook

STREAM = {"name": "stdout", "output_type": "stream", "text": ["hi\n"]}


def _dirty(tmp_path: Path, name: str = "dirty.ipynb") -> Path:
    return write_nb(
        tmp_path / name,
        make_nb([make_cell(source="print('hi')", execution_count=3, outputs=[STREAM])]),
    )


def _clean(tmp_path: Path, name: str = "clean.ipynb") -> Path:
    return write_nb(tmp_path / name, make_nb([make_cell(source="x = 1")]))


def test_check_notebook_is_read_only_and_locates_findings(tmp_path: Path) -> None:
    path = _dirty(tmp_path)
    before = path.read_bytes()
    nbfile = read_notebook(path)
    snapshot = json.dumps(nbfile.nb)
    findings = check_notebook(nbfile, list(CHECKS), CheckContext())
    assert path.read_bytes() == before
    assert json.dumps(nbfile.nb) == snapshot  # the parsed notebook is untouched too
    by_rule = {f.rule: f for f in findings}
    assert set(by_rule) == {"strip/outputs", "strip/execution-count"}
    lines = before.decode().splitlines()
    # disk lines point at the outputs list and the execution count of the cell
    assert '"execution_count": 3' in lines[by_rule["strip/execution-count"].json_line - 1]  # type: ignore[operator]
    assert (
        '"outputs": [' in lines[by_rule["strip/outputs"].json_line - 1]  # type: ignore[operator]
    )


@pytest.mark.parametrize(
    ("files", "extra", "code", "expect_out"),
    [
        (["clean.ipynb"], [], 0, ""),
        (["dirty.ipynb"], [], 1, "dirty.ipynb:cell 1: strip/outputs"),
        (["clean.ipynb", "dirty.ipynb"], [], 1, "strip/execution-count"),
        (["dirty.ipynb"], ["--skip", "strip"], 0, ""),
        (["dirty.ipynb"], ["--select", "strip"], 1, "strip/outputs"),
        (["dirty.ipynb"], ["--keep-output"], 2, ""),  # not a check option
        (["dirty.ipynb"], ["--select", "nope"], 2, ""),
        (["missing.ipynb"], [], 2, ""),
    ],
)
def test_check_through_the_cli(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: Any,
    files: list[str],
    extra: list[str],
    code: int,
    expect_out: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    _dirty(tmp_path)
    _clean(tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.glob("*.ipynb")}
    assert main(["check", *extra, *files]) == code
    out = capsys.readouterr().out
    if expect_out:
        assert expect_out in out
    else:
        assert "strip/" not in out
    assert {p.name: p.read_bytes() for p in tmp_path.glob("*.ipynb")} == before  # nothing written


def test_check_bad_file_does_not_stop_the_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "broken.ipynb").write_text("{not json", encoding="utf-8")
    _dirty(tmp_path)
    assert main(["check", "--format", "json", "."]) == 2
    data = json.loads(capsys.readouterr().out)
    statuses = {f["path"].split("/")[-1]: f["status"] for f in data["files"]}
    assert statuses == {"broken.ipynb": "error", "dirty.ipynb": "findings"}
    assert data["checks"] == list(CHECKS)
    assert {f["rule"] for f in data["findings"]} == {"strip/outputs", "strip/execution-count"}


def test_check_honours_the_strip_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text(
        "[tool.nbtools.strip]\nkeep_output = true\nkeep_count = true\n", encoding="utf-8"
    )
    _dirty(tmp_path)
    assert main(["check", "dirty.ipynb"]) == 0
    (tmp_path / "pyproject.toml").write_text(
        "[tool.nbtools.check]\nskip = ['strip']\n", encoding="utf-8"
    )
    assert main(["check", "dirty.ipynb"]) == 0


def test_check_agrees_with_strip_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    """A notebook that `strip --check` passes, `check` passes (and the other way round)."""
    monkeypatch.chdir(tmp_path)
    _dirty(tmp_path)
    assert main(["strip", "--check", "dirty.ipynb"]) == 1
    assert main(["check", "--select", "strip", "dirty.ipynb"]) == 1
    assert main(["strip", "dirty.ipynb"]) == 1  # fixes it
    assert main(["check", "--select", "strip", "dirty.ipynb"]) == 0


def test_check_over_the_shared_corpus_writes_nothing(
    shared: Any, tmp_path: Path, capsys: Any
) -> None:
    corpus = shared("corpus", "public")
    before = {p: p.stat().st_mtime_ns for p in corpus.rglob("*.ipynb")}
    code = main(
        ["check", "--format", "sarif", "--output", str(tmp_path / "out.sarif"), str(corpus)]
    )
    assert code in (1, 2)  # the corpus has outputs (and a v3 file it may refuse)
    assert {p: p.stat().st_mtime_ns for p in corpus.rglob("*.ipynb")} == before
    from sarif_support import check_sarif

    # the corpus lies outside this repository: its URIs are file: URIs
    log = json.loads((tmp_path / "out.sarif").read_text(encoding="utf-8"))
    check_sarif(log, allow_outside=True)
    assert log["runs"][0]["results"]


def test_check_reports_static_hidden_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    write_nb(
        tmp_path / "order.ipynb",
        make_nb([make_cell(source="print(total)"), make_cell(source="total = 1")]),
    )
    assert main(["check", "--format", "json", "order.ipynb"]) == 1
    data = json.loads(capsys.readouterr().out)
    (finding,) = data["findings"]
    assert finding["rule"] == "hidden-state/use-before-def"
    assert finding["cell_index"] == 0
    text = (tmp_path / "order.ipynb").read_text(encoding="utf-8").splitlines()
    assert "print(total)" in text[finding["json_line"] - 1]
    assert main(["check", "--skip", "hidden-state", "order.ipynb"]) == 0


def test_check_combines_every_check_in_one_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    write_nb(
        tmp_path / "both.ipynb",
        make_nb(
            [
                make_cell(source="print(later)", execution_count=1, outputs=[STREAM]),
                make_cell(source="later = 2"),
            ]
        ),
    )
    assert main(["check", "--format", "json", "both.ipynb"]) == 1
    rules = {f["rule"] for f in json.loads(capsys.readouterr().out)["findings"]}
    assert {"strip/outputs", "strip/execution-count", "hidden-state/use-before-def"} <= rules


TOKEN = "ghp_R8x2Kq9LmZ4vT7bN1cW5yH3jD6fG0sAeP2uX"  # made up; nbtools: allow


def test_check_finds_secrets_and_honours_the_scan_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    write_nb(tmp_path / "s.ipynb", make_nb([make_cell(source=f'token = "{TOKEN}"')]))
    assert main(["check", "--format", "json", "s.ipynb"]) == 1
    out = capsys.readouterr().out
    assert TOKEN not in out
    (finding,) = json.loads(out)["findings"]
    assert finding["rule"] == "scan/github-token"
    assert finding["json_line"] is not None
    (tmp_path / "pyproject.toml").write_text(
        "[tool.nbtools.scan]\nignore_rules = ['scan/github-token']\n", encoding="utf-8"
    )
    assert main(["check", "s.ipynb"]) == 0


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "junit", "github"])
def test_no_secret_value_in_any_format(
    shared: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    corpus = shared("corpus", "secrets")
    labels = json.loads((corpus / "labels.json").read_text(encoding="utf-8"))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    out = tmp_path / f"report.{fmt}"
    assert (
        main(["check", "--select", "secrets", "--format", fmt, "--output", str(out), str(corpus)])
        == 1
    )
    text = out.read_text(encoding="utf-8")
    if fmt == "github":
        text += (tmp_path / "summary.md").read_text(encoding="utf-8")
    leaked = [s["id"] for s in labels["secrets"] if len(s["value"]) >= 8 and s["value"] in text]
    assert leaked == []


def _paired(tmp_path: Path) -> Path:
    nb = write_nb(tmp_path / "p.ipynb", make_nb([make_cell(source="x = 1\ny = x")]))
    assert main(["pair", str(nb)]) == 1  # writes p.py and the sync record
    assert (tmp_path / "p.py").exists()
    return nb


def test_check_reports_pairs_out_of_sync_and_in_conflict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    nb = _paired(tmp_path)
    assert main(["check", "p.ipynb"]) == 0
    script = tmp_path / "p.py"
    script.write_text(
        script.read_text(encoding="utf-8").replace("y = x", "y = x + 1"), encoding="utf-8"
    )
    capsys.readouterr()
    assert main(["check", "--select", "sync", "p.ipynb"]) == 1
    assert "p.ipynb:" in capsys.readouterr().out
    assert main(["check", "--format", "json", "--select", "sync", "p.ipynb"]) == 1
    (finding,) = json.loads(capsys.readouterr().out)["findings"]
    assert finding["rule"] == "sync/out-of-sync"
    nb.write_text(nb.read_text(encoding="utf-8").replace("y = x", "y = 2 * x"), encoding="utf-8")
    assert main(["check", "--format", "json", "--select", "sync", "p.ipynb"]) == 1
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert {f["rule"] for f in findings} == {"sync/conflict"}
    assert findings[0]["cell_index"] == 0
    # nothing was written: still in conflict, the script keeps its edit
    assert "y = x + 1" in script.read_text(encoding="utf-8")


def test_check_reports_a_missing_paired_script(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    _paired(tmp_path)
    (tmp_path / "p.py").unlink()
    assert main(["check", "--select", "sync", "p.ipynb"]) == 1
    assert "p.py: the script was missing; run `nbtools sync p.ipynb`" in capsys.readouterr().out


def test_check_named_scripts_for_secrets_and_their_pair(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    _paired(tmp_path)
    (tmp_path / "job.py").write_text(f'TOKEN = "{TOKEN}"\n', encoding="utf-8")
    (tmp_path / "data.csv").write_text("a,b\n", encoding="utf-8")
    assert main(["check", "p.py", "data.csv"]) == 0  # the pair is in sync; csv skipped
    capsys.readouterr()
    assert main(["check", "--format", "json", "job.py"]) == 1
    (finding,) = json.loads(capsys.readouterr().out)["findings"]
    assert (finding["rule"], finding["path"], finding["json_line"]) == (
        "scan/github-token",
        "job.py",
        1,
    )
    script = tmp_path / "p.py"
    script.write_text(
        script.read_text(encoding="utf-8").replace("y = x", "y = x + 1"), encoding="utf-8"
    )
    assert main(["check", "--format", "json", "p.py"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert [(f["rule"], f["path"]) for f in data["findings"]] == [("sync/out-of-sync", "p.ipynb")]
    # named together, the pair is checked once
    assert main(["check", "--format", "json", "p.py", "p.ipynb"]) == 1
    assert len(json.loads(capsys.readouterr().out)["findings"]) == 1


def test_what_strip_keeps_is_clean_for_check(tmp_path: Path) -> None:
    """One definition of clean: a kept output without its count is not a hidden-state note."""
    kept = make_cell(source="print('hi')", execution_count=3, outputs=[STREAM])
    kept["metadata"] = {"tags": ["keep_output"]}
    plain = make_cell(source="print('hi')", execution_count=4, outputs=[STREAM])
    path = write_nb(tmp_path / "nb.ipynb", make_nb([kept, plain]))
    assert main(["strip", "-q", str(path)]) == 1
    assert main(["check", "-q", "--format", "json", str(path)]) == 0
    # an output strip would not keep, left without a count, is still a note
    nb = json.loads(path.read_text())
    nb["cells"][1]["outputs"] = [STREAM]
    path.write_text(json.dumps(nb))
    findings = check_notebook(read_notebook(path), ["hidden-state"], CheckContext())
    assert [(f.rule, f.cell_index) for f in findings] == [("hidden-state/output-without-count", 1)]


def test_check_fails_on_errors_only_by_default(tmp_path: Path) -> None:
    """An out-of-order warning and notes are reported; --fail-on decides whether they fail."""
    cells = [
        make_cell(source="a = 1", execution_count=2),
        make_cell(source="b = 2", execution_count=1),
    ]
    path = write_nb(tmp_path / "nb.ipynb", make_nb(cells))
    args = ["check", "-q", "--select", "hidden-state", str(path)]
    assert main(args) == 0
    assert main([*args, "--fail-on", "warning"]) == 1
    (tmp_path / "pyproject.toml").write_text('[tool.nbtools.check]\nfail_on = "warning"\n')
    assert main(args) == 1


def _hidden(tmp_path: Path, first_cell: dict[str, Any] | None = None) -> Path:
    """Cell 1 uses `model` (defined by no cell) on line 2; cell 2 uses `later`, defined below."""
    cells = [
        first_cell or make_cell(source="import math\nprint(model)"),
        make_cell(source="print(later)"),
        make_cell(source="later = 1"),
    ]
    return write_nb(tmp_path / "nb.ipynb", make_nb(cells))


def _check_json(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    capsys.readouterr()
    code = main(["check", "--format", "json", "--select", "hidden-state", *args])
    return code, json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(
    ("setting", "left"),
    [
        ('["hidden-state/undefined-name"]', ["hidden-state/use-before-def"]),
        ('["hidden-state"]', []),  # a family prefix
        ('["hidden-state/*-name"]', ["hidden-state/use-before-def"]),  # a glob
    ],
)
def test_ignore_rules_in_check_table_suppress_hidden_state(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], setting: str, left: list[str]
) -> None:
    path = _hidden(tmp_path)
    (tmp_path / "pyproject.toml").write_text(
        f"[project]\nname = 'x'\n\n[tool.nbtools.check]\nignore_rules = {setting}\n"
    )
    code, data = _check_json([str(path)], capsys)
    assert [f["rule"] for f in data["findings"]] == left
    assert code == (1 if left else 0)
    # suppressed, not hidden: counted by source with the file and line of the setting
    origin = f"{tmp_path / 'pyproject.toml'}:5"
    assert {(s["source"], s["location"]) for s in data["suppressions"]} == {
        ("ignore_rules", origin)
    }
    assert all(f["suppression"]["kind"] == "external" for f in data["suppressed"])


@pytest.mark.parametrize(
    ("cell", "source"),
    [
        (make_cell(source="import math\nprint(model)  # nbtools: allow"), "comment"),
        (
            make_cell(
                source="import math\nprint(model)  # nbtools: allow[hidden-state/undefined-name]"
            ),
            "comment",
        ),
        (
            make_cell(
                source="import math\nprint(model)",
                metadata={"tags": ["nbtools-allow:hidden-state/undefined-name"]},
            ),
            "cell tag",
        ),
        (
            make_cell(
                source="import math\nprint(model)",
                metadata={"nbtools": {"allow": ["hidden-state"], "reason": "set by the runner"}},
            ),
            "cell metadata",
        ),
    ],
)
def test_cell_tag_metadata_and_comment_suppress_any_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], cell: dict[str, Any], source: str
) -> None:
    code, data = _check_json([str(_hidden(tmp_path, cell))], capsys)
    assert [f["rule"] for f in data["findings"]] == ["hidden-state/use-before-def"]
    assert code == 1
    (suppressed,) = data["suppressed"]
    assert (suppressed["rule"], suppressed["suppression"]["source"]) == (
        "hidden-state/undefined-name",
        source,
    )
    assert suppressed["suppression"]["kind"] == "inSource"


def test_comment_for_another_rule_does_not_suppress(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cell = make_cell(source="import math\nprint(model)  # nbtools: allow[scan]")
    _, data = _check_json([str(_hidden(tmp_path, cell))], capsys)
    assert "suppressed" not in data
    assert len(data["findings"]) == 2


def test_same_suppression_for_strip_and_sync_families(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cell = make_cell(source="print('hi')", execution_count=3, outputs=[STREAM])
    cell["metadata"] = {"tags": ["nbtools-allow:strip"]}
    path = write_nb(tmp_path / "nb.ipynb", make_nb([cell]))
    capsys.readouterr()
    assert main(["check", "--format", "json", "--select", "strip", str(path)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert sorted(f["rule"] for f in data["suppressed"]) == [
        "strip/execution-count",
        "strip/outputs",
    ]
