"""Comparing stored and fresh outputs: what counts, what is noise, what is volatile."""

from __future__ import annotations

from typing import Any

import pytest

from nbtools.hidden_state.compare import (
    Match,
    OutputDiff,
    compare_items,
    has_reference,
    mask_volatile,
    output_items,
    strip_noise,
)


def stream(text: str | list[str], name: str = "stdout") -> dict[str, Any]:
    return {"output_type": "stream", "name": name, "text": text}


def result(data: dict[str, Any], kind: str = "execute_result") -> dict[str, Any]:
    out: dict[str, Any] = {"output_type": kind, "data": data, "metadata": {}}
    if kind == "execute_result":
        out["execution_count"] = 1
    return out


def error(ename: str, evalue: str, traceback: list[str] | None = None) -> dict[str, Any]:
    return {"output_type": "error", "ename": ename, "evalue": evalue, "traceback": traceback or []}


CASES: list[tuple[str, list[dict[str, Any]], list[dict[str, Any]], Match]] = [
    ("identical stream", [stream("a\n")], [stream("a\n")], Match.SAME),
    (
        "split stream chunks merge",
        [stream(["a\n", "b\n"])],
        [stream("a\n"), stream("b\n")],
        Match.SAME,
    ),
    ("stdout and stderr kept apart", [stream("a\n")], [stream("a\n", "stderr")], Match.DIFFERENT),
    ("different text", [stream("5 values\n")], [stream("3 values\n")], Match.DIFFERENT),
    ("trailing whitespace", [stream("a  \nb\n")], [stream("a\nb")], Match.SAME),
    (
        "execution count and metadata ignored",
        [result({"text/plain": "4"})],
        [{**result({"text/plain": "4"}), "execution_count": 9, "metadata": {"x": 1}}],
        Match.SAME,
    ),
    (
        "result vs display of same text",
        [result({"text/plain": "4"})],
        [result({"text/plain": "4"}, "display_data")],
        Match.SAME,
    ),
    (
        "images ignored",
        [result({"text/plain": "<Figure>", "image/png": "AAA"}, "display_data")],
        [result({"text/plain": "<Figure>", "image/png": "BBB"}, "display_data")],
        Match.SAME,
    ),
    (
        "html compared",
        [result({"text/html": "<b>1</b>"})],
        [result({"text/html": "<b>2</b>"})],
        Match.DIFFERENT,
    ),
    (
        "widgets ignored",
        [
            result(
                {
                    "text/plain": "IntProgress(value=1)",
                    "application/vnd.jupyter.widget-view+json": {"model_id": "a"},
                },
                "display_data",
            )
        ],
        [],
        Match.SAME,
    ),
    ("missing output", [result({"text/plain": "4"})], [], Match.DIFFERENT),
    (
        "error name and value, not traceback",
        [error("ValueError", "bad", ["tb 1"])],
        [error("ValueError", "bad", ["tb 2"])],
        Match.SAME,
    ),
    (
        "error value differs",
        [error("ValueError", "bad")],
        [error("ValueError", "worse")],
        Match.DIFFERENT,
    ),
    (
        "memory address is volatile",
        [result({"text/plain": "<M at 0x7efce0c4e190>"})],
        [result({"text/plain": "<M at 0x7f1234567890>"})],
        Match.VOLATILE,
    ),
    (
        "timestamp is volatile",
        [stream("at 2026-11-25T19:50:16.102602\n")],
        [stream("at 2027-01-02T03:04:05.000001\n")],
        Match.VOLATILE,
    ),
    (
        "uuid is volatile",
        [stream("0b5e7f3c-3d6e-4c1a-9d38-5a1f9c2e7b10\n")],
        [stream("1c6f8a4d-4e7f-4d2b-8e49-6b2a0d3f8c21\n")],
        Match.VOLATILE,
    ),
    (
        "timings are volatile",
        [stream("epoch 1 took 1.23s\n")],
        [stream("epoch 1 took 0.98s\n")],
        Match.VOLATILE,
    ),
    (
        "%time is volatile",
        [stream("CPU times: user 3 µs\nWall time: 5 µs\n45\n")],
        [stream("CPU times: user 9 ms\nWall time: 12 ms\n45\n")],
        Match.VOLATILE,
    ),
    (
        "tqdm progress is volatile",
        [
            stream(
                "\r 50%|#    | 1/2 [00:01<00:01]\r100%|##########| 2/2 [00:02<00:00,  1.0it/s]\n",
                "stderr",
            )
        ],
        [stream("\r100%|##########| 2/2 [00:01<00:00,  2.0it/s]\n", "stderr")],
        Match.VOLATILE,
    ),
    (
        "keras progress is volatile",
        [stream("1/1 [==============================] - 0s 12ms/step - loss: 0.5\n")],
        [stream("1/1 [==============================] - 1s 30ms/step - loss: 0.4\n")],
        Match.VOLATILE,
    ),
    (
        "warnings on stderr are dropped",
        [],
        [stream("/x/y.py:3: DeprecationWarning: old\n  warnings.warn('old')\n", "stderr")],
        Match.SAME,
    ),
    ("redraws are noise", [stream("50%\rdone\n")], [stream("10%\r90%\rdone\n")], Match.SAME),
    ("other stderr counts", [], [stream("something failed\n", "stderr")], Match.DIFFERENT),
    (
        "numbers are not timings",
        [stream("3 items, 10 seconds_per_day\n")],
        [stream("4 items, 10 seconds_per_day\n")],
        Match.DIFFERENT,
    ),
]


@pytest.mark.parametrize(("title", "stored", "fresh", "expected"), CASES, ids=[c[0] for c in CASES])
def test_compare(
    title: str, stored: list[dict[str, Any]], fresh: list[dict[str, Any]], expected: Match
) -> None:
    assert compare_items(output_items(stored), output_items(fresh)) is expected


def test_noise_and_volatile_helpers() -> None:
    assert strip_noise("a\rb\r\nc  ") == "b\nc"
    assert mask_volatile("total steps 93") == "total steps 93"  # words like total are kept
    assert mask_volatile("Wall time: 5 ms\n45") == "<time>\n45"
    assert mask_volatile("took 1.5s") == "took <time>"
    assert mask_volatile("id 0xdeadbeef00") == "id <volatile>"
    assert mask_volatile("answer 42") == "answer 42"


def test_diff_names_the_first_difference() -> None:
    stored = output_items([stream("same\n"), result({"text/plain": "1"})])
    fresh = output_items([stream("same\n"), error("KeyError", "'x'")])
    diff = OutputDiff.between(stored, fresh)
    assert (diff.stored, diff.fresh) == ("1", "KeyError: 'x'")
    assert OutputDiff.between(stored, stored[:1]).fresh == "nothing"
    long = OutputDiff.between(output_items([stream("x" * 200)]), [])
    assert len(long.stored) == 60 and long.stored.endswith("…")


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ({"execution_count": 3}, True),
        ({"execution_count": None, "outputs": [stream("x")]}, False),
        ({"execution_count": 0}, True),
        ({"prompt_number": 2}, True),
        ({"execution_count": True}, False),
    ],
)
def test_has_reference(cell: dict[str, Any], expected: bool) -> None:
    assert has_reference(cell) is expected
