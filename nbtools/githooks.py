"""Plain git hooks (pre-commit, pre-push) for teams that do not use the pre-commit framework.

The hook scripts ship in ``nbtools/data/hook-<name>`` (POSIX sh); :class:`Hooks` is the
``nbtools install --hooks`` component that writes them into the repository's hooks
directory (``core.hooksPath`` honoured), reports their state and removes them. A hook
that nbtools did not write (no :data:`MARKER` line) is never overwritten or removed.
Installed hooks run nbtools through this interpreter's absolute path, like the filter
(:func:`nbtools.gitsetup.default_command`), so a commit from an IDE works too.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import TYPE_CHECKING

from nbtools.gitsetup import (
    DRIVER,
    Action,
    command_problem,
    default_command,
    git,
    write_file,
)

if TYPE_CHECKING:
    from nbtools.gitsetup import Repo

HOOK_NAMES = ("pre-commit", "pre-push")
#: the line that marks a hook as written by nbtools
MARKER = "# nbtools-hook:"
_DEFAULT_LINE = "NBTOOLS_DEFAULT=nbtools\n"
DATA = Path(__file__).resolve().parent / "data"


def template(name: str) -> str:
    """The shipped script of hook ``name``."""
    return (DATA / f"hook-{name}").read_text(encoding="utf-8")


def render_hook(name: str, command: str | None = None) -> str:
    """Hook ``name`` running nbtools as ``command`` (a shell command, e.g. ``python3 -m nbtools``).

    The default is this interpreter by its absolute path.
    """
    command = command or default_command()
    text = template(name)
    if command != DRIVER:
        text = text.replace(_DEFAULT_LINE, f"NBTOOLS_DEFAULT={shlex.quote(command)}\n", 1)
    return text


def hook_command(text: str) -> str | None:
    """The command an nbtools hook script runs nbtools with (its ``NBTOOLS_DEFAULT``)."""
    for line in text.splitlines():
        if line.startswith("NBTOOLS_DEFAULT="):
            try:
                words = shlex.split(line[len("NBTOOLS_DEFAULT=") :])
            except ValueError:
                return None
            return words[0] if len(words) == 1 else None
    return None


def hooks_dir(repo: Repo) -> Path:
    """Where git looks for hooks in ``repo`` (``core.hooksPath`` or ``.git/hooks``)."""
    found = Path(git(repo.root, "rev-parse", "--git-path", "hooks").stdout.strip())
    return found if found.is_absolute() else repo.root / found


def is_ours(path: Path) -> bool:
    try:
        head = path.read_text(encoding="utf-8", errors="replace")[:400]
    except OSError:
        return False
    return MARKER in head


class Hooks:
    """The ``pre-commit`` and ``pre-push`` scripts in the repository's hooks directory."""

    name = "hooks"

    def __init__(
        self,
        command: str | None = None,
        names: tuple[str, ...] = HOOK_NAMES,
        existing_only: bool = False,
    ) -> None:
        self.command = command or default_command()
        self.names = names
        #: (``nbtools install`` without ``--hooks``) the hooks nbtools wrote before are kept
        #: up to date, reported and removed, but none is added and none reported missing
        self.existing_only = existing_only

    def status(self, repo: Repo) -> list[Action]:
        actions = []
        problems: dict[str, str | None] = {}  # command -> why it cannot run (asked once)
        directory = hooks_dir(repo)
        for name in self.names:
            path = directory / name
            where = repo.display(path)
            if not path.exists():
                if not self.existing_only:
                    actions.append(Action(self.name, where, "missing"))
                continue
            if self.existing_only and not is_ours(path):
                continue
            if not is_ours(path):
                actions.append(Action(self.name, where, "conflict", "another tool's hook"))
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            command = hook_command(text)
            if command is None or text != render_hook(name, command):
                actions.append(Action(self.name, where, "conflict", "outdated nbtools hook"))
            elif not os.access(path, os.X_OK):
                actions.append(Action(self.name, where, "conflict", "not executable"))
            else:
                # another command than this run's is fine, as long as it still runs nbtools
                if command not in problems:
                    problems[command] = command_problem(command)
                problem = problems[command]
                if problem is None:
                    actions.append(Action(self.name, where, "installed", command))
                else:
                    detail = f"{problem}: the hook cannot run (run `nbtools install --hooks` again)"
                    actions.append(Action(self.name, where, "conflict", detail))
        return actions

    def install(self, repo: Repo) -> list[Action]:
        actions = []
        directory = hooks_dir(repo)
        for name in self.names:
            path = directory / name
            where = repo.display(path)
            wanted = render_hook(name, self.command)
            if self.existing_only and not (path.exists() and is_ours(path)):
                continue
            if path.exists() and not is_ours(path):
                detail = "another tool's hook is kept; call nbtools from it or remove it"
                actions.append(Action(self.name, where, "conflict", detail))
                continue
            existed = path.exists()
            same = existed and path.read_text(encoding="utf-8", errors="replace") == wanted
            if same and os.access(path, os.X_OK):
                actions.append(Action(self.name, where, "unchanged"))
                continue
            directory.mkdir(parents=True, exist_ok=True)
            write_file(path, wanted.encode("utf-8"), executable=True)
            actions.append(Action(self.name, where, "updated" if existed else "added"))
        return actions

    def uninstall(self, repo: Repo) -> list[Action]:
        actions = []
        directory = hooks_dir(repo)
        for name in self.names:
            path = directory / name
            if path.exists() and is_ours(path):
                path.unlink()
                actions.append(Action(self.name, repo.display(path), "removed"))
        return actions
