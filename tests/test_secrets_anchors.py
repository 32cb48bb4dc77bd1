"""The pure path's literal finder: one trie-shaped regex pass finds every occurrence."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from nbtools.secrets.anchors import LiteralFinder, trie_regex


def _naive(literals: list[str], text: str) -> list[tuple[int, int]]:
    out = []
    for ident, literal in enumerate(literals):
        pos = text.find(literal)
        while pos != -1:
            out.append((ident, pos))
            pos = text.find(literal, pos + 1)
    return sorted(out, key=lambda item: (item[1], item[0]))


def test_trie_regex_shares_prefixes_and_stops_at_the_shortest() -> None:
    assert trie_regex(["shpat_", "shpca_", "shpss_"]) == "shp(?:at_|ca_|ss_)"
    assert re.fullmatch(trie_regex(["sk_", "sk_live_"]), "sk_")


def test_overlapping_and_nested_literals_are_all_found() -> None:
    literals = ["key-", "pubkey-", "sk_", "sk_live_", "|", "a.b"]
    text = "pubkey-abc sk_live_x |a.b| key-"
    found = sorted(LiteralFinder(literals).find(text), key=lambda item: (item[1], item[0]))
    assert found == _naive(literals, text)


@given(
    st.lists(st.text(alphabet="ab_.-|", min_size=1, max_size=4), min_size=1, max_size=8),
    st.text(alphabet="ab_.-| ", max_size=60),
)
def test_same_as_one_find_per_literal(literals: list[str], text: str) -> None:
    found = sorted(LiteralFinder(literals).find(text), key=lambda item: (item[1], item[0]))
    assert found == _naive(literals, text)
