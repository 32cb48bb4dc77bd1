"""Kernel factories: kernelspecs, interpreter paths, the fork server and its isolation."""

from __future__ import annotations

import json
import os
import stat
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from conftest import make_cell, make_nb
from test_execute_executor import descendants

from nbtools.execute.direct import PORT_NAMES, DirectKernel, write_connection_file
from nbtools.execute.executor import execute_notebook
from nbtools.execute.forkserver import ForkServer
from nbtools.execute.kernels import LocalKernelFactory
from nbtools.execute.managed import ManagedKernel
from nbtools.execute.process import KernelRequest, KernelStartError, kernel_environment
from nbtools.execute.reaper import pid_alive
from nbtools.execute.specs import find_spec_lite, forkable, is_python_path
from nbtools.runs import FailureKind

SPEC_CASES = [
    # (argv, language, env, forkable?)
    ([sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"], "python", {}, True),
    (["python", "-m", "ipykernel_launcher", "-f", "{connection_file}"], "python", {}, True),
    (["/usr/bin/python2", "-m", "ipykernel_launcher", "-f", "{c}"], "python", {}, False),
    ([sys.executable, "-m", "ipykernel_launcher", "-f", "{c}"], "python", {"A": "1"}, False),
    (["julia", "-i", "kernel.jl", "{connection_file}"], "julia", {}, False),
    ([sys.executable, "-m", "other_kernel", "-f", "{c}"], "python", {}, False),
]


@pytest.mark.parametrize(("argv", "language", "env", "expected"), SPEC_CASES)
def test_only_this_interpreters_ipykernel_is_forked(
    argv: list[str], language: str, env: dict[str, str], expected: bool
) -> None:
    from jupyter_client.kernelspec import KernelSpec

    spec = KernelSpec(argv=argv, language=language, env=env, display_name="x")
    assert forkable(spec) is expected


@pytest.mark.parametrize(
    ("value", "expected"), [("python3", False), ("/usr/bin/python3", True), ("./py", True)]
)
def test_kernel_option_is_a_name_or_a_path(value: str, expected: bool) -> None:
    assert is_python_path(value) is expected


def test_unknown_kernel_names_say_what_to_do() -> None:
    with pytest.raises(KernelStartError, match="jupyter kernelspec list"):
        LocalKernelFactory("no-such-kernel-xyz").spec_for("python3")
    with pytest.raises(KernelStartError, match="no executable interpreter"):
        LocalKernelFactory("/nonexistent/python").spec_for("python3")


def _one_cell(factory: LocalKernelFactory, source: str, fresh: bool = False) -> Any:
    env = kernel_environment()
    kernel = factory(KernelRequest("python3", "/", env, fresh_parent=fresh))
    result = execute_notebook(make_nb([make_cell(source=source)]), kernel)
    return kernel, result


@pytest.mark.kernel
def test_interpreter_path_kernel_launches_that_interpreter(tmp_path: Path) -> None:
    wrapper = tmp_path / "python-wrapper"
    wrapper.write_text(f'#!/bin/sh\nexport VIA_WRAPPER=1\nexec {sys.executable} "$@"\n')
    wrapper.chmod(0o755)
    spec = LocalKernelFactory(str(wrapper)).spec_for("python3")
    assert spec.argv[:3] == [str(wrapper), "-m", "ipykernel_launcher"]
    with LocalKernelFactory(str(wrapper)) as factory:
        kernel, result = _one_cell(factory, "import os; print(os.environ.get('VIA_WRAPPER'))")
    # a different interpreter is never forked from this one: it is launched
    assert isinstance(kernel, DirectKernel)
    assert result.cells[0].outputs[0]["text"] == "1\n"


@pytest.mark.kernel
def test_interpreter_without_ipykernel_fails_with_its_own_words(tmp_path: Path) -> None:
    bare = tmp_path / "bare-python"
    bare.write_text("#!/bin/sh\necho 'No module named ipykernel_launcher' >&2\nexit 1\n")
    bare.chmod(0o755)
    with LocalKernelFactory(str(bare), startup_timeout=20) as factory:
        _, result = _one_cell(factory, "1")
    assert result.cells == {}
    assert result.failure is not None
    assert "failed to start" in result.failure
    assert result.failure_kind is FailureKind.START_FAILED
    assert "No module named ipykernel_launcher" in result.failure


@pytest.mark.kernel
def test_other_kernelspecs_go_through_jupyter_client(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "kernels" / "py-with-env"
    folder.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "language": "python",
        "display_name": "with env",
        "env": {"FROM_SPEC": "yes"},
    }
    (folder / "kernel.json").write_text(json.dumps(spec))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    lite = find_spec_lite("py-with-env")
    assert lite is not None and lite.env == {"FROM_SPEC": "yes"}
    with LocalKernelFactory() as factory:
        kernel = factory(KernelRequest("py-with-env", "/", kernel_environment()))
        result = execute_notebook(
            make_nb([make_cell(source="import os; print(os.environ['FROM_SPEC'])")]), kernel
        )
    assert isinstance(kernel, ManagedKernel)
    assert result.cells[0].outputs[0]["text"] == "yes\n"
    assert kernel.pid is not None and not pid_alive(kernel.pid)


@pytest.mark.kernel
def test_forked_kernels_are_new_processes_with_their_own_group() -> None:
    with LocalKernelFactory() as factory:
        code = "import os; print(os.getpid(), os.getpgid(0), os.getsid(0))"
        first, run1 = _one_cell(factory, code)
        second, run2 = _one_cell(factory, code)
        pid1, pgid1, sid1 = map(int, run1.cells[0].outputs[0]["text"].split())
        pid2, _, _ = map(int, run2.cells[0].outputs[0]["text"].split())
        assert first.label.endswith("(forked)")
        assert pid1 == first.pid and pid2 == second.pid and pid1 != pid2
        assert pgid1 == pid1 == sid1  # its own session: killed as a group
        assert not pid_alive(pid1) and not pid_alive(pid2)
        server_pids = {s.proc.pid for s in factory._servers.values()}
    assert not any(pid_alive(pid) for pid in server_pids)


@pytest.mark.kernel
def test_repeat_runs_come_from_parents_with_different_hash_seeds() -> None:
    code = "print(hash('nbtools'))"
    with LocalKernelFactory() as factory:
        same = {_one_cell(factory, code)[1].cells[0].outputs[0]["text"] for _ in range(2)}
        fresh = _one_cell(factory, code, fresh=True)[1].cells[0].outputs[0]["text"]
    assert len(same) == 1  # forks of one parent share its hash seed ...
    assert fresh not in same  # ... so the repeat run forks from another parent


@pytest.mark.kernel
def test_fork_server_close_kills_the_kernels_it_forked() -> None:
    before = descendants(os.getpid())
    server = ForkServer(hash_seed=1)
    kernel = server.fork_kernel("/", kernel_environment())
    assert kernel.pid is not None and pid_alive(kernel.pid)
    server.close()
    assert not pid_alive(kernel.pid)
    assert descendants(os.getpid()) <= before
    assert not os.path.exists(server.tmpdir)


def test_a_venv_on_the_same_base_interpreter_is_not_the_same_interpreter(tmp_path: Path) -> None:
    import subprocess
    import sys

    from nbtools.execute.specs import same_interpreter

    venv = tmp_path / "other"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    # same binary (a symlink to the base python), other packages: must not fork from us
    assert not same_interpreter(str(venv / "bin" / "python"))
    assert same_interpreter(sys.executable)


def test_connection_files_use_unix_sockets_beside_them(tmp_path: Path) -> None:
    path = tmp_path / "kernel-1.json"
    info = write_connection_file(str(path))
    assert info["transport"] == "ipc"
    assert info["ip"] == str(tmp_path / "kernel-1-ipc")
    assert sorted(info[name] for name in PORT_NAMES) == [1, 2, 3, 4, 5]
    assert json.loads(path.read_text()) == info
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_connection_files_fall_back_to_tcp_where_a_socket_name_would_be_too_long(
    tmp_path: Path,
) -> None:
    deep = tmp_path / ("d" * 100)
    deep.mkdir()
    info = write_connection_file(str(deep / "kernel.json"))
    assert (info["transport"], info["ip"]) == ("tcp", "127.0.0.1")
    assert len({info[name] for name in PORT_NAMES}) == 5


@pytest.mark.kernel
def test_kernels_started_together_all_come_up_on_their_own_sockets() -> None:
    # port-picking launchers race here ("Address already in use"); sockets cannot
    code = "import os; print(os.getpid())"
    with LocalKernelFactory() as factory:
        requests = [KernelRequest("python3", "/", kernel_environment()) for _ in range(6)]
        with ThreadPoolExecutor(max_workers=6) as pool:
            kernels = list(pool.map(factory, requests))
        assert len({k.connection_info["ip"] for k in kernels}) == 6
        assert all(k.connection_info["transport"] == "ipc" for k in kernels)
        runs = [execute_notebook(make_nb([make_cell(source=code)]), k) for k in kernels]
    assert [r.failure for r in runs] == [None] * 6
    assert [int(r.cells[0].outputs[0]["text"]) for r in runs] == [k.pid for k in kernels]
