"""One way to suppress a finding, for every rule family (``scan/*``, ``hidden-state/*``,
``strip/*``, ``sync/*``).

- **configuration**: rule ids or prefixes (``hidden-state``, ``scan/high-entropy-string``,
  globs such as ``hidden-state/*-name``) in ``ignore_rules`` or ``--ignore-rules``;
- **a cell**: the tag ``nbtools-allow`` (every rule) or ``nbtools-allow:RULE``, or cell metadata
  ``"nbtools": {"allow": true}`` / ``{"allow": ["RULE", ...]}``;
- **a line**: a comment ``nbtools: allow`` (every rule) or ``nbtools: allow[RULE, ...]`` on the
  finding's line (``pragma: allowlist secret`` and ``gitleaks:allow`` for ``scan/*`` rules);
- **a baseline** (``nbtools scan --baseline``) and, for configuration found in the tree,
  ``exclude`` (see :mod:`nbtools.commands.scan`).

A suppressed finding is not dropped: it carries a :class:`Suppression` naming its source, so
reports count it by source and SARIF shows it as a suppressed result.
"""

from __future__ import annotations

import fnmatch
import re
from typing import Any, Iterable

from nbtools.findings import Finding, Rule, Suppression, Where
from nbtools.notebook import iter_cells, source_text, tags_of

ALLOW_TAG = "nbtools-allow"
#: other tools' markers, honoured for credential rules (detect-secrets, gitleaks)
FOREIGN_MARKERS = ("pragma: allowlist secret", "gitleaks:allow")
_INLINE_RE = re.compile(r"nbtools:\s?allow(?:\[(?P<rules>[^\]]*)\])?")

IN_SOURCE = "inSource"
EXTERNAL = "external"


def rule_matches(rule: str, selectors: Iterable[str]) -> bool:
    """A rule id matches a selector that is the id, a family (``hidden-state`` or
    ``hidden-state/``), a glob, or ``*``."""
    for raw in selectors:
        selector = raw.strip()
        if not selector:
            continue
        if selector in (rule, "*", "all") or rule.startswith(selector.rstrip("/") + "/"):
            return True
        if any(ch in selector for ch in "*?[") and fnmatch.fnmatchcase(rule, selector):
            return True
    return False


def inline_allowance(line: str, rule: str) -> str | None:
    """The justification when a comment on ``line`` suppresses ``rule``, else None."""
    match = _INLINE_RE.search(line)
    if match is not None:
        rules = match.group("rules")
        if rules is None or rule_matches(rule, rules.split(",")):
            rest = line[match.end() :].strip(" \t-:#;,")[:120]
            return f"inline comment `{match.group()}`" + (f": {rest}" if rest else "")
        return None
    if rule.startswith("scan/"):
        marker = next((m for m in FOREIGN_MARKERS if m in line), None)
        if marker is not None:
            return f"inline comment `{marker}`"
    return None


def cell_allowance(cell: Any, rule: str) -> tuple[str, str] | None:
    """(source, justification) when the cell's tags or metadata suppress ``rule``."""
    if not isinstance(cell, dict):
        return None
    for tag in tags_of(cell):
        if tag == ALLOW_TAG:
            return "cell tag", f"cell tagged `{ALLOW_TAG}`"
        if tag.startswith(ALLOW_TAG + ":") and rule_matches(rule, [tag[len(ALLOW_TAG) + 1 :]]):
            return "cell tag", f"cell tagged `{tag}`"
    metadata = cell.get("metadata")
    meta = metadata.get("nbtools") if isinstance(metadata, dict) else None
    if isinstance(meta, dict):
        allow = meta.get("allow")
        if allow is True or (
            isinstance(allow, list) and rule_matches(rule, [a for a in allow if isinstance(a, str)])
        ):
            why = meta.get("reason")
            text = f": {why}" if isinstance(why, str) and why else ""
            return "cell metadata", f"cell metadata `nbtools.allow`{text}"
    return None


def _line(text: str, number: int | None) -> str:
    if number is None or number < 1:
        return ""
    lines = text.splitlines()
    return lines[number - 1] if number <= len(lines) else ""


def suppress_in_notebook(findings: Iterable[Finding], nb: dict[str, Any]) -> None:
    """Mark findings that a cell's tag, metadata or a comment on their source line allows."""
    cells: list[Any] | None = None
    for finding in findings:
        if finding.suppression is not None or finding.cell_index is None:
            continue
        if cells is None:
            cells = list(iter_cells(nb))
        if not 0 <= finding.cell_index < len(cells):
            continue
        cell = cells[finding.cell_index]
        allowed = cell_allowance(cell, finding.rule)
        where = f"{finding.path}:cell {finding.cell_index + 1}"
        if allowed is not None:
            finding.suppression = Suppression(IN_SOURCE, allowed[0], where, allowed[1])
            continue
        if finding.where in (Where.SOURCE, Where.MARKDOWN, Where.RAW) and isinstance(cell, dict):
            why = inline_allowance(_line(source_text(cell), finding.line), finding.rule)
            if why is not None:
                finding.suppression = Suppression(
                    IN_SOURCE, "comment", f"{where}:{finding.line}", why
                )


def suppress_in_text(findings: Iterable[Finding], text: str) -> None:
    """Mark findings in a plain text file (a script) allowed by a comment on their line."""
    for finding in findings:
        if finding.suppression is not None or finding.cell_index is not None:
            continue
        line = finding.json_line if finding.json_line is not None else finding.line
        why = inline_allowance(_line(text, line), finding.rule)
        if why is not None:
            finding.suppression = Suppression(IN_SOURCE, "comment", f"{finding.path}:{line}", why)


def suppress_rules(findings: Iterable[Finding], selectors: Iterable[str], origin: str) -> None:
    """Mark findings whose rule ``ignore_rules`` names; ``origin`` is where the list is set."""
    chosen = [s for s in selectors if s]
    if not chosen:
        return
    for finding in findings:
        if finding.suppression is None and rule_matches(finding.rule, chosen):
            finding.suppression = Suppression(
                EXTERNAL, "ignore_rules", origin, f"rule {finding.rule} ignored by configuration"
            )


def config_line(path: str | None, tables: Iterable[str], key: str) -> int | None:
    """The line of ``key`` in the first of ``[tool.nbtools.<table>]`` that sets it (``""``
    for ``[tool.nbtools]`` itself), for reports that say where a suppression is written."""
    if not path:
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    wanted = ["tool.nbtools" + (f".{t}" if t else "") for t in tables]
    found: dict[str, int] = {}
    current = ""
    key_re = re.compile(rf"\s*[\"']?{re.escape(key)}[\"']?\s*=")
    for number, line in enumerate(lines, 1):
        header = re.match(r"\s*\[([^\[\]]+)\]\s*(?:#.*)?$", line)
        if header:
            current = header.group(1).replace(" ", "").replace('"', "")
            continue
        if current in wanted and current not in found and key_re.match(line):
            found[current] = number
    return next((found[t] for t in wanted if t in found), None)


def summarize(findings: Iterable[Finding]) -> list[dict[str, Any]]:
    """Suppressed findings counted by source and location (the report's summary lists them)."""
    counts: dict[tuple[str, str, str], int] = {}
    for finding in findings:
        s = finding.suppression
        if s is not None:
            key = (s.source, s.location, s.kind)
            counts[key] = counts.get(key, 0) + 1
    return [
        {"source": source, "location": location, "kind": kind, "count": n}
        for (source, location, kind), n in sorted(counts.items())
    ]


def shown_path(path: str) -> str:
    """A path as reports show it: relative to the working directory when under it."""
    import os

    try:
        rel = os.path.relpath(os.path.abspath(path))
    except ValueError:  # another drive
        return path
    return path if rel.startswith("..") else rel


def option_origin(
    config: Any, given_on_command_line: bool, key: str, tables: Iterable[str], flag: str
) -> str:
    """Where a setting comes from, for reports: ``--ignore-rules`` or ``pyproject.toml:12``."""
    if given_on_command_line or not config.path:
        return flag
    line = config_line(config.path, tables, key)
    shown = shown_path(config.path)
    return f"{shown}:{line}" if line is not None else shown


def exclusion(config: Any, path: str, patterns: Iterable[str]) -> Suppression | None:
    """The suppression for a file that configuration found in the tree excludes: such a
    file is still scanned for credentials, and what is found there is reported as suppressed
    (only the command line or a ``--config`` file skips files outright)."""
    from nbtools.discovery import matches_any

    for pattern in patterns:
        if matches_any(path, [pattern], config.root_dir):
            key = (
                "exclude" if pattern in (config.global_value("exclude") or []) else "extend_exclude"
            )
            line = config_line(config.path, [""], key)
            shown = shown_path(config.path)
            where = f"{shown}:{line}" if line is not None else shown
            return Suppression(
                EXTERNAL,
                "exclude",
                where,
                f"{path} matches `{pattern}` in {key} of a configuration found in the tree",
            )
    return None


#: rule families that the comment, cell and ``ignore_rules`` mechanisms above apply to
SUPPRESSIBLE = ("scan", "hidden-state", "strip", "sync")
#: how the other families are silenced, for rule help
_OTHER_WAYS = {
    "run": "tag the cell `raises-exception` when its error is intended, or `skip-execution` "
    "to leave it out of runs; leave a notebook out with `exclude` under `[tool.nbtools.run]`.",
    "filter": "the output is already stripped from the commit; rotate the credential. Tag the "
    "cell `keep_output` only if the output should be committed (then `nbtools scan` reports it).",
    "install": "run `nbtools install --uninstall` if the repository should not use the filter.",
    "doctor": "these checks describe the machine; fix the engine or image setting they name.",
}


def rule_markdown(rule: Rule) -> str:
    """A rule's full help: what it means, how to fix it, how to suppress it."""
    return f"**{rule.summary}**\n\n{rule.help}\n\n{suppression_help(rule.id)}"


def suppression_help(rule_id: str) -> str:
    """Markdown saying how to suppress ``rule_id`` (part of every rule's help)."""
    family = rule_id.split("/", 1)[0]
    if family not in SUPPRESSIBLE:
        return f"**Suppress**: {_OTHER_WAYS.get(family, 'not suppressible.')}"
    command = "scan" if family == "scan" else "check"
    lines = [
        "**Suppress** (the finding is still reported, marked suppressed, with its source):",
        f"- on its line: a comment `# nbtools: allow[{rule_id}]`"
        + (" (or `pragma: allowlist secret`, `gitleaks:allow`)" if family == "scan" else ""),
        f"- for a cell: the tag `{ALLOW_TAG}:{rule_id}`, or cell metadata "
        f'`"nbtools": {{"allow": ["{rule_id}"]}}`',
        f'- everywhere: `ignore_rules = ["{rule_id}"]` (or the family `"{family}"`) under '
        f"`[tool.nbtools.{command}]`"
        + (f" or `nbtools scan --ignore-rules {rule_id}`" if family == "scan" else ""),
    ]
    if family == "scan":
        lines.append(
            "- findings accepted as they are: `nbtools scan --baseline .nbtools-baseline.json "
            "--update-baseline` records them; later runs with `--baseline` fail on new ones only"
        )
    return "\n".join(lines)
