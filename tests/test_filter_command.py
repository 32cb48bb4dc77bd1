"""``nbtools filter --clean`` and ``--textconv``: what git runs (the process mode is in test_gitfilter)."""

from __future__ import annotations

import copy
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable
from unittest import mock

import pytest
from conftest import make_cell, make_nb, nbtools_cli, write_nb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nbtools.cli import main
from nbtools.commands.filter import clean_bytes
from nbtools.strip import strip_notebook
from nbtools.stripsettings import StripOptions

OUTPUT = {"name": "stdout", "output_type": "stream", "text": ["hi\n"]}


def dirty_bytes(tmp_path: Path, name: str = "nb.ipynb") -> bytes:
    nb = make_nb([make_cell("code", "print('hi')", execution_count=1, outputs=[OUTPUT])])
    return write_nb(tmp_path / name, nb).read_bytes()


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"{nope", "invalid JSON"),
        (b"", "empty file"),
        (b'{"cells": []}', "not a notebook"),
        (b"\xff\xfe", "not UTF-8"),
    ],
)
def test_clean_bytes_passes_unreadable_input_through(raw: bytes, reason: str) -> None:
    out, why = clean_bytes(raw, "x.ipynb", StripOptions())
    assert out is raw
    assert why is not None
    assert reason in why


def test_clean_bytes_strips_and_keeps_clean_input_identical(tmp_path: Path) -> None:
    raw = dirty_bytes(tmp_path)
    out, why = clean_bytes(raw, "nb.ipynb", StripOptions())
    assert why is None
    assert json.loads(out)["cells"][0]["outputs"] == []
    again, _ = clean_bytes(out, "nb.ipynb", StripOptions())
    assert again is out  # nothing to strip: the very same bytes


def test_clean_mode_on_stdin(tmp_path: Path) -> None:
    raw = dirty_bytes(tmp_path)
    proc = nbtools_cli("filter", "--clean", "nb.ipynb", cwd=tmp_path, input=raw)
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["cells"][0]["outputs"] == []
    assert proc.stderr == b""  # git shows stderr on every add: stay quiet


def test_clean_mode_broken_input_exits_0_with_a_warning(tmp_path: Path) -> None:
    proc = nbtools_cli("filter", "--clean", "bad.ipynb", cwd=tmp_path, input=b"{broken")
    assert (proc.returncode, proc.stdout) == (0, b"{broken")
    assert b"bad.ipynb: invalid JSON" in proc.stderr


def test_clean_mode_follows_configuration(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.nbtools]\nexclude = ['keep/**']\n[tool.nbtools.strip]\nkeep_output = true\n"
        "[tool.nbtools.filter]\nkeep_count = true\n"
    )
    raw = dirty_bytes(tmp_path)
    proc = nbtools_cli("filter", "--clean", "nb.ipynb", cwd=tmp_path, input=raw)
    assert proc.stdout == raw  # keep_output (strip table) and keep_count (filter table)
    raw = raw.replace(b'"outputs"', b'"metadata": {"ExecuteTime": {}}, "outputs"', 1)
    proc = nbtools_cli("filter", "--clean", "keep/nb.ipynb", cwd=tmp_path, input=raw)
    assert proc.stdout == raw  # excluded: untouched even with volatile metadata


def test_textconv_renders_a_stripped_notebook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    monkeypatch.chdir(tmp_path)
    dirty_bytes(tmp_path)
    assert main(["filter", "--textconv", "nb.ipynb"]) == 0
    assert capsysbinary.readouterr().out == b"# kernel: python3\n\n# %%\nprint('hi')\n"


def test_textconv_shows_outputs_that_strip_keeps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[tool.nbtools.strip]\nkeep_output = true\n")
    dirty_bytes(tmp_path, "sub/nb.ipynb")
    assert main(["filter", "--textconv", str(tmp_path / "sub" / "nb.ipynb")]) == 0
    assert capsysbinary.readouterr().out.endswith(b"print('hi')\n# >> [stdout]\n# >> hi\n")


def test_textconv_of_a_broken_file_shows_it_as_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.ipynb").write_bytes(b"{half a notebook")
    assert main(["filter", "--textconv", "bad.ipynb"]) == 0
    assert capsysbinary.readouterr().out == b"{half a notebook"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["filter", "--textconv"], "exactly one file"),
        (["filter", "--textconv", "missing.ipynb"], "missing.ipynb: no such file"),
        (["filter", "--clean", "--process"], "not allowed with"),
        (["filter", "--clean", "--rev", "HEAD"], "--rev goes with --check-staged"),
    ],
)
def test_usage_errors(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_filter_and_install_start_lean() -> None:
    """git starts the filter on every add: none of the heavy Jupyter modules may load."""
    code = (
        "import sys, nbtools.cli, nbtools.commands.filter, nbtools.commands.install, "
        "nbtools.gitfilter, nbtools.textconv; "
        "print(sorted(m for m in ('nbclient', 'jupytext', 'nbconvert', 'nbformat', "
        "'jupyter_client', 'tqdm', 'yaml') if m in sys.modules))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]"


# -- malformed structure: the filter stores what it cannot strip, and never fails git add --

VALID: dict[str, Any] = {
    "cells": [
        {
            "attachments": {"a.png": {"image/png": "iVBORw0KGgo="}},
            "cell_type": "markdown",
            "id": "m1",
            "metadata": {"tags": ["intro"]},
            "source": ["# Title\n", "![a](attachment:a.png)"],
        },
        {
            "cell_type": "code",
            "execution_count": 2,
            "id": "c1",
            "metadata": {"ExecuteTime": {"end_time": "2024"}, "collapsed": False},
            "outputs": [
                {"name": "stdout", "output_type": "stream", "text": ["hi\n"]},
                {
                    "data": {"text/plain": ["42"], "image/png": "iVBORw0KGgo="},
                    "execution_count": 2,
                    "metadata": {},
                    "output_type": "execute_result",
                },
                {"ename": "E", "evalue": "v", "output_type": "error", "traceback": ["t"]},
            ],
            "source": ["x = 42\n", "x"],
        },
        {
            "cell_type": "code",
            "execution_count": 3,
            "id": "c2",
            "metadata": {"tags": ["keep_output"], "jupyter": {"outputs_hidden": True}},
            "outputs": [{"name": "stdout", "output_type": "stream", "text": "kept\n"}],
            "source": "print('kept')",
        },
        {"cell_type": "raw", "id": "r1", "metadata": {}, "source": ""},
    ],
    "metadata": {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "widgets": {"state": {}},
    },
    "nbformat": 4,
    "nbformat_minor": 5,
}
BIG_INT = "__big_int__"  # becomes a 5000-digit integer in the file (beyond Python's 4300)
JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=6),
    st.just(BIG_INT),
    st.lists(st.one_of(st.none(), st.integers(), st.text(max_size=3)), max_size=3),
    st.dictionaries(
        st.text(max_size=8), st.one_of(st.none(), st.integers(), st.text()), max_size=3
    ),
)


def _spots(node: Any) -> list[tuple[Any, Any]]:
    """Every (container, key) in the tree: the places a damage can hit."""
    found: list[tuple[Any, Any]] = []
    keys = node.keys() if isinstance(node, dict) else range(len(node))
    for key in keys:
        found.append((node, key))
        if isinstance(node[key], (dict, list)):
            found.extend(_spots(node[key]))
    return found


@st.composite
def damaged_notebooks(draw: st.DrawFn) -> bytes:
    nb = copy.deepcopy(VALID)
    for _ in range(draw(st.integers(1, 3))):
        spots = _spots(nb)
        if not spots:
            break
        parent, key = draw(st.sampled_from(spots))
        if draw(st.booleans()):
            del parent[key]
        else:
            parent[key] = draw(JUNK)
    text = json.dumps(nb, indent=draw(st.sampled_from([None, 1])))
    return text.replace(f'"{BIG_INT}"', "7" * 5000).encode("utf-8")


def _filter_clean(raw: bytes) -> tuple[int, bytes, str]:
    """``nbtools filter --clean x.ipynb`` in this process: exit code, stdout, stderr."""
    stdin = io.TextIOWrapper(io.BytesIO(raw))
    stdout = io.TextIOWrapper(io.BytesIO())
    stderr = io.StringIO()
    patches = mock.patch.multiple(sys, stdin=stdin, stdout=stdout, stderr=stderr)
    with patches:
        code = main(["filter", "--clean", "x.ipynb"])
    stdout.flush()
    return code, stdout.buffer.getvalue(), stderr.getvalue()  # type: ignore[attr-defined]


def _strip_directly(raw: bytes) -> Any:
    """What strip makes of ``raw`` as a dict, or None where it cannot read or strip it."""
    try:
        nb = json.loads(raw)
        strip_notebook(nb, StripOptions())
    except Exception:  # noqa: BLE001 - the oracle only needs to know it failed
        return None
    return nb


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damaged_notebooks())
def test_clean_filter_fuzz_never_fails_and_stores_stripped_or_unchanged(raw: bytes) -> None:
    code, out, err = _filter_clean(raw)
    assert code == 0, err
    assert "internal error" not in err
    if out == raw:
        return  # unchanged: either nothing to strip or unreadable (then with a warning)
    expected = _strip_directly(raw)
    assert expected is not None, "the filter changed a file that strip cannot handle"
    assert json.loads(out) == expected
    again, why = clean_bytes(out, "x.ipynb", StripOptions())
    assert (again, why) == (out, None)  # stored stripped: a second clean changes nothing


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (
            lambda nb: nb["cells"][1].update(metadata=["a", "list"]),
            "/cells/1/metadata: expected an object, got a list",
        ),
        (lambda nb: nb.update(metadata="a string"), ""),
        (lambda nb: nb.update(cells=5), "not a notebook"),
        (lambda nb: nb["cells"][2]["outputs"].append(None), ""),
        (lambda nb: nb["cells"][2].update(metadata={"tags": "keep_output"}), ""),
        (
            lambda nb: nb["cells"][1].update(metadata="text"),
            "/cells/1/metadata: expected an object, got a string",
        ),
    ],
)
def test_malformed_structure_is_stored_unchanged_or_stripped(
    damage: Callable[[Any], None], reason: str
) -> None:
    nb = copy.deepcopy(VALID)
    damage(nb)
    raw = json.dumps(nb, indent=1).encode()
    code, out, err = _filter_clean(raw)
    assert code == 0, err
    if reason:
        assert out == raw
        assert f"x.ipynb: {reason}" in err and "passed to git unchanged" in err
        assert len(err.strip().splitlines()) == 1  # one line on git's stderr
    else:
        assert out == raw or json.loads(out) == _strip_directly(raw)


def test_textconv_of_a_malformed_notebook_shows_it_as_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    monkeypatch.chdir(tmp_path)
    nb = copy.deepcopy(VALID)
    nb["cells"][2]["metadata"] = "text"
    raw = json.dumps(nb).encode()
    (tmp_path / "bad.ipynb").write_bytes(raw)
    assert main(["filter", "--textconv", "bad.ipynb"]) == 0
    assert capsysbinary.readouterr().out == raw
