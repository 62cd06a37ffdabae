"""The single table of rule codes: built-in rules plus the ``ownership_lint.rules`` entry points."""

from __future__ import annotations

import re
from functools import lru_cache
from importlib.metadata import entry_points

from .rule import Rule

ENTRY_POINT_GROUP = "ownership_lint.rules"
_CODE = re.compile(r"^[A-Z]{1,3}[0-9]{3}$")
_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


class RegistryError(Exception):
    pass


def builtin_rules() -> list[type[Rule]]:
    from .rules import BUILTIN_RULES

    return list(BUILTIN_RULES)


def plugin_rules() -> list[type[Rule]]:
    found: list[type[Rule]] = []
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        try:
            loaded = entry_point.load()
        except Exception as error:  # a broken plugin must not take the linter down
            raise RegistryError(f"cannot load rule plugin {entry_point.value!r}: {error}") from None
        found.extend(loaded if isinstance(loaded, (list, tuple)) else [loaded])
    return found


@lru_cache(maxsize=1)
def all_rules() -> tuple[type[Rule], ...]:
    rules = [*builtin_rules(), *plugin_rules()]
    validate(rules)
    return tuple(sorted(rules, key=lambda rule: rule.code))


def validate(rules: list[type[Rule]]) -> None:
    codes: dict[str, type[Rule]] = {}
    names: dict[str, type[Rule]] = {}
    for rule in rules:
        if not (isinstance(rule, type) and issubclass(rule, Rule)):
            raise RegistryError(f"{rule!r} is not an ownership_lint.Rule subclass")
        if not _CODE.match(rule.code):
            raise RegistryError(f"{rule.__name__}: invalid code {rule.code!r}")
        if not _NAME.match(rule.name):
            raise RegistryError(f"{rule.__name__}: invalid name {rule.name!r}")
        for table, key in ((codes, rule.code), (names, rule.name)):
            if key in table and table[key] is not rule:
                raise RegistryError(f"{key} is declared by {table[key].__name__} and {rule.__name__}")
            table[key] = rule


def rules_by_code() -> dict[str, type[Rule]]:
    return {rule.code: rule for rule in all_rules()}


def rule_for(code_or_name: str) -> type[Rule] | None:
    for rule in all_rules():
        if code_or_name in (rule.code, rule.name):
            return rule
    return None


def all_codes() -> tuple[str, ...]:
    return tuple(rule.code for rule in all_rules())
