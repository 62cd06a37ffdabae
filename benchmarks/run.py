"""Time ownership-lint on synthetic corpora, side by side with ruff and flake8.

    python benchmarks/run.py [--sizes 100000,300000,1000000] [--work /tmp/ownership-bench]
                             [--flake8-defaults] [--repeat 3]

For each corpus size (generated once by ``generate_corpus.py`` and reused) it reports wall
time (median of --repeat runs), lines per second and peak memory (largest process) for:
cold ``check`` (no cache), the floor under it (``floor.py``: the same run with the analysis
left out), warm ``check`` (cache, nothing changed), ``--fix`` on a copy, a
pre-commit-style run on 5 route files of the corpus (warm), cold and warm ``check`` of the same
files laid out as one project (a monorepo), the flake8 plugin
(``flake8 --select OWN``), and ``ruff check --no-cache`` as the reference. With
``--flake8-defaults`` it also times flake8 with its default plugins (slow). The result is a
Markdown table on standard output. The package's bytecode is compiled first, as an installed
copy has it.
"""

from __future__ import annotations

import argparse
import compileall
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from generate_corpus import generate  # noqa: E402

BIN = Path(sys.executable).parent


def tool(name: str) -> str | None:
    candidate = BIN / name
    return str(candidate) if candidate.exists() else shutil.which(name)


# Runs one command and prints the peak RSS (KB) of its largest process, workers included.
_PEAK = (
    "import resource, subprocess, sys;"
    "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL);"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def measure(command: list[str], cwd: Path, repeat: int) -> tuple[float, float]:
    """(median wall seconds, peak RSS in MB of the largest process)."""
    walls = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        walls.append(time.perf_counter() - start)
    peak = subprocess.run(
        [sys.executable, "-c", _PEAK, *command], cwd=cwd, capture_output=True, text=True, check=False
    )
    return statistics.median(walls), int(peak.stdout.strip() or 0) / 1024


def compile_bytecode() -> None:
    """Write the package's bytecode caches, as ``pip install`` does. Without them (an editable
    install under PYTHONDONTWRITEBYTECODE) every run and every worker compiles every module
    again: about a tenth of a second that no installed copy pays."""
    import ownership_lint

    compileall.compile_dir(Path(ownership_lint.__file__).parent, quiet=1)


def corpus(work: Path, size: int) -> tuple[Path, int]:
    root = work / f"corpus-{size}"
    marker = root / ".lines"
    if not marker.exists():
        shutil.rmtree(root, ignore_errors=True)
        lines, _projects = generate(root, size)
        marker.write_text(str(lines))
    return root, int(marker.read_text())


def plain_flake8(work: Path) -> str:
    """flake8 in a venv of its own: the project's venv also registers the OWN plugin."""
    venv = work / "flake8-venv"
    binary = venv / "bin" / "flake8"
    if not binary.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "flake8"], check=True)
    return str(binary)


def route_files(root: Path, count: int = 5) -> list[str]:
    found = sorted(root.glob("project_*/app/api/routes/*.py"))
    step = max(1, len(found) // count)
    return [str(path) for path in found[::step][:count]]


def clear_caches(root: Path) -> None:
    for cache in [*root.glob("project_*/.ownership_lint_cache"), root / ".ownership_lint_cache"]:
        shutil.rmtree(cache, ignore_errors=True)


def monorepo(work: Path, root: Path) -> Path:
    """The same files as one project (a monorepo whose services share one root): the
    projects' own markers left out, one ``pyproject.toml`` on top."""
    mono = work / f"one-project-{root.name}"
    marker = mono / "pyproject.toml"
    if not marker.exists():
        shutil.rmtree(mono, ignore_errors=True)
        shutil.copytree(root, mono, ignore=shutil.ignore_patterns(".ownership_lint_cache", "pyproject.toml"))
        marker.write_text('[project]\nname = "monorepo"\n')
    return mono


def bench_size(work: Path, size: int, repeat: int, flake8_defaults: bool) -> list[tuple[str, float, float, int]]:
    root, lines = corpus(work, size)
    # The installed command, printing its default (full) output like the ruff run below.
    command = tool("ownership-lint")
    lint = [*([command] if command else [sys.executable, "-m", "ownership_lint"]), "check", "--exit-zero", "-q"]
    rows = []

    def row(label: str, command: list[str], cwd: Path = root, runs: int = repeat) -> None:
        wall, peak = measure(command, cwd, runs)
        rows.append((label, wall, peak, lines))

    row("ownership-lint check (cold, --no-cache)", [*lint, "--no-cache", "."])
    floor = [sys.executable, str(Path(__file__).with_name("floor.py")), "check", "--exit-zero", "-q"]
    row("floor: the same run, reading and parsing only (no analysis)", [*floor, "--no-cache", "."])
    clear_caches(root)
    measure([*lint, "."], root, 1)  # populate the cache
    row("ownership-lint check (warm cache)", [*lint, "."])
    row("pre-commit run: 5 changed files (warm)", [*lint, *route_files(root)])
    mono = monorepo(work, root)
    row("one project (monorepo layout): check (cold, --no-cache)", [*lint, "--no-cache", "."], mono)
    clear_caches(mono)
    measure([*lint, "."], mono, 1)
    row("one project (monorepo layout): check (warm cache)", [*lint, "."], mono)
    fix_copy = work / f"fix-{size}"
    shutil.rmtree(fix_copy, ignore_errors=True)
    shutil.copytree(root, fix_copy)
    row("ownership-lint check --fix (copy)", [*lint, "--fix", "--no-cache", "."], fix_copy, 1)
    shutil.rmtree(fix_copy, ignore_errors=True)
    flake8 = tool("flake8")
    if flake8:
        row("flake8 --select OWN (plugin, -j 2)", [flake8, "--select", "OWN", "-j", "2", "--exit-zero", "."], root, 1)
    if flake8_defaults:
        plain = plain_flake8(work)
        row("flake8, default plugins only (-j 2)", [plain, "-j", "2", "--exit-zero", "."], root, 1)
    ruff = tool("ruff")
    if ruff:
        row("ruff check --no-cache (reference)", [ruff, "check", "--no-cache", "--exit-zero", "-q", "."])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,300000,1000000")
    parser.add_argument("--work", type=Path, default=Path("/tmp/ownership-bench"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--flake8-defaults", action="store_true")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    compile_bytecode()
    print(f"Machine: {os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()}, {platform.machine()}\n")
    print("| corpus lines | command | wall (s) | lines/s | peak RSS (MB) |")
    print("|---:|---|---:|---:|---:|")
    for size in (int(s) for s in args.sizes.split(",")):
        for label, wall, peak, lines in bench_size(args.work, size, args.repeat, args.flake8_defaults):
            print(f"| {lines:,} | {label} | {wall:.2f} | {lines / wall:,.0f} | {peak:.0f} |", flush=True)


if __name__ == "__main__":
    main()
