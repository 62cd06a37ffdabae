"""ownership-lint with the analysis left out: the floor under a cold check.

    python benchmarks/floor.py check --no-cache [PATH ...]

Runs the real command line (discovery, process pool, byte prefilter, decoding, parsing), but
a file the rules would check is only parsed, the way the check parses it, and gets no rule
run on it. What remains is what any check built on the standard library's parser pays for
the same files; ``run.py`` times it next to the real check, and the difference is what the
analysis and the rules cost. The workers inherit the change by being forked, so this runs
only where processes fork (Linux).
"""

from __future__ import annotations

import multiprocessing
import sys
from pathlib import Path

from ownership_lint import cli, engine
from ownership_lint.engine import Linter, Project


def parse_only(
    self: Linter, project: Project, path: Path, text: str, needles: frozenset[bytes] | None = None
) -> list:
    if needles is None:
        needles = self.needles_in(text.encode("utf-8", errors="surrogateescape"))
    if self._applicable_rules(needles):
        project.use_source(path, text)
        project.index.module_for_path(path)
    return []


if __name__ == "__main__":
    if "fork" not in multiprocessing.get_all_start_methods():
        sys.exit("floor.py: needs forked workers (Linux); spawned ones would run the real check")
    engine.Linter._check = parse_only
    sys.argv[0] = "ownership-lint"
    cli.main()
