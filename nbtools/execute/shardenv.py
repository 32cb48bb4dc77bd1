"""``--shard auto``: this machine's shard, from the parallel-job variables of the CI engine.

Each engine numbers its parallel jobs its own way (some from 0, some from 1), and a
Kubernetes Indexed Job knows only its own index: ``auto/N`` (or ``NBTOOLS_SHARD_TOTAL``)
gives the total there. The variables are read in :data:`ENGINES` order; the first engine
whose index (or, for a job that is not parallel, whose total of 1) is set decides.
"""

from __future__ import annotations

import os
from typing import Mapping, NamedTuple

from nbtools.errors import UsageError


class Engine(NamedTuple):
    """Where one CI engine keeps the index and total of a parallel job."""

    name: str
    index_var: str  # the variable holding this job's index
    total_var: str | None  # the variable holding the number of jobs (None: given with auto/N)
    base: int  # the index of the first job (0 or 1)


#: nbtools' own pair first (a GitHub matrix sets it; it overrides an engine's), then the
#: engines' documented variables
ENGINES: tuple[Engine, ...] = (
    Engine("NBTOOLS_SHARD_INDEX", "NBTOOLS_SHARD_INDEX", "NBTOOLS_SHARD_TOTAL", 0),
    Engine("GitLab CI (parallel:)", "CI_NODE_INDEX", "CI_NODE_TOTAL", 1),
    Engine("CircleCI (parallelism:)", "CIRCLE_NODE_INDEX", "CIRCLE_NODE_TOTAL", 0),
    Engine("Buildkite (parallelism:)", "BUILDKITE_PARALLEL_JOB", "BUILDKITE_PARALLEL_JOB_COUNT", 0),
    Engine("Semaphore (parallelism:)", "SEMAPHORE_JOB_INDEX", "SEMAPHORE_JOB_COUNT", 1),
    Engine(
        "Azure Pipelines (parallel:)", "SYSTEM_JOBPOSITIONINPHASE", "SYSTEM_TOTALJOBSINPHASE", 1
    ),
    Engine("Kubernetes Indexed Job", "JOB_COMPLETION_INDEX", None, 0),
)

#: ``K/N`` set by hand or by a GitHub matrix (``NBTOOLS_SHARD: ${{ matrix.shard }}/4``)
SHARD_VARIABLE = "NBTOOLS_SHARD"
#: the total for an engine that has none (Kubernetes: the Job's ``.spec.completions``)
TOTAL_VARIABLE = "NBTOOLS_SHARD_TOTAL"


def resolve_shard(text: str, env: Mapping[str, str] | None = None) -> tuple[int, int]:
    """``--shard`` -> ``(K, N)``, K 1-based: ``K/N`` as given, ``auto`` or ``auto/N`` from
    the environment (see :data:`ENGINES`)."""
    from nbtools.execute.shard import parse_shard

    head, _, tail = text.partition("/")
    if head != "auto":
        return parse_shard(text)
    total = _number(tail, f"--shard {text}") if tail else None
    if total is not None and total < 1:
        raise UsageError(f"--shard {text!r}: N must be at least 1")
    found = detect(os.environ if env is None else env, total)
    if found is None:
        names = ", ".join(
            f"{e.index_var}/{e.total_var}" if e.total_var else e.index_var
            for e in ENGINES
            if e.base or e.total_var
        )
        raise UsageError(
            f"--shard {text}: no parallel CI job found (looked for {SHARD_VARIABLE}=K/N, "
            f"{names}, JOB_COMPLETION_INDEX with auto/N); give --shard K/N"
        )
    k, n, source = found
    if total is not None and n != total:
        raise UsageError(f"--shard {text}: {source} says this is shard {k} of {n}, not of {total}")
    return k, n


def detect(env: Mapping[str, str], total: int | None = None) -> tuple[int, int, str] | None:
    """``(K, N, where it came from)``, or None when no CI engine says."""
    from nbtools.execute.shard import parse_shard

    explicit = env.get(SHARD_VARIABLE, "").strip()
    if explicit:
        try:
            k, n = parse_shard(explicit)
        except UsageError:
            raise UsageError(f"{SHARD_VARIABLE}={explicit!r}: expected K/N, e.g. 1/4") from None
        return k, n, f"{SHARD_VARIABLE}={explicit}"
    for engine in ENGINES:
        index_text = env.get(engine.index_var, "").strip()
        total_text = env.get(engine.total_var, "").strip() if engine.total_var else ""
        if not index_text:
            if total_text == "1":  # the engine's job is not parallel: it runs everything
                return 1, 1, f"{engine.name}: {engine.total_var}=1"
            continue
        index = _number(index_text, engine.index_var)
        count = _number(total_text, engine.total_var) if total_text else None
        if count is None:
            count = total if total is not None else _total_from(env, engine)
        where = f"{engine.name}: {engine.index_var}={index_text}"
        if count < 1 or not engine.base <= index < count + engine.base:
            first, last = engine.base, count - 1 + engine.base
            raise UsageError(f"{where} is outside {first}..{last} (of {count} jobs)")
        return index - engine.base + 1, count, where
    return None


def _total_from(env: Mapping[str, str], engine: Engine) -> int:
    text = env.get(TOTAL_VARIABLE, "").strip()
    if not text:
        raise UsageError(
            f"{engine.name}: {engine.index_var} is set but the number of shards is not: "
            f"give --shard auto/N (N = the Job's completions) or set {TOTAL_VARIABLE}"
        )
    return _number(text, TOTAL_VARIABLE)


def _number(text: str, where: str | None) -> int:
    try:
        return int(text)
    except ValueError:
        raise UsageError(f"{where}={text!r}: not a whole number") from None
