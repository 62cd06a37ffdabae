"""The benchmark's corpus generator and its analysis-free floor, run as ``run.py`` runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
from generate_corpus import generate  # noqa: E402


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    lines, projects = generate(root, 6_000)
    assert lines >= 6_000 and projects >= 1
    return root


def run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


def test_the_floor_runs_no_rule_where_the_check_finds_isolation_bugs(corpus: Path):
    json_check = ["check", "--no-cache", "--output-format", "json", "."]
    found = run([sys.executable, "-m", "ownership_lint", *json_check], corpus)
    assert found.returncode == 1, found.stderr
    assert json.loads(found.stdout), "the generated projects carry isolation bugs to find"
    floor = run([sys.executable, str(BENCHMARKS / "floor.py"), *json_check], corpus)
    assert floor.returncode == 0, floor.stderr
    assert json.loads(floor.stdout) == []
