"""Rule selection with ruff's semantics: prefix selectors, ``ALL``, most specific wins."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from .discovery import matches_any

ALL = "ALL"


def _matches(selector: str, code: str) -> bool:
    return selector == ALL or (bool(selector) and code.startswith(selector))


def _specificity(selector: str) -> int:
    return 0 if selector == ALL else len(selector)


def _best(code: str, selectors: Iterable[str]) -> int | None:
    scores = [_specificity(s) for s in selectors if _matches(s, code)]
    return max(scores) if scores else None


def _enabled(code: str, chosen: Sequence[str], dropped: Sequence[str]) -> bool:
    selected = _best(code, chosen)
    if selected is None:
        return False
    ignored = _best(code, dropped)
    return ignored is None or selected > ignored


def resolve_enabled(
    all_codes: Iterable[str],
    select: Iterable[str],
    extend_select: Iterable[str] = (),
    ignore: Iterable[str] = (),
    extend_ignore: Iterable[str] = (),
) -> frozenset[str]:
    """Codes enabled by the selectors: the most specific matching selector decides, and on a
    tie between a select and an ignore selector the ignore wins."""
    chosen = (*select, *extend_select)
    dropped = (*ignore, *extend_ignore)
    return frozenset(code for code in all_codes if _enabled(code, chosen, dropped))


def resolve_fixable(
    all_codes: Iterable[str], fixable: Iterable[str], unfixable: Iterable[str] = ()
) -> frozenset[str]:
    return resolve_enabled(all_codes, fixable, (), unfixable)


def is_known_selector(selector: str, all_codes: Iterable[str]) -> bool:
    return selector == ALL or (bool(selector) and any(c.startswith(selector) for c in all_codes))


def codes_ignored_for_file(
    path_rel: str, per_file_ignores: Iterable[tuple[str, Sequence[str]]]
) -> Callable[[str], bool]:
    """Predicate telling whether a code is ignored in ``path_rel`` by the per-file-ignores."""
    selectors = tuple(
        selector
        for pattern, codes in per_file_ignores
        if matches_any(path_rel, (pattern,))
        for selector in codes
    )

    def is_ignored(code: str) -> bool:
        return any(_matches(selector, code) for selector in selectors)

    return is_ignored
