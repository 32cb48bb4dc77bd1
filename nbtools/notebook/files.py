"""Replacing a file on disk safely: atomically, and never through a link out of the repository.

Every command that rewrites a notebook, a paired script or a record file goes through
:func:`write_target` (may this path be written, and where does it really point?) and
:func:`atomic_write` (replace it so that a reader or a crash never sees half a file).
"""

from __future__ import annotations

import errno
import os
import stat


def atomic_write(path: str | os.PathLike[str], data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically, keeping its permissions and owner.

    The data goes to a new file (exclusive create, random name) in the same directory,
    which is then renamed over the target, so a reader (or a crash) never sees a
    half-written notebook. (tempfile.mkstemp does the same, but importing tempfile
    costs more than a pre-commit call's whole write.) A new file gets the mode any
    program would give it (0666 less the umask: 0644 under umask 022); a replaced one
    keeps its own.
    """
    target = os.fspath(path)
    try:
        st: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        st = None
    folder, name = os.path.split(target)
    while True:
        tmp = os.path.join(folder, f".{name}.{os.urandom(6).hex()}.nbtools-tmp")
        try:
            # replacing: private until chmod'ed to the old mode; new: the umask decides
            mode = 0o600 if st is not None else 0o666
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_CLOEXEC, mode)
            break
        except FileExistsError:  # pragma: no cover - 48 random bits
            continue
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        if st is not None:
            os.chmod(tmp, stat.S_IMODE(st.st_mode))
            if hasattr(os, "chown") and (st.st_uid, st.st_gid) != (os.getuid(), os.getgid()):
                try:
                    os.chown(tmp, st.st_uid, st.st_gid)
                except OSError:
                    pass  # not permitted: the file becomes ours, its content is safe
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


def write_target(path: str, root: str | None = None) -> str:
    """Where rewriting ``path`` must write, or :class:`PermissionError` saying why not.

    A symbolic link stays a link: its target is rewritten, but only when the target
    lies inside the repository (``root``, else the git work tree around the link, else
    the current folder), so a link committed to a pull request cannot make nbtools
    write elsewhere. A read-only file is the user saying "do not change this": it is
    refused rather than replaced (replacing needs only a writable folder), and never
    chmod'ed.
    """
    target = path
    if os.path.realpath(path) != os.path.abspath(path):  # a link, or under a linked folder
        from nbtools.discovery import git_root

        target = os.path.realpath(path)
        folder = os.path.dirname(os.path.abspath(path))
        base = os.path.realpath(root or git_root(folder) or os.getcwd())
        if target != base and not target.startswith(base.rstrip(os.sep) + os.sep):
            raise PermissionError(
                errno.EPERM,
                f"a symbolic link to {target}, outside the repository ({base}); not rewritten",
                path,
            )
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        return target
    if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(target, os.W_OK):
        raise PermissionError(errno.EACCES, "read-only file; not rewritten", path)
    return target
