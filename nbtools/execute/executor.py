"""Run one notebook top to bottom on one fresh, already started kernel (with nbclient).

The kernel is always killed at the end, whatever happened; every way a run can go wrong
(an error, a timeout, a dead kernel, an output flood, a kernel that never answered) ends
as data in the :class:`~nbtools.runs.NotebookRun`, never as an exception.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from queue import Empty
from typing import TYPE_CHECKING, Any

from nbtools.execute.client import ManagerShim
from nbtools.execute.notebookclient import client_class, flood_reason
from nbtools.runs import CellRun, CellStatus, FailureKind, NotebookRun

if TYPE_CHECKING:
    from nbtools.execute.process import StartedKernel

SKIP_TAG = "skip-execution"
#: seconds a silent question to the kernel (exit status, installed packages) may take
ASK_TIMEOUT = 10.0
RAISES_TAG = "raises-exception"


@dataclass
class ExecOptions:
    """Limits and behaviour of one execution."""

    cell_timeout: float | None = 600.0  # seconds per cell; None: no limit
    notebook_timeout: float | None = None  # seconds for the whole notebook
    max_output_bytes: int = 20_000_000  # all outputs of the notebook together
    keep_going: bool = False  # run every cell, report every failure
    startup_timeout: float = 60.0  # until the kernel answers
    audit: bool = False  # record the files the kernel reads (for the run cache)


class _Stop(Exception):
    """Internal: the run cannot go on (the reason is in the NotebookRun)."""


def execute_notebook(
    nb: dict[str, Any], kernel: StartedKernel, options: ExecOptions | None = None
) -> NotebookRun:
    """Execute a copy of ``nb`` on ``kernel`` (which this kills at the end)."""
    import asyncio  # here, not at the top: a kernel is launched before this import is paid

    options = options or ExecOptions()
    run = NotebookRun()
    started = time.monotonic()
    try:
        asyncio.run(_execute(nb, kernel, options, run))
    except Exception as exc:  # noqa: BLE001 - a failure of this notebook, never of the batch
        if run.failure is None:
            run.fail(FailureKind.EXECUTION_FAILED, f"execution failed: {type(exc).__name__}: {exc}")
    finally:
        kernel.kill()
        run.duration_s = round(time.monotonic() - started, 3)
    return run


async def _execute(
    nb: dict[str, Any], kernel: StartedKernel, options: ExecOptions, run: NotebookRun
) -> None:
    from nbtools.execute.nodes import as_node

    # joins multiline strings (lists) and upgrades nbformat 3, as Jupyter does
    node = as_node(nb)
    client = client_class()(
        node,
        km=ManagerShim(kernel),
        allow_errors=False,
        record_timing=False,
        skip_cells_with_tag=SKIP_TAG,
        startup_timeout=int(options.startup_timeout),
    )
    client.nbtools_cap = options.max_output_bytes
    client.nbtools_kernel = kernel
    client.kc = kc = client.km.client()
    kc.start_channels()
    try:
        try:
            await kc.wait_for_ready(timeout=options.startup_timeout)
        except RuntimeError as exc:
            tail = kernel.stderr_tail()
            message = f"the kernel failed to start: {exc}" + (f"\n{tail}" if tail else "")
            run.fail(FailureKind.START_FAILED, message)
            return
        client.reset_execution_trackers()
        if options.audit:
            await _audit(client, kc, start=True)
        client.nbtools_recorder = await _record_shell_statuses(client, node)
        await _cells(client, node, kernel, options, run)
        run.executed_nb = json.loads(json.dumps(node))
        if options.audit and run.first_error is None and not run.failure:
            run.audit = await _audit(client, kc, start=False)
    finally:
        kc.stop_channels()


async def _cells(
    client: Any,
    node: Any,
    kernel: StartedKernel,
    options: ExecOptions,
    run: NotebookRun,
) -> None:
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    stopped = stopped_by_cap = False
    # the notebook limit works through nbclient's cell timeout: each cell gets at most
    # what is left of it (cancelling nbclient from outside would read as a dead kernel)
    deadline = time.monotonic() + options.notebook_timeout if options.notebook_timeout else None
    for index, cell in enumerate(node.cells):
        if cell.cell_type != "code":
            continue
        tags = cell.get("metadata", {}).get("tags", []) or []
        cell_run = CellRun(index=index, status=CellStatus.NOT_RUN)
        run.cells[index] = cell_run
        if stopped:
            continue
        if SKIP_TAG in tags or is_frozen(cell) or not str(cell.source).strip():
            cell_run.status = CellStatus.SKIPPED
            continue
        limit, by_notebook = _cell_limit(options, deadline)
        client.timeout = limit
        started = time.monotonic()
        try:
            await client.async_execute_cell(cell, index)
            error = _error_output(cell)
            cell_run.status = CellStatus.OK if error is None else CellStatus.EXPECTED_ERROR
            if error is not None and RAISES_TAG not in tags:
                # an error output without an error reply (a display formatter that raised,
                # LaTeX missing): only the tag makes an error expected
                cell_run.status = CellStatus.ERROR
                stopped = not options.keep_going
        except CellExecutionError:
            cell_run.status = CellStatus.ERROR
            stopped = not options.keep_going
        except CellTimeoutError:
            cell_run.status = CellStatus.TIMEOUT
            if by_notebook:
                run.fail(
                    FailureKind.TIMEOUT,
                    f"the notebook timed out after {options.notebook_timeout:g} s "
                    f"(in cell {index + 1})",
                )
            else:
                message = f"cell {index + 1} timed out after {options.cell_timeout:g} s"
                run.fail(FailureKind.TIMEOUT, message)
            stopped = True
        except DeadKernelError:
            cell_run.status = CellStatus.KERNEL_DIED
            if not client.nbtools_flooded:
                tail = kernel.stderr_tail()
                message = f"the kernel died while running cell {index + 1}"
                run.fail(FailureKind.KERNEL_DIED, message + (f"\n{tail}" if tail else ""))
            stopped = True
        if client.nbtools_flooded and not stopped_by_cap:
            # nbtools stopped the kernel (not a death), for the cell whose output crossed
            # the cap; its reply may have come before the kill, so this is looked at after
            # every cell, not only when the kernel is found dead
            stopped_by_cap = stopped = True
            flood_cell = client.nbtools_flood_cell
            flood_cell = index if flood_cell is None else flood_cell
            cell_run.status = CellStatus.NOT_RUN if flood_cell != index else cell_run.status
            run.cells[flood_cell].status = CellStatus.OUTPUT_LIMIT
            per_cell = client.__dict__.get("nbtools_cells", {})
            reason = flood_reason(options.max_output_bytes, flood_cell, per_cell)
            run.fail(FailureKind.OUTPUT_LIMIT, reason)
        cell_run.duration_s = round(time.monotonic() - started, 3)
        cell_run.outputs = json.loads(json.dumps(cell.get("outputs", [])))
        error = _error_output(cell)
        if error is not None:
            cell_run.ename = error.get("ename")
            cell_run.evalue = error.get("evalue")
            cell_run.traceback = list(error.get("traceback") or [])
        if cell_run.status in (CellStatus.OK, CellStatus.ERROR, CellStatus.EXPECTED_ERROR):
            await _after_cell(client, cell, cell_run, run)


async def _after_cell(client: Any, cell: Any, cell_run: CellRun, run: NotebookRun) -> None:
    """Ask the kernel what a cell's outputs cannot say: the exit status of its shell
    commands, and, after an import failed, which distributions are installed."""
    from nbtools.execute import shell
    from nbtools.execute.causerules import IMPORT_ERRORS

    commands = shell.shell_commands(str(cell.source))
    if commands:
        for name in shell.shell_not_found(cell_run.outputs):
            line = shell.not_found_line(commands, name)
            cell_run.shell_failures.append((line, f"`{name}`: command not found"))
        statuses = None
        if client.nbtools_recorder:
            statuses = _literal((await _ask(client, {"s": shell.TAKE})).get("s"))
        if not cell_run.shell_failures and cell_run.status is not CellStatus.ERROR:
            if not isinstance(statuses, list):  # no recorder: the last status only
                answer = await _ask(
                    client, {"exit": "get_ipython().user_ns.pop('_exit_code', None)"}
                )
                statuses = [_literal(answer.get("exit"))]
                commands = commands[-1:]
            cell_run.shell_failures += shell.failed_commands(commands, statuses)
    if cell_run.ename in IMPORT_ERRORS and "installed" not in run.environment:
        answer = await _ask(
            client, {"installed": _INSTALLED, "python": "__import__('sys').executable"}
        )
        installed, python = _literal(answer.get("installed")), _literal(answer.get("python"))
        if isinstance(installed, list):
            run.environment["installed"] = [str(n) for n in installed]
        if isinstance(python, str):
            run.environment["python"] = python


#: the kernel environment's distribution names (the kernel's own importlib.metadata)
_INSTALLED = (
    "sorted({str(d.metadata['Name'] or '').lower() for d in "
    "__import__('importlib.metadata').metadata.distributions()})"
)


async def _record_shell_statuses(client: Any, node: Any) -> bool:
    """Install :data:`~nbtools.execute.shell.RECORDER` when a cell runs shell commands;
    whether it is in place (a kernel without IPython's shell has none)."""
    from nbtools.execute import shell

    if not any(shell.shell_commands(str(c.source)) for c in node.cells if c.cell_type == "code"):
        return False
    answer = await _ask(
        client, {"ok": "'_nbtools_shell' in __import__('sys').modules"}, shell.RECORDER
    )
    return _literal(answer.get("ok")) is True


async def _ask(client: Any, expressions: dict[str, str], code: str = "") -> dict[str, str]:
    """Evaluate ``expressions`` in the kernel (after ``code``) without a trace (a silent
    request: no execution count, no history, no output); each value's repr, or nothing on
    failure."""
    try:
        msg_id = client.kc.execute(
            code, silent=True, store_history=False, user_expressions=expressions
        )
        reply = None
        deadline = time.monotonic() + ASK_TIMEOUT
        while reply is None and time.monotonic() < deadline:
            try:
                msg = await client.kc.shell_channel.get_msg(timeout=0.1)
            except Empty:
                continue
            if msg["parent_header"].get("msg_id") == msg_id:
                reply = msg
    except Exception:  # noqa: BLE001 - a question the kernel cannot answer changes nothing
        return {}
    found = ((reply or {}).get("content") or {}).get("user_expressions") or {}
    answers = {}
    for key, value in found.items():
        if isinstance(value, dict) and value.get("status") == "ok":
            text = (value.get("data") or {}).get("text/plain")
            if isinstance(text, str):
                answers[key] = text
    return answers


def _literal(text: str | None) -> Any:
    import ast

    if text is None:
        return None
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None


def is_frozen(cell: Any) -> bool:
    """A cell frozen with the freeze extension (``run_control.frozen``): not run, like
    ``skip-execution``."""
    control = (cell.get("metadata") or {}).get("run_control") or {}
    return isinstance(control, dict) and control.get("frozen") is True


async def _audit(client: Any, kc: Any, *, start: bool) -> dict[str, Any] | None:
    """The run cache's audit hook: installed silently before the first cell, its record
    read after the last one (:mod:`nbtools.execute.audit`); None: no usable record."""
    from nbtools.execute.audit import COLLECT, PRELUDE, parse_reply

    client.timeout = 60
    if start:
        msg_id = kc.execute(PRELUDE, silent=True, store_history=False)
    else:
        msg_id = kc.execute(
            "", silent=True, store_history=False, user_expressions={"audit": COLLECT}
        )
    try:
        reply = await client.async_wait_for_reply(msg_id)
    except Exception:  # noqa: BLE001 - no record: the run is simply not cached
        return None
    return None if start else parse_reply(reply)


def _cell_limit(options: ExecOptions, deadline: float | None) -> tuple[int | None, bool]:
    """nbclient's whole-second timeout for the next cell, and whether the notebook set it."""
    cell = options.cell_timeout
    if deadline is None:
        return (max(1, math.ceil(cell)) if cell else None), False
    left = max(1, math.ceil(deadline - time.monotonic()))
    if cell and cell <= left:
        return max(1, math.ceil(cell)), False
    return left, True


def _error_output(cell: Any) -> dict[str, Any] | None:
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return dict(output)
    return None
