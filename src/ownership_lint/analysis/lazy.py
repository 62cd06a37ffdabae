"""``cached_property`` for the analysis' per-route and per-function models."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

_T = TypeVar("_T")


class cached_property(Generic[_T]):
    """``functools.cached_property`` without the lock that Python 3.10 and 3.11 take on every
    first access (3.12 dropped it): a cold run makes about a hundred thousand first accesses,
    and the lock cost a few percent of it. The analysis runs in one thread per process.

    The value is stored in the instance's ``__dict__`` under the property's name, which then
    shadows the descriptor, as with functools.
    """

    def __init__(self, func: Callable[[Any], _T]) -> None:
        self.func = func
        self.attrname = func.__name__
        self.__doc__ = func.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.attrname = name

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        if instance is None:
            return self
        value = instance.__dict__[self.attrname] = self.func(instance)
        return value
