"""Rewrite syntax of newer Pythons into the running interpreter's grammar, line for line.

The analysis reads ``ast`` trees, and ``ast`` only knows the grammar of the Python running
the linter. A project written for a newer Python is parsed with libcst (which knows every
grammar up to 3.14) and the constructs the target grammar rejects are rewritten in the text:

* ``except A, B:`` (PEP 758, 3.14) becomes ``except(A, B):`` — the same ``ast`` as the
  parenthesised form;
* ``except*`` (PEP 654, 3.11) becomes ``except``;
* type parameter lists ``def f[T: X](...)``, ``class C[T]:`` (PEP 695, 3.12; defaults,
  PEP 696, 3.13) are blanked out;
* ``type X[T] = v`` (PEP 695) becomes the assignment ``X = v``;
* ``*Ts`` in a subscript or a ``*args`` annotation (PEP 646, 3.11) loses its star;
* an f-string the running parser rejects (PEP 701, 3.12) or a t-string (PEP 750, 3.14)
  becomes a parenthesised tuple of its replacement fields, so the names they use remain.

Every rewrite replaces text in place: the result has the same lines, each line break where it
was, and every character that is kept stays at the same UTF-8 byte offset of its line (blanked
characters become as many spaces as they had bytes). Rows of the ``ast`` of the result are
therefore the rows of the original file, and so are columns, except: the name of a ``type``
alias moves to where ``type`` stood, and a parenthesis that has no whitespace to take the place
of shifts the rest of its line by one.

libcst is imported here only: a file the running ``ast`` accepts never loads it.
"""

from __future__ import annotations

import ast
import functools
import re
import sys
import warnings
from collections.abc import Iterable, Iterator

RUNNING_VERSION: tuple[int, int] = sys.version_info[:2]

_NEWLINE = re.compile(r"(\r\n|\r|\n)")

# An edit replaces text[start:end] with its replacement; edits never overlap.
Edit = tuple[int, int, str]


class _Misplaced(Exception):
    """A libcst position does not point at the node's text.

    libcst computes positions by generating code, and a few round-trip bugs (whitespace before
    an ``except`` colon, after an f-string conversion) lose characters: positions after them on
    the same line are off. Every position an edit relies on is checked against the text, and
    the rewrite is abandoned rather than applied at the wrong place.
    """


@functools.lru_cache(maxsize=16)
def lower_newer_syntax(text: str, target: tuple[int, int] = RUNNING_VERSION) -> str | None:
    """``text`` with the constructs ``target``'s grammar lacks rewritten as described above.

    Returns ``text`` unchanged when there is nothing to rewrite and None when libcst cannot
    parse it either (or its positions cannot be trusted). f- and t-strings are rewritten only
    when the running parser rejects them (so, with a ``target`` older than the running Python,
    a PEP 701 f-string is kept).
    """
    try:
        import libcst as cst
        from libcst.metadata import MetadataWrapper
    except ImportError:  # pragma: no cover - libcst is a dependency
        return None
    try:
        module = cst.parse_module(text)
    except Exception:  # libcst's parser or tokenizer rejected it: a real syntax error
        return None
    collector = _collector_class()(text, target, module)
    try:
        MetadataWrapper(module, unsafe_skip_copy=True).visit(collector)
    except Exception:  # _Misplaced, or a construct the rewrite does not foresee
        return None  # the caller reports the stdlib's syntax error, as without the rewrite
    lowered = _apply(text, collector.edits)
    if lowered is None or _line_count(lowered) != _line_count(text):
        return None
    return lowered


# Text helpers


def _byte_width(char: str) -> int:
    return len(char.encode("utf-8", errors="surrogatepass"))


def blank(segment: str, *, continue_lines: bool) -> str:
    """Spaces for ``segment``, byte for byte, keeping its line breaks.

    With ``continue_lines`` each line that ends inside the segment ends with a backslash, so a
    blanked span outside brackets does not end the logical line.
    """
    pieces = _NEWLINE.split(segment)
    out = []
    for index, piece in enumerate(pieces):
        if index % 2:  # a line break
            out.append(piece)
            continue
        spaces = " " * sum(_byte_width(char) for char in piece)
        if continue_lines and index < len(pieces) - 1:
            spaces = spaces[:-1] + "\\"
        out.append(spaces)
    return "".join(out)


def _put(blanked: str, char: str, *, last: bool = False) -> str:
    """Replace the first (or last) blank that is not part of a line break with ``char``."""
    indices = range(len(blanked) - 1, -1, -1) if last else range(len(blanked))
    for index in indices:
        if blanked[index] == " ":
            return blanked[:index] + char + blanked[index + 1 :]
    raise ValueError("no room for " + char)


def _apply(text: str, edits: Iterable[Edit]) -> str | None:
    out = []
    position = 0
    for start, end, replacement in sorted(edits, key=lambda edit: (edit[0], edit[1])):
        if start < position:  # overlapping rewrites: give up rather than guess
            return None
        out.append(text[position:start])
        out.append(replacement)
        position = end
    out.append(text[position:])
    return "".join(out)


def _line_count(text: str) -> int:
    return sum(1 for _ in _NEWLINE.finditer(text))


def _same_code(original: str, generated: str) -> bool:
    """Whether libcst's code for a node is the text: the same lines, except that a node
    generated on its own loses the indentation of its continuation lines."""
    old, new = _NEWLINE.split(original)[::2], _NEWLINE.split(generated)[::2]
    return (
        len(old) == len(new)
        and old[0] == new[0]
        and all(a.lstrip(" \t\f") == b.lstrip(" \t\f") for a, b in zip(old[1:], new[1:]))
    )


def _accepted_by_running_parser(fragment: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(f"(\n{fragment}\n)", mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


# The rewrites


@functools.lru_cache(maxsize=None)
def _collector_class() -> type:
    """Defined on first use so that importing this module does not import libcst."""
    import libcst as cst
    from libcst.metadata import PositionProvider

    string_types = (cst.FormattedString, *_optional(cst, "TemplatedString"))
    expression_types = (cst.FormattedStringExpression, *_optional(cst, "TemplatedStringExpression"))

    class Collector(cst.CSTVisitor):
        METADATA_DEPENDENCIES = (PositionProvider,)

        def __init__(self, text: str, target: tuple[int, int], module: cst.Module) -> None:
            super().__init__()
            self.text = text
            self.target = target
            self.module = module
            self.edits: list[Edit] = []
            self._line_starts = [0, *(match.end() for match in _NEWLINE.finditer(text))]
            self._in_concatenation: set[cst.CSTNode] = set()

        # Positions as offsets into the text

        def span(self, node: cst.CSTNode) -> tuple[int, int]:
            found = self.get_metadata(PositionProvider, node)
            return self._offset(found.start), self._offset(found.end)

        def _offset(self, position) -> int:  # type: ignore[no-untyped-def]
            return self._line_starts[position.line - 1] + position.column

        def checked_span(self, node: cst.CSTNode) -> tuple[int, int]:
            """``span``, verified: the text there is the node's code."""
            start, end = self.span(node)
            if getattr(node, "lpar", None) or getattr(node, "rpar", None):
                node = node.with_changes(lpar=[], rpar=[])  # positions leave them out
            if not _same_code(self.text[start:end], self.module.code_for_node(node)):
                raise _Misplaced(type(node).__name__)
            return start, end

        def expect(self, offset: int, expected: str) -> None:
            if self.text[offset : offset + len(expected)] != expected:
                raise _Misplaced(expected)

        def replace(self, start: int, end: int, replacement: str) -> None:
            self.edits.append((start, end, replacement))

        def blank_span(self, start: int, end: int) -> None:
            self.replace(start, end, blank(self.text[start:end], continue_lines=True))

        # PEP 758: except A, B:  /  PEP 654: except* A:

        def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
            self._parenthesise_types(node)

        def visit_ExceptStarHandler(self, node: cst.ExceptStarHandler) -> None:
            if self.target < (3, 11):
                start, _ = self.span(node)
                self.expect(start, "except")
                star = start + len("except") + len(node.whitespace_after_except.value)
                self.expect(star, "*")
                self.replace(star, star + 1, " ")
            self._parenthesise_types(node)

        def _parenthesise_types(self, node: cst.ExceptHandler | cst.ExceptStarHandler) -> None:
            types = node.type
            if self.target >= (3, 14) or not isinstance(types, cst.Tuple) or types.lpar:
                return
            start, end = self.checked_span(types)
            text = self.text
            if start > 0 and text[start - 1] in " \t":
                self.replace(start - 1, start, "(")
            else:
                self.replace(start, start, "(")
            if text[end : end + 1] in (" ", "\t"):
                self.replace(end, end + 1, ")")
            elif text[end : end + 1] == ":" and text[end + 1 : end + 2] in (" ", "\t"):
                self.replace(end, end + 2, "):")
            else:
                self.replace(end, end, ")")

        # PEP 695 / 696: type parameters and type aliases

        def _lowers_type_parameters(self, parameters: cst.TypeParameters | None) -> bool:
            if parameters is None:
                return False
            has_default = any(param.default is not None for param in parameters.params)
            return self.target < (3, 12) or (has_default and self.target < (3, 13))

        def visit_TypeParameters(self, node: cst.TypeParameters) -> bool:
            if not self._lowers_type_parameters(node):
                return True
            self.blank_span(*self.checked_span(node))
            return False

        def visit_TypeAlias(self, node: cst.TypeAlias) -> None:
            if not (self.target < (3, 12) or self._lowers_type_parameters(node.type_parameters)):
                return
            start, _ = self.span(node)
            self.expect(start, "type")
            _, name_end = self.checked_span(node.name)
            name = node.name.value
            keyword = self.text[start : name_end - len(name)]  # ``type`` and what follows it
            self.replace(start, name_end, name + blank(keyword, continue_lines=True))

        # PEP 646: tuple[*Ts], *args: *Ts

        def visit_Index(self, node: cst.Index) -> None:
            if node.star is not None and self.target < (3, 11):
                start, _ = self.span(node)
                self.expect(start, "*")
                self.replace(start, start + 1, " ")

        def visit_Annotation(self, node: cst.Annotation) -> None:
            value = node.annotation
            if isinstance(value, cst.StarredElement) and not value.lpar and self.target < (3, 11):
                start, _ = self.span(value)
                self.expect(start, "*")
                self.replace(start, start + 1, " ")

        # PEP 701 f-strings, PEP 750 t-strings

        def visit_ConcatenatedString(self, node: cst.ConcatenatedString) -> None:
            if node in self._in_concatenation:
                return
            parts = list(_concatenated_parts(cst, node))
            self._in_concatenation.update(parts)
            self._string(node, parts)

        def visit_FormattedString(self, node: cst.FormattedString) -> None:
            if node not in self._in_concatenation:
                self._string(node, [node])

        def visit_TemplatedString(self, node: cst.CSTNode) -> None:
            if node not in self._in_concatenation:
                self._string(node, [node])

        def _string(self, node: cst.CSTNode, parts: list[cst.CSTNode]) -> None:
            formatted = [part for part in parts if isinstance(part, string_types)]
            templated = any(not isinstance(part, cst.FormattedString) for part in formatted)
            if not formatted or self.target >= (3, 14):
                return
            if self.target >= (3, 12) and not templated:
                return
            start, end = self.checked_span(node)
            if _accepted_by_running_parser(self.text[start:end]):
                return
            fields = [self.checked_span(expression) for expression in _fields(formatted, expression_types)]
            self._as_tuple(start, end, sorted(fields))

        def _as_tuple(self, start: int, end: int, fields: list[tuple[int, int]]) -> None:
            """``f"a{x}b{y!r}"`` -> ``( x,  y,   )``: the fields stay where they are."""
            gaps = []
            position = start
            for field_start, field_end in fields:
                gaps.append((position, field_start))
                position = field_end
            gaps.append((position, end))
            for index, (gap_start, gap_end) in enumerate(gaps):
                blanked = blank(self.text[gap_start:gap_end], continue_lines=False)
                blanked = _put(blanked, "(" if index == 0 else ",")
                if index == len(gaps) - 1:
                    blanked = _put(blanked, ")", last=True)
                self.replace(gap_start, gap_end, blanked)

    return Collector


def _optional(module: object, name: str) -> tuple[type, ...]:
    found = getattr(module, name, None)
    return (found,) if found is not None else ()


def _concatenated_parts(cst, node) -> Iterator:  # type: ignore[no-untyped-def]
    """The strings and nested concatenations that make up ``node``."""
    for side in (node.left, node.right):
        yield side
        if isinstance(side, cst.ConcatenatedString):
            yield from _concatenated_parts(cst, side)


def _fields(strings: Iterable, expression_types: tuple[type, ...]) -> Iterator:  # type: ignore[no-untyped-def]
    """The expressions of the replacement fields, format specs included."""
    for string in strings:
        yield from _part_fields(string.parts, expression_types)


def _part_fields(parts: Iterable, expression_types: tuple[type, ...]) -> Iterator:  # type: ignore[no-untyped-def]
    for part in parts:
        if isinstance(part, expression_types):
            yield part.expression
            if part.format_spec:
                yield from _part_fields(part.format_spec, expression_types)
