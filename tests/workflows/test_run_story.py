"""Stories of ``nbtools run`` after the other commands, on notebooks as Jupyter writes them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from story import code, commit_all, jupyter_notebook, nbtools, real_fixture, result, stream

pytestmark = pytest.mark.kernel


def run_report(
    repo: Path, *args: str, env: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    proc = nbtools("run", "--format", "json", *args, cwd=repo, env=env)
    return proc.returncode, json.loads(proc.stdout)


def test_pair_edit_the_script_sync_then_run(git_repo: Path) -> None:
    """#11.1: pair, then run crashed on every notebook Jupyter had saved."""
    jupyter_notebook(
        git_repo / "analysis.ipynb",
        [
            code("a = 1\nprint(a)", [stream("1\n")], 1),
            code("b = a + 1\nb", [result("2", 2)], 2),
        ],
    )
    real_fixture("nbformat__test4custom.ipynb", git_repo / "real" / "custom.ipynb")
    real_fixture("jupytext__frozen_cell.ipynb", git_repo / "real" / "frozen.ipynb")
    commit_all(git_repo, "notebooks")
    assert nbtools("pair", ".", cwd=git_repo).returncode in (0, 1)
    assert (git_repo / "analysis.py").is_file()

    code_, report = run_report(git_repo, ".")
    verdicts = {Path(n["path"]).name: n["verdict"] for n in report["notebooks"]}
    assert verdicts["analysis.ipynb"] == "pass", report
    assert verdicts["custom.ipynb"] == "pass" and "frozen.ipynb" in verdicts
    # the stored outputs were carried over to the script's cells and reproduced
    [entry] = [n for n in report["notebooks"] if n["path"].endswith("analysis.ipynb")]
    assert [c["reproduced"] for c in entry["cells"]] == [True, True]

    # the user works in the script, then syncs and runs again
    script = git_repo / "analysis.py"
    script.write_text(script.read_text() + "\n# %%\nprint(b * 10)\n")
    assert nbtools("sync", cwd=git_repo).returncode in (0, 1)
    assert len(json.loads((git_repo / "analysis.ipynb").read_text())["cells"]) == 3
    code_, report = run_report(git_repo, "analysis.ipynb")
    [entry] = report["notebooks"]
    assert code_ == 0 and entry["verdict"] == "pass_with_warnings"  # cell 3 never ran
    assert [c["status"] for c in entry["cells"]] == ["ok", "ok", "ok"]

    # a mistake in the script is found and pointed at in the script
    script.write_text(script.read_text().replace("print(b * 10)", "print(c * 10)"))
    code_, report = run_report(git_repo, "analysis.ipynb")
    [entry] = report["notebooks"]
    assert code_ == 1 and entry["verdict"] == "fail_error"
    [finding] = [f for f in report["findings"] if f["rule"] == "run/error"]
    assert finding["path"].endswith("analysis.py")
    assert script.read_text().splitlines()[finding["json_line"] - 1] == "print(c * 10)"


def test_the_run_hook_runs_notebooks_in_the_project_venv_not_its_own(
    git_repo: Path, tmp_path: Path
) -> None:
    """#11.15: under pre-commit the hook's private virtualenv was the kernel, so every real
    notebook failed on its imports; locally `!pip install` changed nbtools' environment."""
    import os
    import shlex
    import shutil
    import subprocess
    import sys

    from venv_support import REPO, throwaway_venv

    yaml = pytest.importorskip("yaml")
    pre_commit = Path(sys.executable).with_name("pre-commit")
    exe = str(pre_commit) if pre_commit.exists() else shutil.which("pre-commit")
    if exe is None:
        pytest.skip("pre-commit not installed")
    # the project: its own .venv (git-ignored) with a package the notebook imports
    throwaway_venv(git_repo / ".venv", "project")
    (git_repo / ".gitignore").write_text(".venv/\n")
    jupyter_notebook(
        git_repo / "uses_project.ipynb",
        [code("import project_only\nprint(project_only.WHERE)", [stream("project\n")], 1)],
    )
    # nbtools as pre-commit installs a `language: python` hook: a private py_env-* venv,
    # first on PATH and in VIRTUAL_ENV
    home = tmp_path / "pc-home"
    private = home / "repo1a2b3c" / "py_env-python3"
    hook_python = throwaway_venv(private, "private", with_nbtools=True)
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    [hook] = [h for h in hooks if h["id"] == "nbtools-run"]
    # the user's shell has no virtualenv active (CI puts the dev venv first on PATH, which
    # nbtools rightly takes as an activated one)
    shell_path = os.pathsep.join(
        p
        for p in os.environ["PATH"].split(os.pathsep)
        if not (Path(p).parent / "pyvenv.cfg").exists()
    )
    patch = f"env VIRTUAL_ENV={shlex.quote(str(private))} PATH={private}/bin:{shell_path}"
    hook = {k: v for k, v in hook.items() if k not in ("description", "minimum_pre_commit_version")}
    hook.update(language="system", entry=f"{patch} {hook_python} -m nbtools run")
    config = {"repos": [{"repo": "local", "hooks": [hook]}]}
    (git_repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    # paired, as the README suggests: the hook runs the script with the notebook's outputs
    assert nbtools("pair", "uses_project.ipynb", cwd=git_repo).returncode in (0, 1)
    assert (git_repo / "uses_project.py").is_file()
    commit_all(git_repo, "a notebook of the project")
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PRE_COMMIT")}
    env.update(PRE_COMMIT_HOME=str(home), PYTHONPATH="", PATH=shell_path)
    proc = subprocess.run(
        [exe, "run", "--hook-stage", "manual", "nbtools-run", "--all-files", "--verbose"],
        cwd=git_repo,
        env=env,
        text=True,
        capture_output=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"kernels ran on {git_repo / '.venv' / 'bin' / 'python'}" in proc.stdout + proc.stderr

    # a `!pip`-style command in a cell reaches the project's environment, not nbtools'
    jupyter_notebook(
        git_repo / "which.ipynb",
        [code("import shutil, sys\nprint(shutil.which('python'))\nprint(sys.prefix)")],
    )
    code_, report = run_report(
        git_repo, "--write", "which.ipynb", env={"PATH": shell_path, "VIRTUAL_ENV": ""}
    )
    assert code_ == 0 and report["interpreter"]["source"] in (".venv", "VIRTUAL_ENV", "PATH")
    cell = json.loads((git_repo / "which.ipynb").read_text())["cells"][0]
    printed = "".join(cell["outputs"][0]["text"]).split()
    assert printed[1] == report["interpreter"]["prefix"] != sys.prefix
    assert printed[0].startswith(printed[1])


def test_a_notebook_that_prints_too_much_is_stopped_and_the_right_cell_named(
    git_repo: Path,
) -> None:
    """#11.11/#16: the output cap blamed the next cell (or passed); a stopped kernel read as
    a death and the dropped output left no trace."""
    jupyter_notebook(
        git_repo / "logs.ipynb",
        [
            # committed stripped, as the strip hook leaves it
            code("print('setup done')"),
            code("for i in range(4_000):\n    print('training step', i, '.' * 300)"),
            code("print('the end')"),
        ],
    )
    commit_all(git_repo, "a chatty notebook")
    proc = nbtools("run", "--max-output-bytes", "1000000", "--html", "html", ".", cwd=git_repo)
    assert proc.returncode == 1
    assert "in cell 2, which printed" in proc.stdout
    assert "a cap for all outputs of the notebook together" in proc.stdout
    assert "died" not in proc.stdout + proc.stderr
    page = (git_repo / "html" / "logs.html").read_text()
    assert "output dropped here" in page  # where the output stops, the page says so
    # the user raises the cap for this project; the run passes
    (git_repo / "pyproject.toml").write_text("[tool.nbtools.run]\nmax_output_bytes = 20000000\n")
    code_, report = run_report(git_repo, "logs.ipynb")
    assert code_ == 0, report["notebooks"][0]["reason"]


TOKEN = "ghp_R8x2Kq9LmZ4vT7bN1cW5yH3jD6fG0sAeP2uX"  # made up; nbtools: allow


def test_scan_then_run_show_a_leaked_token_only_masked(git_repo: Path) -> None:
    """#17.5: the run's text report printed a token that scan masks."""
    jupyter_notebook(
        git_repo / "api.ipynb",
        [
            code(f'TOKEN = "{TOKEN}"\nprint(TOKEN)', [stream(TOKEN + "\n")], 1),
            code("import requests_that_do_not_exist\nrequests_that_do_not_exist.get(TOKEN)"),
        ],
    )
    commit_all(git_repo, "api notebook")
    scan = nbtools("scan", ".", cwd=git_repo)
    assert scan.returncode == 1 and "ghp_...P2uX" in scan.stdout
    assert TOKEN not in scan.stdout + scan.stderr
    for fmt in ("text", "json", "junit", "sarif", "github"):
        proc = nbtools("run", "--format", fmt, "--html", "html", ".", cwd=git_repo)
        assert proc.returncode == 1, proc.stderr
        assert "ModuleNotFoundError" in proc.stdout + proc.stderr, fmt
        assert TOKEN not in proc.stdout + proc.stderr, fmt
        assert TOKEN[4:12] not in proc.stdout + proc.stderr, fmt
    page = (git_repo / "html" / "api.html").read_text()
    assert "ModuleNotFoundError" in page and TOKEN[4:12] not in page
    # the user's notebook is untouched: scan keeps finding the real thing
    assert TOKEN in (git_repo / "api.ipynb").read_text()


def test_an_edit_saved_during_run_write_survives(git_repo: Path) -> None:
    """#17.7: `run --write` overwrote an edit saved to the notebook while it ran."""
    import subprocess
    import sys
    import time

    notebook = jupyter_notebook(
        git_repo / "slow.ipynb",
        [code("import time\ntime.sleep(4)"), code("print('trained')")],
    )
    commit_all(git_repo, "slow notebook")
    proc = subprocess.Popen(
        [sys.executable, "-m", "nbtools", "run", "--write", "slow.ipynb"],
        cwd=git_repo,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(2)  # the kernel is sleeping in cell 1: the user saves an edit in Jupyter
    jupyter_notebook(notebook, [code("print('my new idea')")])
    saved = notebook.read_bytes()
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, err
    assert notebook.read_bytes() == saved
    assert "run/write-conflict" in out and "your version is kept" in out
    # run again: nothing changes meanwhile, the fresh outputs are stored
    assert nbtools("run", "--write", "slow.ipynb", cwd=git_repo).returncode == 0
    import nbformat

    cell = nbformat.read(str(notebook), as_version=4).cells[0]
    assert cell.source == "print('my new idea')"
    assert cell.outputs[0]["text"] == "my new idea\n"


def test_a_background_server_started_by_a_notebook_is_gone_after_the_run(git_repo: Path) -> None:
    """#17.6: `setsid`/`nohup ... &` daemons started by a cell outlived `nbtools run`."""
    import os
    import time

    marker = f"34{os.getpid() % 1000}.{time.monotonic_ns() % 10**6}"
    jupyter_notebook(
        git_repo / "serve.ipynb",
        [
            code(f"!sh -c 'setsid nohup sleep {marker} > /dev/null 2>&1 &'"),
            code(f"import os\nos.system('sleep {marker} &')"),
            code("print('server started')"),
        ],
    )
    commit_all(git_repo, "a notebook that starts a server")
    assert nbtools("run", ".", cwd=git_repo).returncode == 0

    def alive() -> list[str]:
        found = []
        for entry in os.listdir("/proc"):
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as handle:
                    if marker.encode() in handle.read().split(b"\0"):
                        found.append(entry)
            except OSError:
                continue
        return found

    assert not alive(), alive()


def test_the_ci_job_summary_does_not_call_a_nondeterministic_notebook_a_pass(
    git_repo: Path, tmp_path: Path
) -> None:
    """#11.16: the GitHub job summary showed `nondeterministic` as pass."""
    jupyter_notebook(
        git_repo / "dice.ipynb",
        [
            code("import random"),
            code("print(random.random())", [stream("0.123\n")], 2),
        ],
    )
    jupyter_notebook(git_repo / "fixed.ipynb", [code("print(2 + 2)", [stream("4\n")], 1)])
    commit_all(git_repo, "two notebooks")
    summary = tmp_path / "summary.md"
    proc = nbtools(
        "run", "--format", "github", ".", cwd=git_repo, env={"GITHUB_STEP_SUMMARY": str(summary)}
    )
    assert proc.returncode == 0  # nondeterminism warns, it does not fail
    text = summary.read_text()
    assert "| `./dice.ipynb` | 🟡 warning `nondeterministic` |" in text, text
    assert "| `./fixed.ipynb` | ✅ pass |" in text
    assert "::warning file=dice.ipynb" in proc.stdout
