"""What ``nbtools run`` reports: its findings' rules (``run/*``), which verdicts fail a run,
and which rule a cell's status is reported under."""

from __future__ import annotations

from nbtools.findings import Rule, Severity, register_rules
from nbtools.runs import CellStatus

#: verdicts that pass
PASSING = ("pass", "pass_with_warnings")
#: verdicts that do not fail the run (nondeterminism is reported as a warning)
NOT_FAILING = (*PASSING, "nondeterministic")

_RUN_TAGS = ("correctness", "reproducibility")
register_rules(
    Rule(
        "run/error",
        "cell-error",
        "a cell raised an exception on a fresh kernel",
        "The notebook does not run top to bottom on a fresh kernel; the message has the "
        "exception and the failing line. Fix the cell (a missing import or file, a name "
        "from an earlier session), or tag it `raises-exception` if the error is the point.",
        precision="very-high",
        tags=_RUN_TAGS,
    ),
    Rule(
        "run/timeout",
        "timeout",
        "a cell or the notebook ran out of time",
        "A cell ran longer than `--timeout` (or the notebook longer than "
        "`--notebook-timeout`). Make the cell faster (smaller data in CI), or raise the "
        "limit under `[tool.nbtools.run]`.",
        precision="very-high",
        tags=("reliability",),
    ),
    Rule(
        "run/kernel-died",
        "kernel-died",
        "the kernel died (crash, os._exit, out of memory)",
        "The kernel process ended while a cell ran: a crash in native code, `os._exit`, or "
        "the memory limit. Reduce the memory the cell needs or raise the container's limit.",
        precision="very-high",
        tags=("reliability",),
    ),
    Rule(
        "run/output-limit",
        "output-limit",
        "the outputs exceeded the size cap",
        "A cell printed more than `max_output_bytes`; the run stopped it so CI logs and "
        "reports stay readable. Print less (summaries, `head()`), or raise the cap.",
        precision="very-high",
        tags=("reliability",),
    ),
    Rule(
        "run/start-failed",
        "start-failed",
        "the kernel could not be started",
        "The notebook's kernel (its kernelspec, the container image or the interpreter) could "
        "not start, so nothing ran. Install the kernel, or choose one with `--kernel`; "
        "`nbtools doctor` checks a container setup.",
        precision="very-high",
        tags=("reliability",),
    ),
    Rule(
        "run/mismatch",
        "mismatch",
        "stored outputs are not reproduced by a fresh run",
        "The saved outputs came from a kernel state a top-to-bottom run does not reach (hidden "
        "state) or from other data. Restart the kernel, run all cells and save.",
        precision="high",
        tags=_RUN_TAGS,
    ),
    Rule(
        "run/write-conflict",
        "write-conflict",
        "--write: the notebook (or its script) changed on disk while it ran; the edit was kept",
        "Someone saved the notebook (or its paired script) while `nbtools run --write` ran it. "
        "Nothing was overwritten. Run again to store fresh outputs of the edited notebook.",
        precision="very-high",
        tags=("reliability",),
    ),
    Rule(
        "run/shell-command",
        "shell-command",
        "a shell command (`!cmd`, `%pip`, `%%bash`) failed or was not found; the notebook "
        "went on without its work",
        "A `!` line, a `%pip` magic or a `%%bash` cell exited non-zero or named a program the "
        "kernel's environment does not have (`git: not found`, a failed `apt`), so its work "
        "is missing though the cell raised nothing. Install the command in the image, or "
        "drop the line; the message names the command and the cause.",
        severity=Severity.WARNING,
        precision="high",
        tags=("reliability",),
    ),
    Rule(
        "run/nondeterministic",
        "nondeterministic",
        "outputs differ between two fresh runs",
        "Two fresh runs printed different outputs (randomness, time, memory addresses, hash "
        "order). Seed random generators and avoid printing volatile values.",
        severity=Severity.WARNING,
        precision="high",
        tags=("reproducibility",),
    ),
)


#: the rule a failed cell is reported under
STATUS_RULES = {
    CellStatus.ERROR: "run/error",
    CellStatus.TIMEOUT: "run/timeout",
    CellStatus.KERNEL_DIED: "run/kernel-died",
    CellStatus.OUTPUT_LIMIT: "run/output-limit",
}
