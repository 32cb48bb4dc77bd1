"""nbtools against an earlier nbtools: the same commands, the same inputs, side by side.

    .venv/bin/python bench/bench_versions.py --base DIR [--repeat 7] [--write]

``DIR`` holds an earlier checkout's source (``git archive REV | tar -x -C DIR``). Both trees
are byte-compiled (as pip does on install), then each scenario runs as whole processes
(``python -m nbtools ...`` with the tree on ``PYTHONPATH``), the two trees alternating run by
run (and which goes first, round by round) so that load from other processes falls on both
alike. Inputs are fresh copies (not
timed). Reported: median wall time and median CPU (user + system of the process and its
children), and the ratio new/base (above 1.0: the new tree is slower).

Scenarios: one pre-commit style ``strip`` of a small dirty notebook, ``--version``, a batch
``strip`` of ``../shared/corpus/public``, ``strip --check``, ``scan`` and ``check`` of that
corpus, ``run -j 2`` of ``../shared/corpus/exec-bench`` (small notebooks made for
benchmarks: no network, no installs) on this venv's kernel, and ``run -j 2`` of two
notebooks that sleep 2 s (as many notebooks as workers). ``--only WORD`` runs the scenarios
whose title holds WORD.

``--write`` replaces the ``## against the previous version`` section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("NBTOOLS_SHARED", REPO.parent / "shared"))
PUBLIC = SHARED / "corpus" / "public"
EXEC = SHARED / "corpus" / "exec-bench"
SMALL = "bqplot__Radar.ipynb"
DOC = REPO / "docs" / "benchmarks.md"
SECTION = "## against the previous version"

Prepare = Callable[[Path], list[str]]


def _copy(source: Path, scratch: Path) -> Path:
    target = scratch / "tree"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target)
    return target


def _strip_one(scratch: Path) -> list[str]:
    target = scratch / SMALL
    shutil.copy(PUBLIC / SMALL, target)
    return ["strip", str(target)]


def _strip_batch(scratch: Path) -> list[str]:
    return ["strip", str(_copy(PUBLIC, scratch))]


def _strip_check(scratch: Path) -> list[str]:
    return ["strip", "--check", str(_copy(PUBLIC, scratch))]


def _scan(scratch: Path) -> list[str]:
    return ["scan", str(_copy(PUBLIC, scratch))]


def _check(scratch: Path) -> list[str]:
    return ["check", "--select", "strip,hidden-state,secrets", str(_copy(PUBLIC, scratch))]


def _run(scratch: Path) -> list[str]:
    return ["run", "-j", "2", str(_copy(EXEC, scratch))]


def _run_as_many_as_workers(scratch: Path) -> list[str]:
    """Two notebooks of 2 s of cell work on two workers (a pre-merge run of what changed)."""
    import json

    folder = scratch / "pair"
    folder.mkdir()
    cell = {"cell_type": "code", "execution_count": None, "id": "c0", "metadata": {}}
    for name in ("a", "b"):
        nb = {
            "cells": [{**cell, "outputs": [], "source": "import time\ntime.sleep(2)"}],
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
            "nbformat": 4,
            "nbformat_minor": 5,
        }
        (folder / f"{name}.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    return ["run", "-j", "2", str(folder)]


SCENARIOS: list[tuple[str, Prepare, int]] = [
    ("strip one small notebook (pre-commit call)", _strip_one, 3),
    ("nbtools --version", lambda _: ["--version"], 3),
    ("strip the corpus (64 notebooks, 20 MB)", _strip_batch, 1),
    ("strip --check the corpus", _strip_check, 1),
    ("scan the corpus", _scan, 1),
    ("check the corpus (strip, hidden-state, secrets)", _check, 1),
    ("run -j 2 (24 small notebooks)", _run, 1),
    ("run -j 2 (2 notebooks of 2 s)", _run_as_many_as_workers, 1),
]


def _timed(tree: Path, argv: list[str]) -> tuple[float, float]:
    env = {**os.environ, "PYTHONPATH": str(tree), "NO_COLOR": "1"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "nbtools", *argv], env=env, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def measure(
    trees: dict[str, Path], repeat: int, only: list[str]
) -> list[tuple[str, dict[str, tuple[float, float]]]]:
    results = []
    for title, prepare, factor in SCENARIOS:
        if only and not any(word in title for word in only):
            continue
        if not (PUBLIC.is_dir() and EXEC.is_dir()):
            raise SystemExit(f"{SHARED}: the shared corpora are missing")
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in trees}
        for round_ in range(repeat * factor):
            # which tree goes first alternates too: the second of two runs in a row was
            # measured slower on this machine, whichever tree it was
            order = list(trees.items())
            for name, tree in order if round_ % 2 == 0 else reversed(order):
                with tempfile.TemporaryDirectory() as scratch:
                    argv = prepare(Path(scratch))
                    samples[name].append(_timed(tree, argv))
        medians = {
            name: (
                statistics.median(w for w, _ in runs),
                statistics.median(c for _, c in runs),
            )
            for name, runs in samples.items()
        }
        results.append((title, medians))
        print(title, {k: f"{v[0] * 1000:.0f}/{v[1] * 1000:.0f} ms" for k, v in medians.items()})
    return results


def table(results: list[tuple[str, dict[str, tuple[float, float]]]], runs: str) -> str:
    lines = [
        "| scenario | base wall | new wall | ratio | base CPU | new CPU | ratio |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for title, m in results:
        (bw, bc), (nw, nc) = m["base"], m["new"]
        lines.append(
            f"| {title} | {bw * 1000:.0f} ms | {nw * 1000:.0f} ms | {nw / bw:.2f} "
            f"| {bc * 1000:.0f} ms | {nc * 1000:.0f} ms | {nc / bc:.2f} |"
        )
    return "\n".join(lines) + f"\n\n{runs}\n"


def _write(text: str) -> None:
    doc = DOC.read_text(encoding="utf-8")
    start = doc.find(SECTION)
    if start < 0:
        doc = doc.rstrip("\n") + "\n\n" + text
    else:
        end = doc.find("\n## ", start + len(SECTION))
        doc = doc[:start] + text + (doc[end + 1 :] if end >= 0 else "")
    DOC.write_text(doc, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, required=True, help="an earlier nbtools source tree")
    parser.add_argument("--label", default="the previous version", help="what --base is")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--write", action="store_true")
    parser.add_argument(
        "--only", action="append", default=[], help="scenarios whose title holds this word"
    )
    args = parser.parse_args()
    trees = {"base": args.base.resolve(), "new": REPO}
    for tree in trees.values():
        subprocess.run(
            [sys.executable, "-m", "compileall", "-q", str(tree / "nbtools")], check=True
        )
    results = measure(trees, args.repeat, args.only)
    load = os.getloadavg()[0]
    runs = (
        f"Base: {args.label}. Python {platform.python_version()}; median of {args.repeat} runs "
        f"({args.repeat * 3} for the two short calls), trees alternating; 1-minute load average {load:.1f} on "
        f"{os.cpu_count()} cores at the end. Ratio: new / base."
    )
    text = f"{SECTION} (`bench/bench_versions.py`)\n\n" + table(results, runs)
    print(text)
    if args.write:
        _write(text)


if __name__ == "__main__":
    main()
