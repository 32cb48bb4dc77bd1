"""The private nbclient and jupyter_client names nbtools overrides are used only with the
versions they are tested with; elsewhere the public behaviour runs, or a clear message says
which version to install (#12)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nbtools.execute import notebookclient, upstream
from nbtools.execute.upstream import (
    TESTED,
    UnsupportedVersionError,
    VersionRange,
    can_override,
    installed,
    parse_version,
    require_override,
)


@pytest.fixture
def fresh_class(monkeypatch: pytest.MonkeyPatch) -> None:
    """The client class is made once per process: make it again under the test's table."""
    monkeypatch.setattr(notebookclient, "_CLASSES", [])


@given(st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=5))
def test_parse_version_reads_the_leading_numbers(parts: list[int]) -> None:
    text = ".".join(map(str, parts))
    assert parse_version(text) == tuple(parts)
    assert parse_version(text + "rc1") == tuple(parts)
    assert parse_version(text + ".dev0+local") == tuple(parts)


def test_parse_version_without_numbers() -> None:
    assert parse_version("unknown") is None
    assert parse_version("") is None


def test_the_installed_versions_are_the_tested_ones() -> None:
    # this suite runs on supported versions: every override is live here
    for distribution, tested in TESTED.items():
        assert installed(distribution) in tested, distribution
    assert installed("no-such-distribution-xyz") is None


def test_range_bounds() -> None:
    tested = VersionRange((8, 0), (9,))
    assert (8, 0) in tested and (8, 99, 1) in tested
    assert (7, 4, 9) not in tested and (9, 0) not in tested and None not in tested
    assert str(tested) == ">=8.0,<9"


class _Owner:
    def _hook(self) -> None:
        pass


def test_can_override_needs_a_tested_version_and_every_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert can_override("nbclient", _Owner, "_hook")
    assert not can_override("nbclient", _Owner, "_hook", "_gone")
    monkeypatch.setitem(TESTED, "nbclient", VersionRange((0,), (0, 1)))
    assert not can_override("nbclient", _Owner, "_hook")


def test_require_override_names_the_version_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    require_override("jupyter_client", _Owner, "_hook", feature="--image")  # tested: no error
    monkeypatch.setitem(upstream._INSTALLED, "jupyter_client", (7, 4, 9))
    with pytest.raises(UnsupportedVersionError) as raised:
        require_override("jupyter_client", _Owner, "_hook", feature="--image")
    message = str(raised.value)
    assert "--image needs jupyter_client>=8.0,<9" in message
    assert "jupyter_client 7.4.9 is installed" in message
    assert "pip install 'jupyter_client>=8.0,<9'" in message
    monkeypatch.setitem(upstream._INSTALLED, "jupyter_client", (8, 6, 3))
    with pytest.raises(UnsupportedVersionError, match="8.6.3 has no _gone"):
        require_override("jupyter_client", _Owner, "_gone", feature="--image")


@pytest.mark.usefixtures("fresh_class")
def test_the_fast_death_check_is_used_where_tested() -> None:
    from nbclient import NotebookClient

    fast = notebookclient.client_class()
    assert fast._async_poll_kernel_alive is not NotebookClient._async_poll_kernel_alive
    assert notebookclient.client_class() is fast  # made once


@pytest.mark.usefixtures("fresh_class")
@pytest.mark.parametrize("outside", ["version", "name"])
def test_outside_the_tested_versions_nbclient_polls_its_own_way(
    monkeypatch: pytest.MonkeyPatch, outside: str
) -> None:
    from nbclient import NotebookClient

    if outside == "version":
        monkeypatch.setitem(upstream._INSTALLED, "nbclient", (0, 12, 0))
    else:
        monkeypatch.setattr(notebookclient, "FAST_DEATH_CHECK", ("_no_such_private_name",))
    client = notebookclient.client_class()
    assert client._async_poll_kernel_alive is NotebookClient._async_poll_kernel_alive
    assert client.output is not NotebookClient.output  # the output cap is public: always


def test_an_untested_jupyter_client_stops_image_before_any_container(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from nbtools.container import factory

    def no_engine(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("an engine was looked for")

    monkeypatch.setattr(factory, "detect_engine", no_engine)
    monkeypatch.setitem(upstream._INSTALLED, "jupyter_client", (7, 4, 9))
    with pytest.raises(UnsupportedVersionError, match=r"--image needs jupyter_client>=8\.0,<9"):
        factory.ContainerKernelFactory.from_options({"image": "any", "kernel": None}, ["."])
