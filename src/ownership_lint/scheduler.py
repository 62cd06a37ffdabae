"""Which files need checking, and where: the cache, the byte prefilter and the process pool.

Per project: files whose cache entry is still valid are answered from the cache; files that
mention none of the analysis' names cost a byte scan; the rest are checked, in worker
processes when there are enough of them to pay for the pool.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from pathlib import Path

from . import __version__
from .analysis.project import NEEDLES, needle_mask
from .cache import Entry, FileState, ProjectCache, cache_file, content_hash, settings_key
from .engine import FileResult, Linter, Project, RuleCrash, RunResult
from .source import SourceError, decode_source

# Below this many files to check, starting workers costs more than it saves.
POOL_THRESHOLD = 48

Outcome = tuple[FileResult | None, frozenset[str], int, str | None]


def run_files(linter: Linter, files: list[Path], result: RunResult) -> None:
    by_project: dict[Path, list[Path]] = defaultdict(list)
    for path in files:
        by_project[linter.project_for(path).root].append(path)
    plans = [_plan(linter, linter.project_for(paths[0]), paths, result) for paths in by_project.values()]
    todo = [path for plan in plans for path in plan.todo]
    outcomes = dict(_check_all(linter, todo))
    for plan in plans:
        _finish(plan, outcomes, result)


@dataclass
class _Plan:
    project: Project
    cache: ProjectCache | None
    states: dict[str, FileState]
    todo: list[Path]


def _plan(linter: Linter, project: Project, paths: list[Path], result: RunResult) -> _Plan:
    """Answer what the cache can; the rest is to be checked."""
    cache = _open_cache(linter, project)
    if cache is None:
        return _Plan(project, None, {}, list(paths))
    states = _current_states(project, cache)
    changed, changed_needles = _changes(cache, states)
    todo = []
    for path in paths:
        entry = cache.reusable(project.relative(path), changed, changed_needles)
        if entry is None:
            todo.append(path)
        else:
            result.files.append(_from_cache(path, entry))
    return _Plan(project, cache, states, todo)


def _finish(plan: _Plan, outcomes: dict[Path, Outcome], result: RunResult) -> None:
    cache, project = plan.cache, plan.project
    for path in plan.todo:
        file_result, depends_on, needles, error = outcomes[path]
        if error is not None:
            result.errors.append(error)
            continue
        assert file_result is not None
        result.files.append(_slim(file_result))
        relative = project.relative(path)
        if cache is not None and not file_result.changed and relative in plan.states:
            cache.entries[relative] = Entry(
                plan.states[relative].digest, depends_on, needles, tuple(file_result.diagnostics)
            )
    if cache is not None and (plan.todo or cache.files != plan.states):
        cache.files = plan.states
        cache.entries = {k: v for k, v in cache.entries.items() if k in plan.states}
        cache.save()


def _open_cache(linter: Linter, project: Project) -> ProjectCache | None:
    options = linter.options
    if not options.use_cache or options.fix or options.diff:
        return None
    key = settings_key(
        linter.settings, sorted(linter.enabled), sorted(linter.fixable), options.with_edits,
        options.ignore_noqa, options.unsafe_fixes, sys.version_info[:2],  # grammars differ
    )
    directory = Path(linter.settings.cache_dir)
    if not directory.is_absolute():
        directory = project.root / directory
    return ProjectCache.load(cache_file(directory, __version__, key))


def _current_states(project: Project, cache: ProjectCache) -> dict[str, FileState]:
    """Every project file's state; content is read and hashed only when its stat changed."""
    states = {}
    for path in project.files:
        relative = project.relative(path)
        try:
            stat = path.stat()
        except OSError:
            continue
        known = cache.files.get(relative)
        if known is not None and (known.mtime_ns, known.size) == (stat.st_mtime_ns, stat.st_size):
            states[relative] = known
            continue
        try:
            data = path.read_bytes()
        except OSError:
            continue
        states[relative] = FileState(stat.st_mtime_ns, stat.st_size, content_hash(data), needle_mask(data))
    return states


def _changes(cache: ProjectCache, states: dict[str, FileState]) -> tuple[frozenset[str], int]:
    """The files whose content changed, and the byte scans whose answer may have changed.

    A file added or removed changes the module table itself: every entry is then stale.
    """
    if set(states) != set(cache.files):
        return frozenset(states) | frozenset(cache.files), -1
    changed = frozenset(
        relative for relative, state in states.items() if cache.files[relative].digest != state.digest
    )
    needles = 0
    for relative in changed:
        needles |= states[relative].needles | cache.files[relative].needles
    return changed, needles


def _from_cache(path: Path, entry: Entry) -> FileResult:
    text = ""
    if entry.diagnostics:
        try:
            text = decode_source(path, path.read_bytes()).text
        except (OSError, SourceError):
            text = ""
    return FileResult(path=path, diagnostics=list(entry.diagnostics), original=text, text=text)


def _slim(result: FileResult) -> FileResult:
    """Drop the text of files nobody will print or diff, to keep memory flat."""
    if result.diagnostics or result.changed:
        return result
    return replace(result, original="", text="")


# Checking, here or in workers


def _check_all(linter: Linter, paths: list[Path]) -> Iterable[tuple[Path, Outcome]]:
    relevant, quiet = _prefilter(linter, paths)
    for path in quiet:
        yield path, (FileResult(path=path), frozenset(), 0, None)
    jobs = linter.options.jobs or os.cpu_count() or 1
    if jobs < 2 or len(relevant) < POOL_THRESHOLD:
        for path in relevant:
            yield path, _check_one(linter, path)
        return
    yield from _check_in_pool(linter, relevant, jobs)


def _prefilter(linter: Linter, paths: list[Path]) -> tuple[list[Path], list[Path]]:
    relevant, quiet = [], []
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError:
            relevant.append(path)  # let the check report the error
            continue
        (relevant if linter.is_relevant(data) else quiet).append(path)
    return relevant, quiet


def _check_one(linter: Linter, path: Path) -> Outcome:
    try:
        source = decode_source(path, path.read_bytes())
    except OSError as error:
        return None, frozenset(), 0, f"{path}: {error.strerror or error}"
    except SourceError as error:
        return None, frozenset(), 0, str(error)
    project = linter.project_for(path)
    try:
        result, facts = linter.process_recording(source)
    except (RuleCrash, SourceError) as error:
        return None, frozenset(), 0, str(error)
    except Exception as error:  # noqa: BLE001 - one file must not take the whole run down
        return None, frozenset(), 0, f"{path}: internal error: {type(error).__name__}: {error} (please report it)"
    return result, *_dependencies(project, facts), None


def _dependencies(project: Project, facts: set[object]) -> tuple[frozenset[str], int]:
    modules = set()
    needles = 0
    for kind, value in facts:  # type: ignore[misc]
        if kind == "module":
            path = project.index.path_of(value)
            if path is not None:
                modules.add(project.relative(path))
        elif kind == "needle":
            # A scan for anything but the known needles depends on every file's content.
            needles |= needle_mask(value) if value in NEEDLES else -1
    return frozenset(modules), needles


_WORKER: dict[str, Linter] = {}


def _worker_start(linter: Linter) -> None:
    _WORKER["linter"] = Linter(linter.settings, linter.root, linter.options)


def _worker_check(paths: list[Path]) -> list[tuple[Path, Outcome]]:
    linter = _WORKER["linter"]
    return [(path, _check_one(linter, path)) for path in paths]


def _check_in_pool(linter: Linter, paths: list[Path], jobs: int) -> Iterable[tuple[Path, Outcome]]:
    """Chunks keep a project's files together, so each worker parses a shared module once.

    A worker that dies (a crash in native code) costs the chunks it and the others had not
    finished: their files are reported as errors instead of waiting for them forever.
    """
    size = max(8, len(paths) // (jobs * 4))
    chunks = [paths[i : i + size] for i in range(0, len(paths), size)]
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    with ProcessPoolExecutor(jobs, mp_context=context, initializer=_worker_start, initargs=(linter,)) as pool:
        futures = {pool.submit(_worker_check, chunk): chunk for chunk in chunks}
        for future in as_completed(futures):
            try:
                outcomes = future.result()
            except BrokenProcessPool:
                outcomes = [(path, _lost(path)) for path in futures[future]]
            yield from outcomes


def _lost(path: Path) -> Outcome:
    return None, frozenset(), 0, f"{path}: not checked: a worker process died (run with -j 1 to find the file)"
