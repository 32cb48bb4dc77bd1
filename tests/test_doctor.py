"""``nbtools doctor`` against a real engine and the real TF 2.9 image."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from container_support import (  # noqa: F401 - fixtures
    IMAGE,
    KERNEL_UID,
    container_engine,
    image_without_ipykernel_fixture,
    podman_engine,
    tree_copy,
)

from nbtools.cli import main
from nbtools.container.doctor import run_checks
from nbtools.container.engine import ContainerError
from nbtools.container.options import ContainerSpec
from nbtools.container.probe import preflight, probe

pytestmark = pytest.mark.container


def doctor(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    code = main(["doctor", "--format", "json", *args])
    data = json.loads(capsys.readouterr().out)
    return code, {c["check"]: c for c in data["checks"]}


def test_healthy_image_passes(
    engine: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, checks = doctor(
        capsys, "--engine", engine, "--image", IMAGE, "--memory", "4g", str(tmp_path)
    )
    assert code == 0
    assert checks["engine"]["status"] == "ok"
    assert checks["ipykernel"]["message"].startswith("ipykernel 5.1.1 (Python 3.8")
    assert checks["tensorflow"]["message"] == "tensorflow 2.9.0"
    assert checks["mount"]["status"] == "ok"
    assert checks["memory"] == {
        "check": "memory",
        "status": "ok",
        "message": "limit 4.0 GiB enforced",
        "fix": "",
    }


def test_text_output_lists_checks(
    podman: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code = main(["doctor", "--engine", podman, "--image", IMAGE, str(tmp_path)])
    out = capsys.readouterr()
    assert code == 0
    assert "ok       tensorflow  tensorflow 2.9.0" in out.out
    assert "ok       memory      limit 4.0 GiB enforced" in out.out  # the default limit
    assert f"ok       sandbox     uid {KERNEL_UID}; CapEff 0000000000000000; NoNewPrivs 1" in (
        out.out
    )
    assert "network none; memory 4g; pids 4096; a private copy of the tree" in out.out
    assert "nbtools doctor: 7 ok, 0 warning(s), 0 broken" in out.err


def test_widened_sandbox_is_a_warning(
    podman: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, checks = doctor(
        capsys,
        "--engine",
        podman,
        "--image",
        IMAGE,
        "--network",
        "host",
        "--memory",
        "none",
        str(tmp_path),
    )
    assert code == 0
    assert checks["sandbox"]["status"] == "warning"
    assert "widened by --network host, --memory none" in checks["sandbox"]["message"]
    assert checks["memory"]["status"] == "warning"


@pytest.mark.parametrize(
    ("args", "check", "expected"),
    [
        (["--image", "localhost/nbtools-no-such-image:1"], "image", "not present locally"),
        (["--engine", "no-such-engine-nbtools", "--image", IMAGE], "engine", "not found on PATH"),
        ([], "image", "no image given"),
        (["--image", IMAGE, "--gpus", "all"], "gpus", "sees no GPU"),
        (
            ["--image", IMAGE, "--writable-tree", "--container-user", "65534:65534"],
            "mount",
            "not writable",
        ),
        (["--image", IMAGE, "--tree", "readonly"], "mount", "cannot read the work tree"),
    ],
)
def test_broken_setups_exit_1_with_a_fix(
    podman: str,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    args: list,
    check: str,
    expected: str,
) -> None:
    if "readonly" in args and os.getuid() != 0:
        pytest.skip("as root the kernel runs as nobody, who cannot read a 0700 tmp_path")
    if "--writable-tree" in args:
        tmp_path.chmod(0o755)  # readable, yet not writable by the kernel's user
    code, checks = doctor(capsys, "--engine", podman, *args, str(tmp_path))
    assert code == 1
    assert checks[check]["status"] == "error"
    assert expected in checks[check]["message"]
    assert checks[check]["fix"]


def test_small_memory_limit_is_a_warning(
    podman: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, checks = doctor(capsys, "--image", IMAGE, "--memory", "1g", str(tmp_path))
    assert code == 0
    assert checks["memory"]["status"] == "warning"
    assert "below the ~2 GiB" in checks["memory"]["message"]


def test_docker_cli_without_daemon(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import shutil

    if shutil.which("docker") is None:
        pytest.skip("docker CLI not installed")
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/nothing.sock")
    code, checks = doctor(capsys, "--engine", "docker", "--image", IMAGE)
    assert code == 1
    assert "installed but not running" in checks["engine"]["message"]


def test_config_table_of_run_is_used(
    podman: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.nbtools.run]\nimage = "{IMAGE}"\nmemory = "3g"\n', encoding="utf-8"
    )
    code, checks = doctor(capsys, "--config", str(tmp_path / "pyproject.toml"), str(tmp_path))
    assert code == 0
    assert checks["image"]["message"] == f"{IMAGE} present"
    assert checks["memory"]["message"] == "limit 3.0 GiB enforced"


def test_image_without_ipykernel(
    image_without_ipykernel: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, checks = doctor(
        capsys, "--engine", "podman", "--image", image_without_ipykernel, str(tmp_path)
    )
    assert code == 1
    assert checks["ipykernel"]["status"] == "error"
    assert "pip install ipykernel" in checks["ipykernel"]["fix"]
    spec = ContainerSpec(image=image_without_ipykernel, engine="podman", work_tree=str(tmp_path))
    with pytest.raises(ContainerError, match="has no ipykernel"):
        preflight(spec)


def test_probe_reports_the_image(engine: str, tmp_path: Path) -> None:
    with tree_copy(ContainerSpec(image=IMAGE, engine=engine, work_tree=str(tmp_path))) as spec:
        result = probe(spec)
    assert result.python.startswith("3.8.")
    assert result.ipykernel == "5.1.1"
    assert result.writable and result.readable
    assert result.tensorflow is None  # only imported when asked (slow)
    assert result.data["uid"] == KERNEL_UID != 0
    assert (result.data["cap_eff"], result.data["no_new_privs"]) == ("0000000000000000", "1")
    assert result.data["root_writable"] is False
    assert result.sandbox_breaches() == []


def test_missing_mount_source_is_explained(podman: str, tmp_path: Path) -> None:
    spec = ContainerSpec(image=IMAGE, engine=podman, work_tree=str(tmp_path / "absent"))
    with pytest.raises(ContainerError, match="mount denied"):
        probe(spec)


def test_run_checks_is_pure_data(podman: str, tmp_path: Path) -> None:
    checks = run_checks({"image": IMAGE, "engine": podman, "memory": "8g"}, str(tmp_path))
    assert [c.name for c in checks] == [
        "engine",
        "image",
        "ipykernel",
        "tensorflow",
        "mount",
        "memory",
        "sandbox",
    ]
    assert all(c.status == "ok" for c in checks), [c.to_dict() for c in checks if c.status != "ok"]
