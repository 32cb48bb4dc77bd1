"""Shell commands in cells (``!cmd``, ``%pip``, a ``%%bash`` cell) and what their outputs
and exit statuses say about them: a failed command is no exception, so the run has to look.

IPython keeps only the last command's status (``_exit_code``), so a cell that downloads and
then unpacks would be judged by the unpacking. Before the first cell of a notebook with
shell commands the executor installs :data:`RECORDER` (a silent request: no execution count,
no history, no name left in the user's namespace), which keeps every status in call order;
after each such cell it reads them with :data:`TAKE`.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Sequence

from nbtools.notebook import multiline

_NOT_FOUND_RE = re.compile(
    r"(?m)^(?:(?:/bin/|/usr/bin/)?(?:ba|da|z)?sh: (?:line )?\d*:? ?)?([\w.+-]+): "
    r"(?:command )?not found\s*$"
)
_SHELL_LINE_RE = re.compile(r"^\s*(?:!|%(?:pip|conda|mamba|system|sx)\b)(.*)$")
_SHELL_CELL_RE = re.compile(r"^\s*%%(?:bash|sh|script|system)\b")


def shell_commands(source: str) -> list[str]:
    """The shell commands of a cell (``!cmd``, ``%pip``, a ``%%bash`` cell), in order."""
    lines = source.splitlines()
    while lines and not lines[0].strip():  # IPython drops blank lines before a cell magic
        lines.pop(0)
    if lines and _SHELL_CELL_RE.match(lines[0]):
        body = [line.strip() for line in lines[1:] if line.strip()]
        return [f"{lines[0].strip()}: {body[-1]}" if body else lines[0].strip()]
    found = []
    for line in lines:
        match = _SHELL_LINE_RE.match(line)
        if match:
            found.append(line.strip())
    return found


def shell_not_found(outputs: Iterable[dict[str, Any]]) -> list[str]:
    """Commands a shell said it could not find (``sh: 1: git: not found``)."""
    names: list[str] = []
    for output in outputs:
        if output.get("output_type") == "stream":
            for name in _NOT_FOUND_RE.findall(multiline(output.get("text"))):
                if name not in names:
                    names.append(name)
    return names


#: installed in the kernel (valid on Python 3.8 and IPython 7, the TF 2.9 image's): every
#: ``!cmd`` and ``%pip`` goes through the shell's ``system``, which sets ``_exit_code``
_RECORDER_SOURCE = r"""
import sys, types
shell = get_ipython()
system = shell.system
statuses = []
def recorded(cmd, *args, **kwargs):
    try:
        return system(cmd, *args, **kwargs)
    finally:
        code = shell.user_ns.get("_exit_code")
        statuses.append(code if isinstance(code, int) and sys.exc_info()[0] is None else None)
def take():
    return list(statuses)
def clear(*args, **kwargs):
    del statuses[:]
shell.system = recorded
shell.events.register("pre_run_cell", clear)
module = types.ModuleType("_nbtools_shell")
module.take = take
sys.modules["_nbtools_shell"] = module
"""
RECORDER = f"exec({_RECORDER_SOURCE!r}, {{'get_ipython': get_ipython}})"
#: the statuses of the last cell's calls, in call order (None: the call raised); the list
#: is emptied as each cell starts (IPython's ``pre_run_cell``, which a silent request skips)
TAKE = "__import__('_nbtools_shell').take()"


def failed_commands(commands: Sequence[str], statuses: Sequence[Any]) -> list[tuple[str, str]]:
    """The cell's failing commands, each with its status, from the statuses in call order.

    Each line runs once, so the n-th status is the n-th line's; when the counts differ (a
    loop ran a line again, a ``%sx`` line set none) a failure goes to the cell's only line,
    or to its last."""
    failed: list[tuple[str, str]] = []
    for position, code in enumerate(statuses):
        if isinstance(code, bool) or not isinstance(code, int) or code == 0:
            continue
        if len(statuses) == len(commands):
            line = commands[position]
        else:
            line = commands[-1]
        if all(line != seen for seen, _ in failed):
            failed.append((line, f"exited with status {code}"))
    return failed


def not_found_line(commands: Sequence[str], name: str) -> str:
    """The command line that ran ``name`` (a shell said it could not find it)."""
    word = re.compile(rf"(?<![\w.+-]){re.escape(name)}(?![\w.+-])")
    return next((line for line in commands if word.search(line)), commands[-1])
