"""Strip benchmarks: nbtools against nbstripout, nb-clean and nbstripout-fast, side by side.

    .venv/bin/python bench/bench_strip.py [--repeat 5] [--write]

Every scenario runs each tool as a separate process on a fresh copy of
``../shared/corpus/public`` (the copy is not timed), round-robin so that load from
other processes falls on all tools alike, and reports the median wall time:

a. batch strip of the whole corpus in one process;
b. check of an already clean corpus (nothing to change);
c. ``git add -A`` of the corpus in a fresh repository with each tool as git's filter;
d. one pre-commit style call on one small dirty notebook (whole process).

``--write`` replaces the ``## strip`` section of docs/benchmarks.md with the results.
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
from typing import Callable, Sequence

REPO = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("NBTOOLS_SHARED", REPO.parent / "shared")) / "corpus" / "public"
BIN = Path(sys.executable).parent
DOC = REPO / "docs" / "benchmarks.md"

# a scenario step: (workdir) -> argv to time; setup runs before, untimed
Setup = Callable[[Path], None]


class Tool:
    """A command to time; ``runs`` caps the repetitions of very slow tools."""

    def __init__(
        self,
        name: str,
        argv: Callable[[Path], list[str]],
        setup: Setup | None = None,
        ok: Sequence[int] = (0,),
        runs: int = 0,
    ) -> None:
        self.name = name
        self.argv = argv
        self.setup = setup
        self.ok = tuple(ok)
        self.runs = runs


def env() -> dict[str, str]:
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "NO_COLOR": "1"}


def run(argv: list[str], cwd: Path, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    proc = subprocess.run(argv, cwd=cwd, env=env(), capture_output=True, check=False)
    if check and proc.returncode != 0:
        raise SystemExit(f"setup failed: {' '.join(argv)}\n{proc.stderr.decode(errors='replace')}")
    return proc


def notebooks(work: Path) -> list[str]:
    return sorted(p.name for p in work.glob("*.ipynb"))


def copy_corpus(dest: Path) -> Path:
    shutil.copytree(CORPUS, dest)
    for path in dest.iterdir():  # the shared corpus is read-only
        path.chmod(0o644)
    return dest


def children_cpu() -> float:
    """User + system CPU of every finished child process (and theirs: git's filters)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_tools(
    title: str, tools: list[Tool], repeat: int, prepare: Callable[[Path], Path]
) -> dict[str, dict[str, object]]:
    """Median wall time per tool; each run on a fresh ``prepare``d directory."""
    times: dict[str, list[float]] = {t.name: [] for t in tools}
    cpus: dict[str, list[float]] = {t.name: [] for t in tools}
    codes: dict[str, set[int]] = {t.name: set() for t in tools}
    for rep in range(repeat):
        for tool in tools:
            if tool.runs and rep >= tool.runs:
                continue
            with tempfile.TemporaryDirectory(prefix="nbtools-bench-") as tmp:
                work = prepare(Path(tmp) / "work")
                if tool.setup is not None:
                    tool.setup(work)
                argv = tool.argv(work)
                cpu = children_cpu()
                start = time.perf_counter()
                proc = subprocess.run(argv, cwd=work, env=env(), capture_output=True, check=False)
                elapsed = time.perf_counter() - start
                cpus[tool.name].append(children_cpu() - cpu)
                if proc.returncode not in tool.ok and rep == 0:
                    err = proc.stderr.decode(errors="replace").strip().splitlines()[-3:]
                    print(
                        f"  note: {tool.name} exited {proc.returncode}: {' | '.join(err)}",
                        file=sys.stderr,
                    )
                codes[tool.name].add(proc.returncode)
                times[tool.name].append(elapsed)
    results = {
        name: {
            "median": statistics.median(ts),
            "min": min(ts),
            "cpu": statistics.median(cpus[name]),
            "runs": len(ts),
            "codes": sorted(codes[name]),
        }
        for name, ts in times.items()
    }
    print(f"\n{title}", file=sys.stderr)
    for name, r in results.items():
        print(
            f"  {name:38} median {r['median'] * 1000:8.1f} ms  cpu {r['cpu'] * 1000:8.1f} ms "
            f"(min {r['min'] * 1000:.1f}, {r['runs']} runs, exit {r['codes']})",
            file=sys.stderr,
        )
    return results


# --- (a) batch strip -------------------------------------------------------------------
def batch_strip(repeat: int) -> dict[str, dict[str, object]]:
    tools = [
        Tool("nbtools strip", lambda w: [str(BIN / "nbtools"), "strip", "."], ok=(0, 1, 2)),
        Tool("nbstripout-fast", lambda w: [str(BIN / "nbstripout-fast"), *notebooks(w)]),
        Tool("nbstripout", lambda w: [str(BIN / "nbstripout"), *notebooks(w)], runs=3),
        Tool(
            "nb-clean clean", lambda w: [str(BIN / "nb-clean"), "clean", *notebooks(w)], ok=(0, 65)
        ),
    ]
    return time_tools("(a) batch strip of the corpus", tools, repeat, copy_corpus)


# --- (b) check of a clean corpus -------------------------------------------------------
#: files nb-clean cannot read (nbformat 3; a cell source that is neither string nor list)
NB_CLEAN_UNREADABLE = ("nbformat__test3.ipynb", "nbformat__test4plus.ipynb")


def clean_corpus(dest: Path) -> Path:
    """The corpus as nbtools and nb-clean both leave it, so both checks pass on the same files."""
    copy_corpus(dest)
    for name in NB_CLEAN_UNREADABLE:
        (dest / name).unlink()
    run([str(BIN / "nbtools"), "strip", "-q", "."], dest, check=False)  # the v3 file: exit 2
    run([str(BIN / "nb-clean"), "clean", *notebooks(dest)], dest, check=False)
    run([str(BIN / "nbtools"), "strip", "-q", "."], dest, check=False)
    return dest


def check_clean(repeat: int) -> dict[str, dict[str, object]]:
    tools = [
        Tool(
            "nbtools strip --check",
            lambda w: [str(BIN / "nbtools"), "strip", "--check", "."],
            ok=(0, 2),
        ),
        Tool("nb-clean check", lambda w: [str(BIN / "nb-clean"), "check", *notebooks(w)], ok=(0,)),
        Tool(
            "nbstripout --verify",
            lambda w: [str(BIN / "nbstripout"), "--verify", *notebooks(w)],
            ok=(0, 1),
            runs=3,
        ),
    ]
    return time_tools("(b) check of an already clean corpus", tools, repeat, clean_corpus)


# --- (c) git add -A with a filter ------------------------------------------------------
def git_repo(dest: Path) -> Path:
    copy_corpus(dest)
    for args in (
        ["init", "-q", "-b", "main"],
        ["config", "user.email", "b@example.invalid"],
        ["config", "user.name", "bench"],
    ):
        run(["git", *args], dest)
    return dest


def git_filter(name: str, clean: str, process: str | None = None) -> Setup:
    def setup(work: Path) -> None:
        run(["git", "config", f"filter.{name}.clean", clean], work)
        run(["git", "config", f"filter.{name}.smudge", "cat"], work)
        run(["git", "config", f"filter.{name}.required", "true"], work)
        if process:
            run(["git", "config", f"filter.{name}.process", process], work)
        (work / ".git" / "info" / "attributes").write_text(f"*.ipynb filter={name}\n")

    return setup


def nbtools_install(work: Path) -> None:
    run([str(BIN / "nbtools"), "install", "-q", "--attributes", "local"], work)


def git_add(repeat: int) -> dict[str, dict[str, object]]:
    add = lambda w: ["git", "add", "-A"]  # noqa: E731
    tools = [
        Tool("nbtools (long-running filter)", add, nbtools_install),
        Tool("nbstripout-fast (per-file filter)", add, git_filter("nbsf", "nbstripout-fast")),
        Tool(
            "nbstripout (per-file filter)",
            add,
            git_filter("nbso", f"{sys.executable} -m nbstripout"),
            runs=1,
        ),
        Tool(
            "nbtools (per-file --clean fallback)",
            add,
            git_filter("nbtc", "nbtools filter --clean %f"),
            runs=1,
        ),
        Tool("no filter (git alone)", add),
    ]
    return time_tools("(c) git add -A of the corpus", tools, repeat, git_repo)


# --- (d) one pre-commit style call -----------------------------------------------------
SMALL = "bqplot__Radar.ipynb"


def one_small(dest: Path) -> Path:
    dest.mkdir()
    shutil.copy(CORPUS / SMALL, dest / SMALL)
    (dest / SMALL).chmod(0o644)
    return dest


def single_call(repeat: int) -> dict[str, dict[str, object]]:
    tools = [
        Tool("nbtools strip", lambda w: [str(BIN / "nbtools"), "strip", SMALL], ok=(0, 1)),
        Tool("nbstripout-fast", lambda w: [str(BIN / "nbstripout-fast"), SMALL]),
        Tool("nbstripout", lambda w: [str(BIN / "nbstripout"), SMALL], runs=5),
        Tool("nb-clean clean", lambda w: [str(BIN / "nb-clean"), "clean", SMALL]),
        Tool("python -c pass", lambda w: [sys.executable, "-c", "pass"]),
    ]
    return time_tools(f"(d) one call on one small notebook ({SMALL})", tools, repeat * 3, one_small)


# --- report ----------------------------------------------------------------------------
def ms(value: object) -> str:
    return f"{float(value) * 1000:.0f} ms"  # type: ignore[arg-type]


def table(results: dict[str, dict[str, object]], ours: str) -> list[str]:
    base = float(results[ours]["median"])  # type: ignore[arg-type]
    base_cpu = float(results[ours]["cpu"])  # type: ignore[arg-type]
    lines = [
        "| tool | runs | exit | wall (median) | ratio nbtools/tool | CPU (median) | CPU ratio |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, r in results.items():
        wall, cpu = float(r["median"]), float(r["cpu"])  # type: ignore[arg-type]
        ratio = "" if name == ours else f"{base / wall:.2f}"
        cpu_ratio = "" if name == ours or not cpu else f"{base_cpu / cpu:.2f}"
        codes = ",".join(str(c) for c in r["codes"])  # type: ignore[attr-defined]
        lines.append(
            f"| {name} | {r['runs']} | {codes} | {ms(wall)} | {ratio} | {ms(cpu)} | {cpu_ratio} |"
        )
    return lines


def ratio(results: dict[str, dict[str, object]], ours: str, other: str) -> float:
    return float(results[ours]["median"]) / float(results[other]["median"])  # type: ignore[arg-type]


def verdict(met: bool, text: str) -> str:
    return f"Target {'met' if met else 'missed'}: {text}."


def section(res: dict[str, dict[str, dict[str, object]]], repeat: int, load: list[float]) -> str:
    ours_c = "nbtools (long-running filter)"
    size = sum(p.stat().st_size for p in CORPUS.glob("*.ipynb"))
    count = len(list(CORPUS.glob("*.ipynb")))
    versions = []
    for dist in ("nbstripout", "nbstripout-fast", "nb-clean"):
        try:
            from importlib.metadata import version

            versions.append(f"{dist} {version(dist)}")
        except Exception:  # noqa: BLE001
            versions.append(f"{dist} ?")
    out = [
        f"Run: `{Path(sys.executable).name} bench/bench_strip.py --repeat {repeat}` on "
        f"`../shared/corpus/public` ({count} notebooks, {size / 1e6:.1f} MB); Python "
        f"{platform.python_version()}, git {run(['git', '--version'], REPO).stdout.decode().split()[-1]}, "
        f"{', '.join(versions)}. Median wall time of whole processes over {repeat} runs "
        f"({repeat * 3} for d), each on a fresh copy, tools interleaved. The 1-minute load "
        f"average was {min(load):.1f} to {max(load):.1f} on 2 cores shared with other work, so "
        "wall times are inflated; the CPU columns (user + system of the process and its "
        "children) are steadier. nbtools' modules are byte-compiled first, as pip does on "
        "install. nbstripout-fast and nb-clean 5 are native (Rust) binaries. "
        "Exit codes: nbtools strip exits 1 when it changed files; nb-clean exits 65 on the "
        "corpus because it cannot read its nbformat 3 notebook and one unusual cell source "
        "(the rest is still cleaned); nbstripout --verify exits 1 because it also wants cell "
        "ids removed.",
        "",
        "**(a) Batch strip of the whole corpus, one process** (target: ratio <= 1.0 vs nbstripout-fast)",
        "",
        *table(res["a"], "nbtools strip"),
        "",
        verdict(
            ratio(res["a"], "nbtools strip", "nbstripout-fast") <= 1.0,
            f"ratio {ratio(res['a'], 'nbtools strip', 'nbstripout-fast'):.2f} vs nbstripout-fast",
        ),
        "",
        "**(b) Check of an already clean corpus** (target: no slower than nb-clean check)",
        "",
        *table(res["b"], "nbtools strip --check"),
        "",
        verdict(
            ratio(res["b"], "nbtools strip --check", "nb-clean check") <= 1.0,
            f"ratio {ratio(res['b'], 'nbtools strip --check', 'nb-clean check'):.2f} vs nb-clean "
            f"check (both on the {len(notebooks(CORPUS)) - len(NB_CLEAN_UNREADABLE)} notebooks "
            "nb-clean can read, cleaned by both tools first)",
        ),
        "",
        "**(c) `git add -A` of the corpus in a fresh repository** (target: faster than "
        "nbstripout-fast as a per-file filter)",
        "",
        *table(res["c"], ours_c),
        "",
        verdict(
            ratio(res["c"], ours_c, "nbstripout-fast (per-file filter)") < 1.0,
            f"ratio {ratio(res['c'], ours_c, 'nbstripout-fast (per-file filter)'):.2f} vs "
            "nbstripout-fast as a per-file filter; one nbtools process served all "
            f"{len(notebooks(CORPUS))} files (see tests/test_install.py), which is what makes it "
            f"{1 / ratio(res['c'], ours_c, 'nbtools (per-file --clean fallback)'):.0f}x faster than "
            "the per-file fallback. Without any filter git is slower still: it compresses "
            "20 MB of outputs instead of the stripped 2.5 MB",
        ),
        "",
        f"**(d) One pre-commit style call on one small notebook** (`{SMALL}`, dirty; "
        "target: under 100 ms)",
        "",
        *table(res["d"], "nbtools strip"),
        "",
        verdict(
            float(res["d"]["nbtools strip"]["median"]) < 0.1,  # type: ignore[arg-type]
            f"{ms(res['d']['nbtools strip']['median'])} wall, "
            f"{ms(res['d']['nbtools strip']['cpu'])} CPU, of which a bare "
            f"`python -c pass` in this venv takes {ms(res['d']['python -c pass']['median'])}",
        ),
        "",
        WHERE_THE_TIME_GOES,
    ]
    return "\n".join(out) + "\n"


WHERE_THE_TIME_GOES = """\
Where nbtools' time goes. Inside one process, over the corpus (medians of 7 passes, after
start-up): reading 9 ms; parsing 74 ms, of which 15 ms swap the base64 images (14 of the
20 MB) for placeholders (`nbtools/notebook/elide.py`) and the rest parses the remaining 6 MB (orjson
where that is exact, json otherwise); the strip rules 21 ms; rendering each changed notebook
in its own layout 32 ms; atomic replacement of 59 files 28 ms (ext4 flushes a file's data
when it is renamed over another). Before any of that, interpreter start-up and imports take
50 to 70 ms (row d; the start-up path imports no pathlib, tempfile or shutil, and spawns no
git outside a repository). Skipping the images and parsing the rest with orjson took the batch
from 310 ms to the figure in (a), and is what puts the long-running filter ahead of
nbstripout-fast in (c), where git's own work is the larger share.

Why (a) and (b) stay out of reach: nb-clean's whole check of the clean corpus (18 ms) is what
a bare `python -c pass` costs in this venv, and nbstripout-fast strips the whole corpus in
about the time nbtools needs to start and strip one small notebook (row d). A CPython process
cannot meet those two budgets; against the Python tool it replaces (nbstripout) nbtools is
several times faster in every scenario (tables above)."""


def write_section(text: str) -> None:
    doc = DOC.read_text(encoding="utf-8")
    head = "## strip (`bench/bench_strip.py`)\n"
    start = doc.index(head) + len(head)
    end = doc.find("\n## ", start)
    end = len(doc) if end == -1 else end + 1
    DOC.write_text(doc[:start] + "\n" + text + "\n" + doc[end:], encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--only", choices=("a", "b", "c", "d"), action="append")
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args(argv)
    if not CORPUS.is_dir():
        print(f"{CORPUS} not present; nothing to measure", file=sys.stderr)
        return 0
    # an installed package ships bytecode; this checkout may have none (and this machine sets
    # PYTHONDONTWRITEBYTECODE), which would make every nbtools process compile its modules
    compile_env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(REPO / "nbtools")],
        env=compile_env,
        check=True,
    )
    scenarios = {"a": batch_strip, "b": check_clean, "c": git_add, "d": single_call}
    load = [os.getloadavg()[0]]
    results = {}
    for key, fn in scenarios.items():
        if not args.only or key in args.only:
            results[key] = fn(args.repeat)
            load.append(os.getloadavg()[0])
    if args.write:
        if len(results) != len(scenarios):
            parser.error("--write needs every scenario (no --only)")
        write_section(section(results, args.repeat, load))
        print(f"\nwrote the strip section of {DOC.relative_to(REPO)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
