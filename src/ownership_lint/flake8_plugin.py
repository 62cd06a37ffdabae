"""The flake8 plugin: an adapter from flake8's plugin contract to the engine. No rule logic here.

flake8 finds it through the ``flake8.extension`` entry point ``OWN`` and calls
``OwnershipChecker(tree, filename, lines).run()`` for every file. Each file is checked by the
same :class:`~ownership_lint.engine.Linter` as ``ownership-lint check``, on the text flake8
read, within its project: the project's index (routers, auth dependencies, owned models from
the other files) is built once per process and settings, and reused for the following files
flake8 hands over from the same project, also in each ``flake8 -j N`` worker.

flake8 does the selection (``--select``/``--extend-select``/``--ignore``/per-file ignores)
and the ``# noqa`` comments itself, so every rule runs and our own noqa handling is off.
The analysis settings come from ``[tool.ownership-lint]``, overridden by the flake8 options
below (on the command line or in ``setup.cfg``/``tox.ini``/``.flake8``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from . import __version__
from .api import resolve_settings
from .engine import Linter, ProjectHolder, RunOptions
from .registry import RegistryError
from .settings import ConfigError, Settings
from .source import SourceFile

# flake8 option -> Settings field, and whether it is a comma-separated list.
OPTIONS: dict[str, tuple[str, bool, str]] = {
    "--ownership-auth-dependencies": ("auth_dependencies", True, "names or dotted paths of the auth dependencies"),
    "--ownership-auth-import": ("auth_import", False, "dotted path the fixes import the auth dependency from"),
    "--ownership-admin-dependencies": ("admin_dependencies", True, "dependencies that make a route an admin route"),
    "--ownership-user-id-param": ("user_id_param", False, "the path parameter that scopes a route to a user"),
    "--ownership-user-id-attribute": ("user_id_attribute", False, "identity value of a user object"),
    "--ownership-owner-fields": ("owner_fields", True, "columns that make a model user-owned"),
    "--ownership-public-routes": ("public_routes", True, "route globs that need no authentication"),
    "--ownership-admin-routes": ("admin_routes", True, "route globs reserved for admins"),
    "--ownership-jwt-algorithms": ("jwt_algorithms", True, "JWT algorithms the project allows"),
    "--ownership-secret-env-var": ("secret_env_var", False, "environment variable holding the JWT secret"),
}
# Every rule runs; flake8 selects.
_FLAKE8_SELECTS = {
    "select": ("ALL",),
    "extend_select": (),
    "ignore": (),
    "extend_ignore": (),
    "per_file_ignores": (),
    "extend_per_file_ignores": (),
}
_RUN_OPTIONS = RunOptions(ignore_noqa=True, use_cache=False, jobs=1)


class OwnershipChecker:
    name = "ownership-lint"
    version = __version__

    # Set by parse_options (in the main process and again in each -j worker).
    overrides: ClassVar[dict[str, Any]] = {}
    config: ClassVar[Path | None] = None
    # One Linter per distinct settings, for the life of the process.
    _linters: ClassVar[dict[tuple, Linter]] = {}
    _settings: ClassVar[dict[Path, Settings]] = {}
    # flake8 hands each process runs of files in path order: one project is held at a time.
    _holder: ClassVar[ProjectHolder] = ProjectHolder()

    def __init__(self, tree: object, filename: str, lines: list[str]) -> None:
        self.filename = filename
        self.lines = lines

    @classmethod
    def add_options(cls, manager: Any) -> None:
        for flag, (_field, is_list, help_text) in OPTIONS.items():
            manager.add_option(
                flag,
                default=None,
                parse_from_config=True,
                comma_separated_list=is_list,
                help=f"ownership-lint: {help_text} (default: [tool.ownership-lint], else built in)",
            )
        manager.add_option(
            "--ownership-config",
            default=None,
            parse_from_config=True,
            help="ownership-lint: configuration file (default: found upward from each file)",
        )

    @classmethod
    def parse_options(cls, options: Any) -> None:
        overrides: dict[str, Any] = {}
        for flag, (field, is_list, _) in OPTIONS.items():
            value = getattr(options, flag.removeprefix("--").replace("-", "_"), None)
            if value is None or value == []:
                continue
            overrides[field] = tuple(value) if is_list else value
        config = getattr(options, "ownership_config", None)
        cls.overrides = overrides
        cls.config = Path(config) if config else None
        cls._linters = {}
        cls._settings = {}
        cls._holder = ProjectHolder()
        try:  # bad values stop flake8 here, with one line, before any worker starts
            resolve_settings(Path.cwd(), config=cls.config, overrides=overrides)
        except (ConfigError, RegistryError) as error:
            raise SystemExit(f"flake8: error: ownership-lint: {error}") from None

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        path = Path(self.filename).resolve()
        try:
            linter = self._linter_for(path)
            self._holder.hold(linter.project_for(path))
            result = linter.process(SourceFile(path=path, text="".join(self.lines)))
        except (ConfigError, RegistryError) as error:
            # A plain exception: flake8 -j sends it back from a worker process by pickling.
            raise RuntimeError(f"ownership-lint: {error}") from None
        for diagnostic in result.diagnostics:
            if diagnostic.code is None:  # flake8 reports syntax errors itself (E999)
                continue
            column = diagnostic.location.column - 1  # flake8 wants 0-based, prints 1-based
            yield diagnostic.location.row, column, f"{diagnostic.code} {diagnostic.message}", type(self)

    @classmethod
    def _linter_for(cls, path: Path) -> Linter:
        directory = path.parent
        settings = cls._settings.get(directory)
        if settings is None:
            resolved = resolve_settings(path, config=cls.config, overrides=cls.overrides)
            settings = dataclasses.replace(resolved, **_FLAKE8_SELECTS)
            cls._settings[directory] = settings
        key = (settings.config_path, settings.project_root, settings)
        linter = cls._linters.get(key)
        if linter is None:
            linter = cls._linters[key] = Linter(settings, None, _RUN_OPTIONS)
        return linter
