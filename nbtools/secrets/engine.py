"""One pass over all the text of a file, driven by literal anchors.

The texts of one file (cell sources, output texts, metadata values) are joined into a
single buffer with a separator no rule crosses. Each rule's anchors are found with plain
substring search (C speed) and its regex is tried only at those places, so the cost grows
with the number of candidate places, not with rules times bytes. Hits are mapped back to
their part with bisect.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Pattern, Sequence

from nbtools.secrets.anchors import PureAnchors
from nbtools.secrets.rules import SECRET_RULES
from nbtools.secrets.values import secret_value

if TYPE_CHECKING:
    from nbtools.secrets.ruledef import SecretRule

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


class AnchorFinder:
    """Every occurrence of every rule's anchors, in one pass.

    Anchors are literals or (for the entropy rule) a small regex; both report the start of
    every occurrence, overlapping ones too. With the optional ``hyperscan`` package all of
    them are matched in a single scan of the UTF-8 bytes (anchors are ASCII, so a match
    never starts inside a multi-byte character); without it each literal is looked up with
    ``str.find`` and each regex with a look-ahead ``finditer``. The results are identical.
    """

    def __init__(self, rules: Sequence[SecretRule], accelerate: bool = True) -> None:
        self.literals: list[tuple[int, str, bool, bool]] = []  # rule, anchor, caseless, regex
        self._regexes: dict[int, Pattern[str]] = {}
        self._boundary: list[bool] = []  # per literal: its rule matches at token starts only
        for index, rule in enumerate(rules):
            for anchor in rule.anchors:
                self.literals.append((index, anchor, rule.ignore_case, False))
                self._boundary.append(rule.boundary)
            if rule.anchor_regex:
                self._regexes[len(self.literals)] = re.compile(f"(?=(?:{rule.anchor_regex}))")
                self.literals.append((index, rule.anchor_regex, False, True))
                self._boundary.append(False)
        self._database: Any = None
        if accelerate:
            hyperscan = _optional_hyperscan()
            if hyperscan is not None:
                self._database = self._compile(hyperscan)
        self._pure: PureAnchors | None = None
        self._plain: list[int] = []

    @property
    def accelerated(self) -> bool:
        return self._database is not None

    def _compile(self, hs: Any) -> Any:
        expressions = [
            (text if regex else re.escape(text)).encode("ascii")
            for _, text, _, regex in self.literals
        ]
        flags = [
            (hs.HS_FLAG_CASELESS if caseless else 0) | (hs.HS_FLAG_SOM_LEFTMOST if regex else 0)
            for _, _, caseless, regex in self.literals
        ]
        database = hs.Database(mode=hs.HS_MODE_BLOCK)
        database.compile(
            expressions=expressions,
            ids=list(range(len(expressions))),
            elements=len(expressions),
            flags=flags,
        )
        return database

    def find(self, buffer: str, lowered: str) -> dict[int, list[int]]:
        """Rule index -> character offsets where one of its anchors starts."""
        if self._database is not None:
            return self._find_accelerated(buffer)
        found: dict[int, list[int]] = {}
        for ident, (index, _, _, regex) in enumerate(self.literals):
            if regex:
                hits = [m.start() for m in self._regexes[ident].finditer(buffer)]
                if hits:
                    found.setdefault(index, []).extend(hits)
        if self._pure is None:  # built on first use: an accelerated engine never needs it
            self._plain = [i for i, entry in enumerate(self.literals) if not entry[3]]
            self._pure = PureAnchors(
                [(self.literals[i][1], self.literals[i][2], self._boundary[i]) for i in self._plain]
            )
        for ident, pos in self._pure.find(buffer, lowered):
            found.setdefault(self.literals[self._plain[ident]][0], []).append(pos)
        return found

    def _find_accelerated(self, buffer: str) -> dict[int, list[int]]:
        literals = self.literals
        ascii_only = buffer.isascii()
        data = buffer.encode("ascii" if ascii_only else "utf-8")
        events: list[tuple[int, int]] = []

        def on_match(ident: int, start: int, end: int, _flags: int, _ctx: Any) -> None:
            # literals carry no start of match: a literal starts len(anchor) before its end
            events.append((ident, start if literals[ident][3] else end - len(literals[ident][1])))

        self._database.scan(data, match_event_handler=on_match)
        found: dict[int, list[int]] = {}
        if not ascii_only and events:
            offsets = _char_offsets(data, sorted({pos for _, pos in events}))
            events = [(ident, offsets[pos]) for ident, pos in events]
        for ident, pos in events:
            found.setdefault(literals[ident][0], []).append(pos)
        return found


def _optional_hyperscan() -> Any:
    try:
        import hyperscan
    except ImportError:  # the pure path gives the same results, only slower
        return None
    return hyperscan


def _char_offsets(data: bytes, positions: list[int]) -> dict[int, int]:
    """Map sorted UTF-8 byte offsets (at character starts) to character offsets."""
    out: dict[int, int] = {}
    chars = 0
    last = 0
    for pos in positions:
        chars += len(data[last:pos].decode("utf-8", "replace"))
        out[pos] = chars
        last = pos
    return out


class RawPrefilter:
    """Can any rule match anywhere in this notebook? Asked of the raw JSON bytes.

    Each rule's ``raw_anchor`` (or its literal anchors) matches the JSON text wherever the
    rule could match a part, so a notebook without any is clean and is not walked at all.
    Only with hyperscan (one scan at memory speed); without it every notebook is walked.
    """

    def __init__(self, rules: Sequence[SecretRule], hs: Any) -> None:
        expressions: list[bytes] = []
        flags: list[int] = []
        ext: list[Any] = []
        for rule in rules:
            if rule.raw_anchor:
                expressions.append(rule.raw_anchor.encode("ascii"))
                flags.append(hs.HS_FLAG_SINGLEMATCH)
                min_length = hs.HS_EXT_FLAG_MIN_LENGTH if rule.raw_min_length else 0
                ext.append(hs.ExpressionExt(flags=min_length, min_length=rule.raw_min_length))
                continue
            for anchor in rule.anchors:
                expressions.append(re.escape(anchor).encode("ascii"))
                caseless = hs.HS_FLAG_CASELESS if rule.ignore_case else 0
                flags.append(caseless | hs.HS_FLAG_SINGLEMATCH)
                ext.append(hs.ExpressionExt(flags=0))
        self._database = hs.Database(mode=hs.HS_MODE_BLOCK)
        self._database.compile(
            expressions=expressions,
            ids=list(range(len(expressions))),
            elements=len(expressions),
            flags=flags,
            ext=ext,
        )

    def may_match(self, raw: bytes) -> bool:
        hit = False

        def on_match(*_args: Any) -> bool:
            nonlocal hit
            hit = True
            return True  # stop the scan: one is enough

        try:
            self._database.scan(raw, match_event_handler=on_match)
        except Exception:  # noqa: BLE001 - hyperscan raises its own error when halted
            pass
        return hit


class Engine:
    """The compiled rule table; build it once per process with :func:`default_engine`."""

    def __init__(
        self,
        rules: Sequence[SecretRule],
        accelerate: bool = True,
        allow: Sequence[tuple[frozenset[str], Pattern[str]]] = (),
    ) -> None:
        self.rules = list(rules)
        self.allow = list(allow)  # (rule ids or all, value regex): project allowlists
        # compiled on first use: most rules never meet their anchor in a small batch
        self._compiled: list[Pattern[str] | None] = [None] * len(self.rules)
        self._requires: dict[int, Pattern[str]] = {}
        self.anchors = AnchorFinder(self.rules, accelerate)
        hs = _optional_hyperscan() if accelerate else None
        self.prefilter = RawPrefilter(self.rules, hs) if hs is not None else None

    def may_match(self, raw: bytes) -> bool:
        """False only when no rule can match anything in this notebook's JSON text."""
        return self.prefilter is None or self.prefilter.may_match(raw)

    def _starts(
        self, rule: SecretRule, positions: list[int], buffer: str, lowered: str
    ) -> set[int]:
        """Where the rule's regex may match: at each anchor, or walked back from it."""
        if not rule.back:
            return set(positions)
        hay = lowered if rule.ignore_case else buffer
        starts: set[int] = set()
        for pos in positions:
            start = pos
            while start > 0 and buffer[start - 1] in rule.back:
                start -= 1
            if rule.start:
                found = hay.rfind(rule.start, start, pos)
                start = found if found != -1 else pos
            starts.add(start)
        return starts

    def _required(self, index: int, rule: SecretRule) -> Pattern[str]:
        found = self._requires.get(index)
        if found is None:
            found = self._requires[index] = re.compile(rule.requires)
        return found

    def _matches(self, buffer: str, lowered: str) -> Iterator[tuple[int, re.Match[str]]]:
        """(rule index, match) for every rule, in rule order."""
        anchored = self.anchors.find(buffer, lowered)
        for index, rule in enumerate(self.rules):
            positions = anchored.get(index)
            if not positions:
                continue
            if rule.requires and not self._required(index, rule).search(lowered):
                continue  # many anchor places, but nothing the rule needs besides them
            pattern = self._compiled[index]
            if pattern is None:
                pattern = self._compiled[index] = rule.compile()
            for start in sorted(self._starts(rule, positions, buffer, lowered)):
                match = pattern.match(buffer, start)
                if match is not None:
                    yield index, match

    def scan(self, texts: Sequence[str]) -> list[Hit]:
        """All hits in ``texts`` (overlaps resolved in favour of the more specific rule)."""
        if not texts:
            return []
        buffer = SEPARATOR.join(texts)
        lowered = buffer.lower()
        if len(lowered) != len(buffer):
            # a few non-ASCII letters change length when lower-cased; keep offsets aligned
            lowered = "".join(ch if len(ch.lower()) != 1 else ch.lower() for ch in buffer)
        starts: list[int] = []
        pos = 0
        for text in texts:
            starts.append(pos)
            pos += len(text) + len(SEPARATOR)
        raw: list[Hit] = []
        for index, match in self._matches(buffer, lowered):
            rule = self.rules[index]
            if rule.validate is not None and not rule.validate(match, buffer):
                continue
            value, begin = secret_value(match)
            if value is None:
                continue
            if self.allow and any(
                (not ids or rule.id in ids) and pattern.search(value) for ids, pattern in self.allow
            ):
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


_ENGINES: dict[bool, Engine] = {}
#: the project's rules and value allowlists (``[tool.nbtools.scan]``), see :func:`configure`
_PROJECT: list[tuple[tuple[SecretRule, ...], tuple[tuple[frozenset[str], Pattern[str]], ...]]] = [
    ((), ())
]


def configure(
    rules: Sequence[SecretRule] = (), allow: Sequence[tuple[frozenset[str], Pattern[str]]] = ()
) -> None:
    """Add a project's rules and value allowlists to the engines built from here on."""
    project = (tuple(rules), tuple(allow))
    if project != _PROJECT[0]:
        _PROJECT[0] = project
        _ENGINES.clear()


def default_engine(accelerate: bool = False) -> Engine:
    """The engine for the built-in rule table (compiled on first use, once per process).

    Compiling the hyperscan databases takes a few hundred milliseconds, which only pays
    off on large batches (the scanner asks for it); by default, and for small batches such
    as a pre-commit call, the pure path is used, which finds exactly the same.
    """
    engine = _ENGINES.get(accelerate)
    if engine is None:
        rules, allow = _PROJECT[0]
        engine = _ENGINES[accelerate] = Engine((*SECRET_RULES, *rules), accelerate, allow)
    return engine
