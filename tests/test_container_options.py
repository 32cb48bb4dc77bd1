"""The ``docker|podman run`` command line and option handling (no engine needed)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nbtools.container.engine import ContainerError, detect_engine, explain_run_failure
from nbtools.container.options import (
    SANDBOX_USER,
    ContainerSpec,
    parse_memory,
    run_argv,
    spec_from_options,
)
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
    me = f"{os.getuid()}:{os.getgid()}"
    assert flag_values(argv, "--user") == [SANDBOX_USER if os.getuid() == 0 else me]
    assert "HOME=/tmp" in flag_values(argv, "-e")
    assert flag_values(argv, "-v") == ["/w:/w:ro", "/tmp/rt:/tmp/rt"]
    assert flag_values(argv, "-w") == ["/w/sub"]
    assert flag_values(argv, "--timeout") == ["3600"]
    assert argv[-3:] == ["img:1", "python3", "-V"]


@pytest.mark.parametrize(
    ("kw", "flag", "expected"),
    [
        ({"mount_at": "/tf/notebooks"}, "-v", ["/w:/tf/notebooks:ro"]),
        ({"memory": "8g"}, "--memory", ["8g"]),
        ({}, "--memory", ["4g"]),
        ({"memory": None}, "--memory", []),
        ({"memory": "none"}, "--memory", []),
        ({}, "--pids-limit", ["4096"]),
        ({"pids_limit": 0}, "--pids-limit", []),
        ({"tree": "writable"}, "-v", ["/w:/w"]),
        ({"tree": "copy", "scratch": "/tmp/c/tree"}, "-v", ["/tmp/c/tree:/w"]),
        ({"gpus": "all"}, "--gpus", ["all"]),
        ({"network": "host"}, "--network", ["host"]),
        ({"user": "1000:1000"}, "--user", ["1000:1000"]),
        ({"user": "image"}, "--user", []),
        ({"volumes": ("/data:/data:ro",)}, "-v", ["/w:/w:ro", "/data:/data:ro"]),
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
        ({"tree": "overlay"}, "expected one of copy, readonly, writable"),
        ({"memory": "0g"}, "--memory none"),
    ],
)
def test_spec_from_options_rejects(options: dict, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        spec_from_options({"image": "i", **options}, "podman", "/w")


def test_spec_from_options_defaults(tmp_path) -> None:  # type: ignore[no-untyped-def]
    s = spec_from_options({"image": "i", "memory": "2g"}, "podman", str(tmp_path))
    assert (s.network, s.mount_at, s.timeout, s.memory) == ("none", "same", 3600, "2g")
    assert s.work_tree == str(tmp_path)
    s = spec_from_options({"image": "i"}, "podman", str(tmp_path))
    assert (s.tree, s.memory, s.pids_limit, s.user) == ("copy", "4g", 4096, None)
    assert spec_from_options({"image": "i", "memory": "none"}, "podman", "/w").memory is None


def test_the_kernel_cannot_change_the_host_by_default() -> None:
    argv = run_argv(spec(), "n", ["true"])
    assert flag_values(argv, "--cap-drop") == ["ALL"]
    assert flag_values(argv, "--security-opt") == ["no-new-privileges"]
    assert "--read-only" in argv
    assert [t.split(":")[0] for t in flag_values(argv, "--tmpfs")] == ["/tmp"]
    assert flag_values(argv, "--network") == ["none"]
    if os.getuid() == 0:
        assert flag_values(argv, "--user") == [SANDBOX_USER]  # never root, even for root


@pytest.mark.parametrize("tree", ["readonly", "writable"])
@pytest.mark.parametrize("git_is_a_file", [False, True])
def test_git_is_hidden_behind_an_empty_read_only_mount(
    tree: str, git_is_a_file: bool, tmp_path: Path
) -> None:
    if git_is_a_file:  # a worktree or submodule: .git is a file naming the real one
        (tmp_path / ".git").write_text("gitdir: /elsewhere\n", encoding="utf-8")
    else:
        (tmp_path / ".git" / "hooks").mkdir(parents=True)
    argv = run_argv(spec(work_tree=str(tmp_path), tree=tree), "n", ["true"])
    mounts = flag_values(argv, "-v")
    mask = [m for m in mounts if m.endswith(f"{tmp_path}/.git:ro")]
    assert len(mask) == 1
    source = mask[0].split(":")[0]
    assert os.path.isdir(source) is not git_is_a_file
    assert (os.listdir(source) if not git_is_a_file else Path(source).read_text()) in ([], "")


def test_copy_mode_needs_its_copy() -> None:
    with pytest.raises(UsageError, match="tree copy"):
        run_argv(spec(tree="copy"), "n", ["true"])


def test_tree_copy_leaves_out_git_and_special_files(tmp_path: Path) -> None:
    from nbtools.container.tree import copy_tree, remove_copy

    tree = tmp_path / "repo"
    (tree / ".git" / "hooks").mkdir(parents=True)
    (tree / "sub" / ".git").mkdir(parents=True)  # a nested repository's is kept
    (tree / "sub" / "data.csv").write_text("a,b\n", encoding="utf-8")
    (tree / "link").symlink_to("/etc/passwd")
    os.mkfifo(tree / "pipe")
    (tree / ".venv" / "lib").mkdir(parents=True)
    (tree / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n", encoding="utf-8")
    (tree / "sub" / "__pycache__").mkdir()
    copy = copy_tree(str(tree), "65534:65534")
    try:
        names = sorted(str(p.relative_to(copy)) for p in Path(copy).rglob("*"))
        assert names == ["link", "sub", "sub/.git", "sub/data.csv"]
        assert os.readlink(Path(copy) / "link") == "/etc/passwd"  # a link, never followed
        if os.getuid() == 0:
            assert (Path(copy) / "sub" / "data.csv").stat().st_uid == 65534
    finally:
        remove_copy(copy)
    assert not Path(copy).parent.exists()
    assert (tree / ".git" / "hooks").is_dir()  # the original is untouched


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


def test_copies_left_by_a_killed_run_are_swept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    from nbtools.container.tree import PREFIX, copy_tree, remove_copy

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    stale = tmp_path / f"{PREFIX}999999999-abc" / "tree"  # no such pid
    stale.mkdir(parents=True)
    live = tmp_path / f"{PREFIX}{os.getpid()}-def" / "tree"
    live.mkdir(parents=True)
    (tmp_path / "repo").mkdir()
    copy = copy_tree(str(tmp_path / "repo"), None)
    assert not stale.parent.exists()
    assert live.is_dir()
    remove_copy(copy)
