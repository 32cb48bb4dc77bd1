"""The sync core: decisions from content hashes, output-preserving merges, conflict details."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import make_cell, make_nb, shared_path

from nbtools.notebook import dumps, loads_notebook
from nbtools.pairs.convert import notebook_to_text, roundtrip, text_to_notebook
from nbtools.pairs.diff import compare
from nbtools.pairs.find import Pair
from nbtools.pairs.formats import PairFormat, parse_format, with_pairing
from nbtools.pairs.merge import merge_script
from nbtools.pairs.plan import plan_sync
from nbtools.pairs.state import Entry, bytes_hash
from nbtools.stripsettings import StripOptions

FMT = parse_format("py:percent")
PAIR = Pair(Path("nb.ipynb"), Path("nb.py"), FMT)
OUTPUT = {"name": "stdout", "output_type": "stream", "text": ["1\n"]}


def notebook() -> dict[str, Any]:
    nb = make_nb(
        [
            make_cell("markdown", ["# Title\n", "\n", "Some *text*"]),
            make_cell(
                "code", ["%matplotlib inline\n", "x = 1"], execution_count=1, outputs=[OUTPUT]
            ),
            make_cell(
                "code",
                ["print(x)"],
                execution_count=2,
                outputs=[OUTPUT],
                metadata={"tags": ["keep"], "collapsed": True},
            ),
            make_cell("raw", "raw text"),
        ]
    )
    return with_pairing(nb, FMT)


def sides(nb: dict[str, Any], fmt: PairFormat = FMT) -> tuple[bytes, bytes]:
    return dumps(nb).encode(), notebook_to_text(nb, fmt).encode()


def entry_for(nb_raw: bytes, py_raw: bytes) -> Entry:
    return Entry("nb.py", bytes_hash(nb_raw), bytes_hash(py_raw))


def test_in_sync_by_hash_parses_nothing() -> None:
    # not even valid JSON: matching hashes are enough
    plan = plan_sync(PAIR, b"not json", b"x", entry_for(b"not json", b"x"))
    assert plan.action == "in_sync" and not plan.writes


def test_consistent_without_record_writes_nothing() -> None:
    nb_raw, py_raw = sides(notebook())
    plan = plan_sync(PAIR, nb_raw, py_raw, None)
    assert plan.action == "in_sync" and not plan.writes


def test_script_edit_updates_notebook_keeping_unchanged_outputs() -> None:
    nb_raw, py_raw = sides(notebook())
    entry = entry_for(nb_raw, py_raw)
    edited = py_raw.decode().replace("print(x)", "print(x + 1)").encode()
    plan = plan_sync(PAIR, nb_raw, edited, entry)
    assert plan.action == "update_notebook" and plan.script_out is None
    assert plan.notebook_out is not None
    cells = json.loads(plan.notebook_out)["cells"]
    assert cells[1]["outputs"] == [OUTPUT] and cells[1]["execution_count"] == 1  # unchanged
    assert cells[2]["outputs"] == [] and cells[2]["execution_count"] is None  # edited
    assert cells[2]["source"] == ["print(x + 1)"]
    assert cells[2]["id"] == "cell-2"
    # metadata the script does not show stays with the edited cell (as jupytext restores it)
    assert cells[2]["metadata"] == {"tags": ["keep"], "collapsed": True}
    assert cells[0] == notebook()["cells"][0] and cells[3] == notebook()["cells"][3]


def test_touching_the_notebook_does_not_matter() -> None:
    # content decides: the notebook bytes are the recorded ones, so the script wins
    nb_raw, py_raw = sides(notebook())
    edited = py_raw.replace(b"x = 1", b"x = 10")
    plan = plan_sync(PAIR, nb_raw, edited, entry_for(nb_raw, py_raw))
    assert plan.action == "update_notebook"
    assert b"x = 10" in (plan.notebook_out or b"")


def test_notebook_edit_updates_script() -> None:
    nb = notebook()
    nb_raw, py_raw = sides(nb)
    entry = entry_for(nb_raw, py_raw)
    nb["cells"][1]["source"] = ["x = 2"]
    plan = plan_sync(PAIR, dumps(nb).encode(), py_raw, entry)
    assert plan.action == "update_script" and plan.notebook_out is None
    assert b"x = 2" in (plan.script_out or b"")


def test_outputs_only_change_writes_nothing_but_the_record() -> None:
    nb = notebook()
    nb_raw, py_raw = sides(nb)
    entry = entry_for(nb_raw, py_raw)
    nb["cells"][2]["outputs"] = []
    plan = plan_sync(PAIR, dumps(nb).encode(), py_raw, entry)
    assert plan.action == "in_sync" and not plan.writes
    assert plan.notebook_hash != entry.notebook_hash  # the caller records the new hash


def test_both_changed_is_a_conflict_naming_cells_and_lines() -> None:
    nb = notebook()
    nb_raw, py_raw = sides(nb)
    entry = entry_for(nb_raw, py_raw)
    nb["cells"][2]["source"] = ["print(x)  # notebook"]
    edited = py_raw.decode().replace("print(x)", "print('script')")
    plan = plan_sync(PAIR, dumps(nb).encode(), edited.encode(), entry)
    assert plan.action == "conflict" and not plan.writes
    assert "both sides changed" in plan.reason
    [diff] = plan.diffs
    assert diff.cell_index == 2 and diff.line == 1
    assert edited.splitlines()[(diff.script_line or 0) - 1] == "print('script')"
    assert "cell 3, line 1" in diff.message and "print('script')" in diff.message


@pytest.mark.parametrize(
    ("prefer", "action"), [("py", "update_notebook"), ("ipynb", "update_script")]
)
def test_prefer_resolves_conflicts(prefer: str, action: str) -> None:
    nb = notebook()
    nb_raw, py_raw = sides(nb)
    nb["cells"][1]["source"] = ["x = 'nb'"]
    edited = py_raw.replace(b"x = 1", b"x = 'py'")
    plan = plan_sync(PAIR, dumps(nb).encode(), edited, entry_for(nb_raw, py_raw), prefer=prefer)
    assert plan.action == action
    expected = b"x = 'py'" if prefer == "py" else b"x = 'nb'"
    assert expected in (plan.notebook_out or plan.script_out or b"")


def test_no_record_and_different_sides_is_a_conflict() -> None:
    nb_raw, py_raw = sides(notebook())
    plan = plan_sync(PAIR, nb_raw, py_raw + b"\n# %%\ny = 2\n", None)
    assert plan.action == "conflict" and "no sync record" in plan.reason
    assert "only in the script" in plan.diffs[0].message


def test_strip_drops_outputs_in_the_same_pass() -> None:
    nb_raw, py_raw = sides(notebook())
    edited = py_raw.replace(b"print(x)", b"print(x * 2)")
    plan = plan_sync(PAIR, nb_raw, edited, entry_for(nb_raw, py_raw), strip=StripOptions())
    cells = json.loads(plan.notebook_out or b"{}")["cells"]
    assert all(c.get("outputs", []) == [] for c in cells)
    assert "collapsed" not in cells[2]["metadata"]


def test_script_metadata_edits_apply_to_kept_cells() -> None:
    nb = notebook()
    nb_raw, py_raw = sides(nb)
    edited = py_raw.replace(b'tags=["keep"]', b'tags=["keep", "slow"]')
    assert edited != py_raw
    plan = plan_sync(PAIR, nb_raw, edited, entry_for(nb_raw, py_raw))
    cell = json.loads(plan.notebook_out or b"{}")["cells"][2]
    assert cell["metadata"]["tags"] == ["keep", "slow"]
    assert cell["outputs"] == [OUTPUT]  # same code: outputs kept
    assert cell["metadata"]["collapsed"] is True  # metadata the script does not show stays


def test_inserted_and_deleted_cells() -> None:
    nb = notebook()
    _, py_raw = sides(nb)
    text = py_raw.decode().replace("# %% [raw]\n# raw text\n", "# %%\nnew = 1\n")
    text = text.replace('# %% tags=["keep"]', '# %%\ninserted = 1\n\n# %% tags=["keep"]')
    merged = merge_script(nb, roundtrip(nb, FMT), text_to_notebook(text, FMT))
    cells = merged["cells"]
    assert [c["cell_type"] for c in cells] == ["markdown", "code", "code", "code", "code"]
    assert cells[2]["source"] == ["inserted = 1"] and len(cells[2]["id"]) == 8  # a new id
    assert cells[3]["outputs"] == [OUTPUT]  # print(x) did not change
    # the raw cell became a code cell in its place: it keeps its id, without outputs
    assert cells[4]["source"] == ["new = 1"] and cells[4]["id"] == "cell-3"
    assert cells[4]["outputs"] == []


@pytest.mark.shared
def test_corpus_round_trip_keeps_every_cell() -> None:
    """jupytext normalises some cell sources; a merge of an unchanged script must not."""
    corpus = shared_path("corpus", "public")
    checked = 0
    for path in sorted(corpus.glob("*.ipynb")):
        nbfile = loads_notebook(path.read_bytes(), str(path))
        if nbfile.major != 4 or nbfile.minor > 5:
            continue
        nb = with_pairing(nbfile.nb, FMT)
        text = notebook_to_text(nb, FMT)
        from_script = text_to_notebook(text, FMT)
        rt = roundtrip(nb, FMT)
        assert compare(nb, rt, from_script, text) == [], path.name
        merged = merge_script(copy.deepcopy(nb), rt, from_script)
        assert merged["cells"] == nb["cells"], path.name
        checked += 1
    assert checked >= 60
