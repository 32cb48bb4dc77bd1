"""The ``docker|podman run`` command line and option handling (no engine needed)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nbtools.container.engine import ContainerError, detect_engine, explain_run_failure
from nbtools.container.options import ContainerSpec, parse_memory, run_argv, spec_from_options
from nbtools.errors import UsageError


def spec(**kw: object) -> ContainerSpec:
    base = {"image": "img:1", "engine": "/usr/bin/podman", "work_tree": "/w"}
    base.update(kw)
    return ContainerSpec(**base)  # type: ignore[arg-type]


def flag_values(argv: list, flag: str) -> list:
    return [argv[i + 1] for i, a in enumerate(argv) if a == flag]


def test_defaults_network_none_user_home_mount_same_path() -> None:
    argv = run_argv(spec(), "nbtools-x", ["python3", "-V"], cwd="/w/sub", runtime_dir="/tmp/rt")
    assert argv[:7] == ["/usr/bin/podman", "run", "--rm", "-i", "--init", "--name", "nbtools-x"]
    assert flag_values(argv, "--network") == ["none"]
    assert flag_values(argv, "--user") == [f"{os.getuid()}:{os.getgid()}"]
    assert "HOME=/tmp" in flag_values(argv, "-e")
    assert flag_values(argv, "-v") == ["/w:/w", "/tmp/rt:/tmp/rt"]
    assert flag_values(argv, "-w") == ["/w/sub"]
    assert flag_values(argv, "--timeout") == ["3600"]
    assert argv[-3:] == ["img:1", "python3", "-V"]


@pytest.mark.parametrize(
    ("kw", "flag", "expected"),
    [
        ({"mount_at": "/tf/notebooks"}, "-v", ["/w:/tf/notebooks"]),
        ({"memory": "4g"}, "--memory", ["4g"]),
        ({"gpus": "all"}, "--gpus", ["all"]),
        ({"network": "host"}, "--network", ["host"]),
        ({"user": "1000:1000"}, "--user", ["1000:1000"]),
        ({"user": "image"}, "--user", []),
        ({"volumes": ("/data:/data:ro",)}, "-v", ["/w:/w", "/data:/data:ro"]),
        ({"env": ("A=1",)}, "-e", ["HOME=/tmp", "A=1"]),
        ({"labels": {"nbtools.pid": "7"}}, "--label", ["nbtools.pid=7"]),
        ({"engine": "docker"}, "--timeout", []),  # docker run has no --timeout
    ],
)
def test_option_flags(kw: dict, flag: str, expected: list) -> None:
    argv = run_argv(spec(**kw), "n", ["true"])
    assert flag_values(argv, flag) == expected


def test_mount_at_maps_the_working_directory() -> None:
    s = spec(mount_at="/tf/notebooks")
    assert s.container_path("/w/a/b") == "/tf/notebooks/a/b"
    assert s.container_path("/w") == "/tf/notebooks"
    assert flag_values(run_argv(s, "n", ["true"], cwd="/w/a"), "-w") == ["/tf/notebooks/a"]


def test_path_outside_work_tree_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="outside the mounted work tree"):
        spec().container_path("/elsewhere")


def test_transport_follows_network() -> None:
    assert spec().transport == "ipc"
    assert spec(network="host").transport == "tcp"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("512m", 512 * 1024**2), ("4g", 4 * 1024**3), ("2GB", 2 * 1024**3), ("1000", 1000)],
)
def test_parse_memory(text: str, expected: int) -> None:
    assert parse_memory(text) == expected


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"memory": "lots"}, "expected a size"),
        ({"mount_at": "relative"}, "absolute container path"),
        ({"network": "bridge"}, "expected none or host"),
    ],
)
def test_spec_from_options_rejects(options: dict, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        spec_from_options({"image": "i", **options}, "podman", "/w")


def test_spec_from_options_defaults(tmp_path) -> None:  # type: ignore[no-untyped-def]
    s = spec_from_options({"image": "i", "memory": "2g"}, "podman", str(tmp_path))
    assert (s.network, s.mount_at, s.timeout, s.memory) == ("none", "same", 3600, "2g")
    assert s.work_tree == str(tmp_path)


def test_detect_engine_names_what_is_missing() -> None:
    with pytest.raises(ContainerError, match="not found on PATH"):
        detect_engine("no-such-engine-nbtools")


def test_detect_engine_without_any(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ContainerError, match="no container engine found: install podman"):
        detect_engine()


@pytest.mark.parametrize(
    ("stderr", "expected"),
    [
        ("Error: mounts denied: the path /x is not shared from the host", "mount denied"),
        ("/usr/bin/python3: No module named ipykernel_launcher", "has no ipykernel"),
        ('could not select device driver "" with capabilities: [[gpu]]', "NVIDIA"),
        ("something else entirely", None),
    ],
)
def test_explain_run_failure(stderr: str, expected: str | None) -> None:
    message = explain_run_failure(stderr, "img", "/w")
    if expected is None:
        assert message is None
    else:
        assert message is not None and expected in message


def test_the_mounted_work_tree_is_the_repository_holding_every_notebook(tmp_path: Path) -> None:
    from nbtools.container.factory import work_tree

    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "a" / "b").mkdir(parents=True)
    (repo / "c").mkdir()
    assert work_tree([str(repo / "a" / "b"), str(repo / "c")]) == str(repo)
    plain = tmp_path / "plain"
    (plain / "x").mkdir(parents=True)
    (plain / "y").mkdir()
    assert work_tree([str(plain / "x"), str(plain / "y")]) == str(plain)
