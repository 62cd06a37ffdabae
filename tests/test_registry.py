"""The rule table without importing the rules, and plugins found through their metadata."""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import ownership_lint
from ownership_lint import registry

PLUGIN_MODULE = '''
from ownership_lint import Rule


class Scratch(Rule):
    """A rule from a scratch distribution."""

    code = "OWN951"
    name = "scratch-rule"
    summary = "Scratch"

    def check(self, ctx):
        return iter(())
'''


@pytest.fixture
def fresh_tables():
    registry.clear_caches()
    yield
    registry.clear_caches()


def test_the_module_names_give_the_rule_table() -> None:
    """``rules/ownNNN_<rule_name>.py``: what the modules are named after is what they declare."""
    assert registry.builtin_names() == {rule.code: rule.name for rule in registry.builtin_rules()}


def test_rule_names_are_the_loaded_rules(fresh_tables) -> None:
    assert list(registry.rule_names().items()) == [(rule.code, rule.name) for rule in registry.all_rules()]


def test_no_declared_group_means_no_metadata_scan(monkeypatch: pytest.MonkeyPatch, fresh_tables) -> None:
    def scan(**kwargs: object) -> list:
        raise AssertionError("importlib.metadata was asked")

    monkeypatch.setattr(importlib.metadata, "entry_points", scan)
    assert registry.entry_points(group=registry.ENTRY_POINT_GROUP) == []
    assert registry.plugin_rules() == ()


def _scratch_distribution(site: Path) -> None:
    (site / "scratch_rule.py").write_text(textwrap.dedent(PLUGIN_MODULE))
    metadata = site / "scratch_rule-1.0.dist-info"
    metadata.mkdir()
    (metadata / "METADATA").write_text("Metadata-Version: 2.1\nName: scratch-rule\nVersion: 1.0\n")
    (metadata / "entry_points.txt").write_text("[ownership_lint.rules]\nOWN951 = scratch_rule:Scratch\n")


def test_a_distribution_declaring_the_group_is_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_tables
) -> None:
    _scratch_distribution(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert [rule.code for rule in registry.plugin_rules()] == ["OWN951"]
    assert registry.rule_names()["OWN951"] == "scratch-rule"
    assert "OWN951" in registry.all_codes()


def test_a_plugin_is_selected_in_a_cached_run_too(tmp_path: Path) -> None:
    """The cache keys a run by the rule codes: a run with the plugin installed must not be
    answered by the cache of a run without it, and then from its own cache."""
    site, app = tmp_path / "site", tmp_path / "app"
    site.mkdir()
    app.mkdir()
    (app / "pyproject.toml").write_text("")
    (app / "routes.py").write_text("from fastapi import APIRouter\n\nrouter = APIRouter()\n")
    _scratch_distribution(site)
    probe = "import sys; from ownership_lint.cli import main; main(['check', '--statistics', '.'])"

    def statistics(*extra_path: Path) -> str:
        path = [*map(str, extra_path), str(Path(ownership_lint.__file__).parents[1])]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}
        run = subprocess.run([sys.executable, "-c", probe], cwd=app, capture_output=True, text=True, env=env, check=False)
        return run.stdout + run.stderr

    assert "All checks passed!" in statistics()
    assert "All checks passed!" in statistics(site)  # Scratch reports nothing: same answer
    keys = {path.name for path in (app / ".ownership_lint_cache").rglob("*.pickle")}
    assert len(keys) == 2  # the two rule sets have caches of their own
    assert "All checks passed!" in statistics(site)
