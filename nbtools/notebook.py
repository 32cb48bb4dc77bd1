"""Notebook I/O shared by every command: read once, write only on change, keep the layout.

A notebook is parsed into plain dicts and lists (key order kept), together with the
:class:`Layout` of the file it came from, so that a rewrite keeps what the user had:
indentation, separators, escaping, CRLF line endings, a UTF-8 BOM and the final newline.
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
from dataclasses import dataclass
from itertools import chain
from typing import TYPE_CHECKING, Any, Dict, Iterator

from nbtools.errors import InputError

if TYPE_CHECKING:
    from nbtools.elide import Payloads

NotebookDict = Dict[str, Any]
SUPPORTED_MAJOR = (3, 4)
BOM = "\ufeff"
BOM_BYTES = BOM.encode("utf-8")

_ORJSON: list[Any] = []  # the orjson module (or None), imported on first write


def _orjson_module() -> Any:
    """orjson, imported only when a notebook is written (it pulls in uuid and platform)."""
    if not _ORJSON:
        try:
            import orjson
        except ImportError:  # pragma: no cover - orjson is a dependency, kept optional
            orjson = None  # type: ignore[assignment]
        _ORJSON.append(orjson)
    return _ORJSON[0]


@dataclass(frozen=True)
class Layout:
    """How a notebook file was serialised."""

    indent: int | str | None = 1
    item_separator: str = ","
    key_separator: str = ": "
    ensure_ascii: bool = False
    newline: str = "\n"
    bom: bool = False
    final_newline: bool = True


NBFORMAT_LAYOUT = Layout()  # what nbformat.write produces
ORJSON_MIN_BYTES = 256 * 1024  # below this, json.dumps renders faster than orjson imports
ELIDE_MIN_BYTES = 64 * 1024  # smaller notebooks hold no payload worth skipping

_INDENT_RE = re.compile(r"\n([ \t]+)\S")
_NON_ASCII_ESCAPE = (
    rb"\\u(?:00[89a-fA-F][0-9a-fA-F]|0[1-9a-fA-F][0-9a-fA-F]{2}|[1-9a-fA-F][0-9a-fA-F]{3})"
)
_NON_ASCII_ESCAPE_RE = re.compile(_NON_ASCII_ESCAPE.decode())
_NON_ASCII_ESCAPE_BYTES_RE = re.compile(_NON_ASCII_ESCAPE)
#: the document's first key and the separator after it (spaces and tabs only)
_FIRST_KEY_RE = re.compile(r'\s*\{\s*"(?:[^"\\\n]|\\.)*"([ \t]*:[ \t]*)')
_LEADING_SPACES_RE = re.compile(rb"^(?:  )+", re.MULTILINE)


def detect_layout(text: str) -> Layout:
    """Infer the serialisation settings of a JSON document from its text."""
    bom = text.startswith(BOM)
    if bom:
        text = text[1:]
    ensure_ascii = text.isascii() and bool(_NON_ASCII_ESCAPE_RE.search(text))
    return _layout_from_head(text[:8192], ensure_ascii, bom, text.endswith("\n"))


def _detect_layout_bytes(body: bytes, bom: bool) -> Layout:
    """:func:`detect_layout` for raw bytes, decoding only the head of the file."""
    head = body[:8192].decode("utf-8", "ignore")
    ensure_ascii = body.isascii() and bool(_NON_ASCII_ESCAPE_BYTES_RE.search(body))
    return _layout_from_head(head, ensure_ascii, bom, body.endswith(b"\n"))


def _layout_from_head(head: str, ensure_ascii: bool, bom: bool, final_newline: bool) -> Layout:
    newline = "\r\n" if "\r\n" in head[:4096] else "\n"
    head = head.replace("\r\n", "\n")
    match = _INDENT_RE.search(head)
    indent: int | str | None
    if match is None:
        indent = None
    else:
        ws = match.group(1)
        indent = len(ws) if set(ws) == {" "} else ws
    if indent is None:
        item_sep = ", " if re.search(r'[\]}"\d], ["\[{]', head[:4096]) else ","
    else:
        item_sep = ", " if ", \n" in head else ","
    first_key = _FIRST_KEY_RE.match(head)
    if first_key is not None:  # as the document's first key is written: ": ", ":", " : "...
        key_sep = first_key.group(1)
    else:
        key_sep = (
            ":"
            if re.search(r'"\s*:\S', head[:4096]) and not re.search(r'": ', head[:4096])
            else ": "
        )
    return Layout(
        indent=indent,
        item_separator=item_sep,
        key_separator=key_sep,
        ensure_ascii=ensure_ascii,
        newline=newline,
        bom=bom,
        final_newline=final_newline,
    )


def dumps(nb: Any, layout: Layout = NBFORMAT_LAYOUT) -> str:
    """Serialise ``nb`` the way its file was written (see :class:`Layout`)."""
    text = json.dumps(
        nb,
        indent=layout.indent,
        separators=(layout.item_separator, layout.key_separator),
        ensure_ascii=layout.ensure_ascii,
    )
    if layout.final_newline:
        text += "\n"
    if layout.newline != "\n":
        text = text.replace("\n", layout.newline)
    if layout.bom:
        text = BOM + text
    return text


def dumps_bytes(nb: Any, layout: Layout = NBFORMAT_LAYOUT, fast: bool = True) -> bytes:
    """:func:`dumps` as UTF-8 bytes; with ``fast``, through orjson where that is byte-identical.

    json.dumps with an indent runs the pure-Python encoder (over ten times slower than
    orjson). orjson writes exactly what ``json.dumps(indent=2, ensure_ascii=False)``
    writes except for some floats, so it serves integer indents with the standard
    separators, re-indenting its 2-space output, unless such a number is present.
    """
    data = _orjson_dumps(nb, layout) if fast else None
    if data is None:
        # a lone surrogate (read from a \udXXX escape) can only sit inside a JSON string,
        # where backslashreplace writes it back as the very same escape
        return dumps(nb, layout).encode("utf-8", "backslashreplace")
    if layout.final_newline:
        data += b"\n"
    if layout.newline != "\n":
        data = data.replace(b"\n", layout.newline.encode())
    if layout.bom:
        data = BOM_BYTES + data
    return data


def _orjson_dumps(nb: Any, layout: Layout) -> bytes | None:
    indent = layout.indent
    _orjson = _orjson_module()
    if (
        _orjson is None
        or not isinstance(indent, int)
        or indent < 1
        or layout.ensure_ascii
        or (layout.item_separator, layout.key_separator) != (",", ": ")
    ):
        return None
    try:
        data: bytes = _orjson.dumps(nb, option=_orjson.OPT_INDENT_2)
    except (TypeError, _orjson.JSONEncodeError):
        return None  # e.g. an integer beyond 64 bits
    if indent == 1:
        data = _halve_indentation(data)
    elif indent != 2:
        pads: dict[int, bytes] = {}

        def pad(match: re.Match[bytes]) -> bytes:
            width = len(match.group())
            if width not in pads:
                pads[width] = b" " * (width // 2 * indent)
            return pads[width]

        data = _LEADING_SPACES_RE.sub(pad, data)
    return data


def _halve_indentation(data: bytes) -> bytes:
    """2-space indentation to 1-space, with one C-level replace per nesting depth.

    Step j turns ``j + 1`` leading spaces into ``j``: it touches exactly the lines
    at depth >= j (they still have more than j spaces; shallower ones are done).
    """
    depth = 1
    while True:
        old = b"\n" + b" " * (depth + 1)
        if old not in data:
            return data
        data = data.replace(old, b"\n" + b" " * depth)
        depth += 1


def parse_json(text: str | bytes, path: object) -> Any:
    """Parse JSON text (or UTF-8 bytes), raising :class:`InputError` on failure."""
    _orjson = _orjson_module()
    if _orjson is not None:
        try:
            return _orjson.loads(text)
        except _orjson.JSONDecodeError:
            pass  # fall through for json's clearer message (or a value orjson refuses)
    if isinstance(text, bytes):
        text = decode(text, path)
    return _json_loads(text, path)


def _json_loads(text: str, path: object) -> Any:
    """``json.loads`` whose failures are one-line :class:`InputError`s naming the file."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            path, f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except RecursionError:
        raise InputError(path, "invalid JSON: nested too deeply") from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits (Python's limit)
        raise InputError(path, f"unreadable JSON value: {_first_clause(exc)}") from None


def _first_clause(exc: BaseException) -> str:
    """The first sentence of an exception's message (no advice about interpreter flags)."""
    return str(exc).split(";")[0].strip() or type(exc).__name__


class NotebookFile:
    """A notebook read from disk (or stdin) with everything needed to write it back.

    ``text`` (the document without a BOM) is decoded only when something asks for it:
    parsing works on the bytes, and most notebooks never need their text.
    """

    def __init__(
        self,
        path: str,
        raw: bytes,
        nb: NotebookDict,
        layout: Layout,
        text: str | None = None,
        payloads: Payloads | None = None,
    ) -> None:
        self.path = path
        self.raw = raw
        self.nb = nb
        self.layout = layout
        self._text = text
        # values that ``nb`` holds as placeholders (see nbtools.elide); restored on render
        self.payloads = payloads

    @property
    def text(self) -> str:
        if self._text is None:
            body = self.raw[len(BOM_BYTES) :] if self.layout.bom else self.raw
            self._text = decode(body, self.path)
        return self._text

    @property
    def major(self) -> int:
        return int(self.nb.get("nbformat", 0))

    @property
    def minor(self) -> int:
        return int(self.nb.get("nbformat_minor", 0))

    def render_bytes(self, nb: NotebookDict | None = None) -> bytes:
        """The bytes of ``nb`` (default: this notebook) in this file's layout."""
        if nb is None or nb is self.nb:  # stripped in place: no new values
            # importing orjson costs ~30 ms (it pulls in dataclasses, uuid, platform):
            # more than json.dumps needs for what a small notebook leaves to write
            fast = len(self.raw) >= ORJSON_MIN_BYTES or bool(_ORJSON)
            # the orjson writer round-trips every value but some floats (see dumps_bytes)
            data = dumps_bytes(self.nb, self.layout, fast=fast and not has_unsafe_float(self.nb))
        else:
            data = dumps_bytes(nb, self.layout, fast=False)
        if self.payloads:
            from nbtools.elide import restore_payloads

            data = restore_payloads(data, self.payloads)
        if data != self.raw and _has_stray_separators(self.raw, self.layout):
            data = _keep_stray_layout(self, data)
        return data

    def render(self, nb: NotebookDict | None = None) -> str:
        """The text of ``nb`` (default: this notebook) in this file's layout."""
        return self.render_bytes(nb).decode("utf-8")


def _stray_separator_re(key_separator: str) -> re.Pattern[bytes]:
    """Keys written with another separator than the file's (``"a" : 1`` among ``"b": 2``)."""
    before, _, after = key_separator.partition(":")
    a, b = re.escape(before.encode()), re.escape(after.encode())
    # a key's closing quote is not escaped (an escaped one is inside a string)
    # (the quote first, so that the regex engine scans for it in C)
    quote = rb'"(?<=[^\\]")'
    pre = quote + (rb"[ \t]+:" if not before else rb"(?!" + a + rb":)[ \t]*:")
    post = quote + a + rb":(?!" + b + rb"[^ \t])"
    return re.compile(pre + b"|" + post)


_STRAY_SEPARATORS: dict[str, re.Pattern[bytes]] = {}


def _has_stray_separators(raw: bytes, layout: Layout) -> bool:
    """Whether some key of ``raw`` is spelled unlike :attr:`Layout.key_separator`.

    One regex scan; a quote and colon inside a string can match too, which only costs
    the careful rewrite of :func:`_keep_stray_layout`.
    """
    pattern = _STRAY_SEPARATORS.get(layout.key_separator)
    if pattern is None:
        pattern = _STRAY_SEPARATORS[layout.key_separator] = _stray_separator_re(
            layout.key_separator
        )
    return pattern.search(raw) is not None


def _keep_stray_layout(nbfile: NotebookFile, data: bytes) -> bytes:
    """``data`` with every line nbtools did not change spelled as the file had it.

    A hand-edited file may space one key unlike the rest (``"attachments" : {``), which
    one :class:`Layout` cannot say. The file as read, re-rendered in its layout, lines
    up with the file line for line; where the new rendering keeps a line of that one,
    the file's own line is written instead. The result must parse to what ``data``
    holds, or ``data`` is written as it is.
    """
    import difflib

    try:
        original = loads_notebook(nbfile.raw, nbfile.path).nb
    except InputError:  # pragma: no cover - the file was read once already
        return data
    before = dumps_bytes(original, nbfile.layout, fast=False)
    file_lines = nbfile.raw.splitlines(keepends=True)
    before_lines = before.splitlines(keepends=True)
    if before == nbfile.raw or len(file_lines) != len(before_lines):
        return data
    after_lines = data.splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(None, before_lines, after_lines, autojunk=False)
    out: list[bytes] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        out.extend(file_lines[i1:i2] if tag == "equal" else after_lines[j1:j2])
    merged = b"".join(out)
    try:
        same = json.loads(merged.lstrip(BOM_BYTES)) == json.loads(data.lstrip(BOM_BYTES))
    except (ValueError, RecursionError):
        same = False
    return merged if same else data


def decode(raw: bytes, path: object) -> str:
    """Decode a notebook's bytes as UTF-8 (with or without a BOM)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(path, f"not UTF-8 text (byte {exc.start})") from None


def check_structure(data: Any, path: object) -> NotebookDict:
    """Refuse anything that is not a notebook of a supported nbformat."""
    if not isinstance(data, dict):
        raise InputError(path, "not a notebook: the JSON document is not an object")
    major = data.get("nbformat")
    if not isinstance(major, int) or isinstance(major, bool):
        raise InputError(path, "not a notebook: no integer 'nbformat' key")
    if major not in SUPPORTED_MAJOR:
        raise InputError(path, f"unsupported nbformat {major} (nbtools reads nbformat 3 and 4)")
    if major == 4 and not isinstance(data.get("cells"), list):
        raise InputError(path, "not a notebook: nbformat 4 without a 'cells' list")
    if major == 3 and not isinstance(data.get("worksheets"), list):
        raise InputError(path, "not a notebook: nbformat 3 without a 'worksheets' list")
    from nbtools.structure import StructureError, validate

    try:
        validate(data)
    except StructureError as exc:
        raise InputError(path, str(exc)) from None
    return data


def loads_notebook(raw: bytes, path: str, elide: bool = False) -> NotebookFile:
    """Parse notebook bytes (already read) into a :class:`NotebookFile`.

    Parsing uses json, which is exact; writing uses orjson where that is byte-identical.
    With ``elide`` (for strip, which drops most outputs), large base64 values are not
    parsed: ``nb`` holds placeholders for them (see :mod:`nbtools.elide`), and
    :meth:`NotebookFile.render_bytes` writes the original bytes back; what is left is
    small enough that orjson parses it where that is exact (:func:`_orjson_loads_exact`).
    """
    bom = raw.startswith(BOM_BYTES)
    body = raw[len(BOM_BYTES) :] if bom else raw
    if not body or body.isspace():
        raise InputError(path, "empty file, not a notebook")
    if elide and len(body) >= ELIDE_MIN_BYTES:
        from nbtools.elide import elide_payloads

        elided, payloads = elide_payloads(body)
        if payloads:
            data = _orjson_loads_exact(elided)
            if data is not None:
                return NotebookFile(
                    path=path,
                    raw=raw,
                    nb=check_structure(data, path),
                    layout=_detect_layout_bytes(body, bom),
                    payloads=payloads,
                )
            try:
                return _loads_body(raw, elided, bom, path, payloads, layout_body=body)
            except InputError:
                pass  # say where, in the file as it is
    return _loads_body(raw, body, bom, path, None, layout_body=body)


_DIGIT_MASK = bytes.maketrans(b"123456789", b"000000000")
_LONG_INTEGER = b"0" * 19  # 19+ digits: may be beyond 64 bits, which orjson turns into floats


def _orjson_loads_exact(body: bytes) -> Any:
    """orjson's parse of ``body`` where it is exactly json.loads'; otherwise None.

    orjson refuses what it cannot represent (NaN, 1e400, lone surrogates, deep
    nesting, bad UTF-8), which the json path then handles or reports, except
    integers beyond 64 bits: it turns those into floats, so bodies with a run of
    19 digits go to the json path.
    """
    _orjson = _orjson_module()
    if _orjson is None or _LONG_INTEGER in body.translate(_DIGIT_MASK):
        return None
    try:
        return _orjson.loads(body)
    except _orjson.JSONDecodeError:
        return None


def has_unsafe_float(value: Any) -> bool:
    """Whether ``value`` holds a float that orjson would spell unlike json.dumps
    (NaN and infinities, which orjson writes as null, and exponent notation).

    Breadth first, a whole nesting level per step, so that the per-value work runs in
    C (``map``, ``set``) rather than in a Python loop over each container.
    """
    level = [value]
    while level:
        values = list(chain.from_iterable(v.values() if type(v) is dict else v for v in level))
        kinds = set(map(type, values))
        if float in kinds and any(
            type(v) is float and v and not 1e-4 <= abs(v) < 1e16  # NaN, infinities too
            for v in values
        ):
            return True
        if dict not in kinds and list not in kinds:
            return False
        level = [v for v in values if type(v) is dict or type(v) is list]
    return False


def _loads_body(
    raw: bytes, body: bytes, bom: bool, path: str, payloads: Payloads | None, layout_body: bytes
) -> NotebookFile:
    text = decode(body, path)
    nb = check_structure(_json_loads(text, path), path)
    layout = _detect_layout_bytes(layout_body, bom)
    return NotebookFile(
        path=path,
        raw=raw,
        nb=nb,
        layout=layout,
        text=None if payloads else text,  # with payloads, .text decodes the file itself
        payloads=payloads,
    )


def read_notebook(path: str | os.PathLike[str], elide: bool = False) -> NotebookFile:
    """Read and parse a notebook file once (``elide``: see :func:`loads_notebook`)."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except IsADirectoryError:
        raise InputError(path, "is a directory") from None
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror or exc}") from None
    return loads_notebook(raw, os.fspath(path), elide=elide)


def require_v4(nbfile: NotebookFile) -> None:
    """Refuse nbformat 3 for commands that only work on nbformat 4."""
    if nbfile.major != 4:
        raise InputError(
            nbfile.path,
            f"nbformat {nbfile.major} notebook; upgrade it first with "
            f"`jupyter nbconvert --to notebook --nbformat 4 --inplace {nbfile.path}`",
        )


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


def write_notebook(
    nbfile: NotebookFile, nb: NotebookDict | None = None, root: str | None = None
) -> bool:
    """Write ``nb`` to ``nbfile.path`` in its layout if the bytes differ; True if written.

    Links and read-only files are handled by :func:`write_target` (``root``: the
    repository a link's target must stay in).
    """
    data = nbfile.render_bytes(nb)
    if data == nbfile.raw:
        return False
    atomic_write(write_target(nbfile.path, root), data)
    return True


def iter_cells(nb: NotebookDict) -> Iterator[dict[str, Any]]:
    """The cells of an nbformat 4 or nbformat 3 (worksheets) notebook, in order."""
    if nb.get("nbformat") == 3:
        for worksheet in nb.get("worksheets") or []:
            yield from worksheet.get("cells") or []
    else:
        yield from nb.get("cells") or []


def cell_lists(nb: NotebookDict) -> list[list[dict[str, Any]]]:
    """The mutable list(s) that hold cells (one per v3 worksheet)."""
    if nb.get("nbformat") == 3:
        return [ws.setdefault("cells", []) for ws in nb.get("worksheets") or []]
    return [nb.setdefault("cells", [])]


def source_text(cell: dict[str, Any]) -> str:
    """A cell's source as one string (v3 code cells keep it under ``input``)."""
    src = cell.get("source", cell.get("input", ""))
    if isinstance(src, list):
        return "".join(src)
    return src if isinstance(src, str) else ""


def multiline(value: Any) -> str:
    """Join nbformat's multiline strings (a string or a list of strings)."""
    if isinstance(value, list):
        return "".join(v for v in value if isinstance(v, str))
    return value if isinstance(value, str) else ""


def tags_of(cell: dict[str, Any]) -> list[str]:
    tags = (cell.get("metadata") or {}).get("tags") or []
    return [t for t in tags if isinstance(t, str)] if isinstance(tags, list) else []
