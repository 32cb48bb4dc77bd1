"""What a ``pyproject.toml`` in the tree may set: narrowing yes, widening or choosing a program no."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from conftest import make_cell, make_nb, write_nb

from nbtools.cli import main
from nbtools.config import Config, load_config
from nbtools.errors import ConfigError
from nbtools.trust import WIDENING, is_kernel_name, refuse_widening

#: one widening value per key of the table, as TOML
WIDENING_VALUES = {
    "engine": '"./evil.sh"',
    "kernel": '"/usr/bin/python3"',
    "container_volumes": '["/:/host"]',
    "network": '"host"',
    "container_user": '"0:0"',
    "gpus": '"all"',
    "env": '["LD_PRELOAD=/tmp/x.so"]',
    "tree": '"writable"',
    "memory": '"none"',
    "pids_limit": "0",
    "cache": '"../../elsewhere/cache"',
}

#: what a tree may set (it only narrows, or names what is already allowed)
NARROWING = {
    "engine": "podman",
    "kernel": "python3",
    "container_volumes": [],
    "network": "none",
    "memory": "2g",
    "pids_limit": 100,
    "tree": "readonly",
    "image": "tensorflow/tensorflow:2.9.0-jupyter",
    "container_timeout": 60,
    "timeout": 5.0,
    "mount_at": "/tf/notebooks",
    "cache": ".nbtools-cache",
}


def test_the_table_covers_every_widening_key_tested_here() -> None:
    # `command` is install's (git runs it): tests/test_install.py refuses it from the tree;
    # `baseline` is scan's and check's (test_tree_baseline_cannot_write_outside below)
    assert sorted(w.key for w in WIDENING) == sorted([*WIDENING_VALUES, "command", "baseline"])


def _tree(tmp_path: Path, key: str, toml_value: str, table: str = "run") -> Path:
    folder = tmp_path / "pr"
    (folder / "pyproject.toml").parent.mkdir(parents=True, exist_ok=True)
    (folder / "pyproject.toml").write_text(
        f"[tool.nbtools.{table}]\n{key} = {toml_value}\n", encoding="utf-8"
    )
    return write_nb(folder / "nb.ipynb", make_nb([make_cell("code", "print(1)")]))


@pytest.mark.parametrize("key", sorted(WIDENING_VALUES))
@pytest.mark.parametrize("command", ["run", "doctor"])
def test_tree_pyproject_cannot_widen(
    key: str, command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if command == "doctor" and key in ("kernel", "env"):
        pytest.skip("doctor has no such setting")
    nb = _tree(tmp_path, key, WIDENING_VALUES[key])
    code = main([command, str(nb)] if command == "run" else [command, str(nb.parent)])
    err = capsys.readouterr().err
    assert code == 2
    flag = next(w.flag for w in WIDENING if w.key == key)
    assert str(nb.parent / "pyproject.toml") in err
    assert f"tool.nbtools.run.{key}" in err and flag in err and "--config" in err


def test_engine_script_shipped_in_the_tree_is_never_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nb = _tree(tmp_path, "engine", '"./evil.sh"')
    marker = tmp_path / "pwned"
    evil = nb.parent / "evil.sh"
    evil.write_text(f"#!/bin/sh\ntouch {marker}\n", encoding="utf-8")
    evil.chmod(evil.stat().st_mode | stat.S_IXUSR)
    cwd = os.getcwd()
    os.chdir(nb.parent)
    try:
        code = main(["run", "--image", "img:1", str(nb)])
    finally:
        os.chdir(cwd)
    assert code == 2
    assert not marker.exists()
    assert "tool.nbtools.run.engine = './evil.sh' is refused" in capsys.readouterr().err


@pytest.mark.parametrize(("key", "value"), sorted(NARROWING.items()))
def test_tree_pyproject_may_narrow(key: str, value: object) -> None:
    config = Config(path="/t/pyproject.toml", data={"run": {key: value}})
    refuse_widening(config, "run")  # no error


@pytest.mark.parametrize("key", sorted(WIDENING_VALUES))
def test_a_config_file_named_with_config_may_widen(key: str, tmp_path: Path) -> None:
    path = tmp_path / "ci.toml"
    path.write_text(f"[tool.nbtools.run]\n{key} = {WIDENING_VALUES[key]}\n", encoding="utf-8")
    config = load_config([], str(path))
    assert config.trusted
    refuse_widening(config, "run")  # no error
    tree = load_config([str(_tree(tmp_path, key, WIDENING_VALUES[key]))])
    assert not tree.trusted
    with pytest.raises(ConfigError):
        refuse_widening(tree, "run")


def test_the_command_line_wins_so_the_tree_value_is_unused() -> None:
    config = Config(path="/t/pyproject.toml", data={"run": {"engine": "/t/evil"}})
    refuse_widening(config, "run", (), {"engine": "podman"})
    with pytest.raises(ConfigError, match="engine"):
        refuse_widening(config, "run", (), {"engine": None})


def test_doctor_reads_the_run_table_too() -> None:
    config = Config(path="/t/pyproject.toml", data={"run": {"network": "host"}})
    with pytest.raises(ConfigError, match=r"tool\.nbtools\.run\.network"):
        refuse_widening(config, "doctor", ("run",))


@pytest.mark.parametrize(
    ("name", "plain"),
    [
        ("python3", True),
        ("conda-env-tf_2.9-py", True),
        ("/usr/bin/python3", False),
        ("../../tmp/evil", False),
        ("..", False),
        ("a\\b", False),
        ("", False),
        ("x y", False),
    ],
)
def test_kernel_names_are_plain_names(name: str, plain: bool) -> None:
    assert is_kernel_name(name) is plain


def _evil_kernel_notebook(folder: Path, marker: Path, name: str = "evil.sh") -> tuple[Path, Path]:
    script = folder / name
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(f"#!/bin/sh\ntouch {marker}\n", encoding="utf-8")
    script.chmod(0o755)
    meta = {"kernelspec": {"name": str(script), "display_name": "x", "language": "python"}}
    return write_nb(folder / "evil.ipynb", make_nb([make_cell("code", "1")], metadata=meta)), script


def test_kernelspec_name_that_is_a_path_is_never_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    marker = tmp_path / "pwned"
    evil, _ = _evil_kernel_notebook(tmp_path / "nbs", marker)
    good = write_nb(tmp_path / "nbs" / "good.ipynb", make_nb([make_cell("code", "print(1)")]))
    code = main(["run", "--format", "json", "--no-fork", str(evil), str(good)])
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    assert not marker.exists()
    verdicts = {Path(n["path"]).name: n for n in report["notebooks"]}
    assert verdicts["good.ipynb"]["verdict"] == "pass"  # the batch goes on
    failure = verdicts["evil.ipynb"]["failure"]
    assert "kernelspec name" in failure and "not a plain kernel name" in failure
    assert [f["rule"] for f in report["findings"]] == ["run/start-failed"]


@pytest.mark.parametrize("name", ["../../../../tmp/k", "/usr/bin/python3", "a/b"])
def test_local_factory_refuses_path_names_but_not_kernel_override(name: str) -> None:
    from nbtools.execute.kernels import LocalKernelFactory
    from nbtools.execute.process import KernelStartError

    with LocalKernelFactory() as factory, pytest.raises(KernelStartError, match="plain kernel"):
        factory.spec_for(name)
    with LocalKernelFactory("python3") as factory:  # --kernel wins: the name is not used
        assert factory.spec_for(name) is not None


def test_container_factory_refuses_path_names_too(tmp_path: Path) -> None:
    from nbtools.container.factory import ContainerKernelFactory
    from nbtools.container.options import ContainerSpec
    from nbtools.execute.process import KernelRequest, KernelStartError

    factory = ContainerKernelFactory(ContainerSpec("img:1", "/nonexistent/podman", str(tmp_path)))
    with pytest.raises(KernelStartError, match="not a plain kernel name"):
        factory(KernelRequest("/bin/sh", str(tmp_path), {}))


def test_pull_request_workflow_runs_untrusted_notebooks_with_protected_settings() -> None:
    yaml = pytest.importorskip("yaml")
    from conftest import REPO

    data = yaml.safe_load((REPO / ".github" / "workflows" / "pull-requests.yml").read_text())
    on = data.get("on", data.get(True))
    assert list(on) == ["pull_request"]  # never pull_request_target
    assert data["permissions"] == {"contents": "read"}
    (job,) = data["jobs"].values()
    assert "permissions" not in job and "secrets" not in str(job)
    checkout = job["steps"][0]
    assert checkout["uses"].startswith("actions/checkout@")
    assert checkout["with"]["persist-credentials"] is False
    assert "HEAD^1:.github/nbtools-ci.toml" in job["steps"][1]["run"]  # the protected branch
    (run,) = [s for s in job["steps"] if s.get("uses") == "./"]
    assert run["with"]["args"].startswith("--config ${{ env.CI_CONFIG }}")
    assert not data["env"]["CI_CONFIG"].startswith(".")  # outside the tree
    for widening in ("--writable-tree", "--network", "--container-volume", "--env", "--gpus"):
        assert widening not in run["with"]["args"]
    config = load_config([], str(REPO / ".github" / "nbtools-ci.toml"))
    assert config.trusted and config.table("run")["memory"] == "4g"


@pytest.mark.parametrize("command", ["scan", "check"])
def test_tree_baseline_cannot_write_outside_the_repository(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A pull request's pyproject.toml names a baseline outside the repository, directly or
    through a link it ships: refused before anything is read or written."""
    repo = tmp_path / "repo"
    nb = write_nb(repo / "nb.ipynb", make_nb([make_cell("code", "print(1)")]))
    (repo / ".git").mkdir()
    (repo / "link").symlink_to(tmp_path / "victim.json")
    for value in ("../outside.json", "link", str(tmp_path / "abs.json")):
        (repo / "pyproject.toml").write_text(
            f'[tool.nbtools.scan]\nbaseline = "{value}"\n', encoding="utf-8"
        )
        args = [command, str(nb)] + (["--update-baseline"] if command == "scan" else [])
        assert main(args) == 2, value
        assert "would write outside the repository" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["repo"]
    # inside the repository it is the team's own choice
    (repo / "pyproject.toml").write_text('[tool.nbtools.scan]\nbaseline = ".b.json"\n')
    assert main(["scan", "--update-baseline", str(nb)]) == 0
    assert (repo / ".b.json").exists()


@pytest.mark.parametrize(
    ("folder", "leaves"),
    [
        (".nbtools-cache", False),
        ("build/cache", False),
        ("/tmp/cache", True),
        ("../cache", True),
        ("a/../../cache", True),
        ("out/cache", True),  # a link the tree ships, out of it
    ],
)
def test_a_tree_may_keep_its_run_cache_only_inside_itself(
    folder: str, leaves: bool, tmp_path: Path
) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "out").symlink_to(tmp_path.parent)
    config = Config(path=str(tmp_path / "pyproject.toml"), data={"run": {"cache": folder}})
    if leaves:
        with pytest.raises(ConfigError, match=r"tool\.nbtools\.run\.cache.*--cache"):
            refuse_widening(config, "run")
    else:
        refuse_widening(config, "run")
