"""Per-rule cost of ``nbtools scan``: where each rule's anchors occur and what trying it costs.

For every rule of the built-in table, on the texts of a set of notebooks (default: the
generated small set, ``bench/make_scan_corpus.py``): how many anchor places it has, how long
its regex and validator take there, and how many hits it keeps. Also the cost of the
shared steps (building the engine, finding all anchors) with and without hyperscan.

Usage: ``python bench/bench_scan_rules.py [DIR] [--top 20] [--markdown]``.
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

from nbtools.notebook import read_notebook
from nbtools.secrets.engine import SEPARATOR, Engine
from nbtools.secrets.notebook_scan import notebook_parts
from nbtools.secrets.rules import SECRET_RULES

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("target", nargs="?", type=Path, default=HERE / "data" / "scan-small")
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    files = sorted(args.target.rglob("*.ipynb"))
    buffers = []
    for path in files:
        texts = [text for text, _ in notebook_parts(read_notebook(path).nb, locate=False)]
        buffers.append(SEPARATOR.join(texts))
    size = sum(len(b) for b in buffers) / 1e6

    for accelerate in (False, True):
        start = time.perf_counter()
        engine = Engine(SECRET_RULES, accelerate=accelerate)
        built = time.perf_counter() - start
        start = time.perf_counter()
        for buffer in buffers:
            engine.anchors.find(buffer, buffer.lower())
        found = time.perf_counter() - start
        kind = "hyperscan" if engine.anchors.accelerated else "pure"
        print(f"{kind}: build {built:.3f} s, anchors {found:.3f} s for {size:.1f} MB of text")

    engine = Engine(SECRET_RULES, accelerate=False)
    places = [0] * len(engine.rules)
    spent = [0.0] * len(engine.rules)
    kept = [0] * len(engine.rules)
    for buffer in buffers:
        lowered = buffer.lower()
        anchored = engine.anchors.find(buffer, lowered)
        for index, rule in enumerate(engine.rules):
            positions = anchored.get(index)
            if not positions:
                continue
            start = time.perf_counter()
            if rule.requires and not re.search(rule.requires, lowered):
                spent[index] += time.perf_counter() - start
                continue
            pattern = rule.compile()
            for begin in sorted(engine._starts(rule, positions, buffer, lowered)):
                places[index] += 1
                match = pattern.match(buffer, begin)
                if match is not None and (rule.validate is None or rule.validate(match, buffer)):
                    kept[index] += 1
            spent[index] += time.perf_counter() - start
    order = sorted(range(len(engine.rules)), key=lambda i: -spent[i])[: args.top]
    total = sum(spent)
    print(f"{len(files)} notebooks, {len(engine.rules)} rules, {total:.3f} s in rules")
    if args.markdown:
        print("| rule | anchor places | time (ms) | hits |\n| --- | ---: | ---: | ---: |")
    for i in order:
        row = (engine.rules[i].id, places[i], spent[i] * 1000, kept[i])
        if args.markdown:
            print(f"| `{row[0]}` | {row[1]:,} | {row[2]:.1f} | {row[3]} |")
        else:
            print(f"{row[0]:45s} {row[1]:8d} places {row[2]:8.1f} ms {row[3]:5d} hits")
    rest = [i for i in range(len(engine.rules)) if i not in order]
    print(f"the other {len(rest)} rules together: {sum(spent[i] for i in rest) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
