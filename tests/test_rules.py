"""Every rule's documented examples, executed: valid ones stay quiet, invalid ones are
reported and fixed to the documented result."""

from __future__ import annotations

import pytest

from ownership_lint.testing import assert_invalid, assert_valid, case_id, cases

VALID = [pytest.param(rule, case, id=case_id(rule, case)) for rule, case in cases("VALID")]
INVALID = [pytest.param(rule, case, id=case_id(rule, case)) for rule, case in cases("INVALID")]


@pytest.mark.parametrize(("rule", "case"), VALID)
def test_valid_example_is_not_reported(rule, case, tmp_path):
    assert_valid(rule, case, tmp_path)


@pytest.mark.parametrize(("rule", "case"), INVALID)
def test_invalid_example_is_reported_and_fixed(rule, case, tmp_path):
    assert_invalid(rule, case, tmp_path)
