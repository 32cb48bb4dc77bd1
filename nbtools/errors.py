"""The project's expected-failure exceptions, its exit codes, and how an unreadable file is worded."""

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


#: what reading a file and parsing it as JSON can raise for a bad file (not for a bug):
#: OSError, UnicodeDecodeError and JSON errors (ValueErrors), RecursionError for deep nesting
READ_ERRORS = (OSError, ValueError, RecursionError)


def read_failure(exc: BaseException) -> str:
    """Why a file could not be read or parsed as JSON, in one line (an :class:`InputError` reason).

    The one wording of each such failure, so that every command reports an unreadable file the
    same way, whatever it reads (a notebook, a report, a timing file, a baseline): no
    traceback, no interpreter advice, and a position in the file where there is one.
    """
    if isinstance(exc, IsADirectoryError):
        return "is a directory"
    if isinstance(exc, FileNotFoundError):
        return "no such file"
    if isinstance(exc, OSError):
        return f"cannot read: {exc.strerror or exc}"
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 text (byte {exc.start})"
    import json  # here, not at the top: `nbtools --version` imports this module

    if isinstance(exc, json.JSONDecodeError):
        return f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
    if isinstance(exc, RecursionError):
        return "invalid JSON: nested too deeply"
    # e.g. an integer of more than 4300 digits (Python's limit): its first sentence only,
    # without the advice about interpreter flags
    return f"unreadable JSON value: {str(exc).split(';')[0].strip() or type(exc).__name__}"
