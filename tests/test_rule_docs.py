"""``ownership-lint rule`` (ruff's ``rule`` command) and the generated ``docs/rules/`` pages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from snapshot import SNAPSHOTS

from ownership_lint.cli import main
from ownership_lint.docs import (
    COMMAND,
    DOCS_DIR,
    builtin_rules,
    index_page,
    main as docs_main,
    rule_page,
    rule_text,
    stale_pages,
)
from ownership_lint.registry import all_rules
from ownership_lint.rule import FixAvailability, Rule

RUFF_RULES = json.loads((SNAPSHOTS / "output" / "ruff_rules.json").read_text())


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_docs_are_up_to_date() -> None:
    stale = stale_pages(DOCS_DIR, builtin_rules())
    assert not stale, f"docs/rules/ is stale ({', '.join(stale)}): run `{COMMAND}`"


def test_docs_check_mode_names_the_command(tmp_path: Path, capsys) -> None:
    assert docs_main([str(tmp_path), "--check"]) == 1
    assert f"run `{COMMAND}`" in capsys.readouterr().out
    assert docs_main([str(tmp_path)]) == 0
    assert docs_main([str(tmp_path), "--check"]) == 0
    (tmp_path / "OWN999.md").write_text("a rule that is gone\n")
    (tmp_path / "OWN201.md").write_text("edited by hand\n")
    assert stale_pages(tmp_path, builtin_rules()) == ["OWN201.md", "OWN999.md"]
    docs_main([str(tmp_path)])
    assert not (tmp_path / "OWN999.md").exists()
    assert stale_pages(tmp_path, builtin_rules()) == []


def test_index_lists_every_builtin_rule() -> None:
    index = (DOCS_DIR / "README.md").read_text()
    for rule in builtin_rules():
        assert f"| [{rule.code}]({rule.code}.md) | `{rule.name}` |" in index


def test_rule_text_is_ruffs_layout(capsys) -> None:
    code, out, _ = run(capsys, "rule", "OWN201")
    assert code == 0
    rule = next(r for r in all_rules() if r.code == "OWN201")
    assert out == (
        "# missing-owner-check (OWN201)\n\n"
        "Derived from the **ownership-lint** linter.\n\n"
        "Fix is sometimes available.\n\n"
        f"{rule.explanation().strip()}\n"
    )
    assert "\n## What it does\nChecks for" in out  # the docstring's indentation is gone


def test_rule_by_name(capsys) -> None:
    assert run(capsys, "rule", "missing-owner-check")[1] == run(capsys, "rule", "OWN201")[1]


def test_rule_all_text_separates_rules_with_a_blank_line(capsys) -> None:
    code, out, _ = run(capsys, "rule", "--all")
    assert code == 0
    assert out == "".join(rule_text(rule) + "\n\n" for rule in all_rules())


def test_rule_json_has_ruffs_keys_in_ruffs_order(capsys) -> None:
    code, out, _ = run(capsys, "rule", "OWN101", "--output-format", "json")
    assert code == 0
    assert not out.endswith("\n")  # serde_json's pretty printer writes no final newline
    ours = json.loads(out)
    ruffs = RUFF_RULES[0]
    assert list(ours) == list(ruffs)
    for key, value in ruffs.items():
        assert type(ours[key]) is type(value), key
    assert ours["fix"] == "Fix is sometimes available." and ours["fix_availability"] == "Sometimes"
    assert ours["status"] == {"Stable": {"since": "0.1.0"}}
    assert ours["category"] == "security"
    assert ours["source_location"]["file"] == "ownership_lint/rules/own101_missing_auth_dependency.py"
    assert out == json.dumps(ours, indent=2, ensure_ascii=False)


def test_rule_all_json_is_an_array_of_those_objects(capsys) -> None:
    code, out, _ = run(capsys, "rule", "--all", "--output-format", "json")
    assert code == 0
    rules = json.loads(out)
    assert [r["code"] for r in rules] == [r.code for r in all_rules()]
    assert all(list(r) == list(RUFF_RULES[0]) for r in rules)


@pytest.mark.parametrize("args", [["rule", "OWN999"], ["rule"]])
def test_unknown_or_missing_rule_is_a_usage_error(capsys, args: list[str]) -> None:
    code, out, err = run(capsys, *args)
    assert code == 2 and out == "" and "error" in err


class _Preview(Rule):
    """## What it does
    Something new.
    """

    code = "OWN998"
    name = "preview-example"
    summary = "Example"
    preview = True
    fix_availability = FixAvailability.NONE


def test_preview_note_and_no_fix_line() -> None:
    assert rule_text(_Preview) == (
        "# preview-example (OWN998)\n\n"
        "Derived from the **ownership-lint** linter.\n\n"
        "This rule is in preview and is not stable.\n\n"
        "## What it does\nSomething new."
    )
    assert rule_page(_Preview).endswith("## What it does\nSomething new.\n")
    assert "| [OWN998](OWN998.md) | `preview-example` | Example |  |" in index_page([_Preview])
