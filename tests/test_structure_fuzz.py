"""Hypothesis: structural damage to Jupyter-form notebooks never crashes a command.

Random JSON values at random JSON pointers (replaced, inserted or deleted) of valid
notebooks, through strip, scan, check, pair and sync in-process: never exit 3, a file
reported as invalid is never changed on disk, and the other file of the batch is still
processed.
"""

from __future__ import annotations

import copy
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import nbformat
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nbtools.cli import main
from nbtools.errors import InputError
from nbtools.notebook import check_structure

PNG = "iVBORw0KGgo" + "A" * 40


def _base(paired: bool) -> dict[str, Any]:
    """A notebook as Jupyter saves it: outputs of every kind, tags, attachments, ids."""
    v4 = nbformat.v4
    code = v4.new_code_cell(
        "import os\nprint(os.getcwd())",
        execution_count=3,
        metadata={"tags": ["keep_output"], "collapsed": False, "jupyter": {"source_hidden": True}},
    )
    code.outputs = [
        v4.new_output("stream", name="stdout", text="/home\n"),
        v4.new_output("execute_result", data={"text/plain": "42"}, execution_count=3),
        v4.new_output("display_data", data={"image/png": PNG, "application/json": {"a": [1]}}),
        v4.new_output("error", ename="ValueError", evalue="bad", traceback=["tb 1", "tb 2"]),
    ]
    second = v4.new_code_cell("x = 1\nx", execution_count=4)
    second.outputs = [v4.new_output("execute_result", data={"text/plain": "1"}, execution_count=4)]
    md = v4.new_markdown_cell("# Title\n![img](attachment:a.png)")
    md.attachments = {"a.png": {"image/png": PNG}}
    nb = v4.new_notebook(cells=[md, code, second, v4.new_raw_cell("raw")])
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python", "version": "3.11.7"},
    }
    if paired:
        nb.metadata["jupytext"] = {"formats": "ipynb,py:percent"}
    data: dict[str, Any] = json.loads(json.dumps(nb))
    return data


BASES = [_base(False), _base(True)]

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


def _pointers(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every container's path in ``value`` (the places damage can go)."""
    out = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            out += _pointers(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out += _pointers(item, (*path, index))
    return out


@st.composite
def damaged(draw: st.DrawFn) -> tuple[dict[str, Any], bool]:
    paired = draw(st.booleans())
    nb = copy.deepcopy(BASES[paired])
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        places = [p for p in _pointers(nb) if p]  # the root stays an object with nbformat
        if not places:
            break
        where = draw(st.sampled_from(places))
        parent: Any = nb
        for part in where[:-1]:
            parent = parent[part]
        key = where[-1]
        action = draw(st.sampled_from(["replace", "replace", "delete", "insert"]))
        if action == "delete":
            del parent[key]
        elif action == "insert" and isinstance(parent, dict):
            parent[draw(st.text(max_size=12))] = draw(json_values)
        elif action == "insert":
            parent.insert(key, draw(json_values))
        else:
            parent[key] = draw(json_values)
    return nb, paired


def _script(nb: dict[str, Any]) -> str:
    return "# %%\nimport os\nprint(os.getcwd())\n\n# %%\nx = 1\nx\n"


COMMANDS = [["strip"], ["strip", "--check"], ["scan"], ["check"], ["pair"], ["sync"]]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
@settings(
    max_examples=int(os.environ.get("NBTOOLS_FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(case=damaged())
def test_damaged_notebooks_are_file_errors_never_crashes(
    command: list[str], case: tuple[dict[str, Any], bool]
) -> None:
    nb, paired = case
    with tempfile.TemporaryDirectory() as tmp:
        bad = os.path.join(tmp, "a_damaged.ipynb")
        good = os.path.join(tmp, "b_intact.ipynb")
        with open(bad, "w", encoding="utf-8") as handle:
            json.dump(nb, handle, indent=1, ensure_ascii=False)
        with open(good, "w", encoding="utf-8") as handle:
            json.dump(BASES[1], handle, indent=1)
        for name in ("a_damaged.py", "b_intact.py"):
            if paired or name.startswith("b"):
                with open(os.path.join(tmp, name), "w", encoding="utf-8") as handle:
                    handle.write(_script(nb))
        before = Path(bad).read_bytes()
        report_path = os.path.join(tmp, "report.json")
        code = main([*command, "--format", "json", "--output", report_path, bad, good])
        assert code != 3
        with open(report_path, encoding="utf-8") as handle:
            report = json.load(handle)
        statuses = {f["path"]: f["status"] for f in report["files"]}
        if statuses.get(bad) == "error":
            assert Path(bad).read_bytes() == before
        assert good in statuses and statuses[good] != "error", statuses
        try:
            check_structure(nb, bad)
        except InputError:  # what the reader refuses is reported, whatever the command
            assert statuses.get(bad) == "error", statuses
