"""Story: a notebook broken by a bad merge still has its leaked key reported (#17.8)."""

from __future__ import annotations

from pathlib import Path

from story import code, jupyter_notebook, nbtools

KEY = "sk_live_" + "Zq8Wp7Lm6Kn5Jb4Hc3Dx2Vy1"


def test_a_merge_conflict_in_a_notebook_does_not_hide_its_secret(git_repo: Path) -> None:
    nb = jupyter_notebook(git_repo / "pay.ipynb", [code(f"stripe.api_key = '{KEY}'")])
    text = nb.read_text()
    # what a conflicted merge leaves: markers inside the JSON
    nb.write_text(text.replace(' "metadata": {', '<<<<<<< HEAD\n "metadata": {', 1))
    jupyter_notebook(git_repo / "fine.ipynb", [code("x = 1")])
    done = nbtools("scan", ".", cwd=git_repo)
    assert done.returncode == 2, done.stdout + done.stderr  # the broken file is an error ...
    assert "pay.ipynb" in done.stderr and "raw text was scanned" in done.stderr
    line = next(n for n, t in enumerate(nb.read_text().splitlines(), 1) if "stripe.api_key" in t)
    assert f"pay.ipynb:{line}: scan/stripe-key" in done.stdout  # ... and its key is reported
    assert KEY not in done.stdout + done.stderr
