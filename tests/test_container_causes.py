"""Causes in the TF 2.9 image (#16): the image's own distributions decide a missing
package, and its default of no network is named, also as the first link of a later error."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import make_cell, make_nb, write_nb
from container_support import IMAGE, podman_engine  # noqa: F401 - fixtures

from nbtools.cli import main

pytestmark = [pytest.mark.container, pytest.mark.kernel]

REAL = Path(__file__).parent / "fixtures" / "real"


def test_causes_in_the_image(
    tmp_path: Path, podman: str, capsys: pytest.CaptureFixture[str]
) -> None:
    version = {"output_type": "stream", "name": "stdout", "text": "2.4.1\n"}
    write_nb(tmp_path / "skl.ipynb", make_nb([make_cell(source="import sklearn")]))
    write_nb(
        tmp_path / "net.ipynb",
        make_nb(
            [
                # in the container only: it has no network, so nothing is installed
                make_cell(source="!pip install --retries 1 --timeout 3 lightgbm"),
                make_cell(source="import lightgbm"),
            ]
        ),
    )
    fetch = "!python -c \"import urllib.request as u; u.urlopen('https://pypi.org', timeout=3)\""
    write_nb(
        tmp_path / "download.ipynb",
        make_nb(
            [
                # the download fails for lack of network, then the unpacking for lack of it
                make_cell(source=f"{fetch}\n!ls data.zip"),
                make_cell(source="open('data.zip')"),
            ]
        ),
    )
    write_nb(
        tmp_path / "ver.ipynb",
        make_nb(
            [
                make_cell(
                    source="import tensorflow as tf\nprint(tf.__version__)",
                    execution_count=1,
                    outputs=[version],
                )
            ]
        ),
    )
    py2 = {"kernelspec": {"name": "python2", "display_name": "Python 2", "language": "python"}}
    write_nb(tmp_path / "py2.ipynb", make_nb([make_cell(source="1/0")], metadata=py2))
    shutil.copyfile(REAL / "nbconvert__notebook_jl.ipynb", tmp_path / "julia.ipynb")
    code = main(
        ["run", "--engine", podman, "--image", IMAGE, "--format", "json", "-j", "2", str(tmp_path)]
    )
    entries = {Path(n["path"]).name: n for n in json.loads(capsys.readouterr().out)["notebooks"]}
    assert code == 1
    skl = entries["skl.ipynb"]
    assert skl["cause"] == "missing-package"
    assert (
        f"`sklearn` is not installed in the image {IMAGE} (pip name scikit-learn)"
        in (skl["cause_message"])
    )
    net = entries["net.ipynb"]
    assert net["cause"] == "network", net["reason"]
    assert "`!pip install --retries 1 --timeout 3 lightgbm` in cell 1" in net["cause_message"]
    assert "rerun with `--network host`" in net["cause_message"]
    download = entries["download.ipynb"]
    assert download["cause"] == "network", download["reason"]
    assert "urlopen" in download["cause_message"] and "in cell 1" in download["cause_message"]
    assert "`!ls data.zip`" not in download["cause_message"]
    ver = entries["ver.ipynb"]
    assert (ver["verdict"], ver["cause"]) == ("fail_mismatch", "output-mismatch")
    assert ver["first_hidden_state_cell"] is None
    py2_entry = entries["py2.ipynb"]
    assert (
        py2_entry["kernel_note"] == "the notebook's kernelspec `python2` ran as the image's python3"
    )
    assert "ran as the image's python3" in py2_entry["reason"]
    julia = entries["julia.ipynb"]
    assert julia["cause"] == "kernel-unavailable" and f"the image {IMAGE}" in julia["reason"]
