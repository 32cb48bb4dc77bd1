"""What a notebook's kernel actually read: an audit hook installed in the kernel itself.

The run cache (:mod:`nbtools.execute.cache`) may serve a result only when nothing the
result depended on changed, and the files a notebook depends on are known only while it
runs: ``import helpers``, ``%run other.py``, ``importlib.import_module``, ``open``,
``pd.read_csv``, ``np.load`` all end in Python's ``open`` (or ``io.open_code``), which
raises the ``open`` audit event (PEP 578, Python 3.8+: the TF 2.9 image's Python too).

Before the first cell the executor sends :data:`PRELUDE` as a silent execute request (no
execution count, no history, no name in the user's namespace); after the last cell it
asks for the record with a ``user_expressions`` request (:data:`COLLECT`). The kernel
records each path opened for reading (with its size and mtime at first read, or that it
was missing) and the files of the modules it imported; files under the interpreter's
prefix are left out there. The host keeps what lies in the repository
(:func:`inputs_from_record`), mapping a container's mount path back to the host tree.

Limits (said in the README): a file read by native code that bypasses Python's ``open``
(some HDF5/Arrow readers) is not seen, and only files under the repository count.
"""

from __future__ import annotations

import ast
import json
import os
from typing import Any

#: the source installed in the kernel (valid on Python 3.8: no 3.9+ syntax or API)
_HOOK_SOURCE = r"""
import json, os, sys, types
_mod = types.ModuleType("_nbtools_audit")
_skip = tuple(sorted({os.path.join(p, "") for p in (sys.prefix, sys.base_prefix,
                      sys.exec_prefix, getattr(sys, "base_exec_prefix", sys.prefix))}))
_skip = _skip + ("/proc/", "/dev/", "/sys/")
_reads = {}
_RD = (os.O_RDONLY, os.O_RDWR)

def _stat(path):
    try:
        st = os.stat(path)
        return [st.st_size, st.st_mtime_ns]
    except OSError:
        return None

def _hook(event, args):
    # nothing here opens a file (no re-entry), and no exception reaches the notebook
    if event != "open":
        return
    try:
        path, mode, flags = args
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        if not isinstance(path, str):
            return
        path = os.path.abspath(path)
        if path.startswith(_skip) or os.sep + "__pycache__" + os.sep in path:
            return  # the interpreter's own files; bytecode caches (sys.modules names the source)
        if isinstance(mode, str):
            reading = "r" in mode or "+" in mode
        else:
            reading = isinstance(flags, int) and (flags & os.O_ACCMODE) in _RD
        if reading and path not in _reads:
            _reads[path] = _stat(path)  # as it was when first read
    except Exception:
        pass

def report():
    reads = dict(_reads)  # a thread of the notebook may still be opening files
    modules = []
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if isinstance(path, str) and not os.path.abspath(path).startswith(_skip):
            modules.append(os.path.abspath(path))
    changed = sorted(p for p, st in reads.items() if _stat(p) != st)
    return json.dumps({"version": 1, "python": sys.version, "executable": sys.executable,
                       "reads": reads, "modules": sorted(set(modules)),
                       "changed": changed})

_mod.report = report
sys.modules["_nbtools_audit"] = _mod
sys.addaudithook(_hook)
"""

#: the silent request that installs the hook (binds no name in the user's namespace)
PRELUDE = (
    "__import__('builtins').exec(" + repr(_HOOK_SOURCE) + ", {'__name__': '_nbtools_audit_setup'}) "
    "if hasattr(__import__('sys'), 'addaudithook') else None"
)

#: the user expression that returns the record (a JSON string)
COLLECT = "__import__('sys').modules['_nbtools_audit'].report()"


def parse_reply(reply: Any) -> dict[str, Any] | None:
    """The record from an execute reply's ``user_expressions`` (None: no usable record)."""
    try:
        value = reply["content"]["user_expressions"]["audit"]
        if value.get("status") != "ok":
            return None
        text = ast.literal_eval(value["data"]["text/plain"])
        record = json.loads(text)
    except (KeyError, TypeError, ValueError, SyntaxError, AttributeError):
        return None
    return record if isinstance(record, dict) and record.get("version") == 1 else None


def _pyc_source(path: str) -> str:
    """``pkg/__pycache__/mod.cpython-311.pyc`` -> ``pkg/mod.py`` (the file that matters)."""
    folder, name = os.path.split(path)
    if os.path.basename(folder) != "__pycache__" or not name.endswith(".pyc"):
        return path
    return os.path.join(os.path.dirname(folder), name.split(".", 1)[0] + ".py")


def _to_host(path: str, mount: str | None, tree: str) -> str | None:
    if mount is None:
        return path
    rel = os.path.relpath(path, mount)
    return None if rel.startswith("..") else os.path.normpath(os.path.join(tree, rel))


def inputs_from_record(
    record: dict[str, Any], root: str, mount: str | None = None, tree: str | None = None
) -> tuple[list[str], list[str]] | None:
    """``(read, changed)``: repository-relative paths the kernel read, and those that
    changed while it ran; None when the record is malformed. ``mount``/``tree``: the
    container path the host ``tree`` was mounted at."""
    reads, modules, changed = record.get("reads"), record.get("modules"), record.get("changed")
    if not (isinstance(reads, dict) and isinstance(modules, list) and isinstance(changed, list)):
        return None
    root = os.path.realpath(root)
    host_tree = tree or root

    def relative(path: Any) -> str | None:
        if not isinstance(path, str):
            return None
        host = _to_host(_pyc_source(path), mount, host_tree)
        if host is None:
            return None
        real = os.path.realpath(host)
        rel = os.path.relpath(real, root)
        if rel == "." or rel.startswith("..") or rel.split(os.sep, 1)[0] == ".git":
            return None
        return rel.replace(os.sep, "/")

    read = {r for r in map(relative, [*reads, *modules]) if r is not None}
    moved = {r for r in map(relative, changed) if r is not None}
    return sorted(read), sorted(moved)
