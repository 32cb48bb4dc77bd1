"""``--html``: nbconvert HTML with the failing cell easy to find."""

from __future__ import annotations

from pathlib import Path

from conftest import make_cell, make_nb

from nbtools.execute.html import ANCHOR, html_name, with_markers, write_html


def test_markers_go_before_the_failing_cell_and_at_the_top() -> None:
    nb = make_nb([make_cell(source="a = 1"), make_cell(source="1/0"), make_cell(source="b")])
    marked = with_markers(nb, 1, "cell 2 raised ZeroDivisionError")
    sources = [c["source"] for c in marked["cells"]]
    assert f'href="#{ANCHOR}"' in sources[0]
    assert f'id="{ANCHOR}"' in sources[2] and sources[3] == "1/0"
    assert len(nb["cells"]) == 3  # the executed notebook itself is not touched
    assert with_markers(nb, None, "") == nb


def test_write_html(tmp_path: Path) -> None:
    nb = make_nb(
        [
            make_cell(
                source="1/0",
                outputs=[
                    {
                        "output_type": "error",
                        "ename": "ZeroDivisionError",
                        "evalue": "division by zero",
                        "traceback": [],
                    }
                ],
            )
        ]
    )
    target = write_html(
        nb, str(tmp_path / "out"), "sub/dir/nb.ipynb", 0, "cell 1 raised <ZeroDivisionError>"
    )
    assert Path(target).name == "sub__dir__nb.html"
    text = Path(target).read_text(encoding="utf-8")
    assert f'id="{ANCHOR}"' in text and "&lt;ZeroDivisionError&gt;" in text
    assert "<html" in text.lower()


def test_html_names_stay_inside_the_folder() -> None:
    assert "/" not in html_name("../../etc/x.ipynb")
    assert html_name("a.ipynb") == "a.html"


# -- the report to look at (#16): index and verdict pages -----------------------------


def _entry(path: str, verdict: str, cause: str | None, duration: float) -> dict[str, object]:
    return {
        "path": path,
        "verdict": verdict,
        "cause": cause,
        "cause_message": "do <this>" if cause else None,
        "reason": f"reason of {path} <b>x</b>",
        "duration_s": duration,
        "first_divergent_cell": 0,
    }


def test_index_rows_filters_and_escaping(tmp_path: Path) -> None:
    from nbtools.execute.html import verdict_name, write_index

    entries = [
        _entry("a.ipynb", "pass", None, 1.0),
        _entry('b"<img src=x>.ipynb', "fail_error", "missing-package", 2.5),
    ]
    target = write_index(str(tmp_path), entries, "2 notebooks")
    text = Path(target).read_text(encoding="utf-8")
    assert text.count('<tr data-verdict="') == 2
    assert '<option value="missing-package">' in text and '<option value="fail_error">' in text
    assert "<img src=x>" not in text and "&lt;img src=x&gt;" in text
    assert "<b>x</b>" not in text
    assert "http://" not in text and "https://" not in text  # self-contained
    assert f'href="{verdict_name("a.ipynb")}"' in text
    # every row's page exists (written here when the run did not write it: a cached result)
    assert (tmp_path / verdict_name("a.ipynb")).is_file()


def test_verdict_page_diff_images_and_traceback(tmp_path: Path) -> None:
    from nbtools.execute.html import write_verdict_page

    png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
    stored = [
        {"output_type": "stream", "name": "stdout", "text": "1.0.2\n<script>x</script>\n"},
        {"output_type": "display_data", "data": {"image/png": png}, "metadata": {}},
    ]
    fresh = [
        {"output_type": "stream", "name": "stdout", "text": "1.4.0\n<script>x</script>\n"},
        {"output_type": "display_data", "data": {"image/png": png}, "metadata": {}},
    ]
    entry = _entry("m.ipynb", "fail_mismatch", "output-mismatch", 0.5)
    page = Path(write_verdict_page(str(tmp_path), entry, "print(v)", [], stored, fresh))
    text = page.read_text(encoding="utf-8")
    assert '<span class="del">-1.0.2</span>' in text and '<span class="add">+1.4.0</span>' in text
    assert text.count("data:image/png;base64,") == 2  # side by side
    assert "<script>x</script>" not in text
    assert "What to do: do &lt;this&gt;" in text
    tb = ["\x1b[31mNameError\x1b[0m: name 'x' is not defined"]
    entry = _entry("e.ipynb", "fail_error", "hidden-state", 0.1)
    text = Path(write_verdict_page(str(tmp_path), entry, "x", tb, [], [])).read_text()
    assert "NameError: name &#x27;x&#x27; is not defined" in text and "\x1b" not in text


def test_nbconvert_pages_load_nothing_from_the_network() -> None:
    from nbtools.execute.html import offline

    page = (
        '<head><script src="https://cdnjs.cloudflare.com/x/require.min.js"></script>'
        '<script type="module">\n import m from "https://cdn/x.mjs";\n</script>'
        "<script>local()</script></head>"
    )
    cleaned = offline(page)
    assert "https://" not in cleaned and "<script>local()</script>" in cleaned
    assert "script-src 'none'" in cleaned.split("<script>")[0]  # the policy comes first
