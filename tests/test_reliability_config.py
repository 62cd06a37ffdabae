"""Configuration and usage errors through the real CLI: one line on standard error naming the
file (or option), the key and the problem; exit 2; nothing on standard output."""

from __future__ import annotations

from pathlib import Path

import pytest
from reliability_support import WITH_ROUTE_MODULE, Run, run_cli, run_cli_many, write_files


def assert_one_error_line(run: Run, *fragments: str) -> None:
    assert run.code == 2, str(run)
    assert run.out == "", str(run)
    assert "Traceback" not in run.err, str(run)
    (line,) = run.err_lines
    assert line.startswith("error: "), str(run)
    for fragment in fragments:
        assert fragment in line, str(run)


def project(root: Path, pyproject: str | bytes) -> Path:
    write_files(root, {"pyproject.toml": pyproject, "app.py": WITH_ROUTE_MODULE})
    return root


PYPROJECT_ERRORS = {
    "unknown-key": (
        '[tool.ownership-lint]\nselct = ["OWN"]\n',
        ("pyproject.toml:2: tool.ownership-lint.selct: unknown key 'selct' (did you mean 'select'?)",),
    ),
    "snake-case-key": (
        '[tool.ownership-lint]\nper_file_ignores = {}\n',
        ("pyproject.toml:2: tool.ownership-lint.per_file_ignores: unknown key", "'per-file-ignores'"),
    ),
    "wrong-type-list": (
        '[tool.ownership-lint]\nselect = "OWN"\n',
        ('pyproject.toml:2: tool.ownership-lint.select: expected a list of strings, got string "OWN"',),
    ),
    "wrong-type-bool": (
        '[tool.ownership-lint]\nforce-exclude = "yes"\n',
        ('pyproject.toml:2: tool.ownership-lint.force-exclude: expected a boolean, got string "yes"',),
    ),
    "wrong-item-type": (
        '[tool.ownership-lint]\nowner-fields = ["user_id", 3]\n',
        ("pyproject.toml:2: tool.ownership-lint.owner-fields: expected a list of strings, item 2 is integer 3",),
    ),
    "bad-selector": (
        '[tool.ownership-lint]\nignore = ["OWN201", "XYZ9999"]\n',
        ("pyproject.toml:2: tool.ownership-lint.ignore: unknown rule selector 'XYZ9999'",),
    ),
    "bad-selector-in-per-file-ignores": (
        '[tool.ownership-lint.per-file-ignores]\n"tests/**" = ["nope"]\n',
        ('pyproject.toml:2: tool.ownership-lint.per-file-ignores."tests/**": unknown rule selector \'nope\'',),
    ),
    "bad-glob": (
        "[tool.ownership-lint]\nextend-exclude = ['a\\']\n",
        ("pyproject.toml:2: tool.ownership-lint.extend-exclude: invalid glob pattern 'a\\'",),
    ),
    "bad-route-glob": (
        '[tool.ownership-lint]\npublic-routes = ["api/health"]\n',
        ("pyproject.toml:2: tool.ownership-lint.public-routes: route pattern 'api/health' must start with '/'",),
    ),
    "bad-output-format": (
        '[tool.ownership-lint]\noutput-format = "xml"\n',
        ("pyproject.toml:2: tool.ownership-lint.output-format: unknown output format 'xml'",),
    ),
    "bad-identifier": (
        '[tool.ownership-lint]\nuser-id-param = "user-id"\n',
        ("pyproject.toml:2: tool.ownership-lint.user-id-param: 'user-id' is not a valid Python identifier",),
    ),
    "table-expected": (
        '[tool]\nownership-lint = 3\n',
        ("pyproject.toml:2: tool.ownership-lint: expected a table, got integer 3",),
    ),
    "invalid-toml": (
        '[tool.ownership-lint]\nselect = ["OWN"\n',
        ("pyproject.toml", "invalid TOML"),
    ),
    "duplicate-key": (
        '[tool.ownership-lint]\nselect = ["OWN"]\nselect = ["OWN2"]\n',
        ("pyproject.toml", "invalid TOML"),
    ),
    "not-utf8": (
        b'[tool.ownership-lint]\n# caf\xe9\nselect = ["OWN"]\n',
        ("pyproject.toml: not valid UTF-8",),
    ),
}


@pytest.fixture(scope="module")
def pyproject_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    runs = {}
    for name, (content, _) in PYPROJECT_ERRORS.items():
        runs[name] = (project(tmp_path_factory.mktemp(name), content), ("check", "--no-cache", "."))
    return run_cli_many(runs)


@pytest.mark.parametrize("name", PYPROJECT_ERRORS)
def test_bad_pyproject(pyproject_runs: dict[str, Run], name: str) -> None:
    assert_one_error_line(pyproject_runs[name], *PYPROJECT_ERRORS[name][1])


def test_bad_ownership_lint_toml_takes_precedence(tmp_path: Path) -> None:
    root = project(tmp_path, '[tool.ownership-lint]\nselect = ["OWN"]\n')
    (root / ".ownership-lint.toml").write_text('select = ["OWN"]\nflavour = "vanilla"\n')
    assert_one_error_line(run_cli(root, "check", "--no-cache", "."), ".ownership-lint.toml:2: flavour: unknown key 'flavour'")


def test_bad_config_found_from_a_checked_file(tmp_path: Path) -> None:
    root = project(tmp_path, '[tool.ownership-lint]\nfixable = [1]\n')
    assert_one_error_line(
        run_cli(root, "check", "--no-cache", "app.py"), "pyproject.toml:2: tool.ownership-lint.fixable: expected a list of strings"
    )


def test_bad_config_through_the_config_subcommand(tmp_path: Path) -> None:
    root = project(tmp_path, '[tool.ownership-lint]\nselct = ["OWN"]\n')
    assert_one_error_line(run_cli(root, "config"), "pyproject.toml:2: tool.ownership-lint.selct: unknown key")


@pytest.mark.parametrize(
    ("config", "fragments"),
    [
        ("missing.toml", ("error: missing.toml: No such file or directory",)),
        ("a-directory", ("a-directory: Is a directory",)),
    ],
    ids=["missing", "directory"],
)
def test_explicit_config_that_cannot_be_read(tmp_path: Path, config: str, fragments: tuple[str, ...]) -> None:
    root = project(tmp_path, "")
    (root / "a-directory").mkdir()
    assert_one_error_line(run_cli(root, "check", "--no-cache", "--config", config, "."), *fragments)


def test_unreadable_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """chmod 000 stops no root process, so the denial is simulated in-process."""
    from ownership_lint.cli import main

    root = project(tmp_path, '[tool.ownership-lint]\nselect = ["OWN"]\n')
    config = root / "pyproject.toml"
    real_read_bytes = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self.name == "pyproject.toml" and self.resolve() == config.resolve():
            raise PermissionError(13, "Permission denied", str(self))
        return real_read_bytes(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    monkeypatch.chdir(root)
    assert main(["check", "--no-cache", "."]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.splitlines() == ["error: pyproject.toml: Permission denied"]


CLI_ERRORS = {
    "select": (["--select", "OWN201,NOPE1"], ("--select: unknown rule selector 'NOPE1'",)),
    "extend-ignore": (["--extend-ignore", "own2"], ("--extend-ignore: unknown rule selector 'own2'",)),
    "fixable": (["--fixable", "XYZ9999"], ("--fixable: unknown rule selector 'XYZ9999'",)),
    "per-file-ignores-shape": (["--per-file-ignores", "tests"], ("--per-file-ignores: expected 'pattern:code', got 'tests'",)),
    "per-file-ignores-selector": (["--per-file-ignores", "tests/**:BAD1"], ("--per-file-ignores: unknown rule selector 'BAD1' for 'tests/**'",)),
    "exclude-glob": (["--extend-exclude", "!"], ("--extend-exclude: invalid glob pattern '!'",)),
    "jobs-zero": (["-j", "0"], ("Invalid value for '--jobs' / '-j': 0 is not in the range x>=1.",)),
    "jobs-text": (["--jobs", "many"], ("Invalid value for '--jobs' / '-j': 'many' is not a valid integer",)),
    "output-format": (["--output-format", "xml"], ("Invalid value for '--output-format': 'xml' is not one of",)),
    "project-root-file": (["--project-root", "app.py"], ("Invalid value for '--project-root'", "'app.py' is a file")),
    "unknown-option": (["--frobnicate"], ("No such option", "--frobnicate")),
    "misspelt-option": (["--fixx"], ("No such option", "--fixx", "--fix")),
    "missing-value": (["--select"], ("Option '--select' requires an argument",)),
    "missing-path": (["does-not-exist.py"], ("does-not-exist.py: No such file or directory",)),
}


@pytest.fixture(scope="module")
def option_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    root = project(tmp_path_factory.mktemp("options"), "")
    return run_cli_many({name: (root, ("check", "--no-cache", *args)) for name, (args, _) in CLI_ERRORS.items()})


@pytest.mark.parametrize("name", CLI_ERRORS)
def test_bad_command_line_option(option_runs: dict[str, Run], name: str) -> None:
    assert_one_error_line(option_runs[name], *CLI_ERRORS[name][1])


def test_bad_option_of_another_subcommand(tmp_path: Path) -> None:
    root = project(tmp_path, "")
    assert_one_error_line(run_cli(root, "rule", "--output-format", "yaml", "OWN201"), "Invalid value for '--output-format'")
    assert_one_error_line(run_cli(root, "rule", "OWN999"), "unknown rule: 'OWN999'")


def test_config_error_wins_over_the_checked_files(tmp_path: Path) -> None:
    """A bad configuration stops the run before any file is read: no diagnostics, no fixes."""
    root = project(tmp_path, '[tool.ownership-lint]\nselect = "OWN"\n')
    before = (root / "app.py").read_bytes()
    assert_one_error_line(run_cli(root, "check", "--no-cache", "--fix", "."), "tool.ownership-lint.select")
    assert (root / "app.py").read_bytes() == before


def test_help_and_version_still_exit_zero(tmp_path: Path) -> None:
    root = project(tmp_path, "")
    for args in (["--help"], ["check", "--help"], ["--version"]):
        run = run_cli(root, *args)
        assert run.code == 0 and run.err == "" and run.out, str(run)
