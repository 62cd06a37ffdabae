"""Text snapshots under ``tests/snapshots/``; ``SNAPSHOT_UPDATE=1`` (re)writes them."""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

SNAPSHOTS = Path(__file__).parent / "snapshots"


def assert_snapshot(name: str, text: str, *, root: Path = SNAPSHOTS) -> None:
    """Fail with a readable diff unless ``text`` equals snapshot ``root / name`` byte for byte."""
    path = root / name
    if os.environ.get("SNAPSHOT_UPDATE") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
        return
    if not path.exists():
        pytest.fail(
            f"snapshot {name} does not exist; run with SNAPSHOT_UPDATE=1 to create it",
            pytrace=False,
        )
    expected = path.read_bytes().decode("utf-8")
    if text != expected:
        pytest.fail(
            f"snapshot {name} differs (- snapshot, + actual):\n{_diff(expected, text)}",
            pytrace=False,
        )


def _diff(expected: str, actual: str) -> str:
    lines = difflib.unified_diff(
        _visible(expected), _visible(actual), "snapshot", "actual", lineterm=""
    )
    return "\n".join(lines)


def _visible(text: str) -> list[str]:
    """Lines with escapes, carriage returns and the final newline spelled out."""
    shown = text.replace("\x1b", "\\x1b").replace("\r", "\\r")
    lines = shown.split("\n")
    if lines[-1] == "":
        lines.pop()
    else:
        lines[-1] += "  <no newline at end>"
    return lines
