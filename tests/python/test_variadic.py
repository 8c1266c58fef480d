"""Variadic parameters of byte-like element types (docs/abi.md 8.4): `...byte` takes one int per
argument and sends them as one bytes value; `...Octet` (a named byte type), `...[]byte` and
`...rune` take one value each, as any other variadic parameter. A `...byte` function once crashed
the generator and made the whole module unbuildable."""

from __future__ import annotations

import inspect

import pytest
import usegolib
from conftest import FIXTURES
from usegolib._stubs import render


@pytest.fixture(scope="module")
def va(artifact_root):
    return usegolib.import_(FIXTURES / "variadic", artifact_dir=artifact_root)


def test_variadic_byte_takes_one_int_per_byte(va):
    assert va.Join(",", 1, 2, 255) == "1,2,255"
    assert va.Join(",", *b"AB") == "65,66"
    assert va.Join(",") == ""
    assert va.Count() == 0
    assert va.Count(*bytes(1000)) == 1000


def test_variadic_byte_checks_each_argument(va):
    with pytest.raises(OverflowError, match=r"variadic argument 1 \(Go \.\.\.byte\).*256.*uint8"):
        va.Join(",", 1, 256)
    with pytest.raises(OverflowError, match=r"out of range for uint8"):
        va.Count(-1)
    with pytest.raises(
        TypeError, match=r"variadic argument 0 \(Go \.\.\.byte\): expected int, got bytes"
    ):
        va.Count(b"ab")
    with pytest.raises(TypeError, match="expected int, got bool"):
        va.Count(True)


def test_other_byte_like_variadics(va):
    assert va.Octets(1, 2, 250) == 253
    assert va.Uint8s(7, 8) == 15
    assert va.Chunks(b"-", b"ab", bytearray(b"cd"), memoryview(b"e")) == b"ab-cd-e"
    assert va.Chunks(b"-") == b""
    assert va.Runes(0x48, 0x69, 0x1F600) == "Hi\U0001f600"
    with pytest.raises(OverflowError):
        va.Octets(256)


def test_signatures_and_stubs(va):
    p = inspect.signature(va.Join).parameters["parts"]
    assert p.kind is inspect.Parameter.VAR_POSITIONAL
    assert p.annotation is int
    assert [(q.name, q.go_type, q.wire) for q in va.Join.params] == [
        ("sep", "string", "string"),
        ("parts", "...byte", "bytes"),
    ]
    text = render(va._go_module, "example.com/variadic")
    assert "def Join(sep: str, *parts: int) -> str:" in text
    assert (
        "def Chunks(sep: bytes | bytearray | memoryview, *chunks: bytes | bytearray | memoryview) -> bytes:"
        in text
    )
