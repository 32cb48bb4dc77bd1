"""Find where any of a few hundred literal anchors starts, in one regex pass per case.

Looking up each literal with ``str.find`` costs one pass over the text per literal; with
the provider table that is hundreds of passes. Here the literals are folded into a trie
shaped regex (``sh(?:pat_|pca_|ppa_|pss_)``) so the regex engine walks the text once and
branches on one character at a time; at every place it stops, the literals starting
there are checked with ``startswith`` (several can start at one place: ``sk_`` and
``sk_live_``). Used by the engine's pure path; hyperscan does the same in its own scan.
"""

from __future__ import annotations

import re
from typing import Iterable, Pattern, Sequence


def trie_regex(words: Iterable[str]) -> str:
    """A regex matching any of ``words``, shaped as a trie (shared prefixes once)."""
    trie: dict[str, dict] = {}  # type: ignore[type-arg]
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}
    return _render(trie)


def _render(node: dict) -> str:  # type: ignore[type-arg]
    if "" in node:
        return ""  # the shortest literal is enough to stop; longer ones are checked after
    branches = [re.escape(ch) + _render(child) for ch, child in sorted(node.items())]
    return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"


#: a token starts after none of these (the providers' prefixed rules say so)
TOKEN_START = r"(?<![A-Za-z0-9_\-])"


class LiteralFinder:
    """Start offsets of ``literals`` in a text, overlapping ones included.

    With ``boundary`` only occurrences at a token start count (see :data:`TOKEN_START`):
    the regex engine then enters the trie at far fewer places.
    """

    def __init__(self, literals: Sequence[str], boundary: bool = False) -> None:
        self._by_head: dict[str, list[tuple[int, str]]] = {}
        for ident, literal in enumerate(literals):
            self._by_head.setdefault(literal[:1], []).append((ident, literal))
        distinct = sorted(set(literals))
        # not a zero-width look-ahead: the regex engine skips to candidate first
        # characters only for a pattern that consumes them
        prefix = TOKEN_START if boundary else ""
        self._pattern: Pattern[str] | None = (
            re.compile(prefix + trie_regex(distinct)) if distinct else None
        )

    def find(self, text: str) -> list[tuple[int, int]]:
        """(literal index, offset) for every occurrence, in text order."""
        out: list[tuple[int, int]] = []
        if self._pattern is None:
            return out
        by_head = self._by_head
        search = self._pattern.search
        match = search(text)
        while match is not None:
            pos = match.start()
            for ident, literal in by_head[text[pos]]:
                if text.startswith(literal, pos):
                    out.append((ident, pos))
            match = search(text, pos + 1)  # the next may overlap this one
        return out


class PureAnchors:
    """All literal anchors of a rule table, found with three trie passes: case-sensitive
    token starts, other case-sensitive places, and case-insensitive keywords."""

    def __init__(self, literals: Sequence[tuple[str, bool, bool]]) -> None:
        """``literals``: (text, caseless, token start only) for each anchor."""
        self._groups: list[tuple[LiteralFinder, list[int], bool]] = []
        for caseless, boundary in ((False, True), (False, False), (True, False)):
            ids = [
                i
                for i, (_, low, bound) in enumerate(literals)
                if low == caseless and (bound and not low) == boundary
            ]
            finder = LiteralFinder([literals[i][0] for i in ids], boundary)
            self._groups.append((finder, ids, caseless))

    def find(self, text: str, lowered: str) -> list[tuple[int, int]]:
        """(anchor index, offset) for every occurrence."""
        out: list[tuple[int, int]] = []
        for finder, ids, caseless in self._groups:
            out.extend((ids[i], pos) for i, pos in finder.find(lowered if caseless else text))
        return out
