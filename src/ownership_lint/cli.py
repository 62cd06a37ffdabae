"""The command line: parse options, call the engine, pick a formatter. No rule logic here."""

from __future__ import annotations

import codecs
import dataclasses
import gc
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

import click

from . import __version__
from .api import resolve_settings
from .diagnostics import Diagnostic
from .discovery import DiscoveryError, is_force_excluded
from .engine import FileResult, Linter, RuleCrash, RunOptions, RunResult
from .output import FORMATS, RenderContext, render
from .registry import RegistryError, all_rules, rule_for, rule_names
from .settings import ConfigError, settings_as_toml_dict
from .source import SourceError, SourceFile, decode_source, split_lines, write_source_atomically

EXIT_OK, EXIT_FAILURE, EXIT_ERROR = 0, 1, 2
# Formats for people: the closing summary lines follow them, as in ruff.
TEXT_FORMATS = frozenset({"full", "concise", "grouped"})


class _DefaultToCheck(click.Group):
    """``ownership-lint PATHS`` means ``ownership-lint check PATHS``, as in ruff."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("--help", "-h", "--version")):
            args = ["check", *args]
        return super().parse_args(ctx, args)


@click.group(cls=_DefaultToCheck, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ownership-lint")
def cli() -> None:
    """Find and fix broken user isolation in FastAPI backends."""


def _split(values: Sequence[str]) -> tuple[str, ...] | None:
    if not values:
        return None
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())


_LIST = {"multiple": True, "metavar": "RULE_CODE"}


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--fix/--no-fix", default=False, help="Apply fixes to resolve violations.")
@click.option("--unsafe-fixes/--no-unsafe-fixes", default=False, help="Include unsafe fixes.")
@click.option("--fix-only", is_flag=True, help="Apply fixes, report nothing else.")
@click.option("--diff", is_flag=True, help="Print the fixes as a diff instead of writing them.")
@click.option("--show-fixes", is_flag=True, help="List the fixes that were applied.")
@click.option("--exit-non-zero-on-fix", is_flag=True, help="Exit 1 when a fix was applied.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when violations remain.")
@click.option("--select", **_LIST)
@click.option("--extend-select", **_LIST)
@click.option("--ignore", **_LIST)
@click.option("--extend-ignore", **_LIST)
@click.option("--per-file-ignores", multiple=True, metavar="PATTERN:CODES")
@click.option("--fixable", **_LIST)
@click.option("--unfixable", **_LIST)
@click.option("--output-format", type=click.Choice(sorted(FORMATS)), default=None)
@click.option("-o", "--output-file", type=click.Path(path_type=Path), default=None)
@click.option("--statistics", is_flag=True, help="Count violations per rule.")
@click.option("-q", "--quiet", is_flag=True, help="Print diagnostics only.")
@click.option("-s", "--silent", is_flag=True, help="Print nothing.")
@click.option("--no-color", is_flag=True, help="Disable colour.")
@click.option("--add-noqa", is_flag=True, help="Add `# noqa` to each line with a violation.")
@click.option("--ignore-noqa", is_flag=True, help="Report violations on `# noqa` lines too.")
@click.option("--config", type=click.Path(path_type=Path), default=None)
@click.option("--project-root", type=click.Path(path_type=Path, file_okay=False), default=None)
@click.option("--no-cache", is_flag=True, help="Read and write no cache.")
@click.option("--cache-dir", type=click.Path(path_type=Path), default=None)
@click.option("--exclude", multiple=True, metavar="PATTERN")
@click.option("--extend-exclude", multiple=True, metavar="PATTERN")
@click.option("--force-exclude/--no-force-exclude", default=None)
@click.option("--stdin-filename", type=click.Path(path_type=Path), default=None)
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None, help="Worker processes (default: all cores).")
def check(paths: tuple[Path, ...], **options: object) -> None:
    """Check PATHS (default: the current project) for broken user isolation."""
    sys.exit(_run_check(list(paths), options))


def _run_check(paths: list[Path], options: dict) -> int:
    start = options["stdin_filename"] or (paths[0] if paths else Path.cwd())
    try:
        settings = resolve_settings(
            Path(start),
            config=options["config"],
            overrides=_overrides(options),
            project_root=options["project_root"],
        )
        run_options = _run_options(options, settings.output_format)
        linter = Linter(settings, options["project_root"], run_options)
        if options["stdin_filename"]:
            return _check_stdin(linter, Path(options["stdin_filename"]), options, settings)
        result = linter.run(paths or [Path.cwd()])
    except (ConfigError, DiscoveryError, RegistryError, SourceError, RuleCrash, _OutputError) as error:
        _error(str(error))
        return EXIT_ERROR
    for warning in result.warnings:
        _warn(warning)
    if options["add_noqa"]:
        code = _add_noqa(result, quiet=bool(options["quiet"] or options["silent"]))
    else:
        try:
            code = _report(result, options, settings.output_format)
        except _OutputError as error:
            result.errors.append(str(error))
    for message in result.errors:
        _error(message)
    return EXIT_ERROR if result.errors else code


def _overrides(options: dict) -> dict[str, object]:
    overrides: dict[str, object] = {
        name: _split(options[name])
        for name in ("select", "extend_select", "ignore", "extend_ignore", "fixable", "unfixable")
    }
    overrides["per_file_ignores"] = list(options["per_file_ignores"]) or None
    overrides["exclude"] = tuple(options["exclude"]) or None
    overrides["extend_exclude"] = tuple(options["extend_exclude"]) or None
    overrides["force_exclude"] = options["force_exclude"]
    overrides["output_format"] = options["output_format"]
    overrides["cache_dir"] = str(options["cache_dir"]) if options["cache_dir"] else None
    return overrides


def _run_options(options: dict, configured_format: str | None = None) -> RunOptions:
    fix = bool(options["fix"] or options["fix_only"]) and not options["diff"]
    output_format = _format(options, configured_format)
    return RunOptions(
        fix=fix,
        unsafe_fixes=bool(options["unsafe_fixes"]),
        diff=bool(options["diff"]),
        # The formats that print the fixes' edits (as JSON or SARIF replacements).
        with_edits=output_format in ("json", "json-lines", "sarif"),
        ignore_noqa=bool(options["ignore_noqa"]),
        use_cache=not options["no_cache"],
        jobs=options["jobs"],
        sources=bool(options["add_noqa"])
        or (output_format == "full" and not options["statistics"] and not options["silent"]),
    )


def _mode(options: dict) -> str:
    if options["diff"]:
        return "diff"
    if options["fix_only"]:
        return "fix-only"
    return "fix" if options["fix"] else "check"


def _report(
    result: RunResult,
    options: dict,
    configured_format: str | None,
    *,
    stream: TextIO | None = None,
    summary_stream: TextIO | None = None,
) -> int:
    """Print the diagnostics (or the diff) and ruff's closing lines; ``stream`` and
    ``summary_stream`` replace standard output for them (``--stdin-filename`` with fixes)."""
    mode = _mode(options)
    diagnostics = result.diagnostics
    fixed = {str(f.path): dict(f.fixed) for f in result.files if f.fixed}
    for file in result.files:
        for failure in file.fix_failures:
            _warn(failure)
    output = _Output(options, stream)
    summary = output if summary_stream is None else _Output(options, summary_stream)
    output_format = _format(options, configured_format)
    if mode == "diff":
        output.write(_unified_diff(result))
    elif not options["silent"] and mode != "fix-only":
        output.write(_render_diagnostics(result, diagnostics, options, configured_format))
    text_output = output_format in TEXT_FORMATS and not (options["statistics"] and output_format == "json")
    if not (options["quiet"] or options["silent"]) and text_output:
        from .output.summary import summary_lines

        summary.write(
            summary_lines(
                remaining=diagnostics,
                fixed=fixed,
                mode=mode,
                unsafe_fixes=bool(options["unsafe_fixes"]),
                show_fixes=bool(options["show_fixes"]),
                cwd=Path.cwd(),
                names=rule_names(),
                color=_use_color(options),
            )
        )
    output.close()
    if summary is not output:
        summary.close()
    return _exit_code(result, diagnostics, options, mode)


def _exit_code(result: RunResult, diagnostics: list[Diagnostic], options: dict, mode: str) -> int:
    if mode == "diff":
        return EXIT_FAILURE if any(f.changed for f in result.files) else EXIT_OK
    fixed_any = any(f.fixed for f in result.files)
    if options["exit_non_zero_on_fix"] and fixed_any:
        return EXIT_FAILURE
    if mode == "fix-only" or options["exit_zero"]:
        return EXIT_OK
    return EXIT_FAILURE if diagnostics else EXIT_OK


def _format(options: dict, configured: str | None) -> str:
    return options["output_format"] or configured or "full"


def _render_diagnostics(
    result: RunResult, diagnostics: list[Diagnostic], options: dict, configured_format: str | None
) -> str:
    ctx = RenderContext(
        # The formats show the source of the files with diagnostics only.
        sources={str(file.path): file.text for file in result.files if file.diagnostics},
        cwd=Path.cwd(),
        color=_use_color(options),
        unsafe_fixes=bool(options["unsafe_fixes"]),
    )
    if options["statistics"]:
        from .output.statistics import render_statistics

        return render_statistics(diagnostics, ctx, json_output=_format(options, configured_format) == "json")
    return render(_format(options, configured_format), diagnostics, ctx)


def _use_color(options: dict) -> bool:
    if options["no_color"] or options["output_file"] or os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return sys.stdout.isatty()


def _unified_diff(result: RunResult) -> str:
    import difflib

    chunks = []
    for file in result.files:
        if file.changed:
            name = _display_path(file.path)
            chunks.extend(
                difflib.unified_diff(
                    split_lines(file.original),
                    split_lines(file.text),
                    name,
                    name,
                )
            )
            chunks.append("\n")
    return "".join(chunks)


def _display_path(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _check_stdin(linter: Linter, filename: Path, options: dict, settings) -> int:
    """Check the source on standard input as if it were ``filename`` of its project.

    As ``ruff check --stdin-filename``: in check mode the report goes to standard output; with
    ``--fix``/``--fix-only`` the fixed source goes to standard output (nothing is written to
    disk) and the remaining diagnostics and closing lines to standard error; with ``--diff``
    the diff goes to standard output and the closing lines to standard error.
    """
    data = sys.stdin.buffer.read()
    path = Path(os.path.realpath(filename))
    source = decode_source(path, data)
    mode = _mode(options)
    if settings.force_exclude and is_force_excluded(path, settings, settings.project_root or path.parent):
        result = FileResult(path=path, original=source.text, text=source.text)
    else:
        if mode in ("fix", "fix-only"):
            linter.options = dataclasses.replace(linter.options, fix=False, diff=True)
        result = linter.process(SourceFile(path, source.text, source.encoding, source.bom))
    run = RunResult(files=[result])
    if mode in ("fix", "fix-only"):
        _write_bytes(sys.stdout, source.encode(result.text) if result.changed else data)
        return _report(run, options, settings.output_format, stream=sys.stderr)
    if mode == "diff":
        return _report(run, options, settings.output_format, summary_stream=sys.stderr)
    return _report(run, options, settings.output_format)


def _add_noqa(result: RunResult, *, quiet: bool = False) -> int:
    """Write the noqa comments; ruff's message, only when something was added. A file that
    cannot be written is an error of the run (``result.errors``)."""
    from .noqa import add_noqa

    total = 0
    for file in result.files:
        fresh = [d for d in file.diagnostics if d.code is not None]
        if not fresh:
            continue
        text, count = add_noqa(file.text, fresh)
        if count:
            source = SourceFile(file.path, file.text)
            try:
                source = decode_source(file.path, file.path.read_bytes())
            except (OSError, SourceError):
                pass
            try:
                write_source_atomically(source, text)
            except SourceError as error:
                result.errors.append(str(error))
                continue
            total += count
    if total and not quiet:
        noun = "directive" if total == 1 else "directives"
        click.echo(f"Added {total} noqa {noun}.", err=True)
    return EXIT_OK


class _OutputError(Exception):
    """The report cannot be written to ``--output-file``."""


def _lenient(error: UnicodeError) -> tuple[str | bytes, int]:
    """The file name bytes a path held undecoded, else a backslash escape: output never fails
    on a character the stream's encoding lacks."""
    try:
        return codecs.lookup_error("surrogateescape")(error)
    except UnicodeError:
        return codecs.lookup_error("backslashreplace")(error)


codecs.register_error("ownership-lint-lenient", _lenient)


def _write_text(stream: TextIO, text: str) -> None:
    encoding = getattr(stream, "encoding", None) or "utf-8"
    _write_bytes(stream, text.encode(encoding, "ownership-lint-lenient"), text)


def _write_bytes(stream: TextIO, data: bytes, text: str | None = None) -> None:
    """Through the stream's binary buffer when it has one; a reader that went away (a pipe
    into ``head``) ends the output, not the run."""
    buffer = getattr(stream, "buffer", None)
    try:
        if buffer is None:
            stream.write(text if text is not None else data.decode("utf-8", "replace"))
        else:
            stream.flush()
            buffer.write(data)
        stream.flush()
    except BrokenPipeError:
        _silence(stream)


def _silence(stream: TextIO) -> None:
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())
    except (OSError, ValueError, AttributeError):
        pass


class _Output:
    """Standard output or ``--output-file``."""

    def __init__(self, options: dict, stream: TextIO | None = None) -> None:
        self.path: Path | None = options["output_file"]
        self.stream = stream
        self.parts: list[str] = []

    def write(self, text: str) -> None:
        self.parts.append(text)

    def close(self) -> None:
        text = "".join(self.parts)
        if self.path is None:
            _write_text(self.stream or sys.stdout, text)
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_bytes(text.encode("utf-8", "ownership-lint-lenient"))
        except OSError as error:
            raise _OutputError(f"{self.path}: cannot write the report: {error.strerror or error}") from None


@cli.command()
@click.argument("code", required=False)
@click.option("--all", "show_all", is_flag=True, help="Explain every rule.")
@click.option("--output-format", type=click.Choice(["text", "json"]), default="text")
def rule(code: str | None, show_all: bool, output_format: str) -> None:
    """Explain a rule (by code or name), or every rule with --all."""
    import json

    from .docs import rule_json, rule_text

    try:
        if show_all:
            rules = list(all_rules())
        else:
            found = rule_for(code) if code else None
            if found is None:
                _error(f"unknown rule: {code!r}" if code else "give a rule code or --all")
                sys.exit(EXIT_ERROR)
            rules = [found]
    except RegistryError as error:
        _error(str(error))
        sys.exit(EXIT_ERROR)
    # The bytes ``ruff rule`` writes: JSON without a final newline, a blank line between texts.
    if output_format == "json":
        payload = [rule_json(r) for r in rules]
        click.echo(json.dumps(payload if show_all else payload[0], indent=2, ensure_ascii=False), nl=False)
    elif show_all:
        click.echo("".join(rule_text(r) + "\n\n" for r in rules), nl=False)
    else:
        click.echo(rule_text(rules[0]))


@cli.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--config", type=click.Path(path_type=Path), default=None)
def config(path: Path | None, config: Path | None) -> None:
    """Print the resolved settings for PATH (default: the current directory)."""
    import json

    try:
        settings = resolve_settings(path or Path.cwd(), config=config)
    except ConfigError as error:
        _error(str(error))
        sys.exit(EXIT_ERROR)
    click.echo(f"# project root: {settings.project_root}")
    click.echo(f"# config file: {settings.config_path or '(none, defaults)'}")
    click.echo("[tool.ownership-lint]")
    for key, value in settings_as_toml_dict(settings).items():
        click.echo(f"{key} = {json.dumps(value)}")


def _error(message: str) -> None:
    click.echo(f"{click.style('error', fg='red', bold=True)}: {message}", err=True)


def _warn(message: str) -> None:
    click.echo(f"{click.style('warning', fg='yellow', bold=True)}: {message}", err=True)


def main(argv: Sequence[str] | None = None) -> int:
    """The command line; ``argv`` None: this process's own arguments, and the process ends
    with the run."""
    # A run is short and builds many small trees that form no cycles: collecting them in
    # the youngest generation only wastes time (about a tenth of a cold run).
    gc.set_threshold(100_000, 50, 100)
    if argv is None:
        from . import scheduler

        scheduler.freeze_after_each_file = True
    code = _main(argv)
    if argv is None:
        # The interpreter's exit would end with a full collection over everything the run
        # built (tens of milliseconds of a cached run); the memory goes with the process.
        gc.freeze()
    return code


def _main(argv: Sequence[str] | None) -> int:
    # Usage errors (unknown option, bad option value) are one line and exit 2, like the others.
    try:
        code = cli.main(
            args=list(argv) if argv is not None else None, prog_name="ownership-lint", standalone_mode=False
        )
    except click.UsageError as error:
        _error(" ".join(error.format_message().split()))
        return EXIT_ERROR
    except click.Abort:
        click.echo("Aborted!", err=True)
        return EXIT_FAILURE
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 2)
    return code if isinstance(code, int) else 0
