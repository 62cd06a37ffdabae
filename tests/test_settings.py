from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from ownership_lint.settings import (
    DEFAULT_EXCLUDES,
    KEYS,
    ConfigError,
    Settings,
    find_config,
    find_project_root,
    load_settings,
    settings_as_toml_dict,
)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def pyproject(root: Path, body: str) -> Path:
    return write(root / "pyproject.toml", '[project]\nname = "app"\n\n[tool.ownership-lint]\n' + textwrap.dedent(body))


def error_of(config: Path | None, start: Path, **kwargs: object) -> str:
    with pytest.raises(ConfigError) as info:
        load_settings(config, start=start, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    return message


class TestFindConfig:
    def test_no_config_anywhere_gives_none(self, project: Path) -> None:
        assert find_config(project) is None

    def test_pyproject_without_tool_table_does_not_count(self, project: Path) -> None:
        write(project / "ownership-lint.toml", "")
        write(project / "app" / "pyproject.toml", '[project]\nname = "app"\n')
        assert find_config(project / "app") == (project / "ownership-lint.toml").resolve()

    def test_pyproject_with_tool_table_counts(self, project: Path) -> None:
        config = pyproject(project, "")
        assert find_config(project) == config.resolve()

    @pytest.mark.parametrize(
        ("present", "expected"),
        [
            ((".ownership-lint.toml", "ownership-lint.toml", "pyproject.toml"), ".ownership-lint.toml"),
            (("ownership-lint.toml", "pyproject.toml"), "ownership-lint.toml"),
        ],
        ids=["dot-file-beats-plain-file-beats-pyproject", "plain-file-beats-pyproject"],
    )
    def test_order_within_one_directory(self, project: Path, present: tuple[str, ...], expected: str) -> None:
        for name in present:
            write(project / name, "[tool.ownership-lint]\n" if name == "pyproject.toml" else "")
        assert find_config(project) == (project / expected).resolve()

    def test_nearest_directory_wins(self, project: Path) -> None:
        write(project / "ownership-lint.toml", "")
        nested = write(project / "svc" / ".ownership-lint.toml", "")
        assert find_config(project / "svc" / "deep" / "x.py") == nested.resolve()

    def test_start_may_be_a_file(self, project: Path) -> None:
        config = write(project / "ownership-lint.toml", "")
        module = write(project / "app" / "main.py", "")
        assert find_config(module) == config.resolve()

    def test_broken_pyproject_on_the_way_up_is_an_error(self, project: Path) -> None:
        write(project / "pyproject.toml", "[tool\n")
        with pytest.raises(ConfigError, match=r"^pyproject.toml:1: invalid TOML: "):
            find_config(project)


class TestFindProjectRoot:
    @pytest.mark.parametrize("marker", ["pyproject.toml", "setup.cfg", "setup.py", ".git"])
    def test_nearest_marker_upward(self, project: Path, marker: str) -> None:
        (project / marker).mkdir() if marker == ".git" else write(project / marker, "")
        deep = project / "a" / "b"
        deep.mkdir(parents=True)
        assert find_project_root(deep) == project.resolve()

    def test_without_markers_the_start_directory(self, project: Path) -> None:
        deep = project / "a"
        deep.mkdir()
        assert find_project_root(deep) == deep.resolve()

    def test_start_file_uses_its_directory(self, project: Path) -> None:
        module = write(project / "a" / "m.py", "")
        assert find_project_root(module) == (project / "a").resolve()


class TestLoading:
    def test_no_config_gives_defaults(self, project: Path) -> None:
        settings = load_settings(None, start=project)
        assert settings == Settings()
        assert settings.config_path is None
        assert settings.project_root == project.resolve()
        assert settings.exclude == DEFAULT_EXCLUDES
        assert ".venv" in DEFAULT_EXCLUDES and "node_modules" in DEFAULT_EXCLUDES

    def test_every_key_is_read_from_pyproject(self, project: Path) -> None:
        config = pyproject(
            project,
            """
            select = ["OWN1", "OWN2"]
            extend-select = ["OWN301"]
            ignore = ["OWN201"]
            extend-ignore = ["OWN5"]
            fixable = ["OWN1"]
            unfixable = ["OWN101"]
            exclude = ["generated"]
            extend-exclude = ["tests/fixtures/"]
            force-exclude = true
            respect-gitignore = false
            output-format = "json"
            cache-dir = ".cache/own"
            auth-dependencies = ["get_current_user", "app.deps.current_account"]
            auth-import = "from app.deps import get_current_user"
            admin-dependencies = ["require_admin"]
            user-id-param = "account_id"
            user-id-attribute = "uuid"
            owner-fields = ["owner"]
            public-routes = ["/api/health", "/api/public/**"]
            admin-routes = ["/admin/**"]
            jwt-algorithms = ["RS256"]
            secret-env-var = "JWT_SECRET"

            [tool.ownership-lint.per-file-ignores]
            "tests/**" = ["OWN"]
            "*.pyi" = ["OWN101", "OWN201"]

            [tool.ownership-lint.extend-per-file-ignores]
            "routes/admin.py" = ["OWN2"]
            """,
        )
        settings = load_settings(None, start=project / "src")
        assert settings == Settings(
            select=("OWN1", "OWN2"),
            extend_select=("OWN301",),
            ignore=("OWN201",),
            extend_ignore=("OWN5",),
            per_file_ignores=(("tests/**", ("OWN",)), ("*.pyi", ("OWN101", "OWN201"))),
            extend_per_file_ignores=(("routes/admin.py", ("OWN2",)),),
            fixable=("OWN1",),
            unfixable=("OWN101",),
            exclude=("generated",),
            extend_exclude=("tests/fixtures/",),
            force_exclude=True,
            respect_gitignore=False,
            output_format="json",
            cache_dir=".cache/own",
            auth_dependencies=("get_current_user", "app.deps.current_account"),
            auth_import="from app.deps import get_current_user",
            admin_dependencies=("require_admin",),
            user_id_param="account_id",
            user_id_attribute="uuid",
            owner_fields=("owner",),
            public_routes=("/api/health", "/api/public/**"),
            admin_routes=("/admin/**",),
            jwt_algorithms=("RS256",),
            secret_env_var="JWT_SECRET",
        )
        assert settings.config_path == config.resolve()
        assert settings.project_root == project.resolve()
        assert settings.all_per_file_ignores == settings.per_file_ignores + settings.extend_per_file_ignores

    def test_ownership_lint_toml_uses_the_root_table(self, project: Path) -> None:
        write(project / "ownership-lint.toml", 'select = ["OWN2"]\nuser-id-param = "uid"\n')
        settings = load_settings(None, start=project)
        assert (settings.select, settings.user_id_param) == (("OWN2",), "uid")

    def test_explicit_config_path_is_used_even_when_another_is_nearer(self, project: Path) -> None:
        write(project / "ownership-lint.toml", 'select = ["OWN1"]\n')
        other = write(project / "conf" / "custom.toml", 'select = ["OWN6"]\n')
        assert load_settings(other, start=project).select == ("OWN6",)

    def test_explicit_pyproject_without_tool_table_gives_defaults(self, project: Path) -> None:
        config = write(project / "pyproject.toml", '[project]\nname = "x"\n')
        settings = load_settings(config, start=project)
        assert settings == Settings() and settings.config_path == config.resolve()

    def test_project_root_is_found_from_the_config_directory(self, project: Path) -> None:
        write(project / "setup.cfg", "")
        write(project / "cfg" / "ownership-lint.toml", "")
        settings = load_settings(None, start=project / "cfg")
        assert settings.project_root == project.resolve()

    def test_custom_selector_check_is_used(self, project: Path) -> None:
        write(project / "ownership-lint.toml", 'select = ["OWN9"]\n')
        known = {"OWN101", "OWN201"}
        message = error_of(None, project, is_known_selector=lambda s: any(c.startswith(s) for c in known))
        assert message == "ownership-lint.toml:1: select: unknown rule selector 'OWN9'"


class TestFileErrors:
    def test_missing_explicit_config(self, project: Path) -> None:
        assert error_of(Path("missing.toml"), project) == "missing.toml: No such file or directory"

    def test_config_that_is_a_directory(self, project: Path) -> None:
        (project / "conf.toml").mkdir()
        assert error_of(Path("conf.toml"), project) == "conf.toml: Is a directory"

    def test_unreadable_config(self, project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        config = write(project / "ownership-lint.toml", "")

        def deny(self: Path) -> bytes:
            raise PermissionError(13, "Permission denied", str(self))

        monkeypatch.setattr(Path, "read_bytes", deny)
        assert error_of(config, project) == "ownership-lint.toml: Permission denied"

    def test_invalid_toml_names_file_and_line(self, project: Path) -> None:
        pyproject(project, 'select = ["OWN"\nignore = 1\n')
        message = error_of(None, project)
        assert message.startswith("pyproject.toml:6: invalid TOML: ")
        assert "(at line 6, column 1)" in message

    def test_not_utf8(self, project: Path) -> None:
        (project / "ownership-lint.toml").write_bytes(b'select = ["\xff"]\n')
        assert error_of(None, project) == "ownership-lint.toml: not valid UTF-8 (invalid start byte at byte 11)"

    def test_absolute_path_outside_the_working_directory(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        config = write(tmp_path / "proj" / "ownership-lint.toml", "select = 3\n")
        (tmp_path / "elsewhere").mkdir()
        monkeypatch.chdir(tmp_path / "elsewhere")
        message = error_of(config, tmp_path)
        assert message == f"{config.resolve()}:1: select: expected a list of strings, got integer 3"

    def test_relative_to_working_directory(self, project: Path) -> None:
        write(project / "svc" / "ownership-lint.toml", "select = 3\n")
        assert error_of(None, project / "svc") == "svc/ownership-lint.toml:1: select: expected a list of strings, got integer 3"


BAD_VALUES = [
    ("select", '"OWN"', 'expected a list of strings, got string "OWN"'),
    ("ignore", '["OWN1", 2]', "expected a list of strings, item 2 is integer 2"),
    ("extend-select", '["own1"]', "unknown rule selector 'own1'"),
    ("extend-ignore", '["OWN1234"]', "unknown rule selector 'OWN1234'"),
    ("fixable", '["OWN-1"]', "unknown rule selector 'OWN-1'"),
    ("unfixable", '[""]', "unknown rule selector ''"),
    ("force-exclude", '"yes"', 'expected a boolean, got string "yes"'),
    ("respect-gitignore", "1", "expected a boolean, got integer 1"),
    ("output-format", '"xml"', "unknown output format 'xml' (expected one of: concise, full, json, json-lines, github, gitlab, sarif, junit, pylint, grouped)"),
    ("output-format", '["json"]', 'expected a string, got array ["json"]'),
    ("cache-dir", "false", "expected a string, got boolean false"),
    ("user-id-param", "3", "expected a string, got integer 3"),
    ("user-id-param", '"user id"', "'user id' is not a valid Python identifier"),
    ("user-id-attribute", '"class"', "'class' is not a valid Python identifier"),
    ("secret-env-var", '"MY-SECRET"', "'MY-SECRET' is not a valid Python identifier"),
    ("owner-fields", '["owner", "9lives"]', "'9lives' is not a valid Python identifier"),
    ("auth-dependencies", '["deps:get_user"]', "'deps:get_user' is not a valid Python name (dotted names are allowed)"),
    ("admin-dependencies", '"get_admin"', 'expected a list of strings, got string "get_admin"'),
    ("auth-import", "1.5", "expected a string, got float 1.5"),
    ("exclude", "['a\\']", "invalid glob pattern 'a\\'"),
    ("extend-exclude", '["!"]', "invalid glob pattern '!'"),
    ("public-routes", '["api/health"]', "route pattern 'api/health' must start with '/'"),
    ("admin-routes", '["/admin", "admin/**"]', "route pattern 'admin/**' must start with '/'"),
    ("jwt-algorithms", '["none"]', "unknown JWT algorithm 'none' (expected one of: HS256, HS384, HS512, RS256, RS384, RS512, ES256, ES256K, ES384, ES512, PS256, PS384, PS512, EdDSA)"),
    ("per-file-ignores", '["tests/**"]', 'expected a table of glob patterns to lists of rule selectors, got array ["tests/**"]'),
]


class TestValueErrors:
    @pytest.mark.parametrize(
        ("key", "value", "problem"), BAD_VALUES, ids=[f"{k}={v}" for k, v, _ in BAD_VALUES]
    )
    def test_bad_value_names_file_line_and_key(self, project: Path, key: str, value: str, problem: str) -> None:
        pyproject(project, f'# settings\n{key} = {value}\n')
        assert error_of(None, project) == f"pyproject.toml:6: tool.ownership-lint.{key}: {problem}"

    def test_same_check_in_root_table_file(self, project: Path) -> None:
        write(project / ".ownership-lint.toml", '# comment\n\nuser-id-param = "a b"\n')
        assert error_of(None, project) == ".ownership-lint.toml:3: user-id-param: 'a b' is not a valid Python identifier"

    def test_every_key_has_a_validator(self) -> None:
        python_fields = {f.replace("_", "-") for f in Settings.__dataclass_fields__} - {"config-path", "project-root"}
        assert set(KEYS) == python_fields

    @pytest.mark.parametrize(
        ("body", "expected"),
        [
            ("[tool.ownership-lint.per-file-ignores]\n\"tests/**\" = [\"OWN\", 3]\n",
             'pyproject.toml:6: tool.ownership-lint.per-file-ignores."tests/**": expected a list of strings, item 2 is integer 3'),
            ("[tool.ownership-lint.per-file-ignores]\n\"*.py\" = [\"OWN\"]\n\"app/*.py\" = [\"NOPE12345\"]\n",
             'pyproject.toml:7: tool.ownership-lint.per-file-ignores."app/*.py": unknown rule selector \'NOPE12345\''),
            ('per-file-ignores = { "tests/**" = "OWN" }\n',
             'pyproject.toml:5: tool.ownership-lint.per-file-ignores."tests/**": expected a list of strings, got string "OWN"'),
            ("[tool.ownership-lint.extend-per-file-ignores]\n'a\\' = [\"OWN\"]\n",
             "pyproject.toml:6: tool.ownership-lint.extend-per-file-ignores.\"a\\\\\": invalid glob pattern 'a\\'"),
        ],
        ids=["item-type-in-subtable", "selector-on-its-own-line", "inline-table-uses-the-key-line", "bad-glob-key"],
    )
    def test_per_file_ignores_errors(self, project: Path, body: str, expected: str) -> None:
        pyproject(project, body)
        assert error_of(None, project) == expected

    def test_tool_table_must_be_a_table(self, project: Path) -> None:
        write(project / "pyproject.toml", '[tool]\nownership-lint = "on"\n')
        assert error_of(Path("pyproject.toml"), project) == 'pyproject.toml:2: tool.ownership-lint: expected a table, got string "on"'


class TestUnknownKeys:
    @pytest.mark.parametrize(
        ("key", "hint"),
        [
            ("owner-field", " (did you mean 'owner-fields'?)"),
            ("user_id_param", " (did you mean 'user-id-param'?)"),
            ("extend-selects", " (did you mean 'extend-select'?)"),
            ("line-length", ""),
        ],
        ids=["typo", "snake-case", "plural", "no-close-match"],
    )
    def test_unknown_key(self, project: Path, key: str, hint: str) -> None:
        pyproject(project, f"select = []\n\n{key} = 1\n")
        assert error_of(None, project) == f"pyproject.toml:7: tool.ownership-lint.{key}: unknown key '{key}'{hint}"


class TestKeyLines:
    def test_dotted_key_under_tool_header(self, project: Path) -> None:
        write(project / "pyproject.toml", '[tool]\nblack.line-length = 88\nownership-lint.owner-fields = [1]\n')
        assert error_of(None, project) == "pyproject.toml:3: tool.ownership-lint.owner-fields: expected a list of strings, item 1 is integer 1"

    def test_quoted_table_and_key(self, project: Path) -> None:
        write(project / "pyproject.toml", '[ tool . "ownership-lint" ]\n"select" = 3\n')
        assert error_of(None, project) == "pyproject.toml:2: tool.ownership-lint.select: expected a list of strings, got integer 3"

    def test_key_of_another_table_with_the_same_name_is_not_used(self, project: Path) -> None:
        write(project / "pyproject.toml", '[tool.other]\nselect = 3\n\n[tool.ownership-lint]\nselect = "x"\n')
        assert error_of(None, project) == 'pyproject.toml:5: tool.ownership-lint.select: expected a list of strings, got string "x"'

    def test_lookalike_inside_multiline_string_is_skipped(self, project: Path) -> None:
        write(
            project / "ownership-lint.toml",
            'auth-import = """\nselect = 3\n"""\nselect = 4\n',
        )
        assert error_of(None, project) == "ownership-lint.toml:4: select: expected a list of strings, got integer 4"


class TestOverrides:
    def test_override_replaces_file_value(self, project: Path) -> None:
        pyproject(project, 'user-id-param = "uid"\noutput-format = "json"\n')
        settings = load_settings(None, start=project, overrides={"user_id_param": "account_id", "output_format": None})
        assert (settings.user_id_param, settings.output_format) == ("account_id", "json")

    def test_comma_separated_string_is_a_list(self, project: Path) -> None:
        settings = load_settings(None, start=project, overrides={"select": "OWN1, OWN2,", "exclude": ("a", "b")})
        assert (settings.select, settings.exclude) == (("OWN1", "OWN2"), ("a", "b"))

    def test_select_starts_the_selection_over(self, project: Path) -> None:
        pyproject(project, 'select = ["OWN"]\nextend-select = ["X1"]\nignore = ["OWN2"]\nextend-ignore = ["OWN3"]\n')
        settings = load_settings(None, start=project, overrides={"select": ["OWN201"], "ignore": ["OWN5"]})
        assert (settings.select, settings.extend_select, settings.ignore, settings.extend_ignore) == (("OWN201",), (), ("OWN5",), ())

    def test_extend_options_and_ignore_add_to_the_file(self, project: Path) -> None:
        pyproject(project, 'ignore = ["OWN2"]\nextend-exclude = ["gen/"]\nunfixable = ["OWN1"]\n')
        settings = load_settings(
            None, start=project, overrides={"ignore": ["OWN3"], "extend_exclude": ["tmp/"], "unfixable": ["OWN5"]}
        )
        assert (settings.ignore, settings.extend_exclude, settings.unfixable) == (("OWN2", "OWN3"), ("gen/", "tmp/"), ("OWN1", "OWN5"))

    def test_fixable_resets_unfixable(self, project: Path) -> None:
        pyproject(project, 'unfixable = ["OWN1"]\n')
        settings = load_settings(None, start=project, overrides={"fixable": ["OWN2"]})
        assert (settings.fixable, settings.unfixable) == (("OWN2",), ())

    @pytest.mark.parametrize(
        "value",
        ["tests/*:OWN201,tests/*:OWN3,*.pyi:OWN", ["tests/*:OWN201", "tests/*:OWN3", "*.pyi:OWN"],
         {"tests/*": ["OWN201", "OWN3"], "*.pyi": ["OWN"]}, [("tests/*", ("OWN201", "OWN3")), ("*.pyi", ("OWN",))]],
        ids=["ruff-cli-string", "list-of-pattern-colon-code", "mapping", "pairs"],
    )
    def test_per_file_ignores_forms(self, project: Path, value: object) -> None:
        settings = load_settings(None, start=project, overrides={"per_file_ignores": value})
        assert settings.per_file_ignores == (("tests/*", ("OWN201", "OWN3")), ("*.pyi", ("OWN",)))

    @pytest.mark.parametrize(
        ("overrides", "expected"),
        [
            ({"select": "OWN,bogus"}, "--select: unknown rule selector 'bogus'"),
            ({"output_format": "xml"}, "--output-format: unknown output format 'xml' (expected one of: concise, full, json, json-lines, github, gitlab, sarif, junit, pylint, grouped)"),
            ({"user_id_param": 3}, "--user-id-param: expected a string, got integer 3"),
            ({"force_exclude": "yes"}, '--force-exclude: expected a boolean, got string "yes"'),
            ({"per_file_ignores": "tests/*"}, "--per-file-ignores: expected 'pattern:code', got 'tests/*'"),
            ({"per_file_ignores": "tests/*:own"}, "--per-file-ignores: unknown rule selector 'own' for 'tests/*'"),
            ({"extend_exclude": ["!"]}, "--extend-exclude: invalid glob pattern '!'"),
        ],
        ids=["selector", "output-format", "type", "bool", "per-file-ignores-shape", "per-file-ignores-selector", "glob"],
    )
    def test_bad_override_names_the_option(self, project: Path, overrides: dict[str, object], expected: str) -> None:
        assert error_of(None, project, overrides=overrides) == expected

    def test_file_errors_come_before_override_errors(self, project: Path) -> None:
        write(project / "ownership-lint.toml", "select = 1\n")
        assert error_of(None, project, overrides={"select": "bogus"}).startswith("ownership-lint.toml:1: select:")

    def test_project_root_override(self, project: Path) -> None:
        pyproject(project, "")
        settings = load_settings(None, start=project, overrides={"project_root": "sub"})
        assert settings.project_root == (project / "sub").resolve()

    def test_unknown_override_is_a_programming_error(self, project: Path) -> None:
        with pytest.raises(TypeError, match="unknown settings override 'colour'"):
            load_settings(None, start=project, overrides={"colour": "red"})


class TestAsToml:
    def test_kebab_keys_lists_and_tables(self) -> None:
        settings = Settings(per_file_ignores=(("tests/**", ("OWN",)),), output_format="json", config_path=Path("x"))
        data = settings_as_toml_dict(settings)
        assert set(data) == set(KEYS) - {"auth-import"}
        assert data["per-file-ignores"] == {"tests/**": ["OWN"]}
        assert data["select"] == ["OWN"] and data["output-format"] == "json"
        assert data["user-id-param"] == "user_id" and data["force-exclude"] is False

    def test_round_trip_through_a_config_file(self, project: Path) -> None:
        original = Settings(select=("OWN1",), per_file_ignores=(("a/*.py", ("OWN2",)),), public_routes=("/h",))
        body = "".join(f"{key} = {toml_value(value)}\n" for key, value in settings_as_toml_dict(original).items())
        write(project / "ownership-lint.toml", body)
        assert load_settings(None, start=project) == original


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(map(toml_value, value)) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)


def test_config_error_is_always_one_line() -> None:
    error = ConfigError("f.toml", "first\nsecond", key="k", line=2)
    assert str(error) == "f.toml:2: k: first second"
    assert str(ConfigError("--select", "bad")) == "--select: bad"
