"""The bundled examples: the Keras quick start passes, the hidden-state notebook fails for
the documented reason, statically, under Python 3.8 with TF 2.9, and in the TF 2.9 image."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from container_support import IMAGE, container_engine  # noqa: F401 - fixture

from nbtools.cli import main

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
KERAS = EXAMPLES / "keras_quickstart.ipynb"
HIDDEN = EXAMPLES / "hidden_state.ipynb"
PY38 = os.environ.get("NBTOOLS_PY38", "/var/tmp/nbtools-py38/bin/python")


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    code = main(["run", "--format", "json", *args])
    return code, json.loads(capsys.readouterr().out)


def verdicts(report: dict) -> dict:
    return {Path(n["path"]).name: n for n in report["notebooks"]}


def check_verdicts(report: dict) -> None:
    by_name = verdicts(report)
    assert by_name["keras_quickstart.ipynb"]["verdict"] == "pass"
    hidden = by_name["hidden_state.ipynb"]
    assert hidden["verdict"] == "fail_error"
    assert hidden["first_divergent_cell"] == 3
    assert "features_scaled" in hidden["reason"] and "cell 5 below" in hidden["reason"]


def test_examples_are_clean(capsys: pytest.CaptureFixture[str]) -> None:
    # hidden_state.ipynb keeps its outputs on purpose (examples/pyproject.toml)
    assert main(["strip", "--check", str(EXAMPLES)]) == 0
    capsys.readouterr()


def test_keras_script_is_the_paired_notebook() -> None:
    import jupytext

    notebook = jupytext.read(KERAS)
    script = jupytext.read(EXAMPLES / "keras_quickstart.py")
    assert notebook.metadata["jupytext"]["formats"] == "ipynb,py:percent"
    assert [c.source for c in script.cells] == [c.source for c in notebook.cells]
    model = notebook.cells[3].source
    for layer in (
        'Dense(64, activation="relu", input_shape=(20,))',
        "Dropout(0.5)",
        'Dense(1, activation="sigmoid")',
    ):
        assert layer in model
    assert 'optimizer="adam"' in model and '"binary_crossentropy"' in model
    assert "epochs=5, batch_size=32" in notebook.cells[4].source
    assert "np.random.random((1000, 20))" in notebook.cells[2].source


def test_hidden_state_is_found_statically(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check", "--format", "json", str(HIDDEN)])
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert code == 1
    use = [f for f in findings if f["rule"] == "hidden-state/use-before-def"]
    assert len(use) == 1 and use[0]["cell_index"] == 3
    assert "features_scaled" in use[0]["message"]


def _py38() -> str:
    if not os.access(PY38, os.X_OK):
        pytest.skip(f"no Python 3.8 + TF 2.9 venv at {PY38} (bash .ci/setup-py38)")
    return PY38


@pytest.mark.py38
@pytest.mark.kernel
@pytest.mark.slow
def test_examples_with_a_py38_tf29_kernel(capsys: pytest.CaptureFixture[str]) -> None:
    code, report = run_json(capsys, "--kernel", _py38(), str(EXAMPLES))
    assert code == 1
    check_verdicts(report)


@pytest.mark.py38
@pytest.mark.kernel
@pytest.mark.slow
def test_nbtools_itself_under_python38_runs_tensorflow() -> None:
    python = _py38()
    proc = subprocess.run(
        [python, "-m", "nbtools", "run", "--format", "json", "--kernel", python, str(KERAS)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["notebooks"][0]["verdict"] == "pass"
    version = subprocess.run(
        [python, "-c", "import sys, nbtools; print(sys.version_info[:2], nbtools.__file__)"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert version.startswith("(3, 8)")


@pytest.mark.container
@pytest.mark.kernel
@pytest.mark.slow
def test_examples_in_the_tf29_image(engine: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, report = run_json(capsys, "--engine", engine, "--image", IMAGE, "-j", "2", str(EXAMPLES))
    assert code == 1
    check_verdicts(report)
