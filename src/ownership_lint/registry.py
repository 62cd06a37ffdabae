"""The single table of rule codes: built-in rules plus the ``ownership_lint.rules`` entry points.

Selecting rules needs their codes and names only. Those of the built-in rules are read from
the names of their modules (``ownNNN_<rule_name>``, see ``rules/__init__.py``), so a run
answered from the cache never imports the rules nor the analysis behind them.
"""

from __future__ import annotations

import os
import re
import sys
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .rule import Rule

ENTRY_POINT_GROUP = "ownership_lint.rules"
_CODE = re.compile(r"^[A-Z]{1,3}[0-9]{3}$")
_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_RULE_MODULE = re.compile(r"^own([0-9]{3})_([a-z][a-z0-9_]*)\.py$")
_RULES_DIRECTORY = os.path.join(os.path.dirname(__file__), "rules")


class RegistryError(Exception):
    pass


def builtin_rules() -> list[type[Rule]]:
    from .rules import BUILTIN_RULES

    return list(BUILTIN_RULES)


def builtin_names() -> dict[str, str] | None:
    """Code -> name of the built-in rules, from their module names; None when the modules
    cannot be listed or one is not named after its rule."""
    try:
        modules = sorted(name for name in os.listdir(_RULES_DIRECTORY) if name.startswith("own"))
    except OSError:
        return None
    names = {}
    for module in modules:
        match = _RULE_MODULE.match(module)
        if match is None:
            return None
        number, name = match.groups()
        names[f"OWN{number}"] = name.replace("_", "-")
    return names


def entry_points(group: str) -> list:
    """The installed entry points of ``group``.

    ``importlib.metadata`` reads the metadata of every installed distribution, which costs
    more than a whole cached run; a look at the entry point files first answers the usual
    case, where no distribution declares the group, for a fraction of that.
    """
    if not _may_declare(group):
        return []
    from importlib.metadata import entry_points as installed

    return list(installed(group=group))


def _may_declare(group: str) -> bool:
    """False only when certainly no distribution on ``sys.path`` declares ``group``."""
    from importlib.machinery import PathFinder

    if any(hasattr(finder, "find_distributions") and finder is not PathFinder for finder in sys.meta_path):
        return True  # distributions found by other means than a directory listing
    for entry in sys.path:
        directory = entry or "."
        if not os.path.isdir(directory):
            if os.path.exists(directory):
                return True  # a zip archive or an egg file
            continue
        if directory.endswith(".egg") or _declared_in(directory, group):
            return True
    return False


def _declared_in(directory: str, group: str) -> bool:
    try:
        entries = os.scandir(directory)
    except OSError:
        return False
    with entries:
        for entry in entries:
            if entry.name.endswith((".dist-info", ".egg-info")) and _mentions(entry.path, group):
                return True
    return False


def _mentions(metadata: str, group: str) -> bool:
    try:
        with open(os.path.join(metadata, "entry_points.txt"), encoding="utf-8", errors="replace") as handle:
            return group in handle.read()
    except OSError:
        return False


@lru_cache(maxsize=1)
def plugin_rules() -> tuple[type[Rule], ...]:
    found: list[type[Rule]] = []
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        try:
            loaded = entry_point.load()
        except Exception as error:  # a broken plugin must not take the linter down
            raise RegistryError(f"cannot load rule plugin {entry_point.value!r}: {error}") from None
        found.extend(loaded if isinstance(loaded, (list, tuple)) else [loaded])
    return tuple(found)


@lru_cache(maxsize=1)
def all_rules() -> tuple[type[Rule], ...]:
    rules = [*builtin_rules(), *plugin_rules()]
    validate(rules)
    return tuple(sorted(rules, key=lambda rule: rule.code))


@lru_cache(maxsize=1)
def rule_names() -> dict[str, str]:
    """Code -> name of every rule, in code order. With plugins, or when the built-in rules
    cannot be told from their module names, the rules are loaded and validated."""
    builtin = None if plugin_rules() else builtin_names()
    if builtin is None:
        return {rule.code: rule.name for rule in all_rules()}
    return dict(sorted(builtin.items()))


def clear_caches() -> None:
    """Forget the rule tables (tests that change the installed plugins call it)."""
    for cached in (plugin_rules, all_rules, rule_names):
        cached.cache_clear()


def validate(rules: list[type[Rule]]) -> None:
    from .rule import Rule

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
    return tuple(rule_names())
