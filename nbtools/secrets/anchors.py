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


class LiteralFinder:
    """Start offsets of ``literals`` in a text, overlapping ones included."""

    def __init__(self, literals: Sequence[str]) -> None:
        self._by_head: dict[str, list[tuple[int, str]]] = {}
        for ident, literal in enumerate(literals):
            self._by_head.setdefault(literal[:1], []).append((ident, literal))
        distinct = sorted(set(literals))
        # not a zero-width look-ahead: the regex engine skips to candidate first
        # characters only for a pattern that consumes them
        self._pattern: Pattern[str] | None = re.compile(trie_regex(distinct)) if distinct else None

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
