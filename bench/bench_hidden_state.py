"""Hidden-state analysis benchmarks: the static pass and the verdict, without kernels.

    .venv/bin/python bench/bench_hidden_state.py [--repeat 5] [--write]

* (a) the static analysis (counts + def-use) over ``../shared/corpus/public``, in one
  process, notebooks already parsed: total, per notebook and per code cell;
* (b) the same with disk lines (``json_line``) for the findings;
* (c) comparing stored outputs and deciding the verdict, given runs (the stored outputs
  stand in for the fresh ones, so every cell is compared);
* (d) one pre-commit style process: interpreter start, imports and the static pass on one
  small notebook, next to a bare ``python -c pass`` and the imports alone.

``--write`` replaces the ``## hidden-state`` section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("NBTOOLS_SHARED", REPO.parent / "shared"))
PUBLIC = SHARED / "corpus" / "public"
DOC = REPO / "docs" / "benchmarks.md"
HEADING = "## hidden-state (`bench/bench_hidden_state.py`)"
SMALL = "bqplot__Radar.ipynb"

sys.path.insert(0, str(REPO))

from nbtools.hidden_state.static import analyze_notebook  # noqa: E402
from nbtools.hidden_state.verdict import decide  # noqa: E402
from nbtools.notebook import iter_cells, read_notebook  # noqa: E402
from nbtools.runs import CellRun, CellStatus, NotebookRun  # noqa: E402


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """Median wall and CPU time of ``fn`` over ``repeat`` calls, in seconds."""
    walls, cpus = [], []
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def process_time(code: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def stored_as_run(nb: dict[str, Any]) -> NotebookRun:
    cells = {
        i: CellRun(i, CellStatus.OK, list(c.get("outputs") or []))
        for i, c in enumerate(iter_cells(nb))
        if c.get("cell_type") == "code"
    }
    return NotebookRun(cells=cells)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()
    if not PUBLIC.is_dir():
        print(f"{PUBLIC} not present", file=sys.stderr)
        return 2
    files = []
    for path in sorted(PUBLIC.rglob("*.ipynb")):
        try:
            files.append(read_notebook(path))
        except Exception:  # noqa: BLE001 - the corpus holds deliberately odd files
            continue
    cells = sum(1 for f in files for c in iter_cells(f.nb) if c.get("cell_type") == "code")
    static_s = timed(lambda: [analyze_notebook(f.nb, f.path) for f in files], args.repeat)
    lines_s = timed(lambda: [analyze_notebook(f.nb, f.path, f.text) for f in files], args.repeat)
    analyses = [analyze_notebook(f.nb, f.path) for f in files]
    runs = [stored_as_run(f.nb) for f in files]

    def verdicts() -> None:
        for f, a, r in zip(files, analyses, runs):
            decide(f.nb, f.path, a, [r, r])

    verdict_s = timed(verdicts, args.repeat)
    findings = sum(len(a.findings) for a in analyses)
    names = sum(len(a.problems) for a in analyses)
    small = PUBLIC / SMALL
    one = (
        "from nbtools.notebook import read_notebook;"
        "from nbtools.hidden_state.static import analyze_notebook;"
        f"f = read_notebook({str(small)!r}); analyze_notebook(f.nb, f.path, f.text)"
    )
    imports = "import nbtools.hidden_state.static, nbtools.hidden_state.verdict"
    one_s = process_time(one, args.repeat)
    imports_s = process_time(imports, args.repeat)
    bare_s = process_time("pass", args.repeat)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    ms = 1000.0
    text = "\n".join(
        [
            HEADING,
            "",
            f"Run: `python bench/bench_hidden_state.py --repeat {args.repeat}` on "
            f"`../shared/corpus/public` ({len(files)} readable notebooks, {cells} code cells); "
            f"Python {platform.python_version()}; median of {args.repeat} runs; 1-minute load "
            f"average {load:.1f} on 2 shared cores. No kernel is started: (a) to (c) run in one "
            "process on notebooks already parsed, (d) is whole processes.",
            "",
            "| scenario | wall | CPU | CPU per notebook | CPU per code cell |",
            "| --- | ---: | ---: | ---: | ---: |",
            *(
                f"| {title} | {wall * ms:.0f} ms | {cpu * ms:.0f} ms "
                f"| {cpu / len(files) * ms:.2f} ms | {cpu / cells * 1e6:.0f} µs |"
                for title, (wall, cpu) in (
                    ("(a) static analysis", static_s),
                    ("(b) static analysis with disk lines", lines_s),
                    ("(c) compare + verdict, 2 runs", verdict_s),
                )
            ),
            "",
            f"(d) one process, static pass on `{SMALL}`: {one_s * ms:.0f} ms wall; importing "
            f"`nbtools.hidden_state` alone {imports_s * ms:.0f} ms; `python -c pass` "
            f"{bare_s * ms:.0f} ms. Findings over the corpus: {findings} "
            f"({names} name problems, the rest count notes and warnings).",
            "",
            "IPython's input transformer is imported only for cells the built-in rewrite of "
            "magics cannot parse: importing it costs about a second.",
            "",
        ]
    )
    print(text)
    if args.write:
        doc = DOC.read_text(encoding="utf-8")
        if HEADING in doc:
            start = doc.index(HEADING)
            end = doc.find("\n## ", start + 1)
            doc = doc[:start] + text + ("" if end == -1 else doc[end:])
        else:
            doc = doc.rstrip("\n") + "\n\n" + text
        DOC.write_text(doc, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
