"""Configuration: ``[tool.ownership-lint]`` in pyproject.toml, or ``(.)ownership-lint.toml``.

Key names and discovery follow ruff. Every problem surfaces as a one-line :class:`ConfigError`
naming the file, the dotted key and its line.
"""

from __future__ import annotations

import json
import keyword
import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEFAULT_EXCLUDES: tuple[str, ...] = (
    ".bzr",
    ".direnv",
    ".eggs",
    ".git",
    ".git-rewrite",
    ".hg",
    ".ipynb_checkpoints",
    ".mypy_cache",
    ".nox",
    ".pants.d",
    ".pyenv",
    ".pytest_cache",
    ".pytype",
    ".ruff_cache",
    ".ownership_lint_cache",
    ".svn",
    ".tox",
    ".venv",
    ".vscode",
    "__pypackages__",
    "_build",
    "buck-out",
    "build",
    "dist",
    "node_modules",
    "site-packages",
    "venv",
)

OUTPUT_FORMATS: tuple[str, ...] = (
    "concise",
    "full",
    "json",
    "json-lines",
    "github",
    "gitlab",
    "sarif",
    "junit",
    "pylint",
    "grouped",
)

JWT_ALGORITHMS: tuple[str, ...] = (
    "HS256",
    "HS384",
    "HS512",
    "RS256",
    "RS384",
    "RS512",
    "ES256",
    "ES256K",
    "ES384",
    "ES512",
    "PS256",
    "PS384",
    "PS512",
    "EdDSA",
)

CONFIG_FILENAMES: tuple[str, ...] = (".ownership-lint.toml", "ownership-lint.toml", "pyproject.toml")
PROJECT_MARKERS: tuple[str, ...] = ("pyproject.toml", "setup.cfg", "setup.py", ".git")
TOOL_TABLE: tuple[str, ...] = ("tool", "ownership-lint")

PerFileIgnores = tuple[tuple[str, tuple[str, ...]], ...]
SelectorCheck = Callable[[str], bool]

_SELECTOR_RE = re.compile(r"[A-Z]{1,3}[0-9]{0,3}")


def default_is_known_selector(selector: str) -> bool:
    return selector == "ALL" or _SELECTOR_RE.fullmatch(selector) is not None


@dataclass(frozen=True)
class Settings:
    select: tuple[str, ...] = ("OWN",)
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    extend_ignore: tuple[str, ...] = ()
    per_file_ignores: PerFileIgnores = ()
    extend_per_file_ignores: PerFileIgnores = ()
    fixable: tuple[str, ...] = ("ALL",)
    unfixable: tuple[str, ...] = ()
    exclude: tuple[str, ...] = DEFAULT_EXCLUDES
    extend_exclude: tuple[str, ...] = ()
    force_exclude: bool = False
    respect_gitignore: bool = True
    output_format: str | None = None
    cache_dir: str = ".ownership_lint_cache"
    auth_dependencies: tuple[str, ...] = ("get_current_user",)
    auth_import: str | None = None
    admin_dependencies: tuple[str, ...] = ("get_current_superuser", "get_current_active_superuser")
    user_id_param: str = "user_id"
    user_id_attribute: str = "id"
    owner_fields: tuple[str, ...] = ("user_id", "owner_id")
    public_routes: tuple[str, ...] = ()
    admin_routes: tuple[str, ...] = ()
    jwt_algorithms: tuple[str, ...] = ("HS256",)
    secret_env_var: str = "BETTER_AUTH_SECRET"
    config_path: Path | None = field(default=None, compare=False)
    project_root: Path | None = field(default=None, compare=False)

    @property
    def all_per_file_ignores(self) -> PerFileIgnores:
        return self.per_file_ignores + self.extend_per_file_ignores

    @property
    def all_excludes(self) -> tuple[str, ...]:
        return self.exclude + self.extend_exclude


class ConfigError(Exception):
    """A configuration problem, rendered as ``source[:line]: [key: ]problem`` on one line."""

    def __init__(
        self, source: str, problem: str, *, key: str | None = None, line: int | None = None
    ) -> None:
        self.source = source
        self.problem = " ".join(problem.split())
        self.key = key
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        return f"{where}: {self.key}: {self.problem}" if self.key else f"{where}: {self.problem}"

    def __reduce__(self):  # keyword-only arguments: picklable across worker processes
        return (_config_error, (self.source, self.problem, self.key, self.line))


def _config_error(source: str, problem: str, key: str | None, line: int | None) -> ConfigError:
    return ConfigError(source, problem, key=key, line=line)


class _Invalid(Exception):
    def __init__(self, problem: str, subkey: tuple[str, ...] = ()) -> None:
        super().__init__(problem)
        self.problem = problem
        self.subkey = subkey


@dataclass(frozen=True)
class _Ctx:
    is_known_selector: SelectorCheck
    from_cli: bool


Converter = Callable[[Any, _Ctx], Any]
ItemCheck = Callable[[str, _Ctx], None]


def _type_name(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    names = {str: "string", int: "integer", float: "float", list: "array", tuple: "array"}
    for kind, name in names.items():
        if isinstance(value, kind):
            return name
    if isinstance(value, Mapping):
        return "table"
    return type(value).__name__


def _literal(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, (list, tuple)):
        text = "[" + ", ".join(_literal(item) for item in value) + "]"
    elif isinstance(value, Mapping):
        text = "{" + ", ".join(f"{_key_part(str(k))} = {_literal(v)}" for k, v in value.items()) + "}"
    else:
        text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _describe(value: object) -> str:
    return f"{_type_name(value)} {_literal(value)}"


def _expected(what: str, value: object) -> _Invalid:
    return _Invalid(f"expected {what}, got {_describe(value)}")


def _key_part(part: str) -> str:
    return part if re.fullmatch(r"[A-Za-z0-9_-]+", part) else json.dumps(part, ensure_ascii=False)


def _dotted(path: Sequence[str]) -> str:
    return ".".join(_key_part(part) for part in path)


def _string(check: ItemCheck | None = None) -> Converter:
    def convert(value: Any, ctx: _Ctx) -> str:
        if not isinstance(value, str):
            raise _expected("a string", value)
        if check:
            check(value, ctx)
        return value

    return convert


def _boolean(value: Any, ctx: _Ctx) -> bool:
    if not isinstance(value, bool):
        raise _expected("a boolean", value)
    return value


def _split_cli(value: Any, ctx: _Ctx) -> Any:
    if ctx.from_cli and isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def _strings(check: ItemCheck | None = None) -> Converter:
    def convert(value: Any, ctx: _Ctx) -> tuple[str, ...]:
        value = _split_cli(value, ctx)
        if not isinstance(value, (list, tuple)):
            raise _expected("a list of strings", value)
        for index, item in enumerate(value, 1):
            if not isinstance(item, str):
                raise _Invalid(f"expected a list of strings, item {index} is {_describe(item)}")
            if check:
                check(item, ctx)
        return tuple(value)

    return convert


def _check_selector(item: str, ctx: _Ctx) -> None:
    if not ctx.is_known_selector(item):
        raise _Invalid(f"unknown rule selector '{item}'")


def _is_identifier(name: str) -> bool:
    return name.isidentifier() and not keyword.iskeyword(name)


def _check_identifier(item: str, ctx: _Ctx) -> None:
    if not _is_identifier(item):
        raise _Invalid(f"'{item}' is not a valid Python identifier")


def _check_dotted_name(item: str, ctx: _Ctx) -> None:
    if not all(_is_identifier(part) for part in item.split(".")):
        raise _Invalid(f"'{item}' is not a valid Python name (dotted names are allowed)")


def _check_glob(item: str, ctx: _Ctx) -> None:
    import pathspec

    try:
        pathspec.GitIgnoreSpec.from_lines([item])
    except ValueError:
        raise _Invalid(f"invalid glob pattern '{item}'") from None


def _check_route(item: str, ctx: _Ctx) -> None:
    if not item.startswith("/"):
        raise _Invalid(f"route pattern '{item}' must start with '/'")


def _choice(options: tuple[str, ...], what: str) -> ItemCheck:
    def check(item: str, ctx: _Ctx) -> None:
        if item not in options:
            raise _Invalid(f"unknown {what} '{item}' (expected one of: {', '.join(options)})")

    return check


def _cli_pairs(items: Sequence[str]) -> dict[str, list[str]]:
    table: dict[str, list[str]] = {}
    for item in items:
        pattern, sep, code = item.rpartition(":")
        if not sep or not pattern or not code:
            raise _Invalid(f"expected 'pattern:code', got '{item}'")
        table.setdefault(pattern, []).append(code)
    return table


def _cli_table(value: Any) -> Any:
    if isinstance(value, str):
        return _cli_pairs([part.strip() for part in value.split(",") if part.strip()])
    if not isinstance(value, (list, tuple)):
        return value
    if all(isinstance(item, str) for item in value):
        return _cli_pairs(value)
    if all(isinstance(item, (list, tuple)) and len(item) == 2 for item in value):
        return dict(value)
    return value


def _per_file_ignores(value: Any, ctx: _Ctx) -> PerFileIgnores:
    if ctx.from_cli:
        value = _cli_table(value)
    if not isinstance(value, Mapping):
        raise _expected("a table of glob patterns to lists of rule selectors", value)
    result = []
    for pattern, codes in value.items():
        try:
            if not isinstance(pattern, str):
                raise _Invalid(f"expected a glob pattern, got {_describe(pattern)}")
            _check_glob(pattern.removeprefix("!"), ctx)
            result.append((pattern, _strings(_check_selector)(codes, ctx)))
        except _Invalid as error:
            raise _Invalid(error.problem, (pattern, *error.subkey)) from None
    return tuple(result)


_SELECTORS = _strings(_check_selector)

KEYS: dict[str, Converter] = {
    "select": _SELECTORS,
    "extend-select": _SELECTORS,
    "ignore": _SELECTORS,
    "extend-ignore": _SELECTORS,
    "per-file-ignores": _per_file_ignores,
    "extend-per-file-ignores": _per_file_ignores,
    "fixable": _SELECTORS,
    "unfixable": _SELECTORS,
    "exclude": _strings(_check_glob),
    "extend-exclude": _strings(_check_glob),
    "force-exclude": _boolean,
    "respect-gitignore": _boolean,
    "output-format": _string(_choice(OUTPUT_FORMATS, "output format")),
    "cache-dir": _string(),
    "auth-dependencies": _strings(_check_dotted_name),
    "auth-import": _string(),
    "admin-dependencies": _strings(_check_dotted_name),
    "user-id-param": _string(_check_identifier),
    "user-id-attribute": _string(_check_identifier),
    "owner-fields": _strings(_check_identifier),
    "public-routes": _strings(_check_route),
    "admin-routes": _strings(_check_route),
    "jwt-algorithms": _strings(_choice(JWT_ALGORITHMS, "JWT algorithm")),
    "secret-env-var": _string(_check_identifier),
}

_PATH_FIELDS = ("config_path", "project_root")
_APPENDING = ("extend_select", "ignore", "extend_ignore", "unfixable", "extend_exclude", "extend_per_file_ignores")
_RESETS = {"select": ("extend_select", "ignore", "extend_ignore"), "fixable": ("unfixable",)}


def _field_name(key: str) -> str:
    return key.replace("-", "_")


def _toml_key(name: str) -> str:
    return name.replace("_", "-")


_PART = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')"""
_DOTTED_KEY = rf"{_PART}(?:\s*\.\s*{_PART})*"
_HEADER_RE = re.compile(rf"^\s*\[\[?\s*({_DOTTED_KEY})\s*\]\]?\s*(?:#.*)?$")
_ASSIGN_RE = re.compile(rf"^\s*({_DOTTED_KEY})\s*=")
_PART_RE = re.compile(_PART)


def _unquote(part: str) -> str:
    if part.startswith('"'):
        try:
            return json.loads(part)
        except ValueError:
            return part[1:-1]
    return part[1:-1] if part.startswith("'") else part


def _split_key(dotted: str) -> tuple[str, ...]:
    return tuple(_unquote(match.group(0)) for match in _PART_RE.finditer(dotted))


def _opens_multiline(line: str, inside: str | None) -> str | None:
    for delimiter in ('"""', "'''"):
        if inside in (None, delimiter) and line.count(delimiter) % 2 == 1:
            return None if inside else delimiter
    return inside


def key_lines(text: str) -> dict[tuple[str, ...], int]:
    """First line (1-based) where each full key path is defined or opened as a table."""
    found: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    inside: str | None = None
    for number, line in enumerate(text.splitlines(), 1):
        if inside is None:
            header = _HEADER_RE.match(line)
            assign = None if header else _ASSIGN_RE.match(line)
            if header:
                table = _split_key(header.group(1))
                found.setdefault(table, number)
            elif assign:
                found.setdefault(table + _split_key(assign.group(1)), number)
        inside = _opens_multiline(line, inside)
    return found


def _line_of(lines: Mapping[tuple[str, ...], int], path: tuple[str, ...], floor: int) -> int | None:
    while len(path) > floor:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return lines.get(path) if path else None


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


def _read_toml(path: Path) -> tuple[str, dict[str, Any]]:
    source = _display(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as error:
        raise ConfigError(source, error.strerror or str(error)) from None
    except UnicodeDecodeError as error:
        raise ConfigError(source, f"not valid UTF-8 ({error.reason} at byte {error.start})") from None
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        match = re.search(r"at line (\d+)", str(error))
        line = int(match.group(1)) if match else None
        raise ConfigError(source, f"invalid TOML: {error}", line=line) from None


def _is_pyproject(path: Path) -> bool:
    return path.name == "pyproject.toml"


def _has_tool_table(path: Path) -> bool:
    _, document = _read_toml(path)
    tool = document.get("tool")
    return isinstance(tool, dict) and TOOL_TABLE[1] in tool


def _real(path: Path) -> Path:
    """``path.resolve()`` that a symbolic link loop does not break (3.10 and 3.11 raise)."""
    return Path(os.path.realpath(path))


def find_config(start: Path) -> Path | None:
    start = _real(start)
    directory = start if start.is_dir() else start.parent
    for candidate_dir in (directory, *directory.parents):
        for name in CONFIG_FILENAMES:
            candidate = candidate_dir / name
            if not candidate.is_file():
                continue
            if not _is_pyproject(candidate) or _has_tool_table(candidate):
                return candidate
    return None


def find_project_root(start: Path) -> Path:
    start = _real(start)
    directory = start if start.is_dir() or not os.path.lexists(start) else start.parent
    for candidate in (directory, *directory.parents):
        if any((candidate / marker).exists() for marker in PROJECT_MARKERS):
            return candidate
    return directory


def _config_table(path: Path, text: str, document: dict[str, Any]) -> tuple[dict[str, Any], tuple[str, ...]]:
    if not _is_pyproject(path):
        return document, ()
    tool = document.get("tool", {})
    table = tool.get(TOOL_TABLE[1], {}) if isinstance(tool, dict) else {}
    if not isinstance(table, dict):
        line = key_lines(text).get(TOOL_TABLE)
        raise ConfigError(_display(path), f"expected a table, got {_describe(table)}", key=_dotted(TOOL_TABLE), line=line)
    return table, TOOL_TABLE


def _unknown_key(key: str) -> str:
    valid = list(KEYS)
    suggestion = key.replace("_", "-") if key.replace("_", "-") in KEYS else None
    if suggestion is None:
        import difflib

        close = difflib.get_close_matches(key, valid, n=1, cutoff=0.6)
        suggestion = close[0] if close else None
    hint = f" (did you mean '{suggestion}'?)" if suggestion else ""
    return f"unknown key '{key}'{hint}"


def _parse_file(path: Path, ctx: _Ctx) -> dict[str, Any]:
    text, document = _read_toml(path)
    table, prefix = _config_table(path, text, document)
    values: dict[str, Any] = {}
    for key, raw in table.items():
        try:
            if key not in KEYS:
                raise _Invalid(_unknown_key(key))
            values[_field_name(key)] = KEYS[key](raw, ctx)
        except _Invalid as error:
            full = (*prefix, key, *error.subkey)
            line = _line_of(key_lines(text), full, len(prefix))
            raise ConfigError(_display(path), error.problem, key=_dotted(full), line=line) from None
    return values


def _convert_override(name: str, value: Any, ctx: _Ctx) -> Any:
    if name in _PATH_FIELDS:
        return Path(value).resolve()
    key = _toml_key(name)
    if key not in KEYS:
        raise TypeError(f"unknown settings override {name!r}")
    try:
        return KEYS[key](value, ctx)
    except _Invalid as error:
        where = f" for '{error.subkey[0]}'" if error.subkey else ""
        raise ConfigError(f"--{key}", error.problem + where) from None


def _apply_overrides(values: dict[str, Any], overrides: Mapping[str, object], ctx: _Ctx) -> None:
    given = {name: value for name, value in overrides.items() if value is not None}
    converted = {name: _convert_override(name, value, ctx) for name, value in given.items()}
    for name, cleared in _RESETS.items():
        if name in converted:
            for other in cleared:
                values.pop(other, None)
    for name, value in converted.items():
        if name in _APPENDING:
            values[name] = values.get(name, ()) + value
        else:
            values[name] = value


def load_settings(
    config: Path | None,
    *,
    start: Path,
    overrides: Mapping[str, object] = {},
    is_known_selector: SelectorCheck = default_is_known_selector,
) -> Settings:
    """Settings from ``config`` (or the one found upward from ``start``) plus CLI overrides.

    Overrides use the field names. ``select``/``fixable`` start the selection over (the file's
    ``extend-select``/``ignore``/``extend-ignore`` resp. ``unfixable`` are dropped, like a later
    ruff layer); ``extend_*``, ``ignore`` and ``unfixable`` add to the file's; the rest replace.
    """
    if config is None:
        config = find_config(start)
    values: dict[str, Any] = {}
    if config is not None:
        config = config.resolve() if config.exists() else config
        values = _parse_file(config, _Ctx(is_known_selector, from_cli=False))
    _apply_overrides(values, overrides, _Ctx(is_known_selector, from_cli=True))
    if "project_root" not in values:
        values["project_root"] = find_project_root(config.parent if config is not None else start)
    values["config_path"] = config
    return replace(Settings(), **values)


def settings_as_toml_dict(settings: Settings) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for item in fields(Settings):
        if item.name in _PATH_FIELDS:
            continue
        value = getattr(settings, item.name)
        if value is None:
            continue
        if item.name.endswith("per_file_ignores"):
            value = {pattern: list(codes) for pattern, codes in value}
        elif isinstance(value, tuple):
            value = list(value)
        result[_toml_key(item.name)] = value
    return result
