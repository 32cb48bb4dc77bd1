"""One ``nbtools run`` report from the ``--format json`` reports of its shards.

The shards of ``run --shard K/N`` each write a JSON report; merging them rebuilds the
:class:`~nbtools.report.Report` a single run over every notebook would have produced, so
every renderer (text, JSON, JUnit, SARIF, GitHub) and the exit code work unchanged. Each
report names its shard (``"shard": {"index": K, "count": N}``); a shard that is missing
or given twice, or a notebook that two shards both ran, is an error rather than a silent
gap or a double count. A report without shard metadata is a whole run (shard 1 of 1), so
``report merge full.json --format junit`` converts one report.
"""

from __future__ import annotations

import json
import re
from typing import Any, Sequence

from nbtools.errors import READ_ERRORS, InputError, UsageError, read_failure
from nbtools.findings import Finding, Severity, Suppression, Where
from nbtools.report import FileResult, FileStatus, Report
from nbtools.results import CacheUse, RunResult

#: keys of a report that are rebuilt, not copied (the rest are merged section by section,
#: into :attr:`RunResult.extra`)
_REBUILT = frozenset(
    {"tool", "version", "schema_version", "command", "exit_code", "summary", "files"}
    | {"findings", "shard", "notebooks", "summary_line", "interpreter", "cache"}
)
_FINDING_KEYS = frozenset(
    {"path", "rule", "message", "severity", "cell_index", "cell_id", "where"}
    | {"output_index", "field", "line", "json_line", "column", "masked", "fingerprint"}
    | {"suppression"}
)
_ELAPSED = re.compile(r" in ([0-9.]+) s\b")


def load_report(path: str) -> dict[str, Any]:
    """A shard's JSON report, checked to be an ``nbtools run`` report."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        raise InputError(path, "no such report (did that shard run?)") from None
    except READ_ERRORS as exc:
        raise InputError(path, f"not a readable JSON report ({read_failure(exc)})") from None
    if not isinstance(data, dict) or data.get("tool") != "nbtools":
        raise InputError(path, "not an nbtools --format json report")
    if data.get("command") != "run":
        raise InputError(path, f"a report of `nbtools {data.get('command')}`, not of `run`")
    return data


def shard_of(data: dict[str, Any], path: str) -> tuple[int, int]:
    """``(K, N)`` of a report; ``(1, 1)`` for a report of a whole run."""
    shard = data.get("shard")
    if shard is None:
        return 1, 1
    index = shard.get("index") if isinstance(shard, dict) else None
    count = shard.get("count") if isinstance(shard, dict) else None
    if not (isinstance(index, int) and isinstance(count, int) and 1 <= index <= count):
        raise InputError(path, f"invalid shard metadata {shard!r}")
    return index, count


def check_shards(reports: Sequence[tuple[str, dict[str, Any]]]) -> int:
    """The shard count N, once every shard 1..N is there exactly once."""
    seen: dict[int, str] = {}
    counts: dict[int, str] = {}
    for path, data in reports:
        index, count = shard_of(data, path)
        counts.setdefault(count, path)
        if len(counts) > 1:
            (first_count, first_path), *_ = counts.items()
            raise UsageError(
                f"{path} is a shard of {count} but {first_path} of {first_count}: "
                "reports of different runs"
            )
        if index in seen:
            raise UsageError(f"shard {index}/{count} given twice: {seen[index]} and {path}")
        seen[index] = path
    count = next(iter(counts))
    missing = [k for k in range(1, count + 1) if k not in seen]
    if missing:
        names = ", ".join(f"{k}/{count}" for k in missing)
        noun = "shard" if len(missing) == 1 else "shards"
        raise UsageError(
            f"{noun} {names} missing: got {len(seen)} of {count} reports "
            f"({', '.join(p for p, _ in reports)})"
        )
    return count


def finding_from_dict(data: dict[str, Any]) -> Finding:
    """The :class:`Finding` that :meth:`Finding.to_dict` wrote (extra keys kept)."""
    where = data.get("where")
    suppression = data.get("suppression")
    return Finding(
        path=str(data["path"]),
        rule=str(data["rule"]),
        message=str(data.get("message") or ""),
        severity=Severity(data.get("severity") or "error"),
        cell_index=_typed(data, "cell_index", int),
        cell_id=_typed(data, "cell_id", str),
        where=Where(where) if where else None,
        output_index=_typed(data, "output_index", int),
        field=_typed(data, "field", str),
        line=_typed(data, "line", int),
        json_line=_typed(data, "json_line", int),
        column=_typed(data, "column", int),
        masked=_typed(data, "masked", str),
        fingerprint=_typed(data, "fingerprint", str),
        extra={k: v for k, v in data.items() if k not in _FINDING_KEYS},
        suppression=Suppression(**suppression) if isinstance(suppression, dict) else None,
    )


def _typed(data: dict[str, Any], key: str, kind: type) -> Any:
    """``data[key]`` when it is a ``kind`` or missing (None); a renderer could not show
    anything else, so it is refused here (ValueError) rather than failing later."""
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ValueError(f"{key} {value!r} is not {kind.__name__}")
    if isinstance(value, int) and value < 0:
        raise ValueError(f"{key} {value} is negative")
    return value


def file_from_dict(data: dict[str, Any]) -> FileResult:
    """The :class:`FileResult` of a run that ``renderers.json.file_data`` wrote; a status
    it does not know is refused (ValueError), as are facts of the wrong type."""
    duration = data.get("duration_s")
    if duration is not None and (
        isinstance(duration, bool) or not isinstance(duration, (int, float)) or duration < 0
    ):
        raise ValueError(f"duration_s {duration!r} is not a duration")
    return FileResult(
        str(data["path"]),
        FileStatus(str(data["status"])),
        str(data.get("message") or ""),
        duration_s=duration,
        cause=_typed(data, "cause", str),
        cached=data.get("cached") is True,
    )


#: what a notebook entry's facts must be for the renderers and ``--html`` to show them
_NOTEBOOK_FACTS: dict[str, tuple[type, ...]] = {
    "path": (str,),
    "verdict": (str,),
    "reason": (str,),
    "cause": (str,),
    "html": (str,),
    "duration_s": (int, float),
}


def _check_notebook_entry(entry: dict[str, Any], path: str) -> None:
    """A notebook entry as ``nbtools run`` writes it (InputError naming the fact if not)."""
    for key, kinds in _NOTEBOOK_FACTS.items():
        value = entry.get(key)
        if value is None and key != "path":
            continue
        ok = isinstance(value, kinds) and not isinstance(value, bool)
        if ok and isinstance(value, (int, float)):  # a duration
            ok = 0 <= value < float("inf")
        if not ok:
            raise InputError(path, f"malformed notebook entry: {key} {value!r}")


def _interpreter(data: dict[str, Any], path: str) -> dict[str, Any] | None:
    """A shard's ``interpreter`` section (what ran its kernels, and why), if it has one."""
    value = data.get("interpreter")
    if value is None:
        return None
    if not isinstance(value, dict) or not all(
        isinstance(v, str) or v is None for v in value.values()
    ):
        raise InputError(path, "'interpreter' is not a section of names")
    return value


def _cache_use(data: dict[str, Any], path: str) -> CacheUse | None:
    """A shard's ``cache`` section (``run --cache``): results served and stored."""
    value = data.get("cache")
    if value is None:
        return None
    try:
        if not isinstance(value, dict):
            raise ValueError(value)
        return CacheUse(_typed(value, "served", int) or 0, _typed(value, "stored", int) or 0)
    except ValueError:
        raise InputError(path, f"'cache' is not a count of results: {value!r}") from None


def _entries(data: dict[str, Any], key: str, path: str) -> list[dict[str, Any]]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(
        isinstance(item, dict) and "path" in item for item in value
    ):
        raise InputError(path, f"{key!r} is not a list of entries with a path")
    return value


def merge(reports: Sequence[tuple[str, dict[str, Any]]]) -> Report:
    """The report of one run over every shard's notebooks (see the module docstring)."""
    count = check_shards(reports)
    result = RunResult(merged_shards=count)
    report = Report("run", result=result)
    report.fail_on_warnings = False  # as in `nbtools run`: only fail_* verdicts fail
    ran_in: dict[str, str] = {}
    notebooks: list[dict[str, Any]] = []
    files: list[FileResult] = []
    findings: list[Finding] = []
    elapsed = 0.0
    interpreters: list[dict[str, Any]] = []
    cache: list[CacheUse] = []
    # shard 1 first whatever order they were named in: a section two shards both have is
    # the first one's, so the merge reads the same either way
    for path, data in sorted(reports, key=lambda item: shard_of(item[1], item[0])):
        label = "{}/{}".format(*shard_of(data, path))
        interpreter, used = _interpreter(data, path), _cache_use(data, path)
        if interpreter is not None and interpreter not in interpreters:
            interpreters.append(interpreter)
        cache += [used] if used is not None else []
        for entry in _entries(data, "notebooks", path):
            _check_notebook_entry(entry, path)
            other = ran_in.setdefault(str(entry["path"]), label)
            if other != label:
                raise UsageError(
                    f"{entry['path']} ran in shard {other} and in shard {label}: "
                    "the shards were not split from the same notebooks"
                )
            notebooks.append(entry)
        try:
            files += [file_from_dict(f) for f in _entries(data, "files", path)]
            findings += [finding_from_dict(f) for f in _entries(data, "findings", path)]
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(path, f"malformed file or finding entry: {exc}") from None
        found = _ELAPSED.search(str(data.get("summary_line") or ""))
        elapsed = max(elapsed, float(found.group(1)) if found else 0.0)
        report.internal_error = report.internal_error or data.get("exit_code") == 3
        for key, value in data.items():
            if key in _REBUILT:
                continue
            if isinstance(value, list) and isinstance(result.extra.get(key), list):
                result.extra[key].extend(value)
            else:
                result.extra.setdefault(key, value)
    # one order whatever order the shards came in: by path, each file's findings as found
    files.sort(key=lambda f: f.path)
    findings.sort(key=lambda f: f.path)
    notebooks.sort(key=lambda e: str(e["path"]))
    report.files = files
    report.add_findings(findings)  # a suppressed one (with its suppression) stays suppressed
    result.notebooks = notebooks
    result.elapsed_s = elapsed
    if len(interpreters) == 1:  # every shard ran on the same: the merged run did too
        result.interpreter = interpreters[0]
    elif interpreters:
        result.extra["interpreters"] = interpreters
    if cache:
        result.cache = CacheUse(sum(c.served for c in cache), sum(c.stored for c in cache))
    result.explanations = explanations(notebooks)
    return report


def explanations(notebooks: list[dict[str, Any]]) -> list[str]:
    """Why each failing notebook failed, for the text report (the shards' JSON has no
    cell sources or tracebacks: those are in each shard's own log and ``--html``)."""
    from nbtools.execute.rules import NOT_FAILING

    lines: list[str] = []
    for entry in notebooks:
        if entry.get("verdict") in NOT_FAILING:
            continue
        lines.append(f"--- {entry['path']}: {entry.get('reason') or entry.get('verdict')}")
        cells = entry.get("cells")
        for cell in cells if isinstance(cells, list) else []:
            if isinstance(cell, dict) and cell.get("ename"):
                index = cell.get("index")
                where = f"cell {index + 1}" if isinstance(index, int) else "a cell"
                if cell.get("line"):
                    where += f", line {cell['line']}"
                lines.append(f"{where}: {cell['ename']}: {cell.get('evalue') or ''}")
        if entry.get("html"):
            lines.append(f"see {entry['html']}")
    return lines


def merge_files(paths: Sequence[str], html: str | None = None) -> Report:
    """:func:`merge` of the JSON reports at ``paths``; with ``html``, the index of every
    notebook in that folder, as a single run's ``--html`` writes it (each shard's own
    index lists only its notebooks)."""
    report = merge([(path, load_report(path)) for path in paths])
    if html and isinstance(report.result, RunResult):
        from nbtools.execute.html import write_index
        from nbtools.renderers.views import headline

        write_index(html, report.result.notebooks, headline(report))
    return report
