"""One pass over all the text of a file: anchors decide which rules run, each runs once.

The texts of one file (cell sources, output texts, metadata values) are joined into a
single buffer with a separator no rule crosses; the literal anchors of every rule are
looked up in it (fast substring search in C), and only the rules whose anchor occurs run
their regex, once, over the whole buffer. Hits are mapped back to their part with bisect.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Any, Iterable, Pattern, Sequence

from nbtools.secrets.rules import SECRET_RULES, SecretRule
from nbtools.secrets.values import secret_value

#: joins the parts of one file; ``\x00`` stops every rule (none of them accepts it)
SEPARATOR = "\n\x00\n"
_ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")


def strip_ansi(text: str) -> str:
    """Remove terminal colour codes (IPython highlights tracebacks with them)."""
    return _ANSI_RE.sub("", text) if "\x1b" in text else text


@dataclass
class Part:
    """One scanned text and where it sits; ``context`` is for the caller."""

    text: str
    context: Any


@dataclass
class Hit:
    """A secret found in a part: its rule, value, span and 1-based line in the part."""

    part: int
    rule: SecretRule
    value: str
    start: int  # offset in the part's text
    end: int
    line: int


class Engine:
    """The compiled rule table; build it once per process with :func:`default_engine`."""

    def __init__(self, rules: Sequence[SecretRule]) -> None:
        self.rules = list(rules)
        self._compiled: list[Pattern[str]] = [rule.compile() for rule in self.rules]
        anchors: dict[str, list[int]] = {}
        for index, rule in enumerate(self.rules):
            for anchor in rule.anchors:
                anchors.setdefault(anchor, []).append(index)
        self._anchors = sorted(anchors.items())

    def active_rules(self, lowered: str) -> list[int]:
        """Indexes of the rules with at least one anchor in the (lower-cased) text."""
        active: set[int] = set()
        for anchor, indexes in self._anchors:
            if anchor in lowered:
                active.update(indexes)
        return sorted(active)

    def scan(self, texts: Sequence[str]) -> list[Hit]:
        """All hits in ``texts`` (overlaps resolved in favour of the more specific rule)."""
        if not texts:
            return []
        buffer = SEPARATOR.join(texts)
        active = self.active_rules(buffer.lower())
        if not active:
            return []
        starts: list[int] = []
        pos = 0
        for text in texts:
            starts.append(pos)
            pos += len(text) + len(SEPARATOR)
        raw: list[Hit] = []
        for index in active:
            rule = self.rules[index]
            for match in self._compiled[index].finditer(buffer):
                if rule.validate is not None and not rule.validate(match, buffer):
                    continue
                value, begin = secret_value(match)
                if value is None:
                    continue
                part = bisect.bisect_right(starts, begin) - 1
                offset = begin - starts[part]
                line = texts[part].count("\n", 0, offset) + 1
                # a span covers the whole match (a key block's body too) for overlaps
                end = max(begin + len(value), match.end()) - starts[part]
                raw.append(Hit(part, rule, value, offset, end, line))
        return _resolve_overlaps(raw)


def _resolve_overlaps(hits: Iterable[Hit]) -> list[Hit]:
    """Keep one hit per overlapping span: the lowest priority number wins."""
    ordered = sorted(hits, key=lambda h: (h.part, h.rule.priority, h.start))
    kept: list[Hit] = []
    by_part: dict[int, list[Hit]] = {}
    for hit in ordered:
        others = by_part.setdefault(hit.part, [])
        if any(hit.start < o.end and o.start < hit.end for o in others):
            continue
        others.append(hit)
        kept.append(hit)
    kept.sort(key=lambda h: (h.part, h.start))
    return kept


_ENGINE: Engine | None = None


def default_engine() -> Engine:
    """The engine for the built-in rule table (compiled on first use)."""
    global _ENGINE  # noqa: PLW0603 - one compiled table per process
    if _ENGINE is None:
        _ENGINE = Engine(SECRET_RULES)
    return _ENGINE
