"""Mask the secrets of a notebook wherever a run report would show them.

``nbtools run`` shows what a notebook holds and printed: cell sources, tracebacks, error
values, reasons, stored and fresh outputs, whole executed notebooks (``--html``). Each of
those goes through a :class:`Redactor`, which finds secrets with the scanner's engine (in
the notebook and in the text itself) and replaces every occurrence with the scanner's
masked form, in every report format. A value cut short by a summary (``ghp_R8x2Kq…``) is
masked too: any run of at least 8 of its first or last characters counts.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, Iterable, Iterator

if TYPE_CHECKING:
    from nbtools.runs import NotebookRun

#: how much of a known secret, at its start or end, is already too much to show
MIN_RUN = 8
_BINARY_PREFIXES = ("image/", "audio/", "video/", "application/pdf")


def strings(node: Any) -> Iterator[str]:
    """Every string in a JSON-like value (binary payloads such as images skipped)."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            if isinstance(key, str) and key.startswith(_BINARY_PREFIXES):
                continue
            yield from strings(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from strings(value)


class Redactor:
    """The secrets of one notebook, and their masked forms."""

    def __init__(self, texts: Iterable[str] = ()) -> None:
        self._masked: dict[str, str] = {}
        self.learn(texts)

    def learn(self, texts: Iterable[str]) -> None:
        """Find the secrets in ``texts`` (with the scanner's rules) and remember them."""
        from nbtools.secrets.engine import default_engine, strip_ansi
        from nbtools.secrets.masking import mask

        found = [strip_ansi(t) for t in texts if t]
        if not found:
            return
        for hit in default_engine().scan(found):
            if hit.value and hit.value not in self._masked:
                self._masked[hit.value] = mask(hit.value)

    def __call__(self, text: str) -> str:
        """``text`` with every secret it holds (known or its own) masked."""
        if not text:
            return text
        self.learn([text])
        for value in sorted(self._masked, key=len, reverse=True):
            text = self._mask_one(text, value, self._masked[value])
        return text

    def deep(self, node: Any) -> Any:
        """A copy of a JSON-like value with every string masked."""
        if isinstance(node, str):
            return self(node)
        if isinstance(node, dict):
            return {
                key: value
                if isinstance(key, str) and key.startswith(_BINARY_PREFIXES)
                else self.deep(value)
                for key, value in node.items()
            }
        if isinstance(node, (list, tuple)):
            return [self.deep(value) for value in node]
        return node

    @staticmethod
    def _mask_one(text: str, value: str, masked: str) -> str:
        if value in text:
            text = text.replace(value, masked)
        run = min(MIN_RUN, len(value))
        if len(value) <= run:
            return text
        head, tail = value[:run], value[-run:]
        # a summary cut the value short: mask what is left of it
        at = text.find(head)
        while at != -1:
            end = at + run
            while end < len(text) and end - at < len(value) and text[end] == value[end - at]:
                end += 1
            text = text[:at] + masked + text[end:]
            at = text.find(head, at + len(masked))
        at = text.find(tail)
        while at != -1:
            start = at
            k = len(value) - run
            while start > 0 and k > 0 and text[start - 1] == value[k - 1]:
                start -= 1
                k -= 1
            text = text[:start] + masked + text[at + run :]
            at = text.find(tail, start + len(masked))
        return text


def redactor_for(nb: dict[str, Any], runs: Iterable[NotebookRun]) -> Redactor:
    """What masks a notebook's secrets in everything the report shows of it (#17.5): its
    own strings, and what its runs printed and raised."""
    texts: list[str] = list(strings(nb))
    for run in runs:
        texts.append(run.failure or "")
        for cell in run.cells.values():
            texts.extend(strings(cell.outputs))
            texts.extend([cell.evalue or "", *cell.traceback])
    return Redactor(texts)


def masked_run(run: NotebookRun, redact: Redactor) -> NotebookRun:
    """A copy of ``run`` whose texts (failure, error values, tracebacks) are masked."""
    cells = {
        index: replace(
            cell,
            evalue=redact(cell.evalue) if cell.evalue else cell.evalue,
            traceback=[redact(line) for line in cell.traceback],
        )
        for index, cell in run.cells.items()
    }
    failure = redact(run.failure) if run.failure else run.failure
    return replace(run, cells=cells, failure=failure)
