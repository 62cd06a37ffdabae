"""Reading and writing Python source without losing a byte: encoding, BOM, line endings."""

from __future__ import annotations

import ast
import codecs
import functools
import io
import os
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path

from .diagnostics import Location


class SourceError(Exception):
    """A file that cannot be read or decoded; the message names the file."""


class NestingError(Exception):
    """Code nested more deeply than the running Python's parser (or libcst) can take."""


@dataclass(frozen=True)
class SourceFile:
    path: Path
    text: str
    encoding: str = "utf-8"
    bom: bool = False

    def encode(self, text: str) -> bytes:
        data = text.encode(self.encoding)
        return codecs.BOM_UTF8 + data if self.bom else data


def decode_source(path: Path, data: bytes) -> SourceFile:
    if not data.startswith(codecs.BOM_UTF8) and b"coding" not in _first_two_lines(data):
        # No BOM and no encoding declaration: UTF-8, as detect_encoding would find, for
        # a fraction of its cost; anything else (or bytes that are not UTF-8) takes the
        # full way below, errors included.
        try:
            return SourceFile(path=path, text=data.decode("utf-8"))
        except UnicodeDecodeError:
            pass
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as error:
        raise SourceError(f"{path}: {error}") from None
    bom = encoding == "utf-8-sig"
    if bom:
        data = data[len(codecs.BOM_UTF8) :]
        encoding = "utf-8"
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as error:
        raise SourceError(f"{path}: cannot decode as {encoding}: {error}") from None
    return SourceFile(path=path, text=text, encoding=encoding, bom=bom)


def _first_two_lines(data: bytes) -> bytes:
    """What ``tokenize.detect_encoding`` reads at most (lines end at ``\\n`` there)."""
    first = data.find(b"\n")
    second = data.find(b"\n", first + 1) if first >= 0 else -1
    return data if second < 0 else data[:second]


def read_source(path: Path) -> SourceFile:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise SourceError(f"{path}: {error.strerror or error}") from None
    return decode_source(path, data)


def write_source_atomically(source: SourceFile, text: str) -> None:
    """Write next to the file, keep its mode bits and owner, then rename over it.

    The file is either replaced whole or left as it was; a failure is a ``SourceError``.
    """
    path = source.path
    try:
        data = source.encode(text)
    except UnicodeEncodeError as error:
        raise SourceError(f"{path}: cannot write: the fixed text is not {source.encoding}: {error.reason}") from None
    try:
        _replace_file(path, data)
    except OSError as error:
        raise SourceError(f"{path}: cannot write: {error.strerror or error}") from None


def _replace_file(path: Path, data: bytes) -> None:
    import tempfile

    status = path.stat()
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as temp:
            temp.write(data)
            temp.flush()
            os.fsync(temp.fileno())
        os.chmod(temp_name, status.st_mode & 0o7777)
        _keep_owner(temp_name, status)
        os.replace(temp_name, path)
    except BaseException:
        if os.path.exists(temp_name):
            os.unlink(temp_name)
        raise


def _keep_owner(name: str, status: os.stat_result) -> None:
    if hasattr(os, "chown") and (status.st_uid, status.st_gid) != (os.getuid(), os.getgid()):
        try:
            os.chown(name, status.st_uid, status.st_gid)
        except OSError:
            pass  # only root may give a file away; the rename still keeps the content


def parse_module(text: str, filename: str) -> ast.Module:
    """Parse with the stdlib; a null byte is a syntax error like any other, and code nested
    beyond what the parser can take is a ``NestingError``.

    Code written for a newer Python than the running one (``except A, B:``, ``class C[T]:``,
    ``type X = ...``) is rewritten line for line into the running grammar first (see
    ``newer_syntax``), so its rows and, nearly always, its columns are the file's. When that
    does not make it parse, the stdlib's error for the original text is raised.
    """
    if "\0" in text:
        raise SyntaxError("source code cannot contain null bytes", (filename, 1, 1, ""))
    try:
        return _parse(text, filename)
    except SyntaxError as error:
        original = error
    if not fits_libcst(text):
        raise original
    from .newer_syntax import lower_newer_syntax  # loads libcst: only for files ast rejects

    lowered = lower_newer_syntax(text)
    if lowered is not None and lowered != text:
        try:
            return _parse(lowered, filename)
        except SyntaxError:
            pass
    raise original


def _parse(text: str, filename: str) -> ast.Module:
    try:
        return ast.parse(text, filename=filename, type_comments=False)
    except (RecursionError, MemoryError):
        raise NestingError("the code is nested too deeply to analyse") from None


# libcst's native parser recurses once per level of nesting, and its time and memory grow with
# the square of the depth: a few thousand levels take seconds and gigabytes, then overflow the
# C stack and kill the process. Its Python side gives up (RecursionError) at a few hundred
# levels anyway, so text nested deeper than this is not handed to libcst at all.
MAX_LIBCST_NESTING = 500
_OPENING, _CLOSING = frozenset("([{"), frozenset(")]}")
# Commas separate siblings, except in these headers, whose commas sit inside one node.
_HEADER_END = {"lambda": ":", "for": "in"}
_FSTRING_START = {getattr(tokenize, name, -1) for name in ("FSTRING_START", "TSTRING_START")}
_FSTRING_END = {getattr(tokenize, name, -1) for name in ("FSTRING_END", "TSTRING_END")}
_FSTRING_MIDDLE = {getattr(tokenize, name, -1) for name in ("FSTRING_MIDDLE", "TSTRING_MIDDLE")}


@functools.lru_cache(maxsize=16)
def fits_libcst(text: str) -> bool:
    """Whether libcst may parse ``text`` without running out of stack, time or memory."""
    if len(text) <= MAX_LIBCST_NESTING:
        return True
    depth = nesting_bound(text)
    return depth is not None and depth <= MAX_LIBCST_NESTING


def nesting_bound(text: str) -> int | None:
    """An upper bound of how deeply a syntax tree of ``text`` nests, from its tokens; None
    when it does not tokenize.

    Within a logical line every token may open one more level (``a + b + c``, ``-(-x)``,
    ``"a" "b"``), except that a comma starts a sibling (``[1, 2, 3]`` is one level deep); the
    bound is the largest sum, over the open brackets, of the tokens since the last comma, plus
    the indentation depth.
    """
    normalized = text.replace("\r\n", "\n").replace("\r", "\n")
    counter = _NestingCounter()
    try:
        for token in tokenize.generate_tokens(io.StringIO(normalized).readline):
            counter.feed(token)
    except (tokenize.TokenError, SyntaxError):
        return None
    return counter.deepest


class _NestingCounter:
    def __init__(self) -> None:
        self.deepest = 0
        self.indent = 0
        self._new_line()

    def _new_line(self) -> None:
        self.runs = [0]  # tokens since the last comma, per open bracket
        self.headers: list[str | None] = [None]  # what ends an open lambda/for header
        self.total = 0

    def feed(self, token: tokenize.TokenInfo) -> None:
        kind, string = token.type, token.string
        if kind == tokenize.INDENT:
            self.indent += 1
        elif kind == tokenize.DEDENT:
            self.indent -= 1
        elif kind == tokenize.NEWLINE or string == ";":
            self._new_line()
        elif kind in (tokenize.NL, tokenize.COMMENT, tokenize.ENDMARKER):
            return
        elif kind in _FSTRING_START or (kind == tokenize.OP and string in _OPENING):
            self._count(string)
            self.runs.append(0)
            self.headers.append(None)
        elif kind in _FSTRING_END or (kind == tokenize.OP and string in _CLOSING):
            if len(self.runs) > 1:
                self.total -= self.runs.pop()
                self.headers.pop()
        elif kind in _FSTRING_MIDDLE or (string == "," and self.headers[-1] is None):
            self.total -= self.runs[-1]
            self.runs[-1] = 0
        else:
            self._count(string)
        self.deepest = max(self.deepest, self.indent + self.total)

    def _count(self, string: str) -> None:
        self.runs[-1] += 1
        self.total += 1
        if self.headers[-1] is None and string in _HEADER_END:
            self.headers[-1] = _HEADER_END[string]
        elif self.headers[-1] == string:
            self.headers[-1] = None


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")
# Where str.splitlines breaks a line and Python does not.
_OTHER_BREAKS = re.compile("[\v\f\x1c\x1d\x1e\x85\u2028\u2029]")


def split_lines(text: str) -> list[str]:
    """The lines of ``text`` as Python numbers them (ended by ``\\r\\n``, ``\\r`` or
    ``\\n`` only, not by a form feed or U+2028), each with its line ending."""
    if not _OTHER_BREAKS.search(text):
        return text.splitlines(keepends=True)
    return _LINE.findall(text)


class Locator:
    """Converts ast positions (UTF-8 byte columns) to 1-based character columns."""

    def __init__(self, text: str) -> None:
        self.text = text

    @functools.cached_property
    def _lines(self) -> list[str]:
        """Split on first use: most files checked have nothing to locate."""
        return split_lines(self.text) or [""]

    def line(self, row: int) -> str:
        if 1 <= row <= len(self._lines):
            return self._lines[row - 1]
        return ""

    def char_column(self, row: int, byte_offset: int) -> int:
        line = self.line(row)
        prefix = line.encode("utf-8")[:byte_offset]
        return len(prefix.decode("utf-8", errors="ignore")) + 1

    def start(self, node: ast.AST) -> Location:
        return Location(node.lineno, self.char_column(node.lineno, node.col_offset))

    def end(self, node: ast.AST) -> Location:
        row = node.end_lineno or node.lineno
        offset = node.end_col_offset if node.end_col_offset is not None else node.col_offset
        return Location(row, self.char_column(row, offset))

    @property
    def line_count(self) -> int:
        return len(self._lines)
