"""``nbtools doctor``: check that notebooks can run in the container image, and say how to fix it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nbtools.container import options as container_options
from nbtools.findings import Finding, Rule, Severity, Where, register_rules
from nbtools.report import Report
from nbtools.results import DoctorResult

if TYPE_CHECKING:
    import argparse

    from nbtools.commands import Request

NAME = "doctor"
#: the same keys as ``[tool.nbtools.run]``, so doctor checks what run would use
OPTIONS = container_options.OPTIONS
INHERIT = ("run",)
PATHS_EXIST = True

CHECKS = (
    "engine",
    "image",
    "container",
    "ipykernel",
    "tensorflow",
    "gpus",
    "mount",
    "memory",
    "sandbox",
)
register_rules(
    *(
        Rule(
            f"doctor/{name}",
            name,
            f"container check: {name}",
            f"The `{name}` check of `nbtools doctor` failed: `nbtools run --image` cannot use "
            "the container engine or image as configured. The finding's message names what is "
            "wrong; fix that setting (`[tool.nbtools.run]`) or the machine, then run "
            "`nbtools doctor` again.",
            precision="very-high",
            tags=("environment",),
        )
        for name in CHECKS
    )
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths", nargs="*", default=[], help="the folder to mount (default: the current one)"
    )


def execute(request: Request) -> Report:
    from nbtools.container.doctor import default_work_tree, run_checks

    report = Report(NAME)
    report.fail_on_warnings = False  # exit 1 only when something is broken
    checks = run_checks(request.options, default_work_tree(request.paths))
    subject = request.options.get("image") or "container"
    report.result = DoctorResult(checks)
    for check in checks:
        if check.status == "ok":
            continue  # listed by the doctor view; a problem is a finding
        message = f"{check.message}; fix: {check.fix}" if check.fix else check.message
        severity = Severity.ERROR if check.status == "error" else Severity.WARNING
        report.add_findings(
            [Finding(subject, f"doctor/{check.name}", message, severity, where=Where.FILE)]
        )
    return report
