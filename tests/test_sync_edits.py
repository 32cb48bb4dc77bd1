"""Sync never loses an edit: files changed meanwhile, emptied scripts, cells a format cannot hold
(issue 17, rule 7); ``sync --check`` agrees with ``sync``, fuzzed with hypothesis."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import nbformat
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nbtools.pairs.plan
from nbtools.cli import main
from nbtools.pairs.find import Pair
from nbtools.pairs.formats import parse_format

pytestmark = pytest.mark.git


def notebook(path: Path, *sources: str, kinds: list[str] | None = None) -> Path:
    kinds = kinds or ["code"] * len(sources)
    make = {
        "code": nbformat.v4.new_code_cell,
        "markdown": nbformat.v4.new_markdown_cell,
        "raw": nbformat.v4.new_raw_cell,
    }
    nb = nbformat.v4.new_notebook(cells=[make[k](s) for k, s in zip(kinds, sources)])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


def cells(nb: Path) -> list[tuple[str, str]]:
    return [
        (c["cell_type"], "".join(c["source"]).rstrip())
        for c in json.loads(nb.read_bytes())["cells"]
    ]


def test_an_edit_saved_while_syncing_wins(
    git_repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    nb = notebook(git_repo / "nb.ipynb", "x = 1", "y = 2")
    assert main(["pair", str(nb)]) == 1
    script = git_repo / "nb.py"
    script.write_text(script.read_text("utf-8").replace("x = 1", "x = 10"), "utf-8")
    real_plan = nbtools.pairs.plan.plan_sync

    def user_saves_meanwhile(pair: Pair, *args: Any, **kwargs: Any) -> Any:
        plan = real_plan(pair, *args, **kwargs)
        pair.notebook.write_text(pair.notebook.read_text("utf-8").replace("y = 2", "y = 3"))
        return plan

    monkeypatch.setattr(nbtools.pairs.plan, "plan_sync", user_saves_meanwhile)
    capsys.readouterr()
    assert main(["sync", str(nb)]) == 1
    assert "changed while syncing; your version was kept" in capsys.readouterr().out
    assert ("code", "y = 3") in cells(nb) and ("code", "x = 1") in cells(nb)
    monkeypatch.undo()
    # nothing was recorded: the next sync sees both edits and calls it a conflict
    assert main(["sync", str(nb)]) == 1
    assert "x = 10" in script.read_text("utf-8")
    assert ("code", "y = 3") in cells(nb)


def test_an_emptied_script_never_empties_the_notebook(
    git_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nb = notebook(git_repo / "nb.ipynb", "x = 1", "y = 2")
    assert main(["pair", str(nb)]) == 1
    before = nb.read_bytes()
    (git_repo / "nb.py").write_text("", encoding="utf-8")
    assert main(["sync", "--check", str(nb)]) == 1
    assert main(["sync", str(nb)]) == 1
    assert "the script is empty" in capsys.readouterr().out
    assert nb.read_bytes() == before
    assert main(["sync", "--prefer", "py", str(nb)]) == 1
    assert cells(nb) == []


@pytest.mark.parametrize(
    ("fmt", "source"),
    [
        ("py:percent", "x = 1\n# %%\ny = 2"),
        ("py:percent", 's = """\nopen'),
        ("py:light", 's = """\nopen'),
        ("py:hydrogen", "x = 1\n# %%\ny = 2"),
    ],
)
def test_a_cell_the_format_cannot_hold_is_reported_not_split(
    git_repo: Path, fmt: str, source: str, capsys: pytest.CaptureFixture[str]
) -> None:
    nb = notebook(git_repo / "nb.ipynb", "a = 0", source, "z = 9")
    assert main(["pair", "--formats", fmt, str(nb)]) == 2
    assert "not paired: cell 2 does not survive" in capsys.readouterr().err
    # paired anyway (by jupytext, or by hand) and edited on the script side
    (git_repo / "nb.ipynb").write_text(
        nb.read_text("utf-8").replace(
            '"metadata": {\n  "kernelspec"',
            f'"metadata": {{\n  "jupytext": {{"formats": "ipynb,{fmt}"}},\n  "kernelspec"',
        ),
        encoding="utf-8",
    )
    from nbtools.pairs.convert import notebook_to_text

    text = notebook_to_text(json.loads(nb.read_bytes()), parse_format(fmt))
    (git_repo / "nb.py").write_text(text.replace("a = 0", "a = 1"), encoding="utf-8")
    before = nb.read_bytes()
    capsys.readouterr()
    assert main(["sync", "--check", str(nb)]) == 1
    capsys.readouterr()
    assert main(["check", "--select", "sync", "--format", "json", str(nb)]) == 1
    rules = {f["rule"] for f in json.loads(capsys.readouterr().out)["findings"]}
    assert rules == {"sync/unrepresentable"}
    assert main(["sync", str(nb)]) == 1
    out = capsys.readouterr().out
    assert "would not survive" in out and "cell 2" in out
    assert nb.read_bytes() == before  # neither split nor merged
    assert main(["sync", "--prefer", "py", str(nb)]) == 1  # the explicit way out


# --- fuzz: random cells through pair, an edit of the script, sync --check, sync ---

FRAGMENTS = [
    "x = 1",
    "# %%",
    "# %% [markdown]",
    "# +",
    "# -",
    '"""',
    "'''",
    "%time x = 1",
    "%%bash",
    "!ls",
    "# In[1]:",
    "def f():",
    "    return 1",
    "",
    "#",
    "  ",
    "```",
    "# ---",
    "<!-- #region -->",
]
SOURCES = st.lists(st.sampled_from(FRAGMENTS), max_size=5).map("\n".join)
CELLS = st.lists(st.tuples(st.sampled_from(["code", "markdown", "raw"]), SOURCES), max_size=5)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(cells_=CELLS, fmt=st.sampled_from(["py:percent", "py:light", "md", "py:hydrogen"]))
def test_fuzz_sync_never_splits_merges_or_disagrees_with_check(
    cells_: list[tuple[str, str]], fmt: str
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / ".git").mkdir()  # the tree's root
        kinds = ["code", *(k for k, _ in cells_)]
        nb = notebook(folder / "nb.ipynb", "EDIT_ME = 0", *(s for _, s in cells_), kinds=kinds)
        original = cells(nb)
        paired = main(["pair", "--formats", fmt, str(nb)])
        assert paired in (1, 2)
        if paired == 2:  # a cell the format cannot hold: nothing written
            assert cells(nb) == original
            return
        script = folder / f"nb.{fmt.split(':', maxsplit=1)[0]}"
        text = script.read_text("utf-8")
        assert text.count("EDIT_ME = 0") == 1
        script.write_text(text.replace("EDIT_ME = 0", "EDIT_ME = 1"), "utf-8")
        checked = main(["sync", "--check", str(nb)])
        synced = main(["sync", str(nb)])
        assert checked == synced != 3
        expected = [("code", "EDIT_ME = 1"), *original[1:]]
        assert cells(nb) in (original, expected)  # never split or merged
        if synced == 1 and cells(nb) == expected:
            assert main(["sync", "--check", str(nb)]) == 0
