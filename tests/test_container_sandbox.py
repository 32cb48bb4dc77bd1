"""The kernel cannot change the host: each attack of issue 17 as a notebook, in the TF 2.9 image.

Every notebook below asserts from inside the kernel what the sandbox must prevent, so a
breach is a failing cell; the host side checks what the notebook tried to change.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import make_cell, make_nb, write_nb
from container_support import IMAGE, KERNEL_UID, container_engine  # noqa: F401 - fixture

from nbtools.cli import main

pytestmark = [pytest.mark.container, pytest.mark.kernel]

ATTACKS = [
    # never root, even when nbtools is
    f"import os\nassert os.getuid() == {KERNEL_UID} != 0, os.getuid()",
    # no capabilities, no privileges to gain
    "status = dict(l.split(':', 1) for l in open('/proc/self/status'))\n"
    "assert int(status['CapEff'], 16) == 0, status['CapEff']\n"
    "assert status['NoNewPrivs'].strip() == '1'",
    # the image is read-only; /tmp is the container's own
    "import errno\ntry:\n    open('/usr/pwned', 'w')\n    raise AssertionError('wrote /usr')\n"
    "except OSError as exc:\n    assert exc.errno in (errno.EROFS, errno.EACCES), exc\n"
    "open('/tmp/scratch', 'w').write('ok')",
    # no network at all
    "import socket\ntry:\n    socket.create_connection(('1.1.1.1', 53), timeout=3)\n"
    "    raise AssertionError('network reachable')\nexcept OSError:\n    pass",
    # memory and processes are bounded
    "lim = None\nfor p in ('/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes'):\n"
    "    try:\n        lim = int(open(p).read())\n        break\n    except (OSError, ValueError):\n"
    "        pass\nassert lim == 4 * 1024**3, lim\n"
    "pids = None\nfor p in ('/sys/fs/cgroup/pids.max', '/sys/fs/cgroup/pids/pids.max'):\n"
    "    try:\n        pids = open(p).read().strip()\n        break\n    except OSError:\n"
    "        pass\nassert pids == '4096', pids",
    # only the environment passed explicitly (nbtools' own variables stay outside)
    "import os\nleaked = sorted(k for k in os.environ if k.startswith('NBTOOLS_TEST_SECRET'))\n"
    "assert leaked == [], leaked\nassert os.environ['GREETING'] == 'hi'",
    # .git is not there, so neither its hooks nor its credentials
    "import os\nassert not os.path.exists('../.git/config'), os.listdir('../.git')",
    # the notebook may write next to itself (into the copy)
    "open('out.csv', 'w').write('a,b\\n')\nopen('../top.txt', 'w').write('x')\n"
    "import os\nos.makedirs('../.git/hooks', exist_ok=True)\n"
    "open('../.git/hooks/post-checkout', 'w').write('#!/bin/sh\\ntouch /tmp/pwned\\n')",
]


def _repo(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / ".git" / "hooks").mkdir(parents=True)
    (tmp_path / ".git" / "config").write_text("[remote]\n token = ghp_x\n", encoding="utf-8")
    nb = write_nb(
        tmp_path / "nbs" / "attack.ipynb", make_nb([make_cell("code", a) for a in ATTACKS])
    )
    return tmp_path, nb


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    code = main(["run", "--format", "json", *args])
    return code, json.loads(capsys.readouterr().out)


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_every_attack_fails_and_the_tree_is_unchanged(
    engine: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NBTOOLS_TEST_SECRET", "s3cret")
    repo, nb = _repo(tmp_path)
    before = _snapshot(repo)
    code, report = _run(
        capsys, "--engine", engine, "--image", IMAGE, "--env", "GREETING=hi", str(nb)
    )
    entry = report["notebooks"][0]
    assert (code, entry["verdict"]) == (0, "pass"), entry.get("reason") or entry.get("failure")
    assert _snapshot(repo) == before  # no out.csv, no top.txt, no hook
    assert not (repo / ".git" / "hooks" / "post-checkout").exists()


@pytest.mark.parametrize("tree", ["readonly", "writable"])
def test_git_stays_hidden_and_read_only_when_the_tree_is_mounted(
    engine: str, tree: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo, _ = _repo(tmp_path)
    for path in [repo, *repo.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)  # readable by the kernel's user
    cell = (
        "import os\nassert os.listdir('../.git') == [], os.listdir('../.git')\n"
        "try:\n    open('../.git/hooks-post-checkout', 'w')\n    raise AssertionError('wrote .git')\n"
        "except OSError:\n    pass\n"
        "try:\n    open('../top.txt', 'w').write('x')\n    wrote = True\nexcept OSError:\n"
        "    wrote = False\nprint('WROTE', wrote)"
    )
    nb = write_nb(repo / "nbs" / "git.ipynb", make_nb([make_cell("code", cell)]))
    # writable: a user who owns the tree, so only the .git mask stands in the way
    user = ["--container-user", "0:0"] if tree == "writable" and os.getuid() == 0 else []
    code, report = _run(
        capsys, "--engine", engine, "--image", IMAGE, "--tree", tree, *user, str(nb)
    )
    entry = report["notebooks"][0]
    assert (code, entry["verdict"]) == (0, "pass"), entry.get("reason") or entry.get("failure")
    assert (repo / "top.txt").exists() is (tree == "writable")
    assert sorted(p.name for p in (repo / ".git").iterdir()) == ["config", "hooks"]
    assert list((repo / ".git" / "hooks").iterdir()) == []
