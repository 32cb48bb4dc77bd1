"""The command-line frame: global options, sub-command dispatch, exit codes.

Only the chosen command's module is imported, so ``nbtools strip`` and
``nbtools --version`` stay free of nbclient, jupytext, nbconvert and tensorflow.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import TYPE_CHECKING, Any, Sequence, cast

from nbtools import __version__
from nbtools.commands import COMMANDS, Request, command_options
from nbtools.config import GLOBAL_OPTIONS, load_config, resolve, unknown_keys
from nbtools.console import Console
from nbtools.discovery import missing_paths
from nbtools.errors import ExitCode, NbtoolsError, UsageError
from nbtools.options import add_options
from nbtools.renderers import render
from nbtools.report import FileResult, FileStatus, Report

if TYPE_CHECKING:
    from nbtools.commands import Command


def _terminal_width() -> int:
    """What argparse would ask shutil for (COLUMNS, else stdout's terminal, else 80), less 2."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        stdout = sys.__stdout__
        try:
            columns = os.get_terminal_size(stdout.fileno()).columns if stdout else 80
        except (AttributeError, ValueError, OSError):
            columns = 80
    return columns - 2


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, given its width: argparse builds one per argument, and would
    import shutil (and with it bz2 and lzma) to measure the terminal."""

    def __init__(
        self,
        prog: str,
        indent_increment: int = 2,
        max_help_position: int = 24,
        width: int | None = None,
    ) -> None:
        width = _terminal_width() if width is None else width
        super().__init__(prog, indent_increment, max_help_position, width)


class _ArgumentParser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so ``main`` owns the exit code."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> Any:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")

    def exit(self, status: int = 0, message: str | None = None) -> Any:  # type: ignore[override]
        if message:
            sys.stderr.write(message)
        raise _Exit(status)


class _Exit(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def _global_options() -> _ArgumentParser:
    parent = _ArgumentParser(add_help=False)
    add_options(parent, GLOBAL_OPTIONS)
    return parent


def _command_name(argv: Sequence[str]) -> str | None:
    for token in argv:
        if not token.startswith("-"):
            return token
    return None


def build_parser(command: str | None) -> tuple[argparse.ArgumentParser, Command | None]:
    """The top-level parser and ``command``'s module; only that command's arguments are
    loaded."""
    parser = _ArgumentParser(
        prog="nbtools",
        description="Notebook hygiene and CI toolkit.",
        epilog="exit codes: 0 clean, 1 findings or files changed, 2 usage error or "
        "unreadable input, 3 internal error, 130 interrupted",
    )
    parser.add_argument("--version", action="version", version=f"nbtools {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    parent = _global_options()
    module: Command | None = None
    # with a command given, only its sub-parser is built (each costs ~1.5 ms at start-up)
    for name, (module_name, help_text) in COMMANDS.items():
        if command is not None and name != command:
            continue
        sub = subparsers.add_parser(name, help=help_text, description=help_text, parents=[parent])
        if name == command:
            module = cast("Command", importlib.import_module(module_name))
            module.add_arguments(sub)
            add_options(sub, module.OPTIONS)
    return parser, module


def main(argv: Sequence[str] | None = None) -> int:
    """Run nbtools with ``argv`` (default: ``sys.argv[1:]``) and return the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    console = Console()
    try:
        return _main(argv, console)
    except _Exit as exc:
        return exc.status
    except NbtoolsError as exc:
        console.error(str(exc))
        return int(exc.exit_code)
    except KeyboardInterrupt:
        console.error("interrupted")
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        # the reader went away (e.g. `nbtools scan | head`); nothing more to say
        _silence_stdout()
        return ExitCode.OK
    except Exception:  # noqa: BLE001 - the one place that turns bugs into exit code 3
        import traceback  # only now: start-up stays lean

        traceback.print_exc()
        console.error(
            "internal error (a bug in nbtools); please report it with the traceback above"
        )
        return ExitCode.INTERNAL


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _main(argv: list[str], console: Console) -> int:
    command = _command_name(argv)
    if command is not None and command not in COMMANDS:
        raise UsageError(f"unknown command {command!r}; choose from {', '.join(COMMANDS)}")
    parser, module = build_parser(command)
    args = parser.parse_args(argv)
    if module is None:
        parser.print_help(sys.stderr)
        return ExitCode.USAGE
    values = vars(args)
    paths: list[str] = list(values.get("paths") or [])
    config = load_config(paths, args.config)
    settings = resolve(values, config, "", GLOBAL_OPTIONS)
    verbosity = settings["verbose"] - settings["quiet"]
    console = Console(verbosity=verbosity, color=settings["color"])
    for key in unknown_keys(config, module.NAME, module.OPTIONS, COMMANDS):
        console.warning(f"{config.path}: unknown configuration key {key} (ignored)")
    options, given_options = command_options(module, values, config)
    exclude = [*settings["exclude"], *settings["extend_exclude"]]
    missing = missing_paths(paths) if module.PATHS_EXIST else []
    given = [p for p in paths if p not in missing]
    request = Request(
        module.NAME,
        given,
        options,
        config,
        console,
        given_options,
        exclude,
        format=settings["format"],
        output=settings["output"],
        color=settings["color"],
        verbosity=verbosity,
    )
    # with every named path missing there is nothing to run on (not even the default ".")
    report = module.execute(request) if given or not missing else Report(module.NAME)
    report.files[:0] = [
        FileResult(p, FileStatus.ERROR, "no such file or directory") for p in missing
    ]
    for error in report.errors:
        console.error(f"{error.path}: {error.message}")
    _emit(report, request.format, request.output, console)
    _summarize(report, console)
    return int(report.exit_code)


def _emit(report: Report, fmt: str, output: str | None, console: Console) -> None:
    if report.stdout_payload is not None:
        sys.stdout.buffer.write(report.stdout_payload)
        sys.stdout.buffer.flush()
        return
    # what is left of a name that is not UTF-8 (surrogate escapes) is written as an escape:
    # inside a JSON string that is the very escape JSON uses
    if output:
        file_console = Console(verbosity=console.verbosity, color="never")
        try:  # CI names report files in folders of their own (reports/merged.xml)
            os.makedirs(os.path.dirname(output) or ".", exist_ok=True)
            with open(output, "w", encoding="utf-8", errors="backslashreplace") as handle:
                handle.write(render(report, fmt, file_console))
        except OSError as exc:
            raise UsageError(f"{output}: cannot write the report: {exc.strerror}") from None
        return
    text = render(report, fmt, console)
    if text:
        data = text.encode("utf-8", "backslashreplace")
        buffer = getattr(sys.stdout, "buffer", None)
        if buffer is not None:
            sys.stdout.flush()
            buffer.write(data)
            buffer.flush()
        else:  # a text-only stream (an embedding program's)
            sys.stdout.write(data.decode("utf-8"))
            sys.stdout.flush()


def _summarize(report: Report, console: Console) -> None:
    from nbtools.renderers.views import headline  # the command's own wording

    if console.verbosity >= 0 and report.stdout_payload is None:
        console.info(f"nbtools {report.command}: {headline(report)}")
