"""``check``'s settings and the context its checks share: read by ``nbtools check`` and by the
git filter's ``--check-staged`` (the plain pre-commit hook), so both decide alike."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Sequence

from nbtools.checks import CHECKS, CheckContext
from nbtools.errors import UsageError
from nbtools.findings import FAIL_ON
from nbtools.options import Option, config_only
from nbtools.stripsettings import STRIP_SETTINGS, strip_options

if TYPE_CHECKING:
    from nbtools.config import Config

#: the strip, scan and sync tables apply too, so check agrees with those hooks
CHECK_INHERIT = ("strip", "scan", "sync")

#: check's settings (strip's, scan's and sync's are read from the configuration only)
CHECK_SETTINGS: dict[str, Option] = {
    **config_only(STRIP_SETTINGS),
    "ignore_rules": Option(list, frozenset(), flags=(), convert=frozenset),
    "fail_on": FAIL_ON,
    "baseline": Option(str, "", flags=()),
    "state_file": Option(str, "", flags=()),
    "select": Option(
        list,
        (),
        f"run only these checks (of: {', '.join(CHECKS)})",
        metavar="CHECK,...",
        repeat="extend",
        convert=tuple,
    ),
    "skip": Option(
        list, (), "do not run these checks", metavar="CHECK,...", repeat="extend", convert=tuple
    ),
}


def enabled_checks(options: dict[str, Any]) -> list[str]:
    """The checks to run, in :data:`CHECKS` order; unknown names are a usage error."""
    select, skip = list(options["select"]), list(options["skip"])
    unknown = [name for name in (*select, *skip) if name not in CHECKS]
    if unknown:
        raise UsageError(f"unknown check {', '.join(unknown)}; choose from {', '.join(CHECKS)}")
    return [name for name in CHECKS if (not select or name in select) and name not in skip]


def make_context(
    options: dict[str, Any], config: Config, paths: Sequence[str], warn: Callable[[str], None]
) -> CheckContext:
    """The context of resolved check settings; the baseline, the sync record and the scan
    rules and allowlists come from the configuration (check has no flags for them),
    relative to its ``pyproject.toml``. ``warn`` says what a tree's configuration may not do.
    """
    from nbtools.pairs.state import configured_state_file
    from nbtools.secrets.baseline import baseline_root, configured_baseline, load_baseline
    from nbtools.suppress import option_origin

    accepted: frozenset[str] = frozenset()
    allowlist = None
    baseline = configured_baseline(options["baseline"], False, config)
    if "secrets" in enabled_checks(options):
        from nbtools.secrets.project import use_project_scan

        # the same engine as `nbtools scan`: built-in and project rules, and its allowlists
        scan_table = config.table("scan")
        allowlist = use_project_scan(
            config, scan_table.get("rules", []), scan_table.get("allowlist", []), warn
        )
        if baseline:
            accepted = frozenset(load_baseline(baseline))
    return CheckContext(
        strip=strip_options(options),
        ignore_rules=frozenset(options["ignore_rules"]),
        ignore_origin=option_origin(
            config, False, "ignore_rules", ["check", *CHECK_INHERIT], "ignore_rules"
        ),
        accepted=accepted,
        baseline=baseline,
        root=baseline_root(baseline, paths),
        state_file=configured_state_file(options["state_file"], config),
        allowlist=allowlist,
    )
