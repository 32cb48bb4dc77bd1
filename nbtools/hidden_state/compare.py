"""Compare a code cell's stored outputs with the outputs of a fresh run.

Outputs become a list of comparable items: stream text (consecutive chunks of the
same stream merged; stdout and stderr kept apart, Python warnings dropped from
stderr because a warning shows only once per session), the ``text/*`` data of
results and displays, and an error's name and value. Tracebacks, metadata,
execution counts, images and widgets are ignored.

Two levels of normalisation:

* noise, always removed: trailing whitespace and carriage-return redraws (what a
  terminal would no longer show);
* volatile values, masked separately: memory addresses, timestamps and dates,
  UUIDs, durations and rates (``1.23s``, ``12ms/step``, ``Wall time: ...``) and
  progress bars. Outputs that differ only in these reproduce, but the cell is
  nondeterministic by nature: its output differs between any two runs.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Any, List, Tuple

from nbtools.notebook import multiline

Item = Tuple[str, str, str]  # (kind, name or mime type, text)
Items = List[Item]

_IGNORED_MIME_PREFIXES = ("image/", "application/vnd.jupyter.widget")

_WARNING_RE = re.compile(r"^\S.*:\d+: \w*Warning: .*\n(?:[ \t]+.*\n)?", re.MULTILINE)
# (line pattern, quick probe): the probe has no leading ``.*`` and rules out most outputs
_PROGRESS_RES = [
    (re.compile(r"^[^\n]*\d+%\|[^\n]*$", re.MULTILINE), re.compile(r"\d%\|")),  # tqdm
    (
        re.compile(r"^[^\n]*\d+/\d+ \[[=>.\s]*\][^\n]*$", re.MULTILINE),
        re.compile(r"\d/\d+ \[[=>.]"),
    ),  # Keras 2
    (re.compile(r"^[^\n]*\d+/\d+ [━─]+[^\n]*$", re.MULTILINE), re.compile(r"\d/\d+ [━─]")),
]
# (pattern, a substring it needs)
_TIMING_RES = [
    (re.compile(r"(?m)^(?:CPU times|Wall time): .*$"), " time"),  # %time
    (re.compile(r"(?m)^.* per loop \(mean ± std\. dev\. of .*\)$"), " per loop"),  # %timeit
    (
        re.compile(
            r"(?i)\b\d+(?:\.\d+)?\s*(?:ns|µs|us|ms|s|sec|secs|seconds|min|minutes)"
            r"(?:/(?:step|it|epoch|sample|batch))?\b"
        ),
        "",
    ),
    (re.compile(r"(?i)\b\d+(?:\.\d+)?\s*(?:it|its|samples|steps)/s\b"), "/s"),
    (re.compile(r"(?i)\bETA:?\s*[\d:]+"), "ETA"),
]
_VOLATILE_RES = [
    re.compile(r"\b0x[0-9a-fA-F]{6,16}\b"),  # memory addresses
    re.compile(
        r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
    ),
    re.compile(r"\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?\b"),
    re.compile(
        r"\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)\w* +(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\w* +\d{1,2}\b"
    ),
    re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"),
    re.compile(r"\b1[5-9]\d{8}(?:\.\d+)?\b"),  # Unix timestamps (2017 to 2033)
]


class Match(str, enum.Enum):
    """How a fresh cell's outputs relate to the stored ones."""

    SAME = "same"  # equal once noise is removed
    VOLATILE = "volatile"  # equal once addresses, timestamps and ids are masked too
    DIFFERENT = "different"


def _collapse_carriage_returns(text: str) -> str:
    # a terminal shows only what was written after the last \r of each line
    return "\n".join(line.rsplit("\r", 1)[-1] for line in text.split("\n"))


def strip_noise(text: str) -> str:
    """Remove what a terminal would not show: trailing blanks and overwritten text."""
    text = _collapse_carriage_returns(text.replace("\r\n", "\n"))
    lines = [line.rstrip() for line in text.split("\n")]
    return "\n".join(lines).strip("\n")


def mask_volatile(text: str) -> str:
    """Mask what legitimately differs between two runs: progress bars, timings,
    memory addresses, timestamps and ids."""
    for pattern, probe in _PROGRESS_RES:
        if probe.search(text):
            text = pattern.sub("<progress>", text)
    for pattern, needed in _TIMING_RES:
        if needed in text:
            text = pattern.sub("<time>", text)
    for pattern in _VOLATILE_RES:
        text = pattern.sub("<volatile>", text)
    return text


def output_items(outputs: list[dict[str, Any]]) -> Items:
    """The comparable items of a cell's outputs, noise removed."""
    items: Items = []
    for output in outputs:
        kind = output.get("output_type")
        if kind == "stream":
            name = str(output.get("name", "stdout"))
            text = multiline(output.get("text"))
            if items and items[-1][0] == "stream" and items[-1][1] == name:
                items[-1] = ("stream", name, items[-1][2] + text)
            else:
                items.append(("stream", name, text))
        elif kind in ("execute_result", "display_data", "pyout"):
            data = output.get("data") or {}
            if any(str(m).startswith(_IGNORED_MIME_PREFIXES[1]) for m in data):
                continue  # a widget: its text/plain is a model reference
            for mime in sorted(data):
                if str(mime).startswith("text/"):
                    items.append(("data", str(mime), multiline(data[mime])))
        elif kind in ("error", "pyerr"):
            items.append(("error", str(output.get("ename")), str(output.get("evalue"))))
    cleaned: Items = []
    for kind, name, raw in items:
        text = _WARNING_RE.sub("", raw) if kind == "stream" and name == "stderr" else raw
        text = strip_noise(text)
        if kind == "stream" and not text:
            continue  # a stream left empty (only warnings)
        cleaned.append((kind, name, text))
    return cleaned


def masked(items: Items) -> Items:
    return [(kind, name, mask_volatile(text)) for kind, name, text in items]


def compare_items(stored: Items, fresh: Items) -> Match:
    """How ``fresh`` relates to ``stored``."""
    if stored == fresh:
        return Match.SAME
    if masked(stored) == masked(fresh):
        return Match.VOLATILE
    return Match.DIFFERENT


@dataclass
class OutputDiff:
    """The first differing item of a cell, shortened for a one-line reason."""

    stored: str
    fresh: str

    @staticmethod
    def between(stored: Items, fresh: Items) -> OutputDiff:
        for index in range(max(len(stored), len(fresh))):
            left = stored[index] if index < len(stored) else None
            right = fresh[index] if index < len(fresh) else None
            if left != right:
                return OutputDiff(_describe(left), _describe(right))
        return OutputDiff("", "")


def _describe(item: Item | None, limit: int = 60) -> str:
    if item is None:
        return "nothing"
    kind, name, text = item
    text = text if kind != "error" else f"{name}: {text}"
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def has_reference(cell: dict[str, Any]) -> bool:
    """Whether the stored cell holds outputs of a run (``execution_count`` not null)."""
    count = cell.get("execution_count", cell.get("prompt_number"))
    return isinstance(count, int) and not isinstance(count, bool)
