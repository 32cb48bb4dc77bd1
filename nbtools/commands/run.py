"""``nbtools run``: execute notebooks top to bottom on fresh kernels and say why they fail."""

from __future__ import annotations

import os
import re
import time
from typing import TYPE_CHECKING, Any, Iterator

from nbtools.config import Option
from nbtools.container import options as container_options
from nbtools.discovery import collect_files
from nbtools.errors import InputError, UsageError
from nbtools.execute.executor import ExecOptions
from nbtools.execute.interpreter import kernel_path_env
from nbtools.execute.kernels import KernelStartError, kernel_environment
from nbtools.execute.scheduler import Job, default_jobs, run_jobs
from nbtools.execute.source import Source, load_source
from nbtools.findings import Finding, Rule, Severity, Where, register_rules
from nbtools.report import FileResult, Report
from nbtools.runs import CellRun, CellStatus, NotebookRun

if TYPE_CHECKING:
    import argparse

    from nbtools.commands import Request
    from nbtools.console import Console
    from nbtools.execute.kernels import KernelFactory
    from nbtools.execute.redact import Redactor

NAME = "run"
HELP = "execute notebooks on fresh kernels and say why they fail"

OPTIONS: dict[str, Option] = {
    "jobs": Option(int, 0, int),
    "kernel": Option(str, None, str),
    "timeout": Option(float, 600.0, float),
    "notebook_timeout": Option(float, 0.0, float),
    "max_output_bytes": Option(int, 20_000_000, int),
    "keep_going": Option(bool, False, bool),
    "env": Option(list, [], list),
    "repeat": Option(int, 1, int),
    "fork": Option(bool, True, bool),
    "cache": Option(str, None, str),  # the run cache's folder (#14); off unless set
    "cache_max_size": Option(str, "1G", str),
    **container_options.OPTIONS,  # --image and friends: kernels in docker/podman
}

_RUN_TAGS = ("correctness", "reproducibility")
register_rules(
    Rule(
        "run/error",
        "cell-error",
        "a cell raised an exception on a fresh kernel",
        "The notebook does not run top to bottom on a fresh kernel; the message has the "
        "exception and the failing line. Fix the cell (a missing import or file, a name "
        "from an earlier session), or tag it `raises-exception` if the error is the point.",
        precision="very-high",
        tags=_RUN_TAGS,
    ),
    Rule(
        "run/timeout",
        "timeout",
        "a cell or the notebook ran out of time",
        "A cell ran longer than `--timeout` (or the notebook longer than "
        "`--notebook-timeout`). Make the cell faster (smaller data in CI), or raise the "
        "limit under `[tool.nbtools.run]`.",
        precision="very-high",
        tags=("reliability",),
    ),
    Rule(
        "run/kernel-died",
        "kernel-died",
        "the kernel died (crash, os._exit, out of memory)",
        "The kernel process ended while a cell ran: a crash in native code, `os._exit`, or "
        "the memory limit. Reduce the memory the cell needs or raise the container's limit.",
        precision="very-high",
        tags=("reliability",),
    ),
    Rule(
        "run/output-limit",
        "output-limit",
        "the outputs exceeded the size cap",
        "A cell printed more than `max_output_bytes`; the run stopped it so CI logs and "
        "reports stay readable. Print less (summaries, `head()`), or raise the cap.",
        precision="very-high",
        tags=("reliability",),
    ),
    Rule(
        "run/start-failed",
        "start-failed",
        "the kernel could not be started",
        "The notebook's kernel (its kernelspec, the container image or the interpreter) could "
        "not start, so nothing ran. Install the kernel, or choose one with `--kernel`; "
        "`nbtools doctor` checks a container setup.",
        precision="very-high",
        tags=("reliability",),
    ),
    Rule(
        "run/mismatch",
        "mismatch",
        "stored outputs are not reproduced by a fresh run",
        "The saved outputs came from a kernel state a top-to-bottom run does not reach (hidden "
        "state) or from other data. Restart the kernel, run all cells and save.",
        precision="high",
        tags=_RUN_TAGS,
    ),
    Rule(
        "run/write-conflict",
        "write-conflict",
        "--write: the notebook (or its script) changed on disk while it ran; the edit was kept",
        "Someone saved the notebook (or its paired script) while `nbtools run --write` ran it. "
        "Nothing was overwritten. Run again to store fresh outputs of the edited notebook.",
        precision="very-high",
        tags=("reliability",),
    ),
    Rule(
        "run/shell-command",
        "shell-command",
        "a shell command (`!cmd`, `%pip`, `%%bash`) failed or was not found; the notebook "
        "went on without its work",
        "A `!` line, a `%pip` magic or a `%%bash` cell exited non-zero or named a program the "
        "kernel's environment does not have (`git: not found`, a failed `apt`), so its work "
        "is missing though the cell raised nothing. Install the command in the image, or "
        "drop the line; the message names the command and the cause.",
        severity=Severity.WARNING,
        precision="high",
        tags=("reliability",),
    ),
    Rule(
        "run/nondeterministic",
        "nondeterministic",
        "outputs differ between two fresh runs",
        "Two fresh runs printed different outputs (randomness, time, memory addresses, hash "
        "order). Seed random generators and avoid printing volatile values.",
        severity=Severity.WARNING,
        precision="high",
        tags=("reproducibility",),
    ),
)

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_CELL_LINE = re.compile(
    r"(?:Cell In\s*\[[^\]]*\],\s*line|<ipython-input-[^>]*> in <module>\(\)\s*\n\s*-*>\s*)\s*(\d+)"
)
PASSING = ("pass", "pass_with_warnings")
#: verdicts that do not fail the run (nondeterminism is reported as a warning)
NOT_FAILING = (*PASSING, "nondeterministic")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths", nargs="*", default=["."], help="notebooks, paired scripts or directories"
    )
    parser.add_argument(
        "-j", "--jobs", type=int, default=None, help="notebooks in parallel (default: cores)"
    )
    parser.add_argument(
        "--kernel",
        default=None,
        metavar="NAME|PYTHON",
        help="kernelspec name, or a Python interpreter to run ipykernel with "
        "(default: the notebook's kernelspec)",
    )
    parser.add_argument(
        "--timeout", type=float, default=None, metavar="S", help="per-cell limit (default: 600)"
    )
    parser.add_argument(
        "--notebook-timeout", type=float, default=None, metavar="S", help="whole-notebook limit"
    )
    parser.add_argument(
        "--max-output-bytes",
        type=int,
        default=None,
        metavar="N",
        help="stop a notebook whose outputs exceed N bytes (default: 20000000)",
    )
    parser.add_argument(
        "--keep-going",
        action="store_const",
        const=True,
        default=None,
        help="run every cell after an error and report every failure",
    )
    parser.add_argument(
        "--env",
        action="append",
        default=None,
        metavar="KEY=VALUE",
        help="environment variable for the kernels (repeatable); kernels inherit only "
        "PATH, HOME, locale and a few Python/Jupyter variables",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=None,
        choices=(1, 2),
        help="2: run twice on fresh kernels to tell nondeterminism from hidden state",
    )
    parser.add_argument(
        "--no-fork",
        dest="fork",
        action="store_const",
        const=False,
        default=None,
        help="launch every kernel as a new process (no fork server)",
    )
    parser.add_argument(
        "--write", action="store_true", help="store the executed notebooks (default: no writes)"
    )
    parser.add_argument(
        "--html", metavar="DIR", default=None, help="write executed notebooks as HTML"
    )
    parser.add_argument(
        "--shard",
        metavar="K/N|auto",
        default=None,
        help="run only shard K of N; auto (or auto/N): from the CI's parallel-job variables "
        "(GitLab, CircleCI, Buildkite, Kubernetes Indexed Jobs, NBTOOLS_SHARD=K/N)",
    )
    parser.add_argument(
        "--merge-reports",
        nargs="+",
        metavar="JSON",
        default=None,
        help="run nothing: merge the shards' --format json reports into one report "
        "(as `nbtools report merge`; any --format, -o FILE)",
    )
    parser.add_argument(
        "--durations",
        metavar="FILE",
        default=None,
        help="timings for --shard: {path: seconds} or a previous --format json report",
    )
    container_options.add_arguments(parser.add_argument_group("container (kernels in docker)"))
    _add_cache_arguments(parser.add_argument_group("cache (run only what a change can affect)"))


def _add_cache_arguments(group: Any) -> None:
    group.add_argument(
        "--cache",
        metavar="DIR",
        default=None,
        help="serve a passing notebook from DIR while nothing it read changed; store new passes",
    )
    group.add_argument(
        "--changed-since",
        metavar="REF",
        default=None,
        help="only notebooks a change since the merge base with REF can affect "
        "(their code, local modules they import, files they read)",
    )
    group.add_argument("--no-cache", action="store_true", help="no cache, even if configured")
    group.add_argument(
        "--refresh", action="store_true", help="run everything, then store fresh results"
    )
    group.add_argument(
        "--cache-max-size",
        metavar="SIZE",
        default=None,
        help="evict least recently used entries above SIZE (default: 1G)",
    )


def _parse_env(items: list[str]) -> dict[str, str]:
    env: dict[str, str] = {}
    for item in items:
        key, sep, value = str(item).partition("=")
        if not sep or not key:
            raise UsageError(f"--env {item!r}: expected KEY=VALUE")
        env[key] = value
    return env


def exec_options(options: dict[str, Any]) -> ExecOptions:
    return ExecOptions(
        cell_timeout=options["timeout"] or None,
        notebook_timeout=options["notebook_timeout"] or None,
        max_output_bytes=options["max_output_bytes"],
        keep_going=options["keep_going"],
    )


def execute(request: Request, factory: KernelFactory | None = None) -> Report:
    """Run the notebooks of ``request``; ``factory`` replaces the local kernel factory."""
    from nbtools.execute.reaper import orphan_guard, sweep_temp

    sweep_temp()  # what an nbtools that was killed left behind
    if request.options["image"]:
        # container kernels: the engine's monitor (conmon) daemonizes on purpose and must
        # outlive us to remove its container; the container has its own init
        return _execute(request, factory)
    with orphan_guard():  # nothing a notebook starts outlives the run
        return _execute(request, factory)


def _execute(request: Request, factory: KernelFactory | None) -> Report:
    options = request.options
    args = request.args
    report = Report(NAME)
    report.fail_on_warnings = False  # only fail_* verdicts fail the run
    if getattr(args, "merge_reports", None):
        from nbtools.commands.report import merge_files

        return merge_files(args.merge_reports)  # the same as `nbtools report merge`
    env = kernel_environment(_parse_env(options["env"]))
    files = collect_files(request.paths, (".ipynb",), request.exclude, request.config.root_dir)
    if args.shard:
        from nbtools.execute.shard import load_durations, select
        from nbtools.execute.shardenv import resolve_shard

        k, n = resolve_shard(args.shard)  # K/N, or auto[/N] from the CI's variables
        durations = load_durations(args.durations) if args.durations else {}
        files = select(files, k, n, durations)
        report.sections["shard"] = {"index": k, "count": n}
    sources = _load(files, report)
    repeat = max(1, options["repeat"])
    workers = options["jobs"] or default_jobs()
    owned: Any = None
    entries: dict[int, dict[str, Any]] = {}
    plan = _cache_plan(request, env)
    if getattr(args, "changed_since", None):
        sources = _changed_since(args.changed_since, sources, plan, report)
    if factory is None and options["image"]:
        from nbtools.container.factory import ContainerKernelFactory

        if plan is not None:
            plan.use_container(_container_spec(options, sources))
            _serve_cached(plan, sources, entries, request, report)
        if len(entries) < len(sources):  # no container at all when the cache answers
            folders = [s.folder for s in sources]
            factory = owned = ContainerKernelFactory.from_options(options, folders)
        report.sections["interpreter"] = {"image": options["image"], "source": "image"}
    if factory is None:
        from nbtools.execute.kernels import LocalKernelFactory

        python = _interpreter(options, sources, report, env)
        if python is not None:
            env = kernel_path_env(env, python)
        factory = owned = LocalKernelFactory(
            options["kernel"],
            use_forkserver=options["fork"],
            python=python.python if python is not None else None,
        )
        if plan is not None:
            plan.use_local(owned, env)
            _serve_cached(plan, sources, entries, request, report)
    for i, s in enumerate(sources):  # R, Julia...: never run as Python (#16)
        missing = None if i in entries else _kernel_unavailable(s, owned, options)
        if missing is not None:
            entries[i] = _finish(
                s, [NotebookRun(failure=missing, kernel_unavailable=missing)], request, report
            )
    jobs = [
        Job((i, r), s.nb, s.kernel_name, s.folder, env, fresh_parent=r > 0)
        for i, s in enumerate(sources)
        for r in range(repeat)
        if i not in entries  # served from the cache, or no kernel for its language
    ]
    started = time.monotonic()
    runs: dict[int, list[NotebookRun]] = {}
    execution = exec_options(options)
    execution.audit = plan is not None  # what each kernel reads, for the cache
    try:
        if options["kernel"] and hasattr(owned, "spec_for"):
            try:
                owned.spec_for("")
            except KernelStartError as exc:
                raise UsageError(str(exc)) from None
        batch = jobs
        while batch:
            if owned is not None:
                owned.expect(
                    sum(not j.fresh_parent for j in batch), sum(j.fresh_parent for j in batch)
                )
            assert factory is not None
            results = run_jobs(batch, factory, execution, workers)
            again: list[Job] = []
            for job, run in _progress(request.console, results, len(batch)):
                index, _ = job.key
                runs.setdefault(index, []).append(run)
                if len(runs[index]) < repeat:
                    continue
                if repeat == 1 and len(runs[index]) == 1 and _needs_second_run(sources[index], run):
                    # a single run cannot tell hidden state from nondeterminism: ask again,
                    # from a different parent (hash seed, address layout)
                    again.append(Job((index, 1), job.nb, job.kernel_name, job.cwd, env, True))
                    continue
                entries[index] = _finish(sources[index], runs[index], request, report)
                if plan is not None and entries[index]["verdict"] in PASSING:
                    redactor = _redactor(sources[index], runs[index])
                    plan.store(sources[index], runs[index], entries[index], redactor)
                _log_line(request.console, entries[index])
            batch = again
    finally:
        if owned is not None:
            owned.close()
        if plan is not None:
            plan.cache.prune()
    if plan is not None:
        report.sections["cache"] = {"served": plan.served, "stored": plan.stored}
    report.sections["notebooks"] = [entries[i] for i in sorted(entries)]
    report.sections["summary_line"] = _summary(
        report.sections["notebooks"], time.monotonic() - started, report.sections.get("interpreter")
    )
    if args.html:
        from nbtools.execute.html import write_index

        write_index(args.html, report.sections["notebooks"], report.sections["summary_line"])
    return report


def _kernel_unavailable(source: Source, factory: Any, options: dict[str, Any]) -> str | None:
    """Why a notebook in another language than Python cannot run here, or None."""
    from nbtools.execute.causes import unavailable_language

    language = unavailable_language(source.nb)
    if language is None or options["kernel"]:
        return None
    name = source.kernel_name
    if options["image"] or factory is None:
        where = f"the image {options['image']} runs" if options["image"] else "this run has"
        return f"the notebook is written in {language} (kernelspec `{name}`) and {where} only Python kernels"
    try:
        spec = factory.spec_for(name)
    except Exception:  # noqa: BLE001 - no such kernelspec here
        return f"the notebook is written in {language} and no kernel `{name}` is installed here"
    if str(getattr(spec, "language", "")).lower() != language.lower():
        return (
            f"the notebook is written in {language}, but kernel `{name}` here runs {spec.language}"
        )
    return None


def _interpreter(
    options: dict[str, Any], sources: list[Source], report: Report, env: dict[str, str]
) -> Any:
    """The project's Python for the kernels (None: a kernel was configured), in the report."""
    if options["kernel"]:
        report.sections["interpreter"] = {
            "kernel": options["kernel"],
            "source": "kernel",
            "reason": "the configured kernel (--kernel or [tool.nbtools.run] kernel)",
        }
        return None
    from nbtools.discovery import git_root
    from nbtools.execute.interpreter import find_interpreter, has_ipykernel

    start = sources[0].folder if sources else os.getcwd()
    found = find_interpreter(git_root(start))
    report.sections["interpreter"] = found.to_dict()
    if sources and found.source != "nbtools" and not has_ipykernel(found.python, env):
        raise UsageError(
            f"kernels would run on {found.python}, {found.reason}, which has no ipykernel: "
            f"install it there (`{found.python} -m pip install ipykernel`), or pass "
            "--kernel NAME|PYTHON"
        )
    return found


def _load(files: list[str], report: Report) -> list[Source]:
    sources: list[Source] = []
    seen: set[str] = set()
    for path in files:
        try:
            source = load_source(path)
        except InputError as exc:
            report.add_error(path, exc.reason)
            continue
        if source.identity() in seen:
            continue
        seen.add(source.identity())
        sources.append(source)
    return sources


def _progress(
    console: Console, results: Iterator[tuple[Job, NotebookRun]], total: int
) -> Iterator[tuple[Job, NotebookRun]]:
    return console.progress(results, total=total, label="run")


def _log_line(console: Console, entry: dict[str, Any]) -> None:
    """One line per notebook in logs (a progress bar shows on a terminal instead)."""
    from nbtools.console import interactive

    if interactive(console.err) or console.verbosity < 0:
        return
    verdict = entry["verdict"]
    colour = "green" if verdict in PASSING else "yellow" if verdict in NOT_FAILING else "red"
    took = "cached" if entry.get("cached") else f"{entry['duration_s']:.2f} s"
    text = f"{console.style(verdict, colour, stream='err')} {entry['path']} ({took})"
    if verdict not in PASSING and entry.get("reason"):
        text += f": {entry['reason'].splitlines()[0]}"
    console.info(text)


def _needs_second_run(source: Source, run: NotebookRun) -> bool:
    from nbtools.hidden_state.static import analyze_notebook
    from nbtools.hidden_state.verdict import needs_second_run

    return needs_second_run(source.nb, analyze_notebook(source.nb, source.path), run)


def _verdict(source: Source, runs: list[NotebookRun]) -> Any:
    """The hidden-state analysis's verdict (the only source of verdicts)."""
    from nbtools.hidden_state.static import analyze_notebook
    from nbtools.hidden_state.verdict import decide

    text = source.nbfile.text if source.nbfile is not None and not source.script else None
    static = analyze_notebook(source.nb, source.path, text)
    return decide(source.nb, source.path, static, runs)


def _finish(
    source: Source, runs: list[NotebookRun], request: Request, report: Report
) -> dict[str, Any]:
    redact = _redactor(source, runs)
    run = _masked_run(runs[0], redact)
    decided = _verdict(source, runs)
    verdict, divergent = decided.verdict, decided.first_divergent_cell
    cause = _cause(source, runs, decided, request, report)
    reason = decided.reason
    note = _kernel_note(source, request)
    if note and verdict not in PASSING:
        reason = f"{reason} ({note})"
    if cause is not None:
        reason = f"{reason} [{cause.name}: {cause.message}]"
    reason = redact(reason) if reason else reason
    findings = _findings(source, run, verdict, divergent, reason)
    report.add_findings(findings)
    entry: dict[str, Any] = {
        "path": source.path,
        "verdict": verdict,
        "cause": cause.name if cause is not None else None,
        "cause_message": redact(cause.message) if cause is not None else None,
        "first_divergent_cell": divergent,
        "reason": reason,
        "duration_s": run.duration_s,
        "failure": run.failure,
        "cells": [_cell_entry(source, c) for _, c in sorted(run.cells.items())],
    }
    if source.script:
        entry["script"] = source.script
        entry["script_line"] = source.script_lines.get(divergent) if divergent is not None else None
    analysis = redact.deep(decided.to_dict())
    entry["cells"] = _merge_cells(entry["cells"], analysis.pop("cells", []))
    for key in ("first_divergent_cell_id", "first_hidden_state_cell", "warnings", "runs"):
        entry[key] = analysis.get(key)
    if len(runs) > 1:
        entry["repeat_durations_s"] = [r.duration_s for r in runs]
    if note:
        entry["kernel_note"] = note
    _store(source, runs[0], verdict, divergent, reason, request, report, entry, redact)
    if request.args.html:
        _verdict_page(source, run, entry, request.args.html, redact)
    ok = verdict in NOT_FAILING
    report.add_file(
        FileResult(
            source.path,
            "clean" if ok else "findings",
            "" if ok else verdict,
            {"duration_s": run.duration_s, "cause": entry["cause"]},
        )
    )
    if not ok:
        report.sections.setdefault("text_lines", []).extend(
            redact(line) for line in _explain(source, run, divergent, reason, entry["cells"])
        )
    return entry


def _kernel_note(source: Source, request: Request) -> str | None:
    """A python2 or custom kernelspec that ran as the image's python3 is said."""
    from nbtools.execute.causes import kernel_note, unavailable_language

    if unavailable_language(source.nb) is not None:
        return None
    return kernel_note(source.kernel_name, bool(request.options["image"]))


def _cause(
    source: Source, runs: list[NotebookRun], decided: Any, request: Request, report: Report
) -> Any:
    """The cause of a verdict other than pass (:mod:`nbtools.execute.causes`)."""
    from nbtools.discovery import git_root
    from nbtools.execute.causes import Context, classify

    options = request.options
    interpreter = report.sections.get("interpreter") or {}
    python = next((r.environment.get("python") for r in runs if r.environment), None)
    if options["image"]:
        where = f"the image {options['image']}"
    else:
        where = str(
            python
            or interpreter.get("python")
            or interpreter.get("kernel")
            or "the kernel's Python"
        )
    context = Context(
        where=where,
        container=bool(options["image"]),
        network=options.get("network") == "host",
        root=git_root(source.folder),
        folder=source.folder,
    )
    return classify(source.nb, runs, decided, context)


def _verdict_page(
    source: Source, run: NotebookRun, entry: dict[str, Any], out_dir: str, redact: Redactor
) -> None:
    """``--html``: the notebook's verdict page (masked: ``run`` already is)."""
    from nbtools.execute.html import write_verdict_page
    from nbtools.notebook import source_text

    index = entry.get("first_divergent_cell")
    cells = source.nb.get("cells") or []
    cell = cells[index] if isinstance(index, int) and index < len(cells) else None
    fresh = run.cells.get(index) if isinstance(index, int) else None
    write_verdict_page(
        out_dir,
        entry,
        redact(source_text(cell)) if cell is not None else None,
        fresh.traceback if fresh is not None and fresh.ename else [],
        redact.deep(cell.get("outputs") or []) if cell is not None else None,
        redact.deep(fresh.outputs) if fresh is not None else None,
    )


def _redactor(source: Source, runs: list[NotebookRun]) -> Redactor:
    """What masks this notebook's secrets in everything the report shows of it (#17.5)."""
    from nbtools.execute.redact import Redactor, strings

    texts: list[str] = list(strings(source.nb))
    for run in runs:
        texts.append(run.failure or "")
        for cell in run.cells.values():
            texts.extend(strings(cell.outputs))
            texts.extend([cell.evalue or "", *cell.traceback])
    return Redactor(texts)


def _masked_run(run: NotebookRun, redact: Redactor) -> NotebookRun:
    """A copy of ``run`` whose texts (failure, error values, tracebacks) are masked."""
    from dataclasses import replace

    cells = {
        index: replace(
            cell,
            evalue=redact(cell.evalue) if cell.evalue else cell.evalue,
            traceback=[redact(line) for line in cell.traceback],
        )
        for index, cell in run.cells.items()
    }
    failure = redact(run.failure) if run.failure else run.failure
    return replace(run, cells=cells, failure=failure)


def _merge_cells(
    executed: list[dict[str, Any]], judged: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Per code cell: how it ran (executor) and whether it reproduced (hidden_state)."""
    by_index = {cell.get("index"): dict(cell) for cell in judged}
    merged = []
    for cell in executed:
        extra = by_index.get(cell["index"], {})
        merged.append({**extra, **cell})
    return merged


def _cell_entry(source: Source, cell: CellRun) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "index": cell.index,
        "status": cell.status.value,
        "duration_s": cell.duration_s,
    }
    if cell.ename is not None:
        entry["ename"] = cell.ename
        entry["evalue"] = cell.evalue
        entry["line"] = _line_in_cell(cell)
    if source.script and cell.index in source.script_lines:
        entry["script_line"] = source.script_lines[cell.index]
    return entry


def _line_in_cell(cell: CellRun) -> int | None:
    text = _ANSI.sub("", "\n".join(cell.traceback))
    found = _CELL_LINE.findall(text)
    return int(found[0]) if found else None  # the top frame is always this cell's


_STATUS_RULES = {
    CellStatus.ERROR: "run/error",
    CellStatus.TIMEOUT: "run/timeout",
    CellStatus.KERNEL_DIED: "run/kernel-died",
    CellStatus.OUTPUT_LIMIT: "run/output-limit",
}


def _findings(
    source: Source, run: NotebookRun, verdict: str, divergent: int | None, reason: str | None
) -> list[Finding]:
    findings: list[Finding] = []
    for index, cell in sorted(run.cells.items()):
        rule = _STATUS_RULES.get(cell.status)
        if rule is None:
            continue
        message = (
            f"{cell.ename}: {cell.evalue}"
            if cell.status is CellStatus.ERROR
            else run.failure or rule
        )
        if index == divergent and reason:
            message = reason  # the analysis says why, e.g. which cell below defines the name
        findings.append(_finding(source, rule, message.splitlines()[0], index, _line_in_cell(cell)))
    if not findings and run.failure:
        rule = (
            "run/start-failed"
            if "start" in run.failure or run.kernel_unavailable
            else "run/timeout"
        )
        message = reason if reason else run.failure
        findings.append(_finding(source, rule, message.splitlines()[0], None, None))
    for index, cell in sorted(run.cells.items()):
        for command, what in cell.shell_failures:
            severity = Severity.ERROR if verdict == "fail_error" else Severity.WARNING
            message = f"`{command}` {what} [shell-command]"
            findings.append(_finding(source, "run/shell-command", message, index, None, severity))
    if verdict == "fail_mismatch":
        findings.append(
            _finding(source, "run/mismatch", reason or "outputs differ", divergent, None)
        )
    elif verdict == "nondeterministic":
        findings.append(
            _finding(
                source,
                "run/nondeterministic",
                reason or "outputs differ",
                divergent,
                None,
                Severity.WARNING,
            )
        )
    return findings


def _finding(
    source: Source,
    rule: str,
    message: str,
    index: int | None,
    line: int | None,
    severity: Severity = Severity.ERROR,
) -> Finding:
    cells = source.nb.get("cells") or []
    cell = cells[index] if index is not None and index < len(cells) else {}
    json_line = None
    path = source.path
    if source.script and index is not None and index in source.script_lines:
        path = source.script
        json_line = source.script_lines[index] + (line - 1 if line else 0)
    elif source.nbfile is not None and index is not None and source.script is None:
        from nbtools.notebook.positions import LineMap

        json_line = LineMap(source.nbfile.text).source_line(index, line or 1)
    return Finding(
        path=path,
        rule=rule,
        message=message,
        severity=severity,
        cell_index=index,
        cell_id=cell.get("id") if isinstance(cell, dict) else None,
        where=Where.SOURCE if index is not None else Where.NOTEBOOK,
        line=line,
        json_line=json_line,
    )


def _explain(
    source: Source,
    run: NotebookRun,
    divergent: int | None,
    reason: str | None,
    cell_entries: list[dict[str, Any]],
) -> list[str]:
    """The failing cell's source and traceback, for the text report."""
    lines = [f"--- {source.path}: {reason or run.failure or 'failed'}"]
    first = run.first_error
    index = first.index if first is not None else divergent
    cells = source.nb.get("cells") or []
    if index is None or index >= len(cells):
        return lines
    where = f"cell {index + 1}"
    if source.script and index in source.script_lines:
        where += f" ({source.script}:{source.script_lines[index]})"
    lines.append(f"{where}:")
    from nbtools.notebook import source_text

    lines.extend(f"    {line}" for line in source_text(cells[index]).splitlines())
    if first is not None and first.traceback:
        lines.extend(_ANSI.sub("", "\n".join(first.traceback)).splitlines())
    elif first is None:
        # a mismatch: what the notebook stored against what the fresh run printed
        judged = next((c for c in cell_entries if c.get("index") == index), {})
        for key in ("stored", "fresh"):
            if judged.get(key) is not None:
                lines.append(f"  {key}: {judged[key]}")
    return lines


def _store(
    source: Source,
    run: NotebookRun,
    verdict: str,
    divergent: int | None,
    reason: str | None,
    request: Request,
    report: Report,
    entry: dict[str, Any],
    redact: Redactor,
) -> None:
    """--write and --html: outputs of the run, never the user's files unless asked.

    ``--write`` stores what the notebook printed (the user's file, which ``scan`` checks);
    an ``--html`` artifact is a report, so its secrets are masked.
    """
    executed = run.executed_nb
    if executed is None:
        return
    args = request.args
    if args.write and source.nbfile is not None:
        try:
            _write(source, executed, report, entry)
        except OSError as exc:
            report.add_error(source.nbfile.path, f"cannot write: {exc.strerror or exc}")
    if args.html:
        from nbtools.execute.html import write_html

        failing = None if verdict in PASSING else divergent
        masked = redact.deep(executed)
        entry["html"] = write_html(masked, args.html, source.path, failing, reason or "")


def _write(source: Source, executed: dict[str, Any], report: Report, entry: dict[str, Any]) -> None:
    """``--write``, only over what was read at the start: an edit saved while the notebook
    ran wins, and the run's outputs are reported as a conflict (a finding: exit 1)."""
    from nbtools.notebook import atomic_write, write_target

    assert source.nbfile is not None
    data = source.nbfile.render_bytes(executed)  # the slow part, before the last look
    if data == source.nbfile.raw:
        entry["written"] = False
        return
    target = write_target(source.nbfile.path)  # links stay links, inside the repository
    changed = source.changed_on_disk()
    if changed is None:
        atomic_write(target, data)
        entry["written"] = True
        return
    message = (
        f"{changed} changed on disk while the notebook ran: your version is kept and the "
        "run's outputs were not written; run again to store them"
    )
    entry["written"] = False
    entry["write_conflict"] = message
    report.add_findings(
        [Finding(source.nbfile.path, "run/write-conflict", message, where=Where.NOTEBOOK)]
    )


def _summary(
    entries: list[dict[str, Any]], elapsed: float, interpreter: dict[str, Any] | None = None
) -> str:
    counts: dict[str, int] = {}
    for entry in entries:
        counts[entry["verdict"]] = counts.get(entry["verdict"], 0) + 1
    parts = ", ".join(f"{n} {verdict}" for verdict, n in sorted(counts.items()))
    cached = sum(1 for entry in entries if entry.get("cached"))
    parts += f" ({cached} cached)" if cached else ""
    noun = "notebook" if len(entries) == 1 else "notebooks"
    line = f"{len(entries)} {noun}: {parts or 'nothing run'} in {elapsed:.1f} s"
    return line + (f"; {ran_on(interpreter)}" if interpreter and entries else "")


def ran_on(interpreter: dict[str, Any]) -> str:
    """Which interpreter or image ran the notebooks, and why that one (one line)."""
    if interpreter.get("image"):
        return f"kernels ran in the image {interpreter['image']}"
    if interpreter.get("source") == "kernel":
        return f"kernels ran on {interpreter['kernel']} (the configured kernel)"
    return f"kernels ran on {interpreter['python']}: {interpreter['reason']}"


# --- the run cache (#14) ------------------------------------------------------------


def _cache_plan(request: Request, env: dict[str, str]) -> Any:
    """The run cache of ``--cache DIR`` / ``[tool.nbtools.run] cache`` (None: off)."""
    options, args = request.options, request.args
    folder = options.get("cache")
    if not folder or getattr(args, "no_cache", False):
        return None
    from nbtools.execute.cache import RunCache, parse_size
    from nbtools.execute.cacheplan import CachePlan

    if getattr(args, "cache", None) is None:  # from a config file: relative to it
        folder = os.path.join(request.config.root_dir, folder)
    try:
        size = parse_size(options.get("cache_max_size") or "1G")
    except ValueError as exc:
        raise UsageError(f"--cache-max-size: {exc}") from None
    cache = RunCache(os.path.abspath(folder), size, request.console.warning)
    return CachePlan(cache, options, env, refresh=bool(getattr(args, "refresh", False)))


def _container_spec(options: dict[str, Any], sources: list[Source]) -> Any:
    """The containers' settings, without starting one (the cache looks up first)."""
    from nbtools.container.engine import detect_engine
    from nbtools.container.factory import work_tree
    from nbtools.container.options import spec_from_options

    engine = detect_engine(options.get("engine"))
    return spec_from_options(options, engine.path, work_tree([s.folder for s in sources]))


def _serve_cached(
    plan: Any,
    sources: list[Source],
    entries: dict[int, dict[str, Any]],
    request: Request,
    report: Report,
) -> None:
    """Report each notebook a stored result answers (``"cached": true``), as if it ran."""
    for index, source in enumerate(sources):
        found = plan.lookup(source)
        if found is None:
            continue
        entry, executed = found
        entries[index] = entry
        if executed is not None:
            run = NotebookRun(executed_nb=executed)
            redact = _redactor(source, [])
            _store(source, run, entry["verdict"], None, None, request, report, entry, redact)
        report.add_file(FileResult(source.path, "clean", "", {"duration_s": 0.0, "cached": True}))
        _log_line(request.console, entry)


def _changed_since(ref: str, sources: list[Source], plan: Any, report: Report) -> list[Source]:
    """``--changed-since REF``: the notebooks a change since REF can affect."""
    from nbtools.execute.changed import select

    recorded = plan.cache.recorded_inputs() if plan is not None else None
    chosen, why = select(sources, ref, recorded)
    report.sections["changed_since"] = {
        "ref": ref,
        "selected": {sources[i].path: why[sources[i].path] for i in chosen},
        "unchanged": len(sources) - len(chosen),
    }
    return [sources[i] for i in chosen]
