"""Throwaway virtualenvs for the tests of which Python runs a kernel.

``python -m venv --without-pip`` is quick and offline; a ``.pth`` file lends it the test
interpreter's packages (ipykernel and friends), and ``project_only.py`` marks it, so a
notebook that imports ``project_only`` passes only on that environment's kernel.
"""

from __future__ import annotations

import subprocess
import sys
import sysconfig
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def throwaway_venv(prefix: Path, marker: str | None = None, *, with_nbtools: bool = False) -> Path:
    """A virtualenv at ``prefix`` that can run ipykernel; returns its python."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(prefix)], check=True)
    python = prefix / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    lent = [sysconfig.get_paths()["purelib"]]
    if with_nbtools:
        lent.insert(0, str(REPO))
    (site / "lent.pth").write_text("\n".join(lent) + "\n")
    if marker is not None:
        (site / "project_only.py").write_text(f"WHERE = {marker!r}\n")
    return python
