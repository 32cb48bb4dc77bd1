"""``@record``: the part of ``@dataclass`` the start-up path needs, without importing dataclasses.

``import dataclasses`` pulls in ``inspect`` (about 30 ms here) and every ``@dataclass``
compiles code with ``exec``; on the path of a pre-commit call (``nbtools strip``, the git
filter) that was a third of the start-up. ``record`` builds instances with one generic
``__init__`` instead, and is declared a dataclass transform so type checkers see the same
constructors as before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, TypeVar

if TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:

    def dataclass_transform(**_: Any) -> Callable[[Any], Any]:
        return lambda decorated: decorated


T = TypeVar("T")


class _Factory:
    __slots__ = ("make",)

    def __init__(self, make: Callable[[], Any]) -> None:
        self.make = make


def field(*, default_factory: Callable[[], Any]) -> Any:
    """A default made fresh for every instance (as ``dataclasses.field``)."""
    return _Factory(default_factory)


def _fields(cls: type) -> tuple[tuple[str, ...], dict[str, Any]]:
    names: list[str] = []
    defaults: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        for name in klass.__dict__.get("__annotations__", {}):  # noqa: RUF063 - own ones only
            if name not in names:
                names.append(name)
            if name in klass.__dict__:
                defaults[name] = klass.__dict__[name]
    return tuple(names), defaults


@dataclass_transform(field_specifiers=(field,))
def record(cls: Any = None, *, frozen: bool = False) -> Any:
    """Give ``cls`` an ``__init__`` over its annotated fields, ``__eq__`` and ``__repr__``
    (and immutability plus ``__hash__`` when ``frozen``)."""

    def wrap(klass: Any) -> Any:
        names, defaults = _fields(klass)
        setter = object.__setattr__

        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            if len(args) > len(names):
                raise TypeError(f"{klass.__name__}() takes {len(names)} arguments")
            for name, value in zip(names, args):
                setter(self, name, value)
            for name in names[len(args) :]:
                if name in kwargs:
                    value = kwargs.pop(name)
                elif name in defaults:
                    value = defaults[name]
                    if isinstance(value, _Factory):
                        value = value.make()
                else:
                    raise TypeError(f"{klass.__name__}() missing argument {name!r}")
                setter(self, name, value)
            if kwargs:
                raise TypeError(f"{klass.__name__}() got unexpected {', '.join(kwargs)}")

        def values(self: Any) -> tuple[Any, ...]:
            return tuple(getattr(self, name) for name in names)

        def __eq__(self: Any, other: object) -> bool:
            if other.__class__ is not self.__class__:
                return NotImplemented
            return bool(values(self) == values(other))

        def __repr__(self: Any) -> str:
            inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
            return f"{klass.__name__}({inner})"

        klass.__init__ = __init__
        klass.__eq__ = __eq__
        klass.__repr__ = __repr__
        if frozen:

            def __setattr__(self: Any, name: str, value: Any) -> None:
                raise AttributeError(f"{klass.__name__} is frozen: cannot set {name!r}")

            klass.__setattr__ = __setattr__
            klass.__hash__ = lambda self: hash(values(self))
        else:
            klass.__hash__ = None
        return klass

    return wrap if cls is None else wrap(cls)
