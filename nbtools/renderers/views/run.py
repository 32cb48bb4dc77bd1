"""``nbtools run`` (and ``report merge``, which rebuilds a run's report): its summary
counts notebooks by verdict, its text explains each failure, and its JSON sections say
what the run was over (shard, changed notebooks), on (interpreter), with (cache), and
each notebook's entry."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from nbtools.renderers.views import View
from nbtools.results import RunResult

if TYPE_CHECKING:
    from nbtools.report import Report


def run_summary(
    notebooks: list[dict[str, Any]],
    elapsed: float,
    interpreter: dict[str, Any] | None = None,
    shards: int = 1,
) -> str:
    """``4 notebooks: 1 fail_error, 3 pass (2 cached) in 2.0 s; kernels ran on ...``; a
    merge of several shards adds `` (longest of N shards)`` after the time."""
    counts: dict[str, int] = {}
    for entry in notebooks:
        verdict = str(entry.get("verdict"))
        counts[verdict] = counts.get(verdict, 0) + 1
    parts = ", ".join(f"{n} {verdict}" for verdict, n in sorted(counts.items()))
    cached = sum(1 for entry in notebooks if entry.get("cached"))
    parts += f" ({cached} cached)" if cached else ""
    noun = "notebook" if len(notebooks) == 1 else "notebooks"
    line = f"{len(notebooks)} {noun}: {parts or 'nothing run'} in {elapsed:.1f} s"
    line += f" (longest of {shards} shards)" if shards > 1 else ""
    return line + (f"; {ran_on(interpreter)}" if interpreter and notebooks else "")


def ran_on(interpreter: dict[str, Any]) -> str:
    """Which interpreter or image ran the notebooks, and why that one (one line; a merged
    shard's section may lack a name)."""
    if interpreter.get("image"):
        return f"kernels ran in the image {interpreter['image']}"
    if interpreter.get("source") == "kernel":
        return f"kernels ran on {interpreter.get('kernel')} (the configured kernel)"
    reason = interpreter.get("reason")
    return f"kernels ran on {interpreter.get('python')}" + (f": {reason}" if reason else "")


class RunView(View):
    """A report without a :class:`RunResult` ran nothing (every path named was missing):
    it reads as any command's."""

    def summary(self, report: Report) -> str:
        result = report.result
        if not isinstance(result, RunResult):
            return super().summary(report)
        shards = result.merged_shards or 1
        return run_summary(result.notebooks, result.elapsed_s, result.interpreter, shards)

    def text_lines(self, report: Report) -> list[str]:
        result = report.result
        return list(result.explanations) if isinstance(result, RunResult) else []

    def json_sections(self, report: Report) -> dict[str, Any]:
        """What the run was over, on and with, the sections a merge copied from its
        shards, then every notebook's entry and the summary."""
        result = report.result
        if not isinstance(result, RunResult):
            return {}
        sections: dict[str, Any] = {}
        if result.shard is not None:
            index, count = result.shard
            sections["shard"] = {"index": index, "count": count}
        if result.changed_since is not None:
            sections["changed_since"] = asdict(result.changed_since)
        if result.interpreter is not None:
            sections["interpreter"] = result.interpreter
        if result.cache is not None:
            sections["cache"] = asdict(result.cache)
        sections.update(result.extra)
        sections["notebooks"] = result.notebooks
        sections["summary_line"] = self.summary(report)
        return sections


VIEW = RunView()
