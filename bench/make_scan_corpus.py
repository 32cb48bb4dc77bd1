"""Generate the scan benchmark sets under bench/data/ (git-ignored).

* ``scan-small``: 2,000 small notebooks (about 23 MB): code, markdown, stream and
  ``text/plain``/``text/html`` outputs, some tracebacks, one fake credential in every 25th.
* ``scan-images``: 200 image-heavy notebooks (about 120 MB): base64 PNG outputs.

Deterministic (seeded); all credentials are random FAKES. Usage:
``python bench/make_scan_corpus.py [--out bench/data] [--small 2000] [--images 200]``
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import string
import struct
import zlib
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ALNUM = string.ascii_letters + string.digits

CODE_SNIPPETS = [
    "import numpy as np\nimport pandas as pd\nimport matplotlib.pyplot as plt\n",
    "df = pd.read_csv('data/events_{n}.csv', parse_dates=['ts'])\ndf.head()\n",
    "model = build_model(hidden={n}, dropout=0.{d})\nhistory = model.fit(x_train, y_train, epochs={d})\n",
    "def normalise(frame):\n    return (frame - frame.mean()) / frame.std()\n\nclean = normalise(df[cols])\n",
    "grouped = df.groupby('region')['revenue'].agg(['sum', 'mean', 'count'])\ngrouped\n",
    "for epoch in range({d}):\n    loss = train_step(batch)\n    print(f'epoch {{epoch}} loss {{loss:.4f}}')\n",
    "fig, ax = plt.subplots(figsize=(8, 4))\nax.plot(df['ts'], df['value'])\nplt.show()\n",
    "token_counts = Counter(tok for doc in corpus for tok in tokenizer(doc))\nmax_tokens = {n}\n",
    "EXPECTED_MD5 = '{hex32}'\nassert md5(path) == EXPECTED_MD5\n",
    "run_id = '{hex32}'\nmodel_uri = f'runs:/{{run_id}}/model'\n",
]
SECRET_SNIPPETS = [
    "AWS_ACCESS_KEY_ID = 'AKIA{up16}'\n",
    "headers = {{'Authorization': 'token ghp_{an36}'}}\n",
    "stripe.api_key = 'sk_live_{an24}'\n",
    "engine = create_engine('postgresql://etl:{an12}@db.example.internal/sales')\n",
    "login(token='hf_{al34}')\n",
]


def _fill(template: str, rng: random.Random) -> str:
    return template.format(
        n=rng.randint(10, 9999),
        d=rng.randint(1, 9),
        hex32="".join(rng.choice("0123456789abcdef") for _ in range(32)),
        up16="".join(rng.choice(string.ascii_uppercase + "234567") for _ in range(16)),
        an36="".join(rng.choice(ALNUM) for _ in range(36)),
        an24="".join(rng.choice(ALNUM) for _ in range(24)),
        an12="".join(rng.choice(ALNUM) for _ in range(12)),
        al34="".join(rng.choice(string.ascii_letters) for _ in range(34)),
    )


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _table(rng: random.Random, rows: int) -> dict[str, Any]:
    header = "   region  revenue     mean  count\n"
    plain = header + "".join(
        f"{i:<3} {rng.choice(['north', 'south', 'east', 'west'])}  {rng.random() * 1e5:9.2f} "
        f"{rng.random() * 100:8.3f}  {rng.randint(1, 999)}\n"
        for i in range(rows)
    )
    html = "<table class='dataframe'>\n" + "".join(
        f"<tr><th>{i}</th><td>{rng.random() * 1e5:.2f}</td><td>{rng.randint(1, 999)}</td></tr>\n"
        for i in range(rows)
    )
    return {
        "output_type": "execute_result",
        "execution_count": rng.randint(1, 50),
        "metadata": {},
        "data": {"text/plain": _lines(plain), "text/html": _lines(html + "</table>\n")},
    }


def _traceback(rng: random.Random) -> dict[str, Any]:
    frames = [
        "\x1b[0;31m---------------------------------------------------------------------------\x1b[0m",
        "\x1b[0;31mKeyError\x1b[0m                                  Traceback (most recent call last)",
    ]
    for _ in range(rng.randint(2, 6)):
        frames.append(
            f"File \x1b[0;32m/opt/conda/lib/python3.10/site-packages/pandas/core/frame.py:{rng.randint(100, 9000)}\x1b[0m, "
            f"in \x1b[0;36mDataFrame.__getitem__\x1b[0;34m(self, key)\x1b[0m\n   {rng.randint(1, 999)} \x1b[38;5;28;01mif\x1b[39;00m is_hashable(key):"
        )
    return {
        "output_type": "error",
        "ename": "KeyError",
        "evalue": f"'col_{rng.randint(1, 99)}'",
        "traceback": frames,
    }


def _png(rng: random.Random, size: int) -> str:
    """A syntactically valid PNG with ``size`` bytes of incompressible pixel data."""
    raw = bytes(rng.getrandbits(8) for _ in range(size))
    width = 256
    height = max(1, size // (width * 3))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")
    return base64.b64encode(png).decode("ascii")


def _notebook(cells: list[dict[str, Any]]) -> dict[str, Any]:
    for index, cell in enumerate(cells):
        cell["id"] = f"c{index:04d}"
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python", "version": "3.10.12"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def small_notebook(rng: random.Random, index: int) -> dict[str, Any]:
    cells: list[dict[str, Any]] = [
        {
            "cell_type": "markdown",
            "metadata": {},
            "source": _lines(f"# Analysis {index}\nLoads, cleans and plots the data.\n"),
        }
    ]
    for _ in range(rng.randint(8, 12)):
        source = "".join(_fill(rng.choice(CODE_SNIPPETS), rng) for _ in range(rng.randint(1, 3)))
        outputs: list[dict[str, Any]] = []
        roll = rng.random()
        if roll < 0.35:
            outputs.append(_table(rng, rng.randint(5, 12)))
        elif roll < 0.7:
            text = "".join(
                f"epoch {e} loss {rng.random():.4f} acc {rng.random():.4f}\n"
                for e in range(rng.randint(5, 20))
            )
            outputs.append({"output_type": "stream", "name": "stdout", "text": _lines(text)})
        elif roll < 0.78:
            outputs.append(_traceback(rng))
        cells.append(
            {
                "cell_type": "code",
                "execution_count": rng.randint(1, 60),
                "metadata": {},
                "outputs": outputs,
                "source": _lines(source),
            }
        )
    if index % 25 == 0:
        cells[-1]["source"] = _lines(_fill(rng.choice(SECRET_SNIPPETS), rng)) + cells[-1]["source"]
    return _notebook(cells)


def image_notebook(rng: random.Random, index: int) -> dict[str, Any]:
    cells: list[dict[str, Any]] = [
        {"cell_type": "markdown", "metadata": {}, "source": [f"# Figures {index}\n"]}
    ]
    for _ in range(rng.randint(5, 7)):
        png = _png(rng, rng.randint(60_000, 90_000))
        cells.append(
            {
                "cell_type": "code",
                "execution_count": rng.randint(1, 60),
                "metadata": {},
                "outputs": [
                    {
                        "output_type": "display_data",
                        "metadata": {},
                        "data": {
                            "image/png": png,
                            "text/plain": ["<Figure size 800x400 with 1 Axes>"],
                        },
                    }
                ],
                "source": _lines(_fill(CODE_SNIPPETS[6], rng)),
            }
        )
    return _notebook(cells)


def write_set(out: Path, name: str, count: int, make: Any, seed: int) -> int:
    rng = random.Random(seed)
    target = out / name
    target.mkdir(parents=True, exist_ok=True)
    total = 0
    for index in range(count):
        text = json.dumps(make(rng, index), indent=1, ensure_ascii=False) + "\n"
        path = target / f"nb_{index:04d}.ipynb"
        path.write_text(text, encoding="utf-8")
        total += len(text.encode("utf-8"))
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=HERE / "data")
    parser.add_argument("--small", type=int, default=2000)
    parser.add_argument("--images", type=int, default=200)
    args = parser.parse_args()
    small = write_set(args.out, "scan-small", args.small, small_notebook, 1)
    images = write_set(args.out, "scan-images", args.images, image_notebook, 2)
    print(f"scan-small: {args.small} notebooks, {small / 1e6:.1f} MB")
    print(f"scan-images: {args.images} notebooks, {images / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
