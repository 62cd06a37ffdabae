"""The decorator for the analysis' value objects (symbols, dependencies, routes, findings)."""

from __future__ import annotations

from dataclasses import dataclass

# A run builds hundreds of thousands of these. A frozen dataclass sets each field through
# ``object.__setattr__``, which made their construction a few percent of a cold run; these
# get a plain slotted ``__init__`` instead. They are never mutated, and are compared and
# hashed by their fields as frozen dataclasses are.
value_class = dataclass(slots=True, unsafe_hash=True)
