"""No secret in any run report (#17.5): every format, and the --html artifacts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import make_cell, make_nb, write_nb

from nbtools.cli import main
from nbtools.execute.redact import Redactor

pytestmark = pytest.mark.kernel

TOKEN = "ghp_R8x2Kq9LmZ4vT7bN1cW5yH3jD6fG0sAeP2uX"  # made up; nbtools: allow
PASSWORD = "Zx9!kLm2Qw8%Rt5"  # made up; nbtools: allow
LEAKS = (TOKEN, TOKEN[4:12], TOKEN[-8:], PASSWORD, PASSWORD[:8])
FORMATS = ("text", "json", "junit", "sarif", "github")


def test_redactor_masks_known_values_also_when_cut_short() -> None:
    redact = Redactor([f'token = "{TOKEN}"'])
    assert redact(f"stored `{TOKEN[:22]}…`") == "stored `ghp_...P2uX…`"
    assert redact(f"…{TOKEN[-15:]}") == "…ghp_...P2uX"
    assert redact(f"failed: password={PASSWORD}") == "failed: password=Zx...t5"
    assert redact("nothing secret here") == "nothing secret here"


@pytest.fixture
def leaky(tmp_path: Path) -> list[Path]:
    failing = write_nb(
        tmp_path / "fails.ipynb",
        make_nb(
            [
                make_cell(source=f'token = "{TOKEN}"'),
                make_cell(
                    source=f'password = "{PASSWORD}"\n'
                    'raise RuntimeError(f"login with {token} failed: password={password}")'
                ),
            ]
        ),
    )
    stale = {"name": "stdout", "output_type": "stream", "text": f"old {TOKEN}\n"}
    mismatch = write_nb(
        tmp_path / "differs.ipynb",
        make_nb([make_cell(source=f'print("new", "{TOKEN}")', execution_count=1, outputs=[stale])]),
    )
    return [failing, mismatch]


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_masks_what_the_notebook_holds(
    fmt: str,
    leaky: list[Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    html = tmp_path / "html"
    code = main(["run", "--format", fmt, "--color", "never", "--html", str(html), *map(str, leaky)])
    captured = capsys.readouterr()
    assert code == 1
    shown = captured.out + captured.err
    if fmt == "github":
        shown += summary.read_text()
    if fmt == "json":
        report = json.loads(captured.out)
        verdicts = {Path(n["path"]).name: n["verdict"] for n in report["notebooks"]}
        assert verdicts == {"fails.ipynb": "fail_error", "differs.ipynb": "fail_mismatch"}
    assert "RuntimeError" in shown  # the report still says what happened
    for leak in LEAKS:
        assert leak not in shown, (fmt, leak)
    if fmt == "text":
        assert "ghp_...P2uX" in shown and "password=Zx...t5" in shown
    pages = "".join(p.read_text() for p in html.glob("*.html"))
    assert "RuntimeError" in pages
    for leak in LEAKS:
        assert leak not in pages, leak
