"""Run-cache benchmark (#14): ``nbtools run --cache`` against jupyter-cache on the same edits.

    .venv/bin/python bench/bench_cache.py [--jcache /tmp/jcache-venv/bin/python] [--write]

The repository is ``../shared/corpus/exec-bench`` (24 notebooks) plus six notebooks of
our own: three import a shared helper module (``helpers.py``), three read a data file
(``data.csv``). On it, in order, each tool runs:

1. cold (an empty cache): every notebook runs;
2. nothing changed: goal for nbtools, at most 0.1 of the cold run's wall time;
3. the helper edited: exactly its three dependents should rerun;
4. the data file edited: exactly its three readers should rerun;
5. one notebook's code edited: exactly that one;
6. one notebook's markdown edited: none.

nbtools runs as ``nbtools run -j 2 --cache DIR``; jupyter-cache (installed in its own
venv, e.g. ``python -m venv /tmp/jcache-venv && /tmp/jcache-venv/bin/pip install
jupyter-cache ipykernel``) runs as its ``local-parallel`` executor over a project of the
same notebooks, in their folder. Each step reports wall time, which notebooks ran, and
whether that is exactly what the edit can affect (a notebook that should have rerun and
did not is a stale result served).

``--write`` replaces the ``## cache`` section of docs/benchmarks.md with the results.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("NBTOOLS_SHARED", REPO.parent / "shared")) / "corpus" / "exec-bench"
DOC = REPO / "docs" / "benchmarks.md"

HELPER_NBS = ("uses_helper_1", "uses_helper_2", "uses_helper_3")
DATA_NBS = ("reads_data_1", "reads_data_2", "reads_data_3")

JCACHE_SCRIPT = r"""
import json, logging, sys, time
from jupyter_cache import get_cache
from jupyter_cache.executors import load_executor
cache_dir, notebooks = sys.argv[1], sys.argv[2:]
cache = get_cache(cache_dir)
for nb in notebooks:
    cache.add_nb_to_project(nb)
logger = logging.getLogger("jcache-bench")
start = time.perf_counter()
result = load_executor("local-parallel", cache, logger=logger).run_and_cache(timeout=600)
print(json.dumps({"ran": sorted(result.succeeded + result.excepted + result.errored),
                  "wall": time.perf_counter() - start}))
"""


def _notebook(cells: list[tuple[str, str]]) -> dict[str, Any]:
    return {
        "cells": [
            {
                "cell_type": kind,
                "id": f"c{i}",
                "metadata": {},
                "source": text,
                **({"execution_count": None, "outputs": []} if kind == "code" else {}),
            }
            for i, (kind, text) in enumerate(cells)
        ],
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def build(folder: Path) -> list[str]:
    """The benchmark repository; returns its notebooks' names."""
    folder.mkdir(parents=True)
    for nb in sorted(CORPUS.glob("*.ipynb")):
        shutil.copyfile(nb, folder / nb.name)
    (folder / "helpers.py").write_text("def scale(x):\n    return 2 * x\n")
    (folder / "data.csv").write_text("x,y\n" + "".join(f"{i},{i * i}\n" for i in range(200)))
    for name in HELPER_NBS:
        nb = _notebook(
            [
                ("markdown", f"# {name}"),
                ("code", "import helpers"),
                ("code", "print(sum(helpers.scale(i) for i in range(1000)))"),
            ]
        )
        (folder / f"{name}.ipynb").write_text(json.dumps(nb, indent=1))
    for name in DATA_NBS:
        nb = _notebook(
            [
                ("markdown", f"# {name}"),
                ("code", "rows = open('data.csv').read().splitlines()[1:]"),
                ("code", "print(sum(int(r.split(',')[1]) for r in rows))"),
            ]
        )
        (folder / f"{name}.ipynb").write_text(json.dumps(nb, indent=1))
    subprocess.run(["git", "init", "-q", str(folder)], check=True)
    return sorted(p.stem for p in folder.glob("*.ipynb"))


def _edit_code(folder: Path) -> None:
    path = folder / "primes_1.ipynb"
    nb = json.loads(path.read_text())
    cell = next(c for c in nb["cells"] if c["cell_type"] == "code")
    source = cell["source"]
    cell["source"] = (source if isinstance(source, str) else "".join(source)) + "\n# edited\n"
    path.write_text(json.dumps(nb, indent=1))


def _edit_markdown(folder: Path) -> None:
    path = folder / "graph_2.ipynb"
    nb = json.loads(path.read_text())
    cell = next(c for c in nb["cells"] if c["cell_type"] == "markdown")
    cell["source"] = "# A reworded heading\n"
    path.write_text(json.dumps(nb, indent=1))


def steps(names: list[str]) -> list[tuple[str, Callable[[Path], None], set[str]]]:
    def append(file: str, text: str) -> Callable[[Path], None]:
        def edit(folder: Path) -> None:
            with open(folder / file, "a", encoding="utf-8") as handle:
                handle.write(text)

        return edit

    return [
        ("cold (empty cache)", lambda folder: None, set(names)),
        ("nothing changed", lambda folder: None, set()),
        ("helper module edited", append("helpers.py", "\nOFFSET = 1\n"), set(HELPER_NBS)),
        ("data file edited", append("data.csv", "200,40000\n"), set(DATA_NBS)),
        ("one notebook's code edited", _edit_code, {"primes_1"}),
        ("one notebook's markdown edited", _edit_markdown, set()),
    ]


def nbtools_run(folder: Path, cache: Path) -> tuple[float, set[str]]:
    start = time.perf_counter()
    argv = ["run", "-j", "2", "--cache", str(cache), "--format", "json", str(folder)]
    proc = subprocess.run(
        [sys.executable, "-m", "nbtools", *argv],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    wall = time.perf_counter() - start
    report = json.loads(proc.stdout)
    ran = {Path(n["path"]).stem for n in report["notebooks"] if not n.get("cached")}
    return wall, ran


def jcache_run(python: str, folder: Path, cache: Path) -> tuple[float, set[str]]:
    notebooks = sorted(str(p) for p in folder.glob("*.ipynb"))
    start = time.perf_counter()
    proc = subprocess.run(
        [python, "-c", JCACHE_SCRIPT, str(cache), *notebooks],
        capture_output=True,
        text=True,
        check=False,
        cwd=folder,
    )
    wall = time.perf_counter() - start
    if proc.returncode:
        raise SystemExit(f"jupyter-cache failed:\n{proc.stderr[-2000:]}")
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    return wall, {Path(p).stem for p in data["ran"]}


def measure(jcache: str | None) -> dict[str, list[dict[str, Any]]]:
    results: dict[str, list[dict[str, Any]]] = {}
    tools: list[tuple[str, Callable[[Path, Path], tuple[float, set[str]]]]] = [
        ("nbtools run -j 2 --cache", nbtools_run)
    ]
    if jcache:
        tools.append(("jupyter-cache (local-parallel)", lambda f, c: jcache_run(jcache, f, c)))
    for label, runner in tools:
        with tempfile.TemporaryDirectory(prefix="nbtools-bench-cache-") as tmp:
            folder = Path(tmp) / "repo"
            names = build(folder)
            rows = []
            for step, edit, expected in steps(names):
                edit(folder)
                wall, ran = runner(folder, Path(tmp) / "cache")
                rows.append(
                    {
                        "step": step,
                        "wall_s": round(wall, 2),
                        "ran": sorted(ran),
                        "expected": sorted(expected),
                        "stale": sorted(expected - ran),  # should have rerun, served instead
                        "extra": sorted(ran - expected),  # reran without need
                    }
                )
                print(label, rows[-1], file=sys.stderr)
            results[label] = rows
    return results


def render(results: dict[str, list[dict[str, Any]]], versions: str) -> str:
    lines = [
        "## cache (`bench/bench_cache.py`)",
        "",
        "Run: `python bench/bench_cache.py --jcache /tmp/jcache-venv/bin/python` on "
        "`../shared/corpus/exec-bench` (24 notebooks) plus 3 notebooks importing a shared "
        "helper module and 3 reading a data file (30 notebooks, one folder of a git "
        f"repository); {versions}. One run per step, in order, on one copy per tool; "
        "wall time of the whole process. *Stale* counts notebooks that the edit can affect "
        "but that were served from the cache (a result that lies); *extra* counts reruns "
        "that were not needed.",
        "",
        "| tool | step | wall | ran | expected | stale | extra |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for tool, rows in results.items():
        for row in rows:
            lines.append(
                f"| {tool} | {row['step']} | {row['wall_s']:.2f} s | {len(row['ran'])} | "
                f"{len(row['expected'])} | {len(row['stale'])} | {len(row['extra'])} |"
            )
    nbtools_rows = next(iter(results.values()))
    cold, warm = nbtools_rows[0]["wall_s"], nbtools_rows[1]["wall_s"]
    exact = all(not r["stale"] and not r["extra"] for r in nbtools_rows)
    ratio = warm / cold if cold else 0.0
    lines += [
        "",
        f"Target (issue 14): nothing changed at most 0.1 of the cold run: "
        f"{warm:.2f} s / {cold:.2f} s = {ratio:.3f} "
        f"({'met' if ratio <= 0.1 else 'missed'}); each edit reruns exactly what it can "
        f"affect: {'met' if exact else 'missed'}.",
    ]
    others = [(t, rows) for t, rows in results.items() if rows is not nbtools_rows]
    for tool, rows in others:
        stale = {r["step"]: len(r["stale"]) for r in rows if r["stale"]}
        if stale:
            said = ", ".join(f"{step}: {n} stale" for step, n in stale.items())
            lines.append(
                f"{tool} keys a notebook on its code cells only, so it served stale results "
                f"after edits outside the notebooks ({said})."
            )
    return "\n".join(lines) + "\n"


def write_section(text: str) -> None:
    doc = DOC.read_text(encoding="utf-8")
    marker = "## cache (`bench/bench_cache.py`)"
    if marker in doc:
        start = doc.index(marker)
        end = doc.find("\n## ", start + 1)
        doc = doc[:start] + text + ("" if end == -1 else doc[end + 1 :])
    else:
        doc = doc.rstrip("\n") + "\n\n" + text
    DOC.write_text(doc, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jcache", default=None, help="a Python with jupyter-cache installed")
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        print(f"{CORPUS} not present; nothing to measure", file=sys.stderr)
        return 0
    versions = f"Python {sys.version.split()[0]}"
    if args.jcache:
        found = subprocess.run(
            [args.jcache, "-c", "import jupyter_cache; print(jupyter_cache.__version__)"],
            capture_output=True,
            text=True,
            check=False,
        )
        versions += f", jupyter-cache {found.stdout.strip()}"
    results = measure(args.jcache)
    text = render(results, versions)
    print(text)
    if args.write:
        write_section(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
