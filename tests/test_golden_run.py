"""Golden runs: small notebooks, saved as Jupyter saves them, run by ``nbtools run --write`` on
real local kernels; the JSON report and every executed notebook must match tests/golden/run/
once normalised (timings, addresses, paths, versions, colours: see golden_support).

The notebooks give every verdict (pass, pass_with_warnings, fail_error, fail_mismatch,
nondeterministic) and every cause a local run can meet, without network or installs. The
report pinned here is also the input of the run case of tests/test_golden_reports.py.
``pytest --update-goldens -m kernel -k golden`` rewrites them.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from golden_support import Normaliser, golden_files

pytestmark = pytest.mark.kernel

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
LANGUAGE_INFO = {
    "codemirror_mode": {"name": "ipython", "version": 3},
    "file_extension": ".py",
    "mimetype": "text/x-python",
    "name": "python",
    "nbconvert_exporter": "python",
    "pygments_lexer": "ipython3",
    "version": "3.11.4",
}
#: the options of the one run (a per-cell timeout and an output cap every notebook shares;
#: one job, so that the report lists the notebooks in one order). The timeout leaves room for
#: a loaded CI machine: only the timeout notebook's sleep(60) may reach it
RUN_ARGS = ["--timeout", "10", "--max-output-bytes", "100000", "--repeat", "2", "-j", "1"]
#: what the nondeterministic notebook prints: a random draw (normalised, see below)
_DRAW = re.compile(r"draw 0\.\d+")


def _notebooks() -> dict[str, Any]:
    """name -> notebook (nbformat nodes, with the metadata Jupyter writes)."""
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    def code(source: str, count: int | None = None, *outputs: Any) -> Any:
        return new_code_cell(source, execution_count=count, outputs=list(outputs))

    def printed(text: str) -> Any:
        return new_output("stream", name="stdout", text=text)

    def result(text: str, count: int) -> Any:
        return new_output("execute_result", data={"text/plain": text}, execution_count=count)

    cells: dict[str, list[Any]] = {
        "pass": [
            new_markdown_cell("# Adds two numbers"),
            code("a = 1\nb = 2", 1),
            code("print(a + b)", 2, printed("3\n")),
            code("a + b", 3, result("3", 3)),
        ],
        "warnings": [code("x = 10", 2), code("print(x)", 1, printed("10\n")), code("y = x * 2")],
        "hidden_state": [code("print(total)", 1, printed("6\n")), code("total = 6", 2)],
        "stale_output": [code("print(sorted({'b', 'a'}))", 1, printed("['b', 'a']\n"))],
        "environment": [code("print('lib version 9.8.7')", 1, printed("lib version 1.2.3\n"))],
        "nondeterministic": [
            code("import random\nprint('draw', random.random())", 1, printed("draw 0.25\n"))
        ],
        "missing_package": [code("import nbtools_golden_absent_package")],
        # what a refused download raises (raised here: a real socket call would put the
        # standard library's frames, which differ from Python to Python, in the traceback)
        "network": [code("raise ConnectionRefusedError(111, 'Connection refused')")],
        # io.open: IPython 8 wraps the open() of a cell, and its frame would be in the traceback
        "missing_file": [code("import io\nio.open('data/absent.csv').read()")],
        "shell_command": [code("!nbtools-golden-no-such-command --flag"), code("print('after')")],
        "kernel_died": [
            # prints first, so its count and output are in before the kernel goes
            code(
                "import os, sys, time\nprint('going')\nsys.stdout.flush()\ntime.sleep(1)\nos._exit(1)"
            ),
            code("print('never')"),
        ],
        "notebook_error": [code("raise ValueError('broken as committed')"), code("1")],
        "timeout": [code("import time\ntime.sleep(60)"), code("1")],
        "output_limit": [code("print('x' * 300_000)")],
        "reprs": [code("class Thing:\n    pass\n\nprint(Thing())\nobject()")],
        "no_kernel": [code("DISPLAY 'HELLO'.")],
    }
    made = {}
    for name, body in cells.items():
        metadata: dict[str, Any] = {"kernelspec": KERNELSPEC, "language_info": LANGUAGE_INFO}
        if name == "no_kernel":
            metadata = {
                "kernelspec": {"display_name": "COBOL", "language": "cobol", "name": "cobol-x"},
                "language_info": {"name": "cobol"},
            }
        nb = new_notebook(cells=body, metadata=metadata)
        for index, cell in enumerate(nb.cells):
            cell.id = f"{name.replace('_', '-')}-{index}"
        made[name] = nb
    return made


def test_executed_notebooks_and_report_are_the_golden_ones(tmp_path: Path, goldens: Any) -> None:
    import nbformat

    folder = tmp_path / "notebooks"
    folder.mkdir()
    notebooks = _notebooks()
    for name, nb in notebooks.items():
        nbformat.write(nb, str(folder / f"{name}.ipynb"))
    # no active environment, whoever runs the tests (CI puts .venv/bin on PATH): the report
    # names the interpreter the kernels ran on and why it was chosen
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GITHUB_", "NBTOOLS_", "PRE_COMMIT", "CI"))
        and k not in ("VIRTUAL_ENV", "CONDA_PREFIX")
    }
    env["PATH"] = os.pathsep.join(
        entry
        for entry in env.get("PATH", "").split(os.pathsep)
        if not os.path.isfile(os.path.join(entry, os.pardir, "pyvenv.cfg"))
    )
    done = subprocess.run(
        [sys.executable, "-m", "nbtools", "run", "--write", "--format", "json", *RUN_ARGS, "."],
        cwd=folder,
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=300,
    )
    assert done.returncode == 1, done.stderr
    normalise = Normaliser({"tmp": tmp_path})

    def stable(text: str) -> str:
        return _DRAW.sub("draw 0.5", normalise(text))

    goldens.check("run/report.json", stable(done.stdout))
    for name in sorted(notebooks):
        written = (folder / f"{name}.ipynb").read_text(encoding="utf-8")
        goldens.check(f"run/notebooks/{name}.ipynb", stable(written))


def test_every_golden_notebook_belongs_to_a_notebook_of_the_run() -> None:
    expected = {f"run/notebooks/{name}.ipynb" for name in _notebooks()} | {"run/report.json"}
    assert golden_files("run") == expected
