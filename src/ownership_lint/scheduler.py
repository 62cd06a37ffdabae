"""Which files need checking, and where: the cache, the byte prefilter and the process pool.

Per project: files whose cache entry is still valid are answered from the cache; the rest are
read once, and those that mention none of the analysis' names cost only that read and a byte
scan; the others are checked. With enough files to pay for it, reading, scanning and checking
all happen in worker processes.

Files are plain strings here (absolute and resolved): a run over thousands of files mostly
answered from the cache cannot afford a ``Path`` object per file and step.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import __version__
from .cache import (
    Changes,
    FileState,
    ProjectCache,
    cache_file,
    content_hash,
    entry,
    settings_key,
    unpack,
)
from .engine import (
    FileResult,
    Linter,
    Project,
    ProjectHolder,
    RuleCrash,
    RunOptions,
    RunResult,
)
from .settings import Settings
from .source import SourceError, decode_source

# Below this many files to read and check, starting workers costs more than it saves.
POOL_THRESHOLD = 48

# Whether to move what survives each file's check (the project index, parsed modules, memoised
# facts) out of the collector's reach: otherwise every collection walks all of it again, about
# a tenth of a cold run. Only for processes that end with the run (workers, the command line):
# cyclic garbage among frozen objects is never collected.
freeze_after_each_file = False

# (the result, None for a file without findings or changes; the modules its analysis
# consulted, as bits over the project's files; the byte scans it relied on; the error that
# stopped its check)
Outcome = tuple[FileResult | None, int, int, str | None]
_CLEAN: Outcome = (None, 0, 0, None)
# (content hash, needle mask) of the bytes a check read: its file's cache state
Digest = tuple[str, int]


def run_files(linter: Linter, names: list[str], result: RunResult) -> None:
    """Check the files ``names`` (in path order) into ``result``, in the same order.

    A project's cache is written as soon as its last file is checked, while the workers go on
    with other projects.
    """
    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(linter.root_of(name), []).append(name)
    cache_key = _cache_key(linter)
    sources = linter.options.sources
    plans = [_plan(linter.project_at(root), group, cache_key, sources) for root, group in groups.items()]
    results: dict[str, FileResult] = {}
    plan_of = {}
    for plan in plans:
        results.update(plan.answered)
        plan_of.update(dict.fromkeys(plan.todo, plan))
        if not plan.todo:
            _finish(plan, results)
    todo = [name for plan in plans for name in plan.todo]
    for name, outcome, digest in _check_all(linter, todo, digests=cache_key is not None):
        plan = plan_of[name]
        plan.outcomes[name] = outcome
        if digest is not None:
            plan.digests[name] = digest
        if len(plan.outcomes) == len(plan.todo):
            _finish(plan, results)
    for plan in plans:
        result.errors.extend(plan.errors)
    result.files.extend(results[name] for name in names if name in results)


@dataclass
class _Plan:
    project: Project
    cache: ProjectCache | None
    states: dict[str, FileState]
    order: tuple[str, ...]  # the project's files, relative
    changes: Changes
    todo: list[str]
    answered: dict[str, FileResult]  # from the cache
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    digests: dict[str, Digest] = field(default_factory=dict)  # of states left to the check
    errors: list[str] = field(default_factory=list)


def _plan(project: Project, names: list[str], cache_key: str | None, sources: bool) -> _Plan:
    """Answer what the cache can (reading the text of the files it answers with diagnostics
    when ``sources``); the rest is to be checked."""
    if cache_key is None:
        return _Plan(project, None, {}, (), Changes(), list(names), {})
    cache = _open_cache(project, cache_key)
    order = tuple(project.relative_name(name) for name in project.names)
    states = _current_states(project, order, cache, frozenset(names))
    changes = cache.changes(states, order)
    todo, answered = [], {}
    for name in names:
        found = cache.reusable(project.relative_name(name), changes)
        if found is None:
            todo.append(name)
        else:
            answered[name] = _from_cache(name, found[3], sources)
    return _Plan(project, cache, states, order, changes, todo, answered)


def _finish(plan: _Plan, results: dict[str, FileResult]) -> None:
    cache, project = plan.cache, plan.project
    _fill_in_digests(plan)
    fresh = {}
    for name in plan.todo:
        file_result, depends_on, needles, error = plan.outcomes[name]
        if error is not None:
            plan.errors.append(error)
            continue
        if file_result is None:
            file_result = FileResult(path=name)
        results[name] = file_result
        relative = project.relative_name(name)
        if cache is not None and not file_result.changed and relative in plan.states:
            fresh[relative] = entry(plan.states[relative][2], depends_on, needles, tuple(file_result.diagnostics))
    if cache is not None and (plan.todo or cache.files != plan.states):
        cache.keep_valid(plan.states, plan.order, plan.changes)
        cache.entries.update(fresh)
        cache.save()


def _fill_in_digests(plan: _Plan) -> None:
    """Complete the states that ``_current_states`` left to the check; a file the check could
    not read has none."""
    for name in plan.todo:
        relative = plan.project.relative_name(name)
        state = plan.states.get(relative)
        if state is None or state[2]:
            continue
        digest = plan.digests.get(name)
        if digest is None:
            del plan.states[relative]
        else:
            plan.states[relative] = (state[0], state[1], *digest)


def _cache_key(linter: Linter) -> str | None:
    """The name of the runs' cache files; None when this run reads and writes no cache."""
    options = linter.options
    if not options.use_cache or options.fix or options.diff:
        return None
    # Where the settings were found is not part of them (``Settings`` equality ignores it too):
    # ``check .`` above a project and a pre-commit run on a file in it share the cache.
    settings = replace(linter.settings, config_path=None, project_root=None)
    return settings_key(
        settings, sorted(linter.enabled), sorted(linter.fixable), options.with_edits,
        options.ignore_noqa, options.unsafe_fixes, sys.version_info[:2],  # grammars differ
    )


def _open_cache(project: Project, key: str) -> ProjectCache:
    directory = os.path.join(str(project.root), project.settings.cache_dir)
    return ProjectCache.load(cache_file(directory, __version__, key))


def _current_states(
    project: Project, order: tuple[str, ...], cache: ProjectCache, checked: frozenset[str]
) -> dict[str, FileState]:
    """Every project file's state (``order``: their relative names); content is read and
    hashed only when its stat changed.

    A file the cache does not know is checked whatever its content (a new file makes every
    entry stale), so when it is among ``checked`` its hash is left to the check, which reads
    the file anyway (in a worker): its state has an empty hash until ``_fill_in_digests``.
    """
    states = {}
    known_states = cache.files
    for name, relative in zip(project.names, order):
        try:
            stat = os.stat(name)
        except OSError:
            continue
        known = known_states.get(relative)
        if known is not None and known[0] == stat.st_mtime_ns and known[1] == stat.st_size:
            states[relative] = known
            continue
        if known is None and name in checked:
            states[relative] = (stat.st_mtime_ns, stat.st_size, "", 0)
            continue
        try:
            data = Path(name).read_bytes()
        except OSError:
            continue
        states[relative] = (stat.st_mtime_ns, stat.st_size, *_digest(data))
    return states


def _digest(data: bytes) -> Digest:
    from .analysis.project import needle_mask

    return content_hash(data), needle_mask(data)


def _from_cache(name: str, diagnostics: tuple[tuple, ...], with_text: bool) -> FileResult:
    if not diagnostics:
        return FileResult(path=name)
    text = _text(Path(name)) if with_text else ""
    return FileResult(path=name, diagnostics=[unpack(d, name) for d in diagnostics], original=text, text=text)


def _text(path: Path) -> str:
    try:
        return decode_source(path, path.read_bytes()).text
    except (OSError, SourceError):
        return ""


def _slim(result: FileResult) -> FileResult | None:
    """Drop the text of files nobody will print or diff, to keep memory and the workers'
    answers small; None for a file with nothing to report."""
    if result.diagnostics or result.changed:
        return result
    if result.fixed or result.fix_failures:
        return replace(result, original="", text="")
    return None


# Checking, here or in workers


# (the file, how its check went, the digest of the bytes it read when asked for)
Checked = tuple[str, Outcome, Digest | None]


def _check_all(linter: Linter, names: list[str], digests: bool) -> Iterable[Checked]:
    """Check ``names``; with ``digests``, also give each file's ``_digest``."""
    jobs = linter.options.jobs or os.cpu_count() or 1
    if jobs < 2 or len(names) < POOL_THRESHOLD:
        yield from _check_serially(linter, names, digests, ProjectHolder())
        return
    yield from _check_in_pool(linter, names, jobs, digests)


def _check_serially(linter: Linter, names: list[str], digests: bool, holder: ProjectHolder) -> Iterable[Checked]:
    """Project by project (``names`` keeps a project's files together); ``holder`` lets a
    project's parsed modules go once its files are done."""
    for name in names:
        project = linter.project_at(linter.root_of(name))
        holder.hold(project)
        yield name, *_read_and_check(linter, name, digests, project)


def _read_and_check(linter: Linter, name: str, digest: bool, project: Project) -> tuple[Outcome, Digest | None]:
    """Read the file of ``project`` once: the prefilter scans those bytes, the check decodes
    them, the project index reuses them and the cache's digest is made of them."""
    try:
        data = project.read(name)
    except OSError as error:
        return (None, 0, 0, f"{name}: {error.strerror or error}"), None
    digested = _digest(data) if digest else None
    needles = linter.needles_in(data)
    if needles is not None and not needles:
        return _CLEAN, digested
    outcome = _check_one(linter, Path(name), data, needles)
    if freeze_after_each_file:
        gc.freeze()
    return outcome, digested


def _check_one(linter: Linter, path: Path, data: bytes, needles: frozenset[bytes] | None) -> Outcome:
    try:
        source = decode_source(path, data)
    except SourceError as error:
        return None, 0, 0, str(error)
    try:
        result, facts = linter.process_recording(source, needles)
    except (RuleCrash, SourceError) as error:
        return None, 0, 0, str(error)
    except Exception as error:  # noqa: BLE001 - one file must not take the whole run down
        return None, 0, 0, f"{path}: internal error: {type(error).__name__}: {error} (please report it)"
    return _slim(result), *_dependencies(facts), None


def _dependencies(facts: int) -> tuple[int, int]:
    """The index's recorded ``facts`` as (modules consulted, as bits over the project's
    files; byte scans relied on, as ``NEEDLES`` bits). A scan for anything else depends on
    every file's content: -1."""
    from .analysis.project import FACT_MODULES, FACT_OTHER_SCAN, NEEDLE_FACTS

    return facts >> FACT_MODULES, -1 if facts & FACT_OTHER_SCAN else facts & NEEDLE_FACTS


# A worker process's linter, and the project it holds across chunks: a project split between
# chunks is analysed once by a worker that gets several of them in a row.
_worker: tuple[Linter, ProjectHolder] | None = None


def _worker_start(settings: Settings, root: Path | None, options: RunOptions, walk_state: tuple) -> None:
    global freeze_after_each_file, _worker
    freeze_after_each_file = True
    linter = Linter(settings, root, options)
    linter.use_walk_state(walk_state)
    _worker = (linter, ProjectHolder())


def _worker_check(names: list[str], digests: bool) -> list[Checked]:
    assert _worker is not None, "_worker_start runs first in every worker"
    linter, holder = _worker
    return list(_check_serially(linter, names, digests, holder))


def _check_in_pool(linter: Linter, names: list[str], jobs: int, digests: bool) -> Iterable[Checked]:
    """Chunks keep a project's files together, so each worker parses a shared module once.

    A worker that dies (a crash in native code) costs the chunks it and the others had not
    finished: their files are reported as errors instead of waiting for them forever.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    chunks = _chunks(linter, names, jobs)
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    initargs = (linter.settings, linter.root, linter.options, linter.walk_state())
    with ProcessPoolExecutor(jobs, mp_context=context, initializer=_worker_start, initargs=initargs) as pool:
        futures = {pool.submit(_worker_check, chunk, digests): chunk for chunk in chunks}
        for future in as_completed(futures):
            try:
                outcomes = future.result()
            except BrokenProcessPool:
                outcomes = [(name, _lost(name), None) for name in futures[future]]
            yield from outcomes


def _chunks(linter: Linter, names: list[str], jobs: int) -> list[list[str]]:
    """Runs of whole projects, each about a ``2 * jobs``-th of the files not yet given out:
    large first and small at the end, so that the workers finish together; whole, so that a
    worker parses a project's shared modules once. Only a project larger than a ``4 * jobs``-th
    of all the files is split."""
    chunks: list[list[str]] = []
    current: list[str] = []
    current_root = None
    in_project = 0  # files of the current project in the current chunk
    remaining = len(names)
    target = _chunk_size(remaining, jobs)
    split_at = 2 * max(8, len(names) // (8 * jobs))
    for name in names:
        root = linter.root_of(name)
        if root != current_root:
            in_project = 0
        if len(current) >= target and (in_project == 0 or in_project >= max(split_at, target)):
            chunks.append(current)
            remaining -= len(current)
            target = _chunk_size(remaining, jobs)
            current, in_project = [], 0
        current.append(name)
        current_root = root
        in_project += 1
    if current:
        chunks.append(current)
    return chunks


def _chunk_size(remaining: int, jobs: int) -> int:
    return max(8, remaining // (2 * jobs))


def _lost(name: str) -> Outcome:
    return None, 0, 0, f"{name}: not checked: a worker process died (run with -j 1 to find the file)"
