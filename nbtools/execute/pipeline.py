"""The ``nbtools run`` pipeline: notebooks in, one report out.

1. collect the notebooks (and the shard of them, ``--shard``), read each once;
2. with ``--cache``, answer what a stored result still answers, before any kernel starts;
3. choose the kernels (:mod:`~nbtools.execute.runkernels`) and run the rest on fresh ones,
   ``-j`` at a time (:mod:`~nbtools.execute.scheduler`); a notebook whose single run
   cannot tell hidden state from nondeterminism runs once more from a fresh parent;
4. judge each notebook as its runs come in (:mod:`~nbtools.execute.outcome`) and report
   it: verdict, cause, findings, outputs, one log line.

``nbtools run`` and ``pytest --nbtools`` both run it (:func:`run_notebooks`).
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Iterator

from nbtools.discovery import collect_files
from nbtools.errors import InputError
from nbtools.execute.interpreter import kernel_path_env
from nbtools.execute.outcome import NotebookTask, finish
from nbtools.execute.outputs import store_outputs
from nbtools.execute.process import kernel_environment
from nbtools.execute.redact import redactor_for
from nbtools.execute.rules import PASSING
from nbtools.execute.runkernels import (
    Kernels,
    container_kernels,
    container_spec,
    local_kernels,
    project_interpreter,
)
from nbtools.execute.scheduler import Job, default_jobs, run_jobs
from nbtools.execute.source import Source, load_source
from nbtools.renderers.verdicts import notebook_line
from nbtools.renderers.views import headline
from nbtools.report import FileResult, FileStatus, Report
from nbtools.results import CacheUse, ChangedSince, RunResult
from nbtools.runs import FailureKind, NotebookRun

if TYPE_CHECKING:
    from nbtools.console import Console
    from nbtools.execute.cacheplan import CachePlan
    from nbtools.execute.process import KernelFactory
    from nbtools.execute.settings import RunSettings

NAME = "run"


def run_notebooks(
    settings: RunSettings, console: Console, factory: KernelFactory | None = None
) -> Report:
    """Run the notebooks of ``settings``; ``factory`` replaces the kernels the run would
    choose (it is the caller's: the run neither tells it what is coming nor closes it)."""
    from nbtools.execute.reaper import orphan_guard, sweep_temp

    sweep_temp()  # what an nbtools that was killed left behind
    if settings.image:
        # container kernels: the engine's monitor (conmon) daemonizes on purpose and must
        # outlive us to remove its container; the container has its own init
        return _run(settings, console, factory)
    with orphan_guard():  # nothing a notebook starts outlives the run
        return _run(settings, console, factory)


def _run(settings: RunSettings, console: Console, given: KernelFactory | None) -> Report:
    result = RunResult()
    report = Report(NAME, result=result)
    report.fail_on_warnings = False  # only fail_* verdicts fail the run
    env = kernel_environment(settings.extra_env)
    files = collect_files(settings.paths, (".ipynb",), settings.exclude, settings.root_dir)
    if settings.shard:
        from nbtools.execute.shard import load_durations, select
        from nbtools.execute.shardenv import resolve_shard

        k, n = resolve_shard(settings.shard)  # K/N, or auto[/N] from the CI's variables
        durations = load_durations(settings.durations) if settings.durations else {}
        files = select(files, k, n, durations)
        result.shard = (k, n)
    tasks = [NotebookTask(source) for source in load_sources(files, report)]
    plan = _open_cache(settings, env, console)
    if settings.changed_since:
        tasks = _changed_since(settings.changed_since, tasks, plan, result)
    entries: dict[int, dict[str, Any]] = {}  # by the notebook's index in tasks
    explained: dict[int, list[str]] = {}  # why each failed, by the same index
    kernels: Kernels | None = None
    sources = [task.source for task in tasks]
    if given is not None:
        kernels = Kernels(given, owned=False)
    elif settings.image:
        if plan is not None:
            plan.use_container(container_spec(settings, sources))
            _serve_cached(plan, tasks, entries, settings, console, report)
        if len(entries) < len(tasks):  # no container at all when the cache answers
            kernels = container_kernels(settings, sources)
        result.interpreter = {"image": settings.image, "source": "image"}
    else:
        python = project_interpreter(settings, sources, result, env)
        if python is not None:
            env = kernel_path_env(env, python)
        kernels = local_kernels(settings, python)
        if plan is not None:
            assert kernels.local is not None
            plan.use_local(kernels.local, env)
            _serve_cached(plan, tasks, entries, settings, console, report)
    started = time.monotonic()
    try:
        if kernels is not None:
            _execute(
                tasks, kernels, env, plan, entries, explained, settings, console, report, result
            )
    finally:
        if kernels is not None:
            kernels.close()
        if plan is not None:
            plan.cache.prune()
    result.elapsed_s = time.monotonic() - started
    if plan is not None:
        result.cache = CacheUse(served=plan.served, stored=plan.stored)
    result.notebooks = [entries[i] for i in sorted(entries)]
    result.explanations = [line for i in sorted(explained) for line in explained[i]]
    _in_given_order(report, files)
    if settings.html:
        from nbtools.execute.html import write_index

        write_index(settings.html, result.notebooks, headline(report))
    return report


def _execute(
    tasks: list[NotebookTask],
    kernels: Kernels,
    env: dict[str, str],
    plan: CachePlan | None,
    entries: dict[int, dict[str, Any]],
    explained: dict[int, list[str]],
    settings: RunSettings,
    console: Console,
    report: Report,
    result: RunResult,
) -> None:
    """Run every notebook the cache did not answer, and report each as it is judged."""

    def judge(index: int) -> None:
        judged = finish(tasks[index], settings, report, result)
        entries[index], explained[index] = judged.entry, judged.explanation

    for index, task in enumerate(tasks):  # R, Julia...: never run as Python (#16)
        missing = None if index in entries else kernels.unavailable(task.source, settings)
        if missing is not None:
            task.runs.append(
                NotebookRun(
                    failure=missing,
                    failure_kind=FailureKind.KERNEL_UNAVAILABLE,
                    kernel_unavailable=missing,
                )
            )
            judge(index)
    batch = [
        Job((index, r), task.source.nb, task.source.kernel_name, task.source.folder, env, r > 0)
        for index, task in enumerate(tasks)
        for r in range(settings.repeat)
        if index not in entries  # served from the cache, or no kernel for its language
    ]
    execution = replace(settings.execution, audit=plan is not None)  # reads, for the cache
    workers = settings.jobs or default_jobs()
    kernels.check_kernel_option(settings)
    while batch:
        kernels.expect(sum(not j.fresh_parent for j in batch), sum(j.fresh_parent for j in batch))
        results = run_jobs(batch, kernels.factory, execution, workers)
        again: list[Job] = []
        for job, run in _progress(console, results, len(batch)):
            index, _ = job.key
            task = tasks[index]
            task.runs.append(run)
            if len(task.runs) < settings.repeat:
                continue
            if settings.repeat == 1 and len(task.runs) == 1 and task.needs_second_run():
                # a single run cannot tell hidden state from nondeterminism: ask again,
                # from a different parent (hash seed, address layout)
                again.append(Job((index, 1), job.nb, job.kernel_name, job.cwd, env, True))
                continue
            judge(index)
            if plan is not None and entries[index]["verdict"] in PASSING:
                redactor = redactor_for(task.source.nb, task.runs)
                plan.store(task.source, task.runs, entries[index], redactor)
            _log_line(console, entries[index])
        batch = again


def _in_given_order(report: Report, files: list[str]) -> None:
    """List files and findings in the order the notebooks were given, not the order they
    finished in (``-j``) or were answered in (the cache first): two reports of one tree
    then read alike, and diff."""
    rank = {path: i for i, path in enumerate(files)}

    def key(path: str) -> int:
        return rank.get(path, len(rank))

    report.files.sort(key=lambda f: key(f.path))
    report.findings.sort(key=lambda f: key(f.path))
    report.suppressed.sort(key=lambda f: key(f.path))


def load_sources(files: list[str], report: Report) -> list[Source]:
    """Each notebook (or its paired script) once; unreadable ones are file errors."""
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
    console.info(
        notebook_line(entry, lambda text, colour: console.style(text, colour, stream="err"))
    )


# --- the run cache (#14) ------------------------------------------------------------


def _open_cache(settings: RunSettings, env: dict[str, str], console: Console) -> CachePlan | None:
    """The run cache of ``--cache DIR`` / ``[tool.nbtools.run] cache`` (None: off)."""
    if settings.cache is None:
        return None
    from nbtools.execute.cacheplan import CachePlan

    return CachePlan.open(settings.cache, env, console.warning)


def _serve_cached(
    plan: CachePlan,
    tasks: list[NotebookTask],
    entries: dict[int, dict[str, Any]],
    settings: RunSettings,
    console: Console,
    report: Report,
) -> None:
    """Report each notebook a stored result answers (``"cached": true``), as if it ran."""
    for index, task in enumerate(tasks):
        found = plan.lookup(task.source)
        if found is None:
            continue
        entry, executed = found
        entries[index] = entry
        if executed is not None:
            run = NotebookRun(executed_nb=executed)
            redact = redactor_for(task.source.nb, [])
            verdict = entry["verdict"]
            store_outputs(task.source, run, verdict, None, None, settings, report, entry, redact)
        report.add_file(FileResult(task.source.path, FileStatus.CLEAN, duration_s=0.0, cached=True))
        _log_line(console, entry)


def _changed_since(
    ref: str, tasks: list[NotebookTask], plan: CachePlan | None, result: RunResult
) -> list[NotebookTask]:
    """``--changed-since REF``: the notebooks a change since REF can affect."""
    from nbtools.execute.changed import select

    sources = [task.source for task in tasks]
    recorded = plan.cache.recorded_inputs() if plan is not None else None
    chosen, why = select(sources, ref, recorded)
    result.changed_since = ChangedSince(
        ref=ref,
        selected={sources[i].path: why[sources[i].path] for i in chosen},
        unchanged=len(sources) - len(chosen),
    )
    return [tasks[i] for i in chosen]
