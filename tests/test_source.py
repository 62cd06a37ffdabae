"""Decoding source bytes: the UTF-8 shortcut answers exactly as ``tokenize.detect_encoding``."""

from __future__ import annotations

import codecs
import io
import tokenize
from pathlib import Path

import pytest

from ownership_lint.source import SourceError, decode_source

SAMPLES = {
    "ascii": b"import os\nprint(os.sep)\n",
    "utf-8": "name = 'caf\u00e9'\n".encode(),
    "empty": b"",
    "bom": codecs.BOM_UTF8 + b"x = 1\n",
    "cookie on line 1": "# -*- coding: latin-1 -*-\nname = 'caf\u00e9'\n".encode("latin-1"),
    "cookie on line 2": "#!/usr/bin/env python\n# coding: latin-1\nname = 'caf\u00e9'\n".encode("latin-1"),
    "cookie after code": "x = 1\n# coding: latin-1\nname = 'caf\u00e9'\n".encode("latin-1"),
    "the word later": b"x = 1\ny = 2\n# coding style: pep8\n",
    "not utf-8, no cookie": "name = 'caf\u00e9'\n".encode("latin-1"),
    "not utf-8 past line 2": b"x = 1\ny = 2\nz = '\xe9'\n",
    "unknown codec": b"# coding: no-such-codec\nx = 1\n",
    "carriage returns only": b"x = 1\r# coding: latin-1\ry = '\xe9'\r",
}


def _reference(data: bytes) -> tuple[str, str, bool] | str:
    """What decoding through ``tokenize.detect_encoding`` alone gives (or its error)."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as error:
        return f"x.py: {error}"
    bom = encoding == "utf-8-sig"
    if bom:
        data, encoding = data[len(codecs.BOM_UTF8) :], "utf-8"
    try:
        return data.decode(encoding), encoding, bom
    except (UnicodeDecodeError, LookupError) as error:
        return f"x.py: cannot decode as {encoding}: {error}"


@pytest.mark.parametrize("name", SAMPLES)
def test_decoding_matches_the_tokenizer(name: str) -> None:
    data = SAMPLES[name]
    try:
        source = decode_source(Path("x.py"), data)
    except SourceError as error:
        assert str(error) == _reference(data)
    else:
        assert (source.text, source.encoding, source.bom) == _reference(data)
