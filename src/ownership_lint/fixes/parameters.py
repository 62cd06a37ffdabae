"""Adding a parameter to a function signature in the layout the signature already uses."""

from __future__ import annotations

import libcst as cst

from .actions import AddParameter


def insert_parameter(function: cst.FunctionDef, action: AddParameter) -> cst.FunctionDef:
    """Insert after the last positional parameter without a default, before ``*args``."""
    parameters = function.params
    if any(p.name.value == action.name for p in _all_params(parameters)):
        return function
    params = list(parameters.params)
    index = _insertion_index(params)
    between = _separator(function)
    new = _new_param(action)
    followed = index < len(params) or _has_trailing_sections(parameters)
    if index < len(params) or (not params and followed):
        params.insert(index, new.with_changes(comma=between))
    elif params:
        last = params[-1]
        if followed:
            params.append(new.with_changes(comma=last.comma))
        else:
            params[-1] = last.with_changes(
                comma=between, whitespace_after_param=cst.SimpleWhitespace("")
            )
            params.append(
                new.with_changes(comma=last.comma, whitespace_after_param=last.whitespace_after_param)
            )
    else:
        params.append(new)
    return function.with_changes(params=parameters.with_changes(params=params))


def _insertion_index(params: list[cst.Param]) -> int:
    without_default = [i for i, p in enumerate(params) if p.default is None]
    return without_default[-1] + 1 if without_default else 0


def _has_trailing_sections(parameters: cst.Parameters) -> bool:
    return bool(
        isinstance(parameters.star_arg, (cst.Param, cst.ParamStar))
        or parameters.kwonly_params
        or parameters.star_kwarg is not None
    )


def _all_params(parameters: cst.Parameters) -> list[cst.Param]:
    found = [*parameters.posonly_params, *parameters.params, *parameters.kwonly_params]
    if isinstance(parameters.star_arg, cst.Param):
        found.append(parameters.star_arg)
    if parameters.star_kwarg is not None:
        found.append(parameters.star_kwarg)
    return found


def _separator(function: cst.FunctionDef) -> cst.Comma:
    """The comma (and the whitespace after it) that separates parameters in this signature."""
    opening = function.whitespace_before_params
    if isinstance(opening, cst.ParenthesizedWhitespace):
        return cst.Comma(whitespace_after=opening)
    ordered = _all_params(function.params)
    for param in ordered[:-1]:
        if isinstance(param.comma, cst.Comma):
            return param.comma
    return cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))


def _new_param(action: AddParameter) -> cst.Param:
    annotation = (
        cst.Annotation(cst.parse_expression(action.annotation)) if action.annotation else None
    )
    default = cst.parse_expression(action.default) if action.default else None
    spaced = annotation is not None
    equal = cst.AssignEqual(
        whitespace_before=cst.SimpleWhitespace(" " if spaced else ""),
        whitespace_after=cst.SimpleWhitespace(" " if spaced else ""),
    )
    return cst.Param(
        name=cst.Name(action.name),
        annotation=annotation,
        default=default,
        equal=equal if default is not None else cst.MaybeSentinel.DEFAULT,
    )
