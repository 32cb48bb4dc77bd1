"""The private copy of the work tree a kernel container sees by default (``--tree copy``).

Notebooks often write next to themselves (a model, a CSV, a plot); a read-only mount
breaks them, and a read-write one lets them change the user's files, ``.git/hooks``
included. The copy is writable and discarded after the run: made once per
``nbtools run`` (every notebook of the run shares it, as they would share the tree),
without ``.git``, symlinks kept as symlinks (they resolve inside the container), only
regular files and folders (never a fifo or a device), owned by the container's user.
Virtual environments and tool caches are left out: the image brings its own Python, and
a repository's ``.venv`` would often be most of what is copied.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile

from nbtools.container.engine import ContainerError

PREFIX = "nbtools-tree-"
#: folders never copied, wherever they are (caches of tools, not inputs of notebooks)
SKIPPED = frozenset(
    {
        "__pycache__",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".hypothesis",
        ".tox",
        ".nox",
        ".ipynb_checkpoints",
    }
)


def copy_tree(work_tree: str, user: str | None) -> str:
    """Copy ``work_tree`` (without its top ``.git``) into a new private folder; its path.

    ``user`` (``uid:gid``) becomes the owner when nbtools runs as root, so the kernel,
    which never runs as root, can write there.
    """
    sweep_copies()
    base = tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-")
    dest = os.path.join(base, "tree")
    try:
        shutil.copytree(
            work_tree,
            dest,
            symlinks=True,
            ignore=lambda folder, names: _ignored(work_tree, folder, names),
            copy_function=_copy_regular,
        )
        os.chmod(base, 0o755)
        owner = _owner(user)
        if owner is not None:
            _chown_tree(dest, *owner)
    except (OSError, shutil.Error) as exc:
        shutil.rmtree(base, ignore_errors=True)
        raise ContainerError(
            f"cannot copy the work tree {work_tree} for the container: {_first(exc)}; "
            "mount it read-only instead with --tree readonly"
        ) from None
    return dest


def remove_copy(dest: str | None) -> None:
    """Discard a copy made by :func:`copy_tree` (and everything the notebooks wrote)."""
    if dest and os.path.basename(os.path.dirname(dest)).startswith(PREFIX):
        shutil.rmtree(os.path.dirname(dest), ignore_errors=True)


def sweep_copies() -> list[str]:
    """Remove the copies of runs whose nbtools process is gone (killed before its cleanup)."""
    root = tempfile.gettempdir()
    removed: list[str] = []
    try:
        names = os.listdir(root)
    except OSError:
        return removed
    for name in names:
        pid_text = name[len(PREFIX) :].split("-", 1)[0]
        if not name.startswith(PREFIX) or not pid_text.isdigit() or _alive(int(pid_text)):
            continue
        shutil.rmtree(os.path.join(root, name), ignore_errors=True)
        removed.append(name)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # someone else's process
    return True


def _ignored(work_tree: str, folder: str, names: list[str]) -> list[str]:
    skipped = [
        name
        for name in names
        if name in SKIPPED or os.path.isfile(os.path.join(folder, name, "pyvenv.cfg"))
    ]
    if folder == work_tree and ".git" in names:
        skipped.append(".git")
    return skipped


def _copy_regular(src: str, dst: str) -> str:
    if stat.S_ISREG(os.lstat(src).st_mode):
        shutil.copy2(src, dst)
    return dst  # a fifo, socket or device in the tree is left out, never opened


def _owner(user: str | None) -> tuple[int, int] | None:
    if not user or not hasattr(os, "getuid") or os.getuid() != 0:
        return None  # not root: the copy is ours, and so is the kernel (same uid)
    uid, _, gid = user.partition(":")
    try:
        return int(uid), int(gid or uid)
    except ValueError:
        return None  # a user name: the engine resolves it; the copy stays readable


def _chown_tree(root: str, uid: int, gid: int) -> None:
    os.lchown(root, uid, gid)
    for folder, dirs, files in os.walk(root):
        for name in (*dirs, *files):
            os.lchown(os.path.join(folder, name), uid, gid)


def _first(exc: BaseException) -> str:
    if isinstance(exc, shutil.Error) and exc.args and isinstance(exc.args[0], list):
        src, _, why = exc.args[0][0]
        return f"{src}: {why}"
    return str(getattr(exc, "strerror", None) or exc)
