"""IPython syntax (magics, shell escapes, help) rewritten as plain Python.

The rewrite matches what IPython's ``TransformerManager`` produces, so the
def-use analysis sees ``get_ipython().run_line_magic(...)`` calls either way.
"""

from __future__ import annotations

import ast
import re
import warnings

_MAGIC_LINE_RE = re.compile(r"^\s*(%|!)")


def to_python(source: str) -> str:
    """Cell source as plain Python: IPython syntax (magics, ``!``, ``?``) transformed.

    Common forms are rewritten here the way IPython's ``TransformerManager`` does;
    that one is used only for what this light pass cannot make parseable, because
    importing IPython costs about a second, against a 0.5 s pre-commit budget.
    """
    if not _IPYTHON_SYNTAX_RE.search(source):
        return source
    light = light_transform(source)
    if parse(light) is not None:
        return light
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:  # pragma: no cover - IPython is there wherever ipykernel is
        return blank_magics(source)
    try:
        return str(TransformerManager().transform_cell(source))  # type: ignore[no-untyped-call]
    except Exception:  # noqa: BLE001 - a transformer bug must not stop the analysis
        return blank_magics(source)


_IPYTHON_SYNTAX_RE = re.compile(r"^\s*(?:[%!?]|[\w.,\s\[\]()*]+=\s*[%!])|\?\s*$", re.MULTILINE)
_CELL_MAGIC_RE = re.compile(r"\A%%(\w+)[ \t]*(.*)\n?")
#: blank lines IPython drops before it looks for a cell magic (``leading_empty_lines``)
_LEADING_BLANK_LINES_RE = re.compile(r"\A(?:[ \t\r\f\v]*\n)+")
_ASSIGNED_RE = re.compile(r"^(\s*)([\w.,\s\[\]()*]+?)\s*=\s*([%!])(.*)$")
_HELP_RE = re.compile(r"^(\s*)\?*([\w.]+)\?*\s*$")


def parse(code: str) -> ast.Module | None:
    with warnings.catch_warnings():  # a cell's SyntaxWarning is the kernel's business
        warnings.simplefilter("ignore")
        try:
            return ast.parse(code)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None  # not Python, or nested beyond what the parser takes


def light_transform(source: str) -> str:
    """Rewrite magics, shell escapes and help the way IPython does, line by line."""
    magic_first = _LEADING_BLANK_LINES_RE.sub("", source)
    cell = _CELL_MAGIC_RE.match(magic_first)
    if cell:
        body = magic_first[cell.end() :]
        return f"get_ipython().run_cell_magic({cell.group(1)!r}, {cell.group(2)!r}, {body!r})\n"
    out = []
    for line in source.split("\n"):
        assigned = _ASSIGNED_RE.match(line)
        if assigned and not assigned.group(2).strip().endswith(("=", "<", ">", "!")):
            indent, target, kind, rest = assigned.groups()
            out.append(f"{indent}{target} = {_magic_expr(kind, rest, getoutput=True)}")
        elif line.lstrip().startswith(("%", "!")):
            indent = line[: len(line) - len(line.lstrip())]
            stripped = line.lstrip()
            out.append(indent + _magic_expr(stripped[0], stripped[1:], getoutput=False))
        elif line.rstrip().endswith("?") or line.lstrip().startswith("?"):
            helped = _HELP_RE.match(line)
            out.append(
                f"{helped.group(1)}get_ipython().run_line_magic('pinfo', {helped.group(2)!r})"
                if helped
                else line
            )
        else:
            out.append(line)
    return "\n".join(out)


def _magic_expr(kind: str, rest: str, getoutput: bool) -> str:
    if kind == "!":
        call = "getoutput" if getoutput else "system"
        return f"get_ipython().{call}({rest.strip()!r})"
    name, _, args = rest.partition(" ")
    return f"get_ipython().run_line_magic({name!r}, {args.strip()!r})"


def blank_magics(source: str) -> str:
    """The fallback: blank ``%``/``!`` lines (a ``%%`` cell magic blanks the cell)."""
    if _LEADING_BLANK_LINES_RE.sub("", source).startswith("%%"):
        return ""
    return "".join("\n" if _MAGIC_LINE_RE.match(ln) else ln for ln in source.splitlines(True))
