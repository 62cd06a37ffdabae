"""ruff's ``gitlab`` format: a GitLab Code Quality report (Code Climate issues).

Paths are relative to the working directory, or to ``CI_PROJECT_DIR`` when GitLab sets it.
Fingerprints are ruff's: SipHash-1-3 (Rust's ``DefaultHasher``, zero keys) of a salt, the
rule name and the path, re-hashed with the previous value until unique within the report, so
a finding keeps its fingerprint between ruff-shaped tools and runs.
"""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Sequence
from typing import Any

from ownership_lint.diagnostics import Diagnostic
from ownership_lint.output import (
    SYNTAX_ERROR_NAME,
    RenderContext,
    display_path,
    sorted_diagnostics,
)

_MASK = (1 << 64) - 1


def render(diagnostics: Sequence[Diagnostic], ctx: RenderContext) -> str:
    project_dir = os.environ.get("CI_PROJECT_DIR")
    seen: set[int] = set()
    issues = []
    for diag in sorted_diagnostics(diagnostics):
        if project_dir:
            path = os.path.relpath(diag.filename, project_dir)
        else:
            path = display_path(diag.filename, ctx.cwd)
        value = fingerprint(_name(diag), path, 0)
        while value in seen:
            value = fingerprint(_name(diag), path, value)
        seen.add(value)
        issues.append(_issue(diag, path, value))
    return json.dumps(issues, indent=2, ensure_ascii=False)


def _name(diag: Diagnostic) -> str:
    return SYNTAX_ERROR_NAME if diag.code is None else diag.name


def _issue(diag: Diagnostic, path: str, value: int) -> dict[str, Any]:
    check_name = diag.code or SYNTAX_ERROR_NAME
    return {
        "check_name": check_name,
        "description": f"{check_name}: {diag.message}",
        "severity": "major",
        "fingerprint": f"{value:x}",
        "location": {
            "path": path,
            "positions": {
                "begin": {"line": diag.location.row, "column": diag.location.column},
                "end": {"line": diag.end_location.row, "column": diag.end_location.column},
            },
        },
    }


def fingerprint(name: str, path: str, salt: int) -> int:
    """Rust's ``(salt, name, path).hash(DefaultHasher::new())``: str hashes end in 0xff."""
    data = struct.pack("<Q", salt) + name.encode() + b"\xff" + path.encode("utf-8", "surrogateescape") + b"\xff"
    return siphash13(data)


def _rotl(value: int, bits: int) -> int:
    return ((value << bits) | (value >> (64 - bits))) & _MASK


def siphash13(data: bytes, k0: int = 0, k1: int = 0) -> int:
    v0 = k0 ^ 0x736F6D6570736575
    v1 = k1 ^ 0x646F72616E646F6D
    v2 = k0 ^ 0x6C7967656E657261
    v3 = k1 ^ 0x7465646279746573

    def sip_round() -> None:
        nonlocal v0, v1, v2, v3
        v0 = (v0 + v1) & _MASK
        v1 = _rotl(v1, 13) ^ v0
        v0 = _rotl(v0, 32)
        v2 = (v2 + v3) & _MASK
        v3 = _rotl(v3, 16) ^ v2
        v0 = (v0 + v3) & _MASK
        v3 = _rotl(v3, 21) ^ v0
        v2 = (v2 + v1) & _MASK
        v1 = _rotl(v1, 17) ^ v2
        v2 = _rotl(v2, 32)

    length = len(data)
    whole = length - length % 8
    for offset in range(0, whole, 8):
        (block,) = struct.unpack_from("<Q", data, offset)
        v3 ^= block
        sip_round()
        v0 ^= block
    last = (length & 0xFF) << 56
    for index, byte in enumerate(data[whole:]):
        last |= byte << (8 * index)
    v3 ^= last
    sip_round()
    v0 ^= last
    v2 ^= 0xFF
    for _ in range(3):
        sip_round()
    return v0 ^ v1 ^ v2 ^ v3
