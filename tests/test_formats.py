"""The structured output formats: json-lines, github, gitlab, sarif, junit, pylint, grouped.

Two kinds of evidence:

* ruff parity: ruff 0.17.6 ran on the sources of ``test_output.py`` (``ruff check
  --output-format X app`` in ``/project``) and its output is stored verbatim under
  ``tests/snapshots/output/ruff_*.txt``; our renderers must print the same bytes for the same
  diagnostics, with ``ruff`` replaced by our program name where ruff names itself.
* our own output on a fixture app (``tests/snapshots/formats/``), run through the real CLI,
  the app's absolute path replaced by ``<ROOT>``; the SARIF log is validated against the
  official SARIF 2.1.0 schema (``tests/schemas/``).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest
from snapshot import SNAPSHOTS, assert_snapshot
from test_output import ROOT, a_py, bad_py, context, multi_py

from ownership_lint import __version__
from ownership_lint.cli import main
from ownership_lint.diagnostics import Applicability
from ownership_lint.output import FORMATS, INFORMATION_URI, PROGRAM, RuleInfo, render
from ownership_lint.output.gitlab import fingerprint
from ownership_lint.output.junit import escape
from ownership_lint.output.sarif import file_uri
from ownership_lint.output.summary import summary_lines
from ownership_lint.registry import rules_by_code

TESTS = Path(__file__).parent
FIXTURES = TESTS / "fixtures"
SARIF_SCHEMA = json.loads((TESTS / "schemas" / "sarif-schema-2.1.0.json").read_text())
NEW_FORMATS = ["json-lines", "github", "gitlab", "sarif", "junit", "pylint", "grouped"]
ALL_FORMATS = sorted(FORMATS)


def ruff_snapshot(name: str) -> str:
    """What ruff printed, with ruff's name for itself replaced by ours."""
    text = (SNAPSHOTS / "output" / name).read_bytes().decode("utf-8")
    return (
        text.replace("title=ruff (", f"title={PROGRAM} (")
        .replace('name="ruff"', f'name="{PROGRAM}"')
        .replace('classname="ruff"', f'classname="{PROGRAM}"')
        .replace("org.ruff", f"org.{PROGRAM}")
    )


def ruff_sarif_snapshot(name: str) -> str:
    """ruff's SARIF log with our driver (name, URI, version) in place of ruff's."""
    return (
        ruff_snapshot(name)
        .replace('"name": "ruff"', f'"name": "{PROGRAM}"')
        .replace('"https://github.com/astral-sh/ruff"', f'"{INFORMATION_URI}"')
        .replace('"version": "0.17.6"', f'"version": "{__version__}"')
    )


def ruff_diagnostics():
    # Reversed so that the renderers have to sort.
    return list(reversed(a_py() + bad_py() + multi_py()))


def ruff_rule_infos() -> dict[str, RuleInfo]:
    """ruff's own metadata for its rules (``ruff rule --output-format json``)."""
    rules = json.loads((SNAPSHOTS / "output" / "ruff_rules.json").read_text())
    default_selection = {"F401", "B006"}  # ruff 0.17's defaults select these two of the four
    return {
        rule["code"]: RuleInfo(
            code=rule["code"],
            name=rule["name"],
            linter=rule["linter"],
            summary=rule["summary"],
            explanation=rule["explanation"],
            url=f"https://docs.astral.sh/ruff/rules/{rule['name']}",
            enabled=rule["code"] in default_selection,
        )
        for rule in rules
    }


# -- ruff parity ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["github", "gitlab", "junit", "pylint"])
def test_format_matches_ruff(name: str) -> None:
    assert render(name, ruff_diagnostics(), context()) == ruff_snapshot(f"ruff_{name}.txt")


def test_json_lines_matches_ruff_except_the_syntax_error_code() -> None:
    # ruff 0.17.6 writes `"code":"invalid-syntax"` for a syntax error; our JSON formats keep
    # `null` there, as the interface spec requires (and as the `json` format already does).
    expected = ruff_snapshot("ruff_json-lines.txt").replace(
        '"code":"invalid-syntax"', '"code":null'
    )
    assert render("json-lines", ruff_diagnostics(), context()) == expected


def test_json_lines_is_the_json_format_one_object_per_line() -> None:
    lines = render("json-lines", ruff_diagnostics(), context()).splitlines()
    assert [json.loads(line) for line in lines] == json.loads(
        render("json", ruff_diagnostics(), context())
    )


@pytest.mark.parametrize("color", [False, True], ids=["plain", "color"])
def test_grouped_then_summary_matches_ruff(color: bool) -> None:
    diagnostics = ruff_diagnostics()
    text = render("grouped", diagnostics, context(color=color)) + summary_lines(
        remaining=diagnostics,
        fixed={},
        mode="check",
        unsafe_fixes=False,
        show_fixes=False,
        cwd=ROOT,
        names={},
        color=color,
    )
    assert text == ruff_snapshot("ruff_grouped_color.txt" if color else "ruff_grouped.txt")


def test_sarif_matches_ruff_for_ruffs_own_rules() -> None:
    text = render("sarif", ruff_diagnostics(), context(rules=ruff_rule_infos()))
    assert text == ruff_sarif_snapshot("ruff_sarif.txt")


@pytest.mark.parametrize("name", ["gitlab", "junit", "sarif"])
def test_empty_report_matches_ruff(name: str) -> None:
    assert render(name, [], context()) == ruff_sarif_snapshot(f"ruff_{name}_empty.txt")


@pytest.mark.parametrize("name", ["json-lines", "github", "pylint", "grouped"])
def test_empty_report_is_empty(name: str) -> None:
    assert render(name, [], context()) == ""


def test_gitlab_fingerprints_are_ruffs() -> None:
    first = fingerprint("unused-import", "app/a.py", 0)
    assert f"{first:x}" == "b5764713367d73ef"
    assert f"{fingerprint('unused-import', 'app/a.py', first):x}" == "8ab3d6a26324ff67"


def test_gitlab_paths_are_relative_to_ci_project_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI_PROJECT_DIR", str(ROOT / "app"))
    report = json.loads(render("gitlab", a_py(), context()))
    assert {issue["location"]["path"] for issue in report} == {"a.py"}


def test_junit_escapes_the_five_xml_entities() -> None:
    assert escape("""<a href="x">&'</a>""") == "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;"


@pytest.mark.parametrize(
    ("path", "uri"),
    [
        ("/project/app/a.py", "file:///project/app/a.py"),
        ("/p/sp ace#q?{b}é[x]^|;=@&+$'!()*~/t`.py",
         "file:///p/sp%20ace%23q%3F%7Bb%7D%C3%A9[x]^|;=@&+$'!()*~/t%60.py"),
        ("/p/we,ird:dir/x%%y.py", "file:///p/we,ird:dir/x%25%25y.py"),
    ],
)
def test_sarif_file_uris_are_encoded_like_ruffs(path: str, uri: str) -> None:
    # The expected URIs are what ruff 0.17.6 wrote for files with these names.
    assert file_uri(path) == uri


# -- our output on a fixture app, through the CLI ------------------------------------------


@pytest.fixture(scope="module")
def seed_app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    app = tmp_path_factory.mktemp("formats") / "app"
    shutil.copytree(FIXTURES / "seed_app", app, ignore=shutil.ignore_patterns("__pycache__"))
    (app / "pyproject.toml").write_text('[project]\nname = "seed-app"\nversion = "0"\n')
    return app


def run_cli(app: Path, monkeypatch: pytest.MonkeyPatch, capsys, *args: str) -> tuple[int, str, str]:
    monkeypatch.chdir(app)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("CI_PROJECT_DIR", raising=False)
    code = main(["check", "--no-cache", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def placeholders(text: str, app: Path) -> str:
    """Absolute paths and the version out; rule docs (checked elsewhere) out of the SARIF log."""
    text = text.replace(str(app), "<ROOT>").replace(f'"version": "{__version__}"', '"version": "<VERSION>"')
    for code, rule in rules_by_code().items():
        text = text.replace(json.dumps(rule.explanation(), ensure_ascii=False), f'"<{code} explanation>"')
    return text


@pytest.mark.parametrize("name", ALL_FORMATS)
def test_fixture_app_snapshot(
    name: str, seed_app: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    code, out, err = run_cli(seed_app, monkeypatch, capsys, "--output-format", name, ".")
    assert code == 1, err
    assert_snapshot(f"formats/seed_app.{name}.txt", placeholders(out, seed_app))


def test_output_file_gets_what_stdout_would(
    seed_app: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    _, stdout_text, _ = run_cli(seed_app, monkeypatch, capsys, "--output-format", "concise", ".")
    target = tmp_path / "reports" / "nested" / "lint.txt"
    code, out, _ = run_cli(seed_app, monkeypatch, capsys, "--output-format", "concise", "-o", str(target), ".")
    assert code == 1
    assert out == ""
    assert target.read_text() == stdout_text
    assert "Found 4 errors." in stdout_text


def test_output_file_takes_any_format(
    seed_app: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    target = tmp_path / "results.sarif"
    code, out, _ = run_cli(seed_app, monkeypatch, capsys, "--output-format", "sarif", "--output-file", str(target), ".")
    assert (code, out) == (1, "")
    jsonschema.validate(json.loads(target.read_text()), SARIF_SCHEMA)


def test_configured_output_format_is_used(
    seed_app: Path, monkeypatch: pytest.MonkeyPatch, capsys, tmp_path: Path
) -> None:
    app = tmp_path / "app"
    shutil.copytree(seed_app, app)
    (app / "pyproject.toml").write_text('[tool.ownership-lint]\noutput-format = "sarif"\n')
    _, out, _ = run_cli(app, monkeypatch, capsys, ".")
    log = json.loads(out)
    # The configured format gets the fixes' edits too, not only `--output-format sarif`.
    assert any("fixes" in result for result in log["runs"][0]["results"])


# -- SARIF for GitHub code scanning --------------------------------------------------------


@pytest.fixture(scope="module")
def sarif_log(seed_app: Path) -> dict:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "ownership_lint", "check", "--no-cache", "--output-format", "sarif", "."],
        cwd=seed_app, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 1, result.stderr
    return json.loads(result.stdout)


def test_sarif_validates_against_the_official_schema(sarif_log: dict) -> None:
    jsonschema.Draft4Validator.check_schema(SARIF_SCHEMA)
    jsonschema.validate(sarif_log, SARIF_SCHEMA, cls=jsonschema.Draft4Validator)


def test_sarif_of_a_syntax_error_and_of_nothing_validate(tmp_path: Path) -> None:
    from ownership_lint.diagnostics import Diagnostic, Location

    broken = Diagnostic(None, "invalid-syntax", "SyntaxError: invalid syntax", str(tmp_path / "a.py"),
                        Location(1, 5), Location(1, 6))
    for diagnostics in ([broken], []):
        log = json.loads(render("sarif", diagnostics, context()))
        jsonschema.validate(log, SARIF_SCHEMA, cls=jsonschema.Draft4Validator)
    assert json.loads(render("sarif", [broken], context()))["runs"][0]["results"][0]["ruleId"] == "invalid-syntax"


def test_sarif_rules_carry_what_code_scanning_shows(sarif_log: dict) -> None:
    driver = sarif_log["runs"][0]["tool"]["driver"]
    assert driver["name"] == PROGRAM and driver["version"] == __version__
    rules = {rule["id"]: rule for rule in driver["rules"]}
    assert sorted(rules) == ["OWN101", "OWN201"]
    registered = rules_by_code()
    for code, rule in rules.items():
        source = registered[code]
        assert rule["shortDescription"] == {"text": source.summary}
        assert rule["fullDescription"] == {"text": source.explanation()}
        assert rule["helpUri"] == source.url()
        assert rule["defaultConfiguration"] == {"enabled": True, "level": "error"}
        properties = rule["properties"]
        assert properties["name"] == source.name
        assert 0.0 <= float(properties["security-severity"]) <= 10.0
        assert "security" in properties["tags"]


def test_sarif_results_have_locations_and_fixes(sarif_log: dict, seed_app: Path) -> None:
    results = sarif_log["runs"][0]["results"]
    assert [(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in results] == [
        ("OWN101", 24), ("OWN201", 37), ("OWN201", 53), ("OWN101", 87),
    ]
    uri = file_uri(str(seed_app / "routes" / "tasks.py"))
    for result in results:
        assert result["level"] == "error"
        assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == uri
        (fix,) = result["fixes"]
        (change,) = fix["artifactChanges"]
        assert change["artifactLocation"]["uri"] == uri
        assert change["replacements"] and all("deletedRegion" in r for r in change["replacements"])
    owner_check = results[1]["fixes"][0]["artifactChanges"][0]["replacements"][0]
    assert "if current_user != user_id:" in owner_check["insertedContent"]["text"]


def test_unsafe_fixes_keep_their_description() -> None:
    diagnostics = [d for d in a_py() if d.fix and d.fix.applicability is Applicability.UNSAFE]
    result = json.loads(render("sarif", diagnostics, context()))["runs"][0]["results"][0]
    assert result["fixes"][0]["description"] == {"text": "Replace with `cond is None`"}


@pytest.mark.parametrize("name", NEW_FORMATS)
def test_every_format_is_a_cli_choice(name: str) -> None:
    assert name in FORMATS
