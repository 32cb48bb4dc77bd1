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
