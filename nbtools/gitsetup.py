"""Set up, inspect and remove nbtools' git integration in one repository.

The pieces are independent :class:`Component` objects (git config entries, an
attributes line), each able to report its state, install itself and remove itself;
``nbtools install`` runs a list of them, so more (hooks) plug in without touching the
others. Configuration goes into the repository's own ``.git/config`` (never shared) and
runs nbtools through the absolute path of the interpreter that installed it, as
nbstripout does: git started by an IDE, a GUI client or a shell without the virtualenv
has no ``nbtools`` on its PATH, and a required filter that cannot run fails every
``git add``. ``--status`` says when that interpreter has gone (see :func:`command_problem`).
"""

from __future__ import annotations

import os
import shlex
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from nbtools.errors import UsageError

DRIVER = "nbtools"
PATTERN = "*.ipynb"
ATTRIBUTES_LINE = f"{PATTERN} filter={DRIVER} diff={DRIVER}"
#: how long ``--status`` waits for the configured command to answer ``--version``
PROBE_TIMEOUT = 60.0


def default_command() -> str:
    """This interpreter running nbtools, quoted for the shell git runs it with.

    Absolute, so it works whatever PATH git was started with; quoted, so a path with
    spaces survives (git for Windows runs filters through its own sh too).
    """
    if not sys.executable:  # an embedded interpreter: the console script is all there is
        return DRIVER
    return f"{shlex.quote(sys.executable)} -m nbtools"


def command_problem(command: str, timeout: float = PROBE_TIMEOUT) -> str | None:
    """Why git could not run nbtools as ``command`` (a shell command); None when it can.

    The command is run the way git runs it (through ``sh -c``, with this process's
    environment) with ``--version``, so a moved interpreter, a bare name missing from
    PATH and an environment without nbtools are all caught.
    """
    try:
        words = shlex.split(command)
    except ValueError as exc:
        return f"cannot be parsed as a shell command ({exc})"
    if not words:
        return "is empty"
    program = words[0]
    argv = ["sh", "-c", f"{command} --version"] if os.name == "posix" else [*words, "--version"]
    try:
        proc = subprocess.run(
            argv, capture_output=True, text=True, errors="replace", timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return f"`{command} --version` did not answer within {timeout:g} s"
    except OSError as exc:
        failure = exc.strerror or str(exc)
    else:
        if proc.returncode == 0 and proc.stdout.startswith("nbtools"):
            return None
        lines = (proc.stderr or proc.stdout).strip().splitlines()
        failure = lines[-1] if lines else f"exit {proc.returncode}"
    if os.path.basename(program) != program:
        if not os.path.exists(program):
            return f"{program} does not exist (the environment was moved or removed)"
        if not os.access(program, os.X_OK):
            return f"{program} is not executable"
    elif shutil.which(program) is None:
        return f"{program} is not on PATH (git started elsewhere will not find it either)"
    if "No module named" in failure:
        return f"{program} cannot import nbtools ({failure})"
    return f"`{command}` does not run nbtools ({failure})"


@dataclass(frozen=True)
class Repo:
    """A git working tree: its top directory and where its local attributes live."""

    root: Path
    info_attributes: Path

    @property
    def gitattributes(self) -> Path:
        return self.root / ".gitattributes"

    def display(self, path: Path) -> str:
        """``path`` as shown to the user: relative to the work tree where it lies inside."""
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)


@dataclass(frozen=True)
class Action:
    """One piece of state, or one change made to it.

    ``state`` is ``installed``, ``missing`` or ``conflict`` for a status, and
    ``added``, ``updated``, ``removed`` or ``unchanged`` for a change.
    """

    component: str
    location: str
    state: str
    detail: str = ""


def git(repo_dir: Path | str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run git in ``repo_dir``; a failure becomes a one-line :class:`UsageError`."""
    try:
        proc = subprocess.run(
            ["git", *args], cwd=repo_dir, capture_output=True, text=True, check=False
        )
    except OSError as exc:
        raise UsageError(f"cannot run git: {exc.strerror or exc}") from None
    if check and proc.returncode != 0:
        message = proc.stderr.strip().splitlines()
        raise UsageError(f"git {' '.join(args)}: {message[-1] if message else 'failed'}")
    return proc


def git_blob(spec: str, cwd: str = ".") -> bytes | None:
    """The bytes of blob ``spec`` (``:./path`` in the index, ``REV:./path``); None if absent."""
    try:
        proc = subprocess.run(
            ["git", "cat-file", "blob", spec], cwd=cwd, capture_output=True, check=False
        )
    except OSError as exc:
        raise UsageError(f"cannot run git: {exc.strerror or exc}") from None
    return proc.stdout if proc.returncode == 0 else None


def find_repo(start: str | os.PathLike[str] = ".") -> Repo:
    """The repository that contains ``start``."""
    where = Path(start).absolute()
    while not where.is_dir() and where != where.parent:
        where = where.parent  # a path that does not exist yet: its nearest existing parent
    proc = git(where, "rev-parse", "--show-toplevel", "--git-path", "info/attributes", check=False)
    lines = proc.stdout.splitlines()
    if proc.returncode != 0 or len(lines) != 2:
        raise UsageError(f"{start}: not inside a git working tree (run `git init` first)")
    root = Path(lines[0])
    info = Path(lines[1])
    return Repo(root=root, info_attributes=info if info.is_absolute() else where / info)


def current_umask() -> int:
    """The process's umask (read by setting it, then putting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_file(path: Path, data: bytes, executable: bool = False) -> None:
    """Write ``path`` atomically with the mode git's own files get.

    A new file follows the umask (0644, or 0755 when ``executable``, under umask 022);
    a replaced one keeps its mode (a hook that lost its execute bits, which git would
    then skip, gets them back for whoever may read it).
    """
    from nbtools.notebook import atomic_write

    try:
        mode: int | None = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = None
    atomic_write(path, data)
    if mode is None:
        mode = (0o777 if executable else 0o666) & ~current_umask()
    elif executable and not mode & 0o111:
        mode |= (mode & 0o444) >> 2  # executable by whoever may read it
    path.chmod(mode)


class Component(Protocol):
    """One part of the integration."""

    name: str

    def status(self, repo: Repo) -> list[Action]: ...

    def install(self, repo: Repo) -> list[Action]: ...

    def uninstall(self, repo: Repo) -> list[Action]: ...


def config_entries(command: str) -> dict[str, str]:
    """The git config that runs nbtools: a long-running filter, its fallback, a diff driver.

    ``required`` makes git fail rather than store a notebook unfiltered when nbtools
    cannot run; the filter itself passes files it cannot read through unchanged. A
    required filter must also smudge (git dies on checkout otherwise, even when the
    process never offered smudging): the process smudges as a no-op, and old gits
    without ``process`` support get ``cat``, as nbstripout does.
    """
    return {
        f"filter.{DRIVER}.process": f"{command} filter --process",
        f"filter.{DRIVER}.clean": f"{command} filter --clean %f",
        f"filter.{DRIVER}.smudge": "cat",
        f"filter.{DRIVER}.required": "true",
        f"diff.{DRIVER}.textconv": f"{command} filter --textconv",
    }


def _get_config(repo: Repo, key: str) -> str | None:
    proc = git(repo.root, "config", "--local", "--get", key, check=False)
    return proc.stdout.rstrip("\n") if proc.returncode == 0 else None


class GitConfig:
    """``filter.nbtools.*`` and ``diff.nbtools.*`` in the repository's ``.git/config``."""

    name = "git config"

    def __init__(self, command: str | None = None) -> None:
        self.command = command or default_command()
        self.entries = config_entries(self.command)

    def _same_tool(self, wanted: str, value: str) -> bool:
        """``value`` runs nbtools the same way, through another command (``--command``)."""
        if not wanted.startswith(self.command + " "):
            return False
        return value.endswith(wanted[len(self.command) :])

    def status(self, repo: Repo) -> list[Action]:
        actions = []
        for key, wanted in self.entries.items():
            value = _get_config(repo, key)
            if value is None:
                actions.append(Action(self.name, key, "missing"))
            elif value == wanted or self._same_tool(wanted, value):
                actions.append(Action(self.name, key, "installed", value))
                if key == f"filter.{DRIVER}.process":
                    actions.extend(self._runs(value[: -len(" filter --process")]))
            else:
                actions.append(Action(self.name, key, "conflict", f"is {value!r}"))
        return actions

    def _runs(self, command: str) -> list[Action]:
        problem = command_problem(command)
        if problem is None:
            return []
        detail = f"{problem}: git cannot run the filter (run `nbtools install` again)"
        return [Action(self.name, command, "conflict", detail)]

    def install(self, repo: Repo) -> list[Action]:
        actions = []
        for key, wanted in self.entries.items():
            value = _get_config(repo, key)
            if value == wanted:
                actions.append(Action(self.name, key, "unchanged", value))
                continue
            git(repo.root, "config", "--local", key, wanted)
            actions.append(Action(self.name, key, "added" if value is None else "updated", wanted))
        return actions

    def uninstall(self, repo: Repo) -> list[Action]:
        actions = []
        for section in sorted({key.rpartition(".")[0] for key in self.entries}):
            proc = git(repo.root, "config", "--local", "--remove-section", section, check=False)
            if proc.returncode == 0:
                actions.append(Action(self.name, section, "removed"))
        return actions


def _is_ours(line: str) -> bool:
    fields = line.split()
    return bool(fields) and fields[0] == PATTERN and f"filter={DRIVER}" in fields[1:]


class Attributes:
    """The ``*.ipynb filter=nbtools diff=nbtools`` line.

    ``where="repo"`` writes ``.gitattributes`` (committed: the team sees which files are
    filtered); ``where="local"`` writes ``.git/info/attributes`` (this clone only).
    Uninstall removes the line from both.
    """

    name = "attributes"

    def __init__(self, where: str = "repo") -> None:
        if where not in ("repo", "local"):
            raise UsageError(f"attributes must be 'repo' or 'local', not {where!r}")
        self.where = where

    def _target(self, repo: Repo) -> Path:
        return repo.gitattributes if self.where == "repo" else repo.info_attributes

    def status(self, repo: Repo) -> list[Action]:
        actions = []
        for path in (repo.gitattributes, repo.info_attributes):
            if any(_is_ours(line) for line in _read_lines(path)):
                actions.append(Action(self.name, repo.display(path), "installed"))
        if not actions:
            actions.append(Action(self.name, repo.display(self._target(repo)), "missing"))
        # what git will really do for notebooks (another filter may be set later in a file)
        proc = git(repo.root, "check-attr", "filter", "diff", "--", "x.ipynb", check=False)
        for line in proc.stdout.splitlines():
            attr, _, value = line.partition(": ")[2].partition(": ")
            if value.strip() not in (DRIVER, "unspecified"):
                detail = f"notebooks get {attr}={value.strip()} (another tool's line wins)"
                actions.append(Action(self.name, PATTERN, "conflict", detail))
        return actions

    def install(self, repo: Repo) -> list[Action]:
        path = self._target(repo)
        lines = _read_lines(path)
        display = repo.display(path)
        if any(_is_ours(line) for line in lines):
            return [Action(self.name, display, "unchanged", ATTRIBUTES_LINE)]
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        if text and not text.endswith("\n"):
            text += "\n"
        path.parent.mkdir(parents=True, exist_ok=True)
        write_file(path, (text + ATTRIBUTES_LINE + "\n").encode("utf-8"))
        return [Action(self.name, display, "added", ATTRIBUTES_LINE)]

    def uninstall(self, repo: Repo) -> list[Action]:
        actions = []
        for path in (repo.gitattributes, repo.info_attributes):
            lines = _read_lines(path)
            kept = [line for line in lines if not _is_ours(line)]
            if len(kept) == len(lines):
                continue
            if any(line.strip() for line in kept):
                write_file(path, "".join(f"{line}\n" for line in kept).encode("utf-8"))
            else:
                path.unlink()  # it only held our line
            actions.append(Action(self.name, repo.display(path), "removed"))
        return actions


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
