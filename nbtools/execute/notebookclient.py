"""nbclient's ``NotebookClient`` as ``nbtools run`` uses it: a cap on the outputs of a whole
notebook, and a kernel death seen within a tenth of a second.

Both changes are subclass overrides. ``output`` is a public method; the faster death check
replaces a private one and is therefore used only where :mod:`nbtools.execute.upstream`
says it is tested (elsewhere nbclient's own once-a-second check runs).
"""

from __future__ import annotations

import importlib
import json
from typing import TYPE_CHECKING, Any

from nbtools.execute.upstream import can_override

if TYPE_CHECKING:
    from nbtools.execute.process import StartedKernel

#: seconds between two looks at the kernel process while a cell runs (nbclient: 1 s)
ALIVE_POLL = 0.1

#: the private names of NotebookClient the faster death check relies on
FAST_DEATH_CHECK = ("_async_poll_kernel_alive", "_async_check_alive")

_CLASSES: list[Any] = []


def client_class() -> Any:
    """The ``NotebookClient`` subclass (made once per process)."""
    if not _CLASSES:
        _CLASSES.append(_make_class())
    return _CLASSES[0]


def _make_class() -> Any:
    from nbclient import NotebookClient

    class _Client(NotebookClient):  # type: ignore[misc]
        """nbclient with a cap on the total size of outputs."""

        nbtools_cap = 0
        nbtools_bytes = 0
        nbtools_flooded = False
        nbtools_flood_cell: int | None = None  # the cell whose output crossed the cap
        nbtools_kernel: StartedKernel | None = None

        def output(self, outs: Any, msg: Any, display_id: Any, cell_index: int) -> Any:
            size = _size(msg.get("content"))
            self.nbtools_bytes += size
            per_cell = self.__dict__.setdefault("nbtools_cells", {})
            per_cell[cell_index] = per_cell.get(cell_index, 0) + size
            if self.nbtools_cap and self.nbtools_bytes > self.nbtools_cap:
                if not self.nbtools_flooded:
                    self.nbtools_flooded = True
                    self.nbtools_flood_cell = cell_index
                    # where the output stops, the notebook says so
                    outs.append(_placeholder(self.nbtools_cap))
                    if self.nbtools_kernel is not None:
                        # stop the flood at its source; the run stops after this cell
                        self.nbtools_kernel.abort()
                return None
            return super().output(outs, msg, display_id, cell_index)

    if not can_override("nbclient", NotebookClient, *FAST_DEATH_CHECK):
        return _Client  # nbclient's own check, once a second

    class _FastDeathClient(_Client):
        async def _async_poll_kernel_alive(self) -> None:
            await _poll_kernel_alive(self)

    return _FastDeathClient


async def _poll_kernel_alive(self: Any) -> None:
    """``NotebookClient._async_poll_kernel_alive`` with a tenth of a second between looks.

    Why: nbclient looks once a second (the check came with
    https://github.com/jupyter/nbclient/pull/90, for
    https://github.com/jupyter/nbclient/issues/88, and has no setting for its interval),
    because its liveness check may be a heartbeat round trip. Here the kernel client's
    ``is_alive`` is a look at the kernel process (:mod:`nbtools.execute.client`), so a
    crashed kernel ends its notebook within a tenth of a second instead of up to a second
    later. As upstream does, a dead kernel cancels ``task_poll_for_reply``, which nbclient
    turns into ``DeadKernelError``; a client without that task gets nbclient's own loop.
    """
    import asyncio

    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    if not hasattr(self, "task_poll_for_reply"):
        await NotebookClient._async_poll_kernel_alive(self)
        return
    while True:
        await asyncio.sleep(ALIVE_POLL)
        try:
            await self._async_check_alive()
        except DeadKernelError:
            if self.task_poll_for_reply is not None:
                self.task_poll_for_reply.cancel()
            return


def _placeholder(cap: int) -> Any:
    new_output: Any = importlib.import_module("nbformat.v4").new_output
    text = (
        f"[nbtools: output dropped here: the notebook's outputs passed --max-output-bytes "
        f"({_human(cap)}, a cap for all outputs of the notebook together); the kernel was stopped]\n"
    )
    return new_output("stream", name="stderr", text=text)


def _human(size: int) -> str:
    if size >= 1_000_000:
        return f"{size / 1_000_000:.1f} MB"
    if size >= 1_000:
        return f"{size / 1_000:.1f} KB"
    return f"{size} bytes"


def flood_reason(cap: int, cell: int, per_cell: dict[int, int]) -> str:
    """Why the run stopped: the cap is per notebook, so name who filled it."""
    reason = (
        f"the notebook's outputs passed --max-output-bytes ({_human(cap)}, a cap for all "
        f"outputs of the notebook together) in cell {cell + 1}, which printed "
        f"{_human(per_cell.get(cell, 0))}"
    )
    earlier = sorted(((n, i) for i, n in per_cell.items() if i != cell and n), reverse=True)[:3]
    if earlier:
        listed = ", ".join(f"cell {i + 1} ({_human(n)})" for n, i in earlier)
        reason += f" after {listed}"
    return reason + "; nbtools stopped the kernel and dropped the rest of the output"


def _size(content: Any) -> int:
    if not isinstance(content, dict):
        return 0
    total = len(content.get("text") or "")
    for value in (content.get("data") or {}).values():
        total += len(value) if isinstance(value, str) else len(json.dumps(value))
    return total + sum(len(line) for line in content.get("traceback") or [])
