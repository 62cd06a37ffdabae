"""Reading and writing Python source without losing a byte: encoding, BOM, line endings."""

from __future__ import annotations

import ast
import codecs
import io
import os
import tempfile
import tokenize
from dataclasses import dataclass
from pathlib import Path

from .diagnostics import Location


class SourceError(Exception):
    """A file that cannot be read or decoded; the message names the file."""


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


def read_source(path: Path) -> SourceFile:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise SourceError(f"{path}: {error.strerror or error}") from None
    return decode_source(path, data)


def write_source_atomically(source: SourceFile, text: str) -> None:
    """Write next to the file, keep its mode bits, then rename over it."""
    path = source.path
    mode = path.stat().st_mode & 0o7777
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as temp:
            temp.write(source.encode(text))
        os.chmod(temp_name, mode)
        os.replace(temp_name, path)
    except BaseException:
        if os.path.exists(temp_name):
            os.unlink(temp_name)
        raise


def parse_module(text: str, filename: str) -> ast.Module:
    """Parse with the stdlib; a null byte is a syntax error like any other.

    Code written for a newer Python than the running one (``except A, B:``, ``class C[T]:``,
    ``type X = ...``) is rewritten line for line into the running grammar first (see
    ``newer_syntax``), so its rows and, nearly always, its columns are the file's. When that
    does not make it parse, the stdlib's error for the original text is raised.
    """
    if "\0" in text:
        raise SyntaxError("source code cannot contain null bytes", (filename, 1, 1, ""))
    try:
        return ast.parse(text, filename=filename, type_comments=False)
    except SyntaxError as error:
        original = error
    from .newer_syntax import lower_newer_syntax  # loads libcst: only for files ast rejects

    lowered = lower_newer_syntax(text)
    if lowered is not None and lowered != text:
        try:
            return ast.parse(lowered, filename=filename, type_comments=False)
        except SyntaxError:
            pass
    raise original


class Locator:
    """Converts ast positions (UTF-8 byte columns) to 1-based character columns."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._lines = text.splitlines(keepends=True) or [""]

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
