"""The private parts of nbclient and jupyter_client that nbtools overrides, and the versions
those overrides are tested with: one table, so an upgrade shows what to look at again.

nbtools uses the public APIs everywhere it can. Where it overrides a private name, the
override is used only inside :data:`TESTED` and only while the name is there; outside, the
caller falls back to the library's public behaviour (:func:`can_override`) or, where there
is none, stops with a message saying which version to install (:func:`require_override`).
Each override says why it exists, with the upstream thread, next to its code:

- nbclient ``NotebookClient._async_poll_kernel_alive`` (:mod:`nbtools.execute.executor`):
  a faster look at the kernel process than nbclient's once a second;
- jupyter_client ``KernelManager._async_pre_start_kernel``, ``_async_launch_kernel``,
  ``_async_signal_kernel``, ``_async_cleanup_resources`` (:mod:`nbtools.container.kernel`):
  the hooks that start, signal and remove a kernel's container.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Tuple

from nbtools.errors import NbtoolsError

Version = Tuple[int, ...]


@dataclass(frozen=True)
class VersionRange:
    """``low <= version < high``, compared on the leading numbers of a version."""

    low: Version
    high: Version

    def __contains__(self, version: object) -> bool:
        return isinstance(version, tuple) and self.low <= version < self.high

    def __str__(self) -> str:
        return f">={_dotted(self.low)},<{_dotted(self.high)}"


#: where the overrides are tested. nbclient: CI runs 0.11 and 0.10 (the Python 3.8 tier);
#: 0.6.3, the oldest nbtools allows, has the same names. jupyter_client: CI runs 8.10 and
#: 8.6; before 8.0 the blocking manager's start path called its sync aliases, which are
#: bound to the base class, so overrides of the ``_async_*`` hooks were never reached
#: (https://github.com/jupyter/jupyter_client/pull/670).
TESTED: dict[str, VersionRange] = {
    "nbclient": VersionRange((0, 6, 3), (0, 12)),
    "jupyter_client": VersionRange((8, 0), (9,)),
}

_INSTALLED: dict[str, Version | None] = {}


class UnsupportedVersionError(NbtoolsError):
    """An installed library lacks, or may have changed, a private name nbtools needs."""


def _dotted(version: Version) -> str:
    return ".".join(str(part) for part in version)


def parse_version(text: str) -> Version | None:
    """The leading numbers of a version string (``8.6.3`` -> (8, 6, 3), ``0.11.0rc1`` ->
    (0, 11, 0)); None when it starts with none."""
    numbers: list[int] = []
    for part in text.split("."):
        digits = ""
        for char in part:
            if not char.isdigit():
                break
            digits += char
        if not digits:
            break
        numbers.append(int(digits))
        if len(digits) < len(part):
            break  # "0rc1": a pre-release of what the numbers so far name
    return tuple(numbers) or None


def installed(distribution: str) -> Version | None:
    """The installed version of ``distribution`` (None: not installed or unreadable)."""
    if distribution not in _INSTALLED:
        from importlib import metadata

        try:
            _INSTALLED[distribution] = parse_version(metadata.version(distribution))
        except metadata.PackageNotFoundError:
            _INSTALLED[distribution] = None
    return _INSTALLED[distribution]


def _problem(distribution: str, owner: object, names: tuple[str, ...]) -> str | None:
    """Why the private ``names`` of ``owner`` cannot be relied on (None: they can)."""
    version = installed(distribution)
    tested = TESTED[distribution]
    if version not in tested:
        found = _dotted(version) if version else "an unknown version"
        return f"{distribution} {found} is installed; nbtools is tested with {distribution}{tested}"
    missing = [name for name in names if not hasattr(owner, name)]
    if missing:
        listed = ", ".join(missing)
        return f"{distribution} {_dotted(version or ())} has no {listed}"
    return None


def can_override(distribution: str, owner: object, *names: str) -> bool:
    """Whether overriding the private ``names`` of ``owner`` is safe here: the installed
    version is tested and every name is there. False: use the public behaviour."""
    return _problem(distribution, owner, names) is None


def require_override(distribution: str, owner: object, *names: str, feature: str) -> None:
    """Stop with :class:`UnsupportedVersionError` when ``feature`` cannot rely on the
    private ``names`` of ``owner`` (there is no public way to do what it does)."""
    problem = _problem(distribution, owner, names)
    if problem is not None:
        raise UnsupportedVersionError(
            f"{feature} needs {distribution}{TESTED[distribution]} ({problem}): "
            f"install one, e.g. pip install '{distribution}{TESTED[distribution]}'"
        )
