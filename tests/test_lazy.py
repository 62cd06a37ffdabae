"""The analysis' lock-free ``cached_property`` behaves as ``functools.cached_property``."""

import pytest

from ownership_lint.analysis.lazy import cached_property


class Counter:
    def __init__(self) -> None:
        self.calls = 0

    @cached_property
    def value(self) -> int:
        """The number of computations so far."""
        self.calls += 1
        return self.calls


def test_computes_once_per_instance_and_stores_in_the_instance_dict():
    first, second = Counter(), Counter()
    assert (first.value, first.value, first.calls) == (1, 1, 1)
    assert first.__dict__["value"] == 1
    assert second.value == 1


def test_deleting_the_value_computes_it_again():
    counter = Counter()
    assert counter.value == 1
    del counter.value
    assert counter.value == 2


def test_class_access_gives_the_descriptor_with_its_name_and_doc():
    descriptor = Counter.__dict__["value"]
    assert Counter.value is descriptor
    assert descriptor.attrname == "value"
    assert descriptor.__doc__ == "The number of computations so far."


def test_an_exception_stores_nothing():
    class Failing:
        attempts = 0

        @cached_property
        def value(self) -> int:
            type(self).attempts += 1
            raise ValueError("no value")

    failing = Failing()
    for _ in range(2):
        with pytest.raises(ValueError):
            _ = failing.value
    assert Failing.attempts == 2
    assert "value" not in failing.__dict__
