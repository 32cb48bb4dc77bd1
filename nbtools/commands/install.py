"""``nbtools install``: strip notebooks as git stores them, and diff them as text.

Sets up (or with ``--uninstall`` removes, with ``--status`` shows) the pieces in
:mod:`nbtools.gitsetup`: the ``nbtools`` filter and diff driver in ``.git/config`` and
the ``*.ipynb`` line in ``.gitattributes`` (or ``.git/info/attributes``). Each piece is
a component; :func:`components` is where further ones (such as hooks) plug in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nbtools.errors import UsageError
from nbtools.findings import Finding, Rule, Severity, register_rules
from nbtools.gitsetup import Attributes, Component, GitConfig, find_repo
from nbtools.options import Option
from nbtools.report import FileResult, FileStatus, Report, Verb
from nbtools.results import InstallResult

if TYPE_CHECKING:
    import argparse

    from nbtools.commands import Request

NAME = "install"
INHERIT: tuple[str, ...] = ()
PATHS_EXIST = True

OPTIONS: dict[str, Option] = {
    "status": Option(
        bool,
        False,
        "show what is set up; exit 1 if anything is missing",
        configurable=False,
        exclusive="action",
    ),
    "uninstall": Option(
        bool,
        False,
        "remove the filter, diff driver, attributes and the hooks nbtools wrote",
        configurable=False,
        exclusive="action",
    ),
    "attributes": Option(
        str,
        "repo",
        "where the *.ipynb line goes: .gitattributes (repo, the default) or "
        ".git/info/attributes (local: this clone only)",
        choices=("repo", "local"),
    ),
    "hooks": Option(
        bool,
        False,
        "also the plain git pre-commit and pre-push hooks (without the pre-commit framework); "
        "hooks installed earlier are kept up to date either way",
        configurable=False,
    ),
    # None: this interpreter (gitsetup.default_command)
    "command": Option(
        str,
        None,
        "how git runs nbtools, a shell command (default: this Python interpreter by its "
        "absolute path, '<python> -m nbtools'; e.g. 'nbtools' to find it on PATH)",
        metavar="CMD",
    ),
}

RULE_MISSING = Rule(
    "install/missing",
    "integration-missing",
    "A piece of the git integration is not set up",
    "Without the git filter and diff driver, outputs reach commits and notebook diffs show "
    "JSON. Run `nbtools install` in the repository.",
    Severity.WARNING,
    tags=("configuration",),
)
RULE_CONFLICT = Rule(
    "install/conflict",
    "integration-conflict",
    "The git integration is set up differently from what nbtools installs",
    "Another tool (or an older nbtools) owns the filter or diff setting, so git may not "
    "strip notebooks the way nbtools does. Run `nbtools install` again, or remove the other "
    "tool's setting.",
    Severity.WARNING,
    tags=("configuration",),
)
register_rules(RULE_MISSING, RULE_CONFLICT)

_VERBS = {
    "added": Verb.ADDED,
    "updated": Verb.UPDATED,
    "removed": Verb.REMOVED,
    "unchanged": Verb.KEPT,
    "installed": Verb.INSTALLED,
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths", nargs="*", default=["."], help="a directory in the repository (default: .)"
    )


def components(request: Request) -> list[Component]:
    """The pieces this run acts on, in order (extra actions are appended here)."""
    parts: list[Component] = [
        GitConfig(request.options["command"]),
        Attributes(request.options["attributes"]),
    ]
    from nbtools.githooks import Hooks

    # without --hooks, hooks that nbtools wrote earlier are still updated, shown and removed
    parts.append(Hooks(request.options["command"], existing_only=not request.options["hooks"]))
    return parts


def execute(request: Request) -> Report:
    if len(request.paths) > 1:
        raise UsageError("nbtools install takes one repository directory")
    repo = find_repo(request.paths[0] if request.paths else ".")
    report = Report(NAME)
    result = InstallResult(str(repo.root))
    report.result = result
    parts = components(request)
    actions = []
    for part in parts:
        if request.options["status"]:
            found = part.status(repo)
        elif request.options["uninstall"]:
            found = part.uninstall(repo)
        else:
            found = part.install(repo)
        actions.extend(found)
    result.actions = actions
    quiet = request.console.verbosity < 0
    for action in actions:
        if action.state in ("missing", "conflict"):
            rule = RULE_MISSING if action.state == "missing" else RULE_CONFLICT
            message = f"{action.component}: {action.location} {action.detail or action.state}"
            report.add_findings([Finding(action.location, rule.id, message, rule.severity)])
            continue
        detail = f"{action.component}: {action.detail}" if action.detail else action.component
        # --quiet: only what needs attention (missing or conflicting pieces) is listed
        verb = None if quiet else _VERBS[action.state]
        report.add_file(FileResult(action.location, FileStatus(action.state), detail, verb=verb))
    if request.options["uninstall"] and not actions:
        result.nothing_to_remove = True
    return report
