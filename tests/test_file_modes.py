"""Files nbtools creates follow the umask; files it replaces keep their mode."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import make_cell, make_nb, write_nb

from nbtools.cli import main

SCRIPT = """
import os, stat, sys
from nbtools.notebook import atomic_write
os.umask(int(sys.argv[1], 8))
folder = sys.argv[2]
atomic_write(os.path.join(folder, "new.txt"), b"new")
old = os.path.join(folder, "old.txt")
with open(old, "wb") as handle:
    handle.write(b"old")
os.chmod(old, 0o640)
atomic_write(old, b"replaced")
for name in ("new.txt", "old.txt"):
    print(oct(stat.S_IMODE(os.stat(os.path.join(folder, name)).st_mode)))
"""


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
@pytest.mark.parametrize(("umask", "new_mode"), [("022", "0o644"), ("077", "0o600")])
def test_new_files_follow_the_umask_and_replaced_ones_keep_their_mode(
    tmp_path: Path, umask: str, new_mode: str
) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, umask, str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
    )
    assert proc.stdout.split() == [new_mode, "0o640"]
    assert [p.name for p in tmp_path.iterdir() if "nbtools-tmp" in p.name] == []


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_a_stripped_notebook_keeps_an_unusual_mode(tmp_path: Path) -> None:
    nb = make_nb([make_cell("code", "x", execution_count=3)])
    path = write_nb(tmp_path / "nb.ipynb", nb)
    os.chmod(path, 0o664)
    assert main(["strip", str(path)]) == 1
    assert stat.S_IMODE(path.stat().st_mode) == 0o664
