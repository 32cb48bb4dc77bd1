"""``--html DIR``: a report to look at.

* ``DIR/index.html``: one row per notebook (verdict, cause, duration, links), sortable by
  any column and filterable by verdict and cause, with a few lines of inline JavaScript;
* ``DIR/<name>.verdict.html``: one notebook's verdict, cause and what to do, the failing
  cell with its traceback, and for a mismatch the stored and fresh outputs side by side
  (text as a diff, images side by side);
* ``DIR/<name>.html``: the executed notebook (nbconvert), where a red banner at the top
  links to a red note (the anchor) placed just before the failing cell.

Every file is self-contained (no script, style or font from the network: nbconvert's CDN
scripts are removed) and everything shown is HTML-escaped; callers mask secrets first.
"""

from __future__ import annotations

import copy
import difflib
import html
import importlib
import os
import re
from typing import Any, Iterable

ANCHOR = "nbtools-failure"


def html_name(path: str) -> str:
    """A flat file name for a notebook path (``a/b.ipynb`` -> ``a__b.html``)."""
    relative = os.path.normpath(path).lstrip(os.sep).replace(os.sep, "__")
    stem = relative[: -len(".ipynb")] if relative.endswith(".ipynb") else relative
    return stem.replace("..", "_").replace("\0", "_") + ".html"


def with_markers(nb: dict[str, Any], failing_cell: int | None, reason: str) -> dict[str, Any]:
    """A copy of ``nb`` with the banner and the anchor before the failing cell."""
    marked = copy.deepcopy(nb)
    cells: list[dict[str, Any]] = marked.get("cells") or []
    if failing_cell is None or not 0 <= failing_cell < len(cells):
        return marked
    note = html.escape(reason)
    anchor = {
        "cell_type": "markdown",
        "metadata": {},
        "source": f'<div id="{ANCHOR}" style="border-left:6px solid #d32f2f;'
        f'padding:4px 8px;background:#fdecea"><b>nbtools: cell {failing_cell + 1} '
        f"failed</b>: {note}</div>",
    }
    banner = {
        "cell_type": "markdown",
        "metadata": {},
        "source": f'<div style="padding:6px;background:#fdecea">'
        f'<b>This notebook failed</b>: {note} &mdash; <a href="#{ANCHOR}">'
        f"go to cell {failing_cell + 1}</a></div>",
    }
    for cell in (anchor, banner):
        if marked.get("nbformat_minor", 0) >= 5:
            cell["id"] = f"nbtools-{len(cells)}-{cell is banner}"
    cells.insert(failing_cell, anchor)
    cells.insert(0, banner)
    return marked


def write_html(
    nb: dict[str, Any], out_dir: str, path: str, failing_cell: int | None, reason: str
) -> str:
    """Write ``nb`` as HTML under ``out_dir``; returns the file written."""
    from nbtools.execute.nodes import as_node

    exporter: Any = importlib.import_module("nbconvert").HTMLExporter()
    if "sanitize_html" in exporter.trait_names():  # nbconvert 7.7+: inert markdown/HTML
        exporter.sanitize_html = True

    node = as_node(with_markers(nb, failing_cell, reason))
    body, _ = exporter.from_notebook_node(node)
    target = os.path.join(out_dir, html_name(path))
    _write(target, offline(body))
    return target


_REMOTE_SCRIPT = re.compile(r"<script[^>]*\ssrc=[\"']https?://[^>]*>\s*</script>", re.IGNORECASE)
_REMOTE_MODULE = re.compile(
    r"<script type=\"module\">(?:(?!</script>).)*?https?://(?:(?!</script>).)*</script>",
    re.DOTALL | re.IGNORECASE,
)


#: no network at all, no script: what a notebook holds (markdown, HTML outputs) is inert
_NOTEBOOK_CSP = (
    '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
    "img-src data:; style-src 'unsafe-inline'; font-src data:; script-src 'none'\">"
)


def offline(page: str) -> str:
    """nbconvert's page without what it loads from a CDN (require.js, MathJax, mermaid),
    and with a policy that runs no script and loads nothing: the report opens offline and
    a notebook's own ``<script>`` (in markdown or an output) never runs."""
    page = _REMOTE_MODULE.sub("", _REMOTE_SCRIPT.sub("", page))
    head = re.search(r"<head[^>]*>", page, re.IGNORECASE)
    if head is None:
        return _NOTEBOOK_CSP + page
    return page[: head.end()] + _NOTEBOOK_CSP + page[head.end() :]


def _write(target: str, text: str) -> None:
    from nbtools.notebook import atomic_write

    os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
    atomic_write(target, text.encode("utf-8"))


def verdict_name(path: str) -> str:
    """The verdict page of a notebook (``a/b.ipynb`` -> ``a__b.verdict.html``)."""
    return html_name(path)[: -len(".html")] + ".verdict.html"


_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
th{cursor:pointer;background:#f4f4f4;user-select:none}
th[aria-sort=ascending]::after{content:" \\25B2"}
th[aria-sort=descending]::after{content:" \\25BC"}
.v-pass,.v-pass_with_warnings{color:#1b5e20}
.v-fail_error,.v-fail_mismatch{color:#b71c1c;font-weight:600}
.v-nondeterministic{color:#e65100}
pre{background:#f7f7f7;padding:8px;overflow:auto;white-space:pre-wrap}
.add{background:#e6ffed}.del{background:#ffeef0}
.side{display:flex;gap:1em}.side>div{flex:1;min-width:0}
.fix{border-left:5px solid #1565c0;padding:4px 8px;background:#e3f2fd}
label{margin-right:1em}
"""

_INDEX_JS = """
(function(){
  var table=document.getElementById('runs'), body=table.tBodies[0];
  var rows=Array.prototype.slice.call(body.rows);
  function filter(){
    var v=document.getElementById('f-verdict').value, c=document.getElementById('f-cause').value;
    var shown=0;
    rows.forEach(function(r){
      var ok=(!v||r.dataset.verdict===v)&&(!c||r.dataset.cause===c);
      r.hidden=!ok; if(ok){shown++;}
    });
    document.getElementById('shown').textContent=shown;
  }
  document.getElementById('f-verdict').addEventListener('change',filter);
  document.getElementById('f-cause').addEventListener('change',filter);
  Array.prototype.forEach.call(table.tHead.rows[0].cells,function(th,i){
    th.addEventListener('click',function(){
      var up=th.getAttribute('aria-sort')!=='ascending';
      Array.prototype.forEach.call(table.tHead.rows[0].cells,function(o){o.removeAttribute('aria-sort');});
      th.setAttribute('aria-sort',up?'ascending':'descending');
      var num=th.dataset.type==='number';
      rows.sort(function(a,b){
        var x=a.cells[i].dataset.key||a.cells[i].textContent, y=b.cells[i].dataset.key||b.cells[i].textContent;
        var d=num?(parseFloat(x)-parseFloat(y)):x.localeCompare(y);
        return up?d:-d;
      });
      rows.forEach(function(r){body.appendChild(r);});
    });
  });
  // a link can carry the view: index.html?verdict=fail_error&cause=network&sort=duration
  var q=new URLSearchParams(location.search);
  if(q.get('verdict')){document.getElementById('f-verdict').value=q.get('verdict');}
  if(q.get('cause')){document.getElementById('f-cause').value=q.get('cause');}
  Array.prototype.forEach.call(table.tHead.rows[0].cells,function(th){
    if(q.get('sort')===th.dataset.name){th.click(); if(q.get('order')==='desc'){th.click();}}
  });
  filter();
})();
"""


def _page(title: str, body: str, script: str = "") -> str:
    tail = f"<script>{script}</script>" if script else ""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'\">"
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body>{body}{tail}</body></html>\n"
    )


def _options(values: Iterable[str], label: str) -> str:
    items = "".join(
        f'<option value="{html.escape(v, quote=True)}">{html.escape(v)}</option>'
        for v in sorted(set(values))
    )
    return f'<option value="">all {label}</option>{items}'


def write_index(out_dir: str, entries: list[dict[str, Any]], summary: str = "") -> str:
    """``DIR/index.html``: one row per notebook; sortable, filterable by verdict and cause."""
    rows = []
    for entry in entries:
        if not os.path.exists(os.path.join(out_dir, verdict_name(str(entry.get("path") or "")))):
            # a notebook that did not run here (served from the cache): its page from the
            # report alone, so that no link of the index is dead
            write_verdict_page(out_dir, entry, None, [], None, None)
        verdict = str(entry.get("verdict") or "")
        cause = str(entry.get("cause") or "")
        path = str(entry.get("path") or "")
        duration = float(entry.get("duration_s") or 0.0)
        links = [
            f'<a class="verdict-link" href="{html.escape(verdict_name(path), quote=True)}">verdict</a>'
        ]
        if entry.get("html"):
            notebook = os.path.basename(str(entry["html"]))
            links.append(
                f'<a class="notebook-link" href="{html.escape(notebook, quote=True)}">notebook</a>'
            )
        rows.append(
            f'<tr data-verdict="{html.escape(verdict, quote=True)}" '
            f'data-cause="{html.escape(cause, quote=True)}">'
            f"<td>{html.escape(path)}</td>"
            f'<td class="v-{html.escape(verdict, quote=True)}">{html.escape(verdict)}</td>'
            f"<td>{html.escape(cause)}</td>"
            f'<td data-key="{duration:.3f}">{duration:.2f} s</td>'
            f"<td>{' '.join(links)}</td>"
            f"<td>{html.escape(str(entry.get('reason') or ''))}</td></tr>"
        )
    verdicts = [str(e.get("verdict") or "") for e in entries]
    causes = [str(e.get("cause") or "") for e in entries if e.get("cause")]
    body = (
        "<h1>nbtools run</h1>"
        f"<p>{html.escape(summary)}</p>"
        f'<p><label>verdict <select id="f-verdict">{_options(verdicts, "verdicts")}</select></label>'
        f'<label>cause <select id="f-cause">{_options(causes, "causes")}</select></label>'
        f'<span id="shown">{len(entries)}</span> of {len(entries)} notebooks shown</p>'
        '<table id="runs"><thead><tr><th data-name="notebook">notebook</th>'
        '<th data-name="verdict">verdict</th><th data-name="cause">cause</th>'
        '<th data-name="duration" data-type="number">duration</th><th data-name="links">links</th>'
        '<th data-name="reason">reason</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
    target = os.path.join(out_dir, "index.html")
    _write(target, _page("nbtools run", body, _INDEX_JS))
    return target


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_IMAGES = ("image/png", "image/jpeg", "image/gif")


def _output_text(outputs: list[dict[str, Any]]) -> str:
    from nbtools.hidden_state.compare import output_items

    return "\n".join(
        f"{name}: {text}" if kind == "error" else text for kind, name, text in output_items(outputs)
    )


def _images(outputs: list[dict[str, Any]]) -> list[str]:
    found = []
    for output in outputs:
        data = output.get("data") or {}
        for mime in _IMAGES:
            value = data.get(mime)
            if isinstance(value, list):
                value = "".join(str(v) for v in value)
            if isinstance(value, str) and re.fullmatch(r"[A-Za-z0-9+/=\s]+", value):
                uri = f"data:{mime};base64,{''.join(value.split())}"
                found.append(f'<img alt="{mime}" src="{html.escape(uri, quote=True)}">')
                break
    return found


def _diff(stored: str, fresh: str) -> str:
    lines = []
    for line in difflib.unified_diff(
        stored.splitlines(), fresh.splitlines(), "stored", "fresh", lineterm=""
    ):
        kind = "add" if line.startswith("+") else "del" if line.startswith("-") else ""
        lines.append(
            f'<span class="{kind}">{html.escape(line)}</span>' if kind else html.escape(line)
        )
    return "\n".join(lines) or "(no text difference: the outputs differ in images or order)"


def write_verdict_page(
    out_dir: str,
    entry: dict[str, Any],
    cell_source: str | None,
    traceback: list[str],
    stored: list[dict[str, Any]] | None,
    fresh: list[dict[str, Any]] | None,
) -> str:
    """One notebook's page: verdict, cause and fix, the failing cell with its traceback,
    and for a mismatch the stored and fresh outputs side by side."""
    path = str(entry.get("path") or "")
    verdict = str(entry.get("verdict") or "")
    index = entry.get("first_divergent_cell")
    parts = [
        f"<h1>{html.escape(path)}</h1>",
        f'<p>verdict <b class="v-{html.escape(verdict, quote=True)}">{html.escape(verdict)}</b>',
    ]
    if entry.get("cause"):
        parts.append(f' &middot; cause <b class="cause">{html.escape(str(entry["cause"]))}</b>')
    parts.append(f" &middot; {float(entry.get('duration_s') or 0.0):.2f} s</p>")
    parts.append(f'<p class="reason">{html.escape(str(entry.get("reason") or ""))}</p>')
    if entry.get("cause_message"):
        parts.append(f'<p class="fix">What to do: {html.escape(str(entry["cause_message"]))}</p>')
    if cell_source is not None and isinstance(index, int):
        parts.append(
            f'<h2 id="cell">Cell {index + 1}</h2><pre class="source">{html.escape(cell_source)}</pre>'
        )
    if traceback:
        text = _ANSI.sub("", "\n".join(traceback))
        parts.append(f'<h2>Traceback</h2><pre class="traceback">{html.escape(text)}</pre>')
    if stored is not None and fresh is not None and not traceback:
        left, right = _output_text(stored), _output_text(fresh)
        parts.append(
            '<h2>Stored and fresh outputs</h2><div class="side">'
            f'<div><h3>stored</h3><pre class="stored">{html.escape(left)}</pre>'
            f"{''.join(_images(stored))}</div>"
            f'<div><h3>fresh</h3><pre class="fresh">{html.escape(right)}</pre>'
            f"{''.join(_images(fresh))}</div></div>"
            f'<h3>Difference</h3><pre class="diff">{_diff(left, right)}</pre>'
        )
    links = ['<a href="index.html">all notebooks</a>']
    if entry.get("html"):
        notebook = os.path.basename(str(entry["html"]))
        links.append(f'<a href="{html.escape(notebook, quote=True)}">the executed notebook</a>')
    parts.append(f"<p>{' &middot; '.join(links)}</p>")
    target = os.path.join(out_dir, verdict_name(path))
    _write(target, _page(f"{verdict}: {path}", "".join(parts)))
    return target
