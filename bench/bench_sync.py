"""Sync benchmark: ``nbtools sync --check`` against ``jupytext --sync``, side by side.

    .venv/bin/python bench/bench_sync.py [--repeat 7] [--write]

Both tools get their own copy of ``../shared/corpus/public``, paired by ``nbtools pair``
(every notebook jupytext can convert: 62 of the 64; the copies are not timed). Each tool
then runs as a separate process over the same list of paired notebooks, round-robin so
that load from other processes falls on both alike; the median wall time is reported.
The pairs are already in sync (``jupytext --sync`` runs once, untimed, before timing).

a. ``nbtools sync --check`` with the sync record (the fast path: hashes only);
b. ``nbtools sync --check`` without a record (every pair compared through jupytext);
c. ``jupytext --sync`` on the same pairs.

Zero writes are verified for nbtools (bytes and mtimes of every file, record included).
``--write`` replaces the ``## sync`` section of docs/benchmarks.md with the results.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("NBTOOLS_SHARED", REPO.parent / "shared")) / "corpus" / "public"
BIN = Path(sys.executable).parent
DOC = REPO / "docs" / "benchmarks.md"
STATE = ".nbtools-sync.json"


def env() -> dict[str, str]:
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "NO_COLOR": "1"}


def run(argv: list[str], cwd: Path, ok: tuple[int, ...] = (0,)) -> float:
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, env=env(), capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode not in ok:
        raise SystemExit(
            f"{' '.join(argv[:3])} failed ({proc.returncode}):\n{proc.stderr.decode(errors='replace')[-2000:]}"
        )
    return elapsed


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in folder.rglob("*")
        if p.is_file() and ".git" not in p.parts
    }


def prepare(root: Path, name: str) -> tuple[Path, list[str]]:
    work = root / name
    shutil.copytree(CORPUS, work)
    subprocess.run(["git", "init", "-q", str(work)], check=True)
    run([str(BIN / "nbtools"), "pair", "."], work, ok=(0, 1, 2))
    paired = sorted(p.name for p in work.glob("*.ipynb") if p.with_suffix(".py").exists())
    return work, paired


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        raise SystemExit(f"{CORPUS} not found (../shared is needed for this benchmark)")
    with tempfile.TemporaryDirectory(prefix="nbtools-bench-sync-") as tmp:
        root = Path(tmp)
        ours, paired = prepare(root, "nbtools")
        bare, _ = prepare(root, "nbtools-no-record")
        (bare / STATE).unlink()
        theirs, _ = prepare(root, "jupytext")
        run([str(BIN / "jupytext"), "--sync", *paired], theirs)  # settle jupytext's own view
        nbtools = [str(BIN / "nbtools"), "sync", "-q", "--check", *paired]
        jupytext = [str(BIN / "jupytext"), "--sync", *paired]
        before = snapshot(ours), snapshot(bare)
        theirs_before = snapshot(theirs)
        times: dict[str, list[float]] = {"fast": [], "bare": [], "jupytext": []}
        for _ in range(args.repeat):
            times["fast"].append(run(nbtools, ours))
            times["bare"].append(run(nbtools, bare))
            times["jupytext"].append(run(jupytext, theirs))
        writes = sum(a != b for a, b in zip(before, (snapshot(ours), snapshot(bare))))
        theirs_after = snapshot(theirs)
        jt_rewrites = sum(1 for k, v in theirs_after.items() if theirs_before.get(k) != v)
    med = {k: statistics.median(v) for k, v in times.items()}
    lines = [
        f"Pairs: {len(paired)} (the 64 corpus notebooks minus the nbformat 3 file and the "
        "nbformat 4.99 file jupytext cannot convert), already in sync; median of "
        f"{args.repeat} round-robin runs, each a separate process; Python {platform.python_version()}.",
        "",
        "| scenario | nbtools | jupytext --sync | ratio |",
        "| --- | --- | --- | --- |",
        f"| `sync --check`, with the sync record | {med['fast']:.3f} s | {med['jupytext']:.3f} s | {med['fast'] / med['jupytext']:.3f} |",
        f"| `sync --check`, no record (compared through jupytext) | {med['bare']:.3f} s | {med['jupytext']:.3f} s | {med['bare'] / med['jupytext']:.3f} |",
        "",
        f"Files written or touched by nbtools across all runs: {writes}. "
        f"Files whose bytes or mtime `jupytext --sync` changed across the timed runs: {jt_rewrites}.",
    ]
    print("\n".join(lines))
    if args.write:
        write_section("\n".join(lines))
    return 0


def write_section(body: str) -> None:
    text = DOC.read_text(encoding="utf-8")
    head = "## sync (`bench/bench_sync.py`)\n"
    start = text.index(head) + len(head)
    end = text.find("\n## ", start)
    end = len(text) if end == -1 else end + 1
    DOC.write_text(
        text[:start] + "\n" + body + "\n\n" + text[end:].lstrip("\n")
        if end < len(text)
        else text[:start] + "\n" + body + "\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    sys.exit(main())
