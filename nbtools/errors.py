"""The project's expected-failure exceptions and its exit codes."""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    """Process exit codes, shared by every command."""

    OK = 0
    FINDINGS = 1  # findings reported, or files changed
    USAGE = 2  # usage or configuration error, or unreadable input
    INTERNAL = 3  # a bug in nbtools
    INTERRUPTED = 130


class NbtoolsError(Exception):
    """An expected failure: its message is shown as one line, without a traceback."""

    exit_code: ExitCode = ExitCode.USAGE


class UsageError(NbtoolsError):
    """Bad command-line arguments or configuration."""


class ConfigError(UsageError):
    """An invalid ``[tool.nbtools]`` table."""


class InputError(NbtoolsError):
    """A file that cannot be read or is not what the command expects."""

    def __init__(self, path: object, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason
