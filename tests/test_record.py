"""``@record``: dataclass-like constructors without importing dataclasses."""

from __future__ import annotations

import pytest

from nbtools.record import field, record


@record
class Point:
    x: int
    y: int = 0
    tags: list[str] = field(default_factory=list)


@record(frozen=True)
class Frozen:
    name: str
    size: int = 1


def test_positional_keyword_and_defaults() -> None:
    assert Point(1, 2).y == 2
    assert Point(x=3).y == 0
    p = Point(1, tags=["a"])
    assert (p.x, p.y, p.tags) == (1, 0, ["a"])


def test_factory_default_is_fresh_per_instance() -> None:
    a, b = Point(1), Point(1)
    a.tags.append("x")
    assert b.tags == []


def test_equality_repr_and_unhashable_when_mutable() -> None:
    assert Point(1, 2) == Point(1, 2) and Point(1, 2) != Point(2, 1)
    assert Point(1) != Frozen("1")
    assert repr(Point(1)) == "Point(x=1, y=0, tags=[])"
    with pytest.raises(TypeError):
        hash(Point(1))


def test_frozen_is_immutable_and_hashable() -> None:
    f = Frozen("a")
    with pytest.raises(AttributeError, match="frozen"):
        f.size = 2  # type: ignore[misc]
    assert hash(f) == hash(Frozen("a")) and {f, Frozen("a")} == {f}


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((), {}, "missing argument 'x'"),
        ((1, 2, [], 4), {}, "takes 3 arguments"),
        ((1,), {"z": 1}, "unexpected z"),
    ],
)
def test_wrong_arguments(args: tuple, kwargs: dict, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        Point(*args, **kwargs)
