"""A secret inside a notebook that cannot be parsed or walked is still reported (#17.8)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nbtools.cli import main
from nbtools.secrets.scanner import scan_path

TOKEN = "ghp_" + "Mf7Qa2Zx9Lp4Wk6Rt8Yu1Io3Pa5Sd0Fg2Hj4K"
SOURCE = f"token = '{TOKEN}'\n"


def _good() -> dict[str, Any]:
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {},
        "cells": [{"cell_type": "code", "metadata": {}, "source": [SOURCE], "outputs": []}],
    }


def _broken_json(path: Path) -> str:
    text = json.dumps(_good(), indent=1)
    path.write_text(text[: text.rindex("}")])  # the closing brace is lost
    return text


@pytest.mark.parametrize(
    "break_it",
    [
        lambda nb: nb["cells"].append(7),  # cells holding an int
        lambda nb: nb["cells"][0].update(metadata=["a", "list"]),  # cell metadata a list
        lambda nb: nb.update(metadata="a string"),  # notebook metadata a string
        lambda nb: nb["cells"][0].update(outputs=[None]),  # a null output
        lambda nb: nb.update(cells={"not": "a list", "cell": nb["cells"][0]}),
    ],
)
def test_malformed_structure_is_exit_2_and_the_secret_is_reported_by_file_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], break_it: Any
) -> None:
    nb = _good()
    break_it(nb)
    path = tmp_path / "bad.ipynb"
    path.write_text(json.dumps(nb, indent=1))
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if TOKEN in text)
    assert main(["scan", "--format", "json", str(path), str(tmp_path / "ok.py")]) == 2
    data = json.loads(capsys.readouterr().out)
    (finding,) = data["findings"]
    assert (finding["rule"], finding["json_line"]) == ("scan/github-token", line)
    assert TOKEN not in json.dumps(data)


def test_broken_json_still_reports_the_secret_and_the_batch_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _broken_json(tmp_path / "broken.ipynb")
    (tmp_path / "other.py").write_text(f"T = '{TOKEN}'\n")
    assert main(["scan", "--format", "json", str(tmp_path)]) == 2
    out = capsys.readouterr()
    data = json.loads(out.out)
    assert sorted(Path(f["path"]).name for f in data["findings"]) == ["broken.ipynb", "other.py"]
    assert [f["status"] for f in data["files"] if f["path"].endswith("broken.ipynb")] == ["error"]
    assert "raw text was scanned" in out.err
    # check's secrets check does the same
    assert main(["check", "--format", "json", "--select", "secrets", str(tmp_path)]) == 2
    data = json.loads(capsys.readouterr().out)
    assert [Path(f["path"]).name for f in data["findings"]] == ["broken.ipynb"]


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=10,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    where=st.sampled_from(["metadata", "cell", "cell_metadata", "outputs", "output", "nbformat"]),
    junk=_JSON,
)
def test_fuzzed_structure_never_escapes_and_never_loses_the_secret(
    tmp_path: Path, where: str, junk: Any
) -> None:
    nb = _good()
    if where == "metadata":
        nb["metadata"] = junk
    elif where == "cell":
        nb["cells"].append(junk)
    elif where == "cell_metadata":
        nb["cells"][0]["metadata"] = junk
    elif where == "outputs":
        nb["cells"][0]["outputs"] = junk
    elif where == "output":
        nb["cells"][0]["outputs"] = [junk]
    else:
        nb["nbformat"] = junk
    path = tmp_path / "fuzz.ipynb"
    path.write_text(json.dumps(nb))
    outcome = scan_path(str(path))
    assert [f.rule for f in outcome.findings if f.suppression is None].count(
        "scan/github-token"
    ) >= 1
