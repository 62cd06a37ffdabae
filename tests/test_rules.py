"""Every rule's documented examples, executed: valid ones stay quiet, invalid ones are
reported and fixed to the documented result."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ownership_lint.registry import all_rules
from ownership_lint.rule import FixAvailability

from ownership_lint.testing import assert_invalid, assert_valid, case_id, cases

VALID = [pytest.param(rule, case, id=case_id(rule, case)) for rule, case in cases("VALID")]
INVALID = [pytest.param(rule, case, id=case_id(rule, case)) for rule, case in cases("INVALID")]


@pytest.mark.parametrize(("rule", "case"), VALID)
def test_valid_example_is_not_reported(rule, case, tmp_path):
    assert_valid(rule, case, tmp_path)


@pytest.mark.parametrize(("rule", "case"), INVALID)
def test_invalid_example_is_reported_and_fixed(rule, case, tmp_path):
    assert_invalid(rule, case, tmp_path)


SECTIONS = (
    "## What it does",
    "## Why is this bad?",
    "## Example",
    "## Use instead",
    "## Fix safety",
    "## Options",
    "## References",
)
RULES = [pytest.param(rule, id=rule.code) for rule in all_rules()]
CATALOG = {f"OWN{n}" for n in (101, 201, 202, 203, 301, 302, 303, 304, 401, 402, 403, 404, 405, 406,
                               501, 502, 503, 504, 505, 601, 602)}


@pytest.mark.parametrize("rule", RULES)
def test_rule_doc_has_every_section_in_order(rule):
    explanation = rule.explanation()
    positions = [explanation.find(section) for section in SECTIONS]
    assert -1 not in positions, f"missing: {[s for s, p in zip(SECTIONS, positions) if p == -1]}"
    assert positions == sorted(positions)


@pytest.mark.parametrize("rule", RULES)
def test_rule_has_valid_and_invalid_examples(rule):
    assert rule.VALID and rule.INVALID


@pytest.mark.parametrize("rule", RULES)
def test_declared_fix_availability_matches_the_examples(rule):
    fixed = [case.fixed is not None for case in rule.INVALID]
    if rule.fix_availability is FixAvailability.ALWAYS:
        assert all(fixed)
    elif rule.fix_availability is FixAvailability.NONE:
        assert not any(fixed)
    else:
        assert any(fixed), "a rule that sometimes fixes needs an example with a fix"


def test_rule_all_lists_the_whole_catalog():
    listed = subprocess.run(
        [sys.executable, "-m", "ownership_lint", "rule", "--all", "--output-format", "json"],
        capture_output=True, text=True, check=True,
    )
    codes = {entry["code"] for entry in json.loads(listed.stdout)}
    assert CATALOG <= codes
