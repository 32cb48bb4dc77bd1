"""Why a notebook did not pass: one cause for every verdict other than ``pass``, with one
line of what to do.

A verdict says *that* a notebook failed; what a user acts on is whether the environment
(no network, a package the image lacks, a file outside the work tree, no kernel for its
language) or the notebook itself (kernel state, an error committed with it) is to blame.
:func:`classify` reads the verdict, the fresh run and the stored notebook and names one
cause from :data:`~nbtools.execute.causerules.CAUSES`; it never runs anything.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from nbtools.execute.causerules import (
    CANNOT_IMPORT_RE,
    CAUSES,
    HIDDEN_STATE,
    IMPORT_ERRORS,
    KERNEL_DIED,
    KERNEL_UNAVAILABLE,
    MAGIC_RE,
    MISSING_FILE,
    MISSING_PACKAGE,
    NETWORK,
    NETWORK_ENAMES,
    NETWORK_RE,
    NO_MODULE_RE,
    NONDETERMINISTIC,
    NOTEBOOK_ERROR,
    OUTPUT_LIMIT,
    OUTPUT_MISMATCH,
    PATH_BEFORE_RE,
    PATH_RE,
    PIP_NAMES,
    PIP_RE,
    QUOTED_END_RE,
    SHELL_COMMAND,
    TIMEOUT,
)
from nbtools.execute.shell import shell_commands
from nbtools.execute.specs import unavailable_language
from nbtools.notebook import multiline, source_text
from nbtools.runs import CellRun, CellStatus, FailureKind, NotebookRun

if TYPE_CHECKING:
    from nbtools.hidden_state.verdict import NotebookVerdict


@dataclass
class Cause:
    """One cause of a verdict and the line that tells what to do."""

    name: str
    message: str  # what was found and what to do, one line

    def to_dict(self) -> dict[str, str]:
        return {"cause": self.name, "cause_message": self.message}


@dataclass
class Context:
    """Where the kernels ran, for messages that name it."""

    where: str = "the kernel's environment"  # "the image X" / "/usr/bin/python3"
    container: bool = False
    network: bool = False  # a container run with --network host
    root: str | None = None  # the work tree (git root) of the notebook
    folder: str = "."  # the notebook's folder (the kernel's working directory)


def _text(outputs: Iterable[dict[str, Any]]) -> str:
    parts = []
    for output in outputs:
        kind = output.get("output_type")
        if kind == "stream":
            parts.append(multiline(output.get("text")))
        elif kind == "error":
            parts.append(f"{output.get('ename')}: {output.get('evalue')}")
            parts.extend(str(line) for line in output.get("traceback") or [])
        elif kind in ("execute_result", "display_data"):
            parts.append(multiline((output.get("data") or {}).get("text/plain")))
    return "\n".join(parts)


def _short(command: str, limit: int = 70) -> str:
    command = " ".join(command.split())
    return command if len(command) <= limit else command[: limit - 1] + "…"


def _network_fix(context: Context) -> str:
    if context.container and not context.network:
        return CAUSES[NETWORK]
    if context.container:
        return "the network failed although the kernel had --network host; retry, or vendor the download"
    return "this machine could not reach the network: retry online, or vendor the download"


def _failed_installs(
    nb_cells: list[dict[str, Any]], run: NotebookRun, before: int
) -> list[tuple[int, str, bool]]:
    """Earlier cells whose install or download failed: (index, command, network?)."""
    found = []
    for index in sorted(run.cells):
        if index >= before:
            break
        cell_run = run.cells[index]
        text = _text(cell_run.outputs)
        network = bool(NETWORK_RE.search(text))
        source = source_text(nb_cells[index]) if index < len(nb_cells) else ""
        failed = [c for c, _ in cell_run.shell_failures]  # the first one failed first
        installs = [line.strip() for line in source.splitlines() if PIP_RE.search(line)]
        if failed or (network and installs):
            found.append((index, failed[0] if failed else installs[-1], network))
    return found


def _first_link(
    cells: list[dict[str, Any]], run: NotebookRun, index: int, context: Context
) -> Cause | None:
    """A failed install or download above ``index`` that explains a later error."""
    for at, command, network in _failed_installs(cells, run, index):
        if network:
            return Cause(
                NETWORK,
                f"`{_short(command)}` in cell {at + 1} failed for lack of network, so cell "
                f"{index + 1} went without it; {_network_fix(context)}",
            )
    return None


def _module_cause(
    module: str, cells: list[dict[str, Any]], run: NotebookRun, index: int, context: Context
) -> Cause:
    top = module.split(".", maxsplit=1)[0]
    local = _local_module(top, context)
    if local is not None:
        return Cause(
            MISSING_PACKAGE,
            f"`{module}` is a module of the repository that is not there or not on the "
            f"kernel's path ({local}); commit it, or run from the folder that holds it",
        )
    pip = PIP_NAMES.get(module) or PIP_NAMES.get(top) or top.replace("_", "-")
    installed = run.environment.get("installed")
    where = context.where
    if isinstance(installed, list) and pip.lower() in installed:
        return Cause(
            MISSING_PACKAGE,
            f"`{module}` does not import in {where} although {pip} is installed there "
            "(an incomplete or mismatched install); pin a version that provides it",
        )
    named = f" (pip name {pip})" if (pip != top and top in PIP_NAMES) or module in PIP_NAMES else ""
    return Cause(
        MISSING_PACKAGE,
        f"`{top}` is not installed in {where}{named}; add it to the image or a requirements file",
    )


def _local_module(top: str, context: Context) -> str | None:
    """Where a module of that name lives in the work tree, or "" when the notebook's own
    folder suggests it (a sibling ``.py`` file the kernel should have found); None: not local."""
    for folder in {context.folder, context.root or context.folder}:
        for candidate in (f"{top}.py", os.path.join(top, "__init__.py")):
            path = os.path.join(folder, candidate)
            if os.path.exists(path):
                return os.path.relpath(path, context.root or context.folder)
    root = context.root
    if root:
        for sub in ("src", "lib"):
            path = os.path.join(root, sub, top)
            if os.path.isdir(path) or os.path.isfile(path + ".py"):
                return os.path.relpath(path, root) + " (not installed)"
    return None


def _path_cause(path: str, context: Context, index: int) -> Cause:
    absolute = os.path.normpath(os.path.join(context.folder, os.path.expanduser(path)))
    root = os.path.realpath(context.root or context.folder)
    inside = absolute == root or absolute.startswith(root.rstrip(os.sep) + os.sep)
    if path.startswith("~") or (os.path.isabs(path) and path.startswith(("/home/", "/Users/"))):
        where = "a path in someone's home folder, outside the work tree"
    elif not inside:
        where = "outside the work tree"
    else:
        where = "inside the work tree, but not committed or not created by an earlier cell"
    return Cause(
        MISSING_FILE,
        f"cell {index + 1} reads `{path}`, {where}; commit the file next to the notebook, "
        "or have the notebook download or create it",
    )


def _missing_path(error: CellRun) -> str | None:
    text = f"{error.evalue or ''}"
    for pattern in (PATH_RE, PATH_BEFORE_RE):
        match = pattern.search(text)
        if match:
            return match.group(1)
    return None


def _same_stored_error(cell: dict[str, Any], ename: str | None) -> bool:
    return any(
        o.get("output_type") == "error" and o.get("ename") == ename
        for o in cell.get("outputs") or []
    )


def classify_error(
    nb: dict[str, Any],
    run: NotebookRun,
    verdict: NotebookVerdict,
    context: Context,
) -> Cause:
    """The cause of a ``fail_error`` verdict."""
    cells = list(nb.get("cells") or [])
    if run.kernel_unavailable:
        return Cause(KERNEL_UNAVAILABLE, CAUSES[KERNEL_UNAVAILABLE])
    error = run.first_error
    if error is None:
        kind = run.failure_kind
        if kind is FailureKind.START_FAILED:
            head = (run.failure or "start failed").splitlines()[0]
            return Cause(KERNEL_UNAVAILABLE, f"{head}; {CAUSES[KERNEL_UNAVAILABLE]}")
        if kind is FailureKind.TIMEOUT:
            return Cause(TIMEOUT, CAUSES[TIMEOUT])
        if kind is FailureKind.KERNEL_DIED:
            return Cause(KERNEL_DIED, CAUSES[KERNEL_DIED])
        return _shell_only(cells, run) or Cause(NOTEBOOK_ERROR, CAUSES[NOTEBOOK_ERROR])
    index = error.index
    source = source_text(cells[index]) if index < len(cells) else ""
    outputs_text = _text(error.outputs)
    if error.status is CellStatus.OUTPUT_LIMIT:
        return Cause(OUTPUT_LIMIT, CAUSES[OUTPUT_LIMIT])
    if error.status is CellStatus.KERNEL_DIED:
        return Cause(KERNEL_DIED, CAUSES[KERNEL_DIED])
    if error.status is CellStatus.TIMEOUT:
        if PIP_RE.search(source) or NETWORK_RE.search(outputs_text):
            return Cause(
                NETWORK,
                f"cell {index + 1} waited on the network until it timed out (pip retries); "
                f"{_network_fix(context)}",
            )
        return Cause(TIMEOUT, CAUSES[TIMEOUT])
    cell = cells[index] if index < len(cells) else {}
    if _same_stored_error(cell, error.ename):
        return Cause(
            NOTEBOOK_ERROR,
            f"the stored output of cell {index + 1} shows the same {error.ename}: the notebook "
            "was committed broken (or demonstrates the error); fix it, or tag the cell "
            "`raises-exception`",
        )
    evalue = error.evalue or ""
    tb = "\n".join(error.traceback)
    if error.ename in IMPORT_ERRORS:
        first = _first_link(cells, run, index, context)
        if first is not None:
            return first
        match = NO_MODULE_RE.search(evalue)
        if match:
            return _module_cause(match.group(1), cells, run, index, context)
        match = CANNOT_IMPORT_RE.search(evalue)
        if match:
            return Cause(
                MISSING_PACKAGE,
                f"`{match.group(2)}` in {context.where} has no `{match.group(1)}` (another "
                "version than the notebook was written for); pin the version it needs",
            )
    if error.ename in NETWORK_ENAMES or NETWORK_RE.search(f"{evalue}\n{tb}"):
        return Cause(
            NETWORK, f"cell {index + 1} could not reach the network; {_network_fix(context)}"
        )
    if error.ename == "UsageError" or MAGIC_RE.search(evalue):
        magic = MAGIC_RE.search(evalue)
        first = _first_link(cells, run, index, context)
        if first is not None:
            return first
        if magic:
            return Cause(
                MISSING_PACKAGE,
                f"the magic `%{magic.group(1)}` comes from a package not loaded or not "
                f"installed in {context.where}; add it to the image or a requirements file",
            )
    if error.ename == "CalledProcessError" and shell_commands(source):
        return Cause(
            SHELL_COMMAND,
            f"`{_short(shell_commands(source)[0])}` in cell {index + 1} exited non-zero; "
            + CAUSES[SHELL_COMMAND],
        )
    if error.ename in ("FileNotFoundError", "OSError", "IOError") or "No such file" in evalue:
        path = _missing_path(error)
        if path is not None:
            first = _first_link(cells, run, index, context) or _shell_link(cells, run, index)
            cause = _path_cause(path, context, index)
            if first is not None:
                return Cause(first.name, f"{cause.message}; {first.message}")
            return cause
    if error.ename in ("PermissionError", "OSError") and (
        "Permission denied" in evalue or "Read-only file system" in evalue
    ):
        match = QUOTED_END_RE.search(evalue)
        target = f"`{match.group(1)}`" if match else "a file"
        where = " (the container sees the work tree read-only)" if context.container else ""
        return Cause(
            MISSING_FILE,
            f"cell {index + 1} may not write {target} here{where}; write outputs under a "
            "temporary folder (tempfile) or a folder the notebook creates",
        )
    if error.ename == "SyntaxError" and unavailable_language(nb):
        return Cause(KERNEL_UNAVAILABLE, f"the notebook is written in {unavailable_language(nb)}")
    # kernel state only when the failing cell itself points at it (the static analysis
    # explains its name error or its difference), not because an earlier cell differed
    failing = next((c for c in verdict.cells if c.index == index), None)
    if verdict.error_from_state or (failing is not None and failing.hidden_state):
        return Cause(HIDDEN_STATE, CAUSES[HIDDEN_STATE])
    shell = _shell_link(cells, run, index)
    if shell is not None:
        return shell
    return Cause(NOTEBOOK_ERROR, CAUSES[NOTEBOOK_ERROR])


def _shell_link(cells: list[dict[str, Any]], run: NotebookRun, index: int) -> Cause | None:
    for at in sorted(run.cells):
        if at >= index:
            break
        failures = run.cells[at].shell_failures
        if failures:
            command, what = failures[0]
            return Cause(
                SHELL_COMMAND,
                f"`{_short(command)}` in cell {at + 1} {what}; " + CAUSES[SHELL_COMMAND],
            )
    return None


def _shell_only(cells: list[dict[str, Any]], run: NotebookRun) -> Cause | None:
    return _shell_link(cells, run, len(cells))


def classify(
    nb: dict[str, Any],
    runs: Sequence[NotebookRun],
    verdict: NotebookVerdict,
    context: Context | None = None,
) -> Cause | None:
    """The cause of ``verdict`` (None for a plain ``pass``)."""
    from nbtools.hidden_state.verdict import Verdict as v

    context = context or Context()
    name = verdict.verdict
    if name == v.PASS:
        return None
    cells = list(nb.get("cells") or [])
    if name == v.FAIL_ERROR:
        failed = next((r for r in runs if r.failure is not None or r.first_error), runs[0])
        if failed.first_error is None and failed.failure is None:
            cause = _shell_only(cells, failed)
            return cause or Cause(NOTEBOOK_ERROR, CAUSES[NOTEBOOK_ERROR])
        return classify_error(nb, failed, verdict, context)
    if name == v.FAIL_MISMATCH:
        if verdict.first_hidden_state_cell is not None:
            return Cause(HIDDEN_STATE, CAUSES[HIDDEN_STATE])
        return Cause(OUTPUT_MISMATCH, CAUSES[OUTPUT_MISMATCH])
    if name == v.NONDETERMINISTIC:
        return Cause(NONDETERMINISTIC, CAUSES[NONDETERMINISTIC])
    shell = _shell_only(cells, runs[0])
    if shell is not None:
        return shell
    return Cause(
        HIDDEN_STATE,
        "the outputs reproduce, but the stored counts show cells run out of order or never "
        "run; restart the kernel, run all cells and save",
    )
