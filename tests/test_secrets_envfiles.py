"""Env-file rules: Jupyter configs, sshd_config, Dockerfiles (and `docker run` lines)."""

from __future__ import annotations

import pytest

from nbtools.secrets.engine import default_engine
from nbtools.secrets.envfiles import kind_of, scan_env_file
from nbtools.secrets.text_scan import scan_text


def rules(path: str, text: str) -> list[tuple[str, int | None]]:
    found = scan_text(path, text, default_engine())
    return [(f.rule, f.line) for f in found if f.suppression is None]


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("jupyter_server_config.py", "jupyter"),
        ("jupyter_notebook_config.py", "jupyter"),
        ("sshd_config", "sshd"),
        ("Dockerfile", "dockerfile"),
        ("Dockerfile.gpu", "dockerfile"),
        ("train.py", None),
    ],
)
def test_kind_of(name: str, kind: str | None) -> None:
    assert kind_of(f"some/dir/{name}") == kind


JUPYTER_OPEN = """c = get_config()
c.ServerApp.ip = '0.0.0.0'
c.ServerApp.token = ''
c.ServerApp.allow_root = True
"""
JUPYTER_SAFE = """c.ServerApp.ip = '0.0.0.0'
c.ServerApp.token = ''
c.ServerApp.hashed_password = 'argon2:$argon2id$v=19$m=10240,t=10,p=8$c2FsdA$aGFzaA'
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            JUPYTER_OPEN,
            [
                ("scan/jupyter-empty-token", 3),
                ("scan/jupyter-allow-root", 4),
                ("scan/jupyter-open-no-password", 2),
            ],
        ),
        (JUPYTER_SAFE, [("scan/jupyter-empty-token", 2)]),
        ("c.NotebookApp.ip = 'localhost'\n", []),
    ],
)
def test_jupyter_config(text: str, expected: list[tuple[str, int]]) -> None:
    assert rules("jupyter_server_config.py", text) == expected


def test_sshd_config() -> None:
    text = "Port 22\nPermitRootLogin yes\nPasswordAuthentication yes\nPermitEmptyPasswords no\n"
    assert rules("etc/ssh/sshd_config", text) == [
        ("scan/sshd-root-login", 2),
        ("scan/sshd-password-auth", 3),
        ("scan/sshd-no-allow-users", None),
    ]
    hardened = "PermitRootLogin prohibit-password\nPasswordAuthentication no\nAllowUsers jovyan\n"
    assert rules("sshd_config", hardened) == []


def test_dockerfile() -> None:
    text = "\n".join(
        [
            "FROM tensorflow/tensorflow:2.9.0-jupyter",
            "ARG PIP_INDEX_TOKEN",
            "ENV DB_PASSWORD=Xq7mP2vL9abc HOME=/root",
            "ENV API_KEY ${API_KEY}",
            "COPY id_rsa /root/.ssh/id_rsa",
            "COPY authorized_keys /root/.ssh/",
            "COPY id_rsa.pub /tmp/",
            "COPY requirements.txt /tmp/",
            "CMD jupyter lab --ip=0.0.0.0 --ServerApp.token='' --allow-root",
        ]
    )
    # the leaked value itself is a secret-assignment; baking it into the image is its own rule
    assert rules("Dockerfile", text) == [
        ("scan/secret-assignment", 3),
        ("scan/jupyter-no-token-cli", 9),
        ("scan/dockerfile-secret", 3),
        ("scan/dockerfile-key-copy", 5),
        ("scan/dockerfile-key-copy", 6),
    ]


def test_docker_run_in_a_shell_script() -> None:
    text = "#!/bin/sh\ndocker run -d -p 8888:8888 img start-notebook.sh --NotebookApp.token=\n"
    assert rules("run.sh", text) == [("scan/jupyter-no-token-cli", 2)]


def test_allow_comment_in_env_file() -> None:
    text = "PermitRootLogin yes  # nbtools: allow\nAllowUsers a\n"
    assert rules("sshd_config", text) == []
    # suppressed, not hidden: the comment is named as the source
    (found,) = scan_text("sshd_config", text, default_engine())
    assert found.suppression is not None
    assert (found.suppression.source, found.suppression.location) == ("comment", "sshd_config:1")


def test_env_rules_only_for_their_files() -> None:
    assert scan_env_file("notes.txt", "PermitRootLogin yes\n") == []
