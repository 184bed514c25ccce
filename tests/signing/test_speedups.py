"""The faster hex-string reader gives pyHanko exactly what its own reader gives."""

from __future__ import annotations

import io
import os

import pytest
from pyhanko.pdf_utils.misc import PdfStreamError

from signing import speedups


@pytest.mark.parametrize(
    "raw",
    [
        b"<48656C6C6F>rest",
        b"<48 65 6c\n6C\r\n6F\t>rest",
        b"<4>rest",  # an odd last digit is followed by 0
        b"<>rest",
        b"<" + os.urandom(40_000).hex().encode() + b">rest",  # longer than one chunk
        b"<FEFF00540069>rest",  # UTF-16 text
    ],
)
def test_same_object_and_position_as_pyhanko(raw):
    ours, theirs = io.BytesIO(raw), io.BytesIO(raw)
    assert speedups.read_hex_string_from_stream(ours) == speedups._original(theirs)
    assert type(speedups.read_hex_string_from_stream(io.BytesIO(raw))) is type(
        speedups._original(io.BytesIO(raw))
    )
    assert ours.read() == theirs.read() == b"rest"


@pytest.mark.parametrize("raw", [b"<48XX65>", b"<4865"])
def test_same_errors_as_pyhanko(raw):
    with pytest.raises(PdfStreamError):
        speedups._original(io.BytesIO(raw))
    with pytest.raises(PdfStreamError):
        speedups.read_hex_string_from_stream(io.BytesIO(raw))
