"""``--html DIR`` opened in a real headless Chromium: the index's table, its filters and
sorting, its links, and pages that neither load from the network nor run injected code."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import make_cell, make_nb, write_nb

from nbtools.cli import main

pytestmark = [pytest.mark.kernel]

REAL = Path(__file__).parent / "fixtures" / "real"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def dump_dom(url: str, profile: Path) -> str:
    """The DOM after the page's scripts ran, from real headless Chromium."""
    assert CHROMIUM is not None
    proc = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_index_and_pages_in_headless_chromium(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nbs = tmp_path / "nbs"
    stored = {
        "output_type": "stream",
        "name": "stdout",
        "text": "<script>document.title='pwned'</script>\n",
    }
    write_nb(nbs / "good.ipynb", make_nb([make_cell(source="print(1)")]))
    write_nb(nbs / "missing.ipynb", make_nb([make_cell(source="import nbtools_absent_pkg")]))
    write_nb(
        nbs / "stale.ipynb",
        make_nb([make_cell(source="print('fresh')", execution_count=1, outputs=[stored])]),
    )
    shutil.copyfile(REAL / "nbconvert__notebook_inject.ipynb", nbs / "inject.ipynb")
    out = tmp_path / "report"
    assert main(["run", "-q", "--format", "json", "--html", str(out), str(nbs)]) == 1
    report = json.loads(capsys.readouterr().out)
    causes = {Path(n["path"]).name: n["cause"] for n in report["notebooks"]}
    assert causes["missing.ipynb"] == "missing-package" and causes["good.ipynb"] is None

    index = out / "index.html"
    profile = tmp_path / "profile"
    dom = dump_dom(index.as_uri(), profile)
    rows = re.findall(r'<tr data-verdict="([^"]+)" data-cause="([^"]*)"( hidden="")?', dom)
    assert len(rows) == 4 and not any(hidden for *_, hidden in rows)
    # every link in the table opens a page that is there
    links = re.findall(r'<a class="(?:verdict|notebook)-link" href="([^"]+)"', dom)
    assert len(links) >= 4 and all((out / link).is_file() for link in links)

    # the filter, driven the way a shared link does it, hides the other rows
    dom = dump_dom(index.as_uri() + "?cause=missing-package&sort=duration&order=desc", profile)
    rows = re.findall(r'<tr data-verdict="([^"]+)" data-cause="([^"]*)"( hidden="")?', dom)
    shown = [(verdict, cause) for verdict, cause, hidden in rows if not hidden]
    assert shown == [("fail_error", "missing-package")]
    assert '<span id="shown">1</span>' in dom
    assert 'aria-sort="descending"' in dom

    # a mismatch page: stored and fresh side by side; the stored <script> is text only
    pages = {link.split("__")[-1]: out / link for link in links}
    stale = dump_dom(pages["stale.verdict.html"].as_uri(), profile)
    assert "<title>fail_mismatch" in stale and "pwned" not in stale.split("</title>")[0]
    assert '<pre class="stored">' in stale and '<pre class="fresh">' in stale
    assert "&lt;script&gt;document.title" in stale
    missing = dump_dom(pages["missing.verdict.html"].as_uri(), profile)
    assert '<pre class="traceback">' in missing and "ModuleNotFoundError" in missing
    # the injection fixture's payloads stay inert on its pages
    for page in ("inject.verdict.html", "inject.html"):
        # (an alert that ran would block --dump-dom until the timeout)
        dom = dump_dom(pages[page].as_uri(), profile)
        assert "script-src 'none'" in dom or page.endswith(".verdict.html")
        executable = re.findall(
            r"<script(?: type=\"(?:text/javascript|module)\")?>(.*?)</script>", dom, re.S
        )
        assert "alert(" not in "".join(executable) or "script-src 'none'" in dom
    for page in out.iterdir():
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"<script[^>]*\ssrc=[\"']https?://", text), page.name
