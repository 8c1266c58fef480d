"""io.Reader parameters from bytes-like values, over the real built readers fixture: bytes,
bytearray, memoryview and str travel in the request and Go reads them from a *bytes.Reader; a
Go object that implements io.Reader passes as itself; None is a nil reader."""

from __future__ import annotations

import inspect

import pytest
import usegolib
from conftest import FIXTURES
from usegolib import _stubs


@pytest.fixture(scope="module")
def rd(artifact_root):
    return usegolib.import_(FIXTURES / "readers", artifact_dir=artifact_root)


ODD = bytes(range(256)) + b"\xff\xfe\x00not utf-8 \xc3\x28"


@pytest.mark.parametrize(
    "make", [bytes, bytearray, memoryview], ids=["bytes", "bytearray", "memoryview"]
)
@pytest.mark.parametrize("data", [b"", b"hello\nworld\n", ODD], ids=["empty", "text", "binary"])
def test_bytes_like_values_give_exactly_their_bytes(rd, make, data):
    assert rd.ReadAll(make(data)) == data
    assert rd.Kind(make(data)) == "*bytes.Reader"


def test_memoryview_slices_and_large_values(rd):
    big = bytes(range(256)) * (8 * 1024 * 1024 // 256)
    assert len(big) == 8 << 20
    assert rd.ReadAll(big) == big
    assert rd.ReadAll(memoryview(bytearray(big))[1:-1]) == big[1:-1]
    assert rd.ReadAll(memoryview(b"abcdef")[::2]) == b"ace", "a strided view gives its bytes"


def test_str_is_sent_as_utf8(rd):
    assert rd.ReadAll("héllo, 世界") == "héllo, 世界".encode()
    assert rd.Upper("héllo\n") == "HÉLLO\n"
    assert rd.ReadAll("") == b""
    assert rd.ReadAll("a\udcffb") == b"a\xffb", "lone surrogates stand for bytes, as for string"


def test_count_lines_agrees_with_go(rd):
    text = "one\ntwo\r\nthree\n\nlast without newline" * 1000
    want = rd.CountLinesOf(text)
    assert want == 4001
    for arg in (text, text.encode(), bytearray(text.encode()), memoryview(text.encode())):
        assert rd.CountLines(arg) == want


def test_go_objects_pass_as_themselves(rd):
    src = rd.NewSource("abc")
    assert rd.Kind(src) == "*readers.Source"
    assert rd.ReadAll(src) == b"abc"
    assert src.Left() == "", "Go read the object itself"
    assert rd.ReadAll(rd.NewStringsReader("std")) == b"std"
    assert rd.Upper(rd.NewBuffer("buf")) == "BUF"
    wrapped = rd.Wrap("wrapped")
    assert isinstance(wrapped, usegolib.GoObject), "an io.Reader result is still a Go object"
    assert rd.ReadAll(wrapped) == b"wrapped"
    assert rd.Concat(b"a", "b", rd.NewSource("c"), bytearray(b"d")) == b"abcd"


def test_none_is_a_nil_reader(rd):
    assert rd.Either(None) is True
    assert rd.Either(b"") is False
    assert rd.Either("") is False
    assert rd.Either(rd.NewSource("")) is False


class WithRead:
    def read(self, n=-1):
        return b""


def test_objects_with_read_are_read_through_callbacks(rd):
    # Once a TypeError: Go now reads them through host requests (test_streams.py).
    assert rd.ReadAll(WithRead()) == b""


@pytest.mark.parametrize("bad", [1, [1, 2], 1.5], ids=["int", "list", "float"])
def test_other_values_are_type_errors_naming_the_parameter(rd, bad):
    with pytest.raises(TypeError, match=r"\br\b") as e:
        rd.ReadAll(bad)
    msg = str(e.value)
    assert "bytes, bytearray, memoryview, str" in msg
    assert "io.Reader: missing method read" in msg


def test_a_go_object_that_is_not_a_reader_is_refused_by_go(rd):
    with pytest.raises(Exception, match="io.Reader") as e:
        rd.ReadAll(rd.NewCounter())
    assert "Counter" in str(e.value)


def test_closed_go_object(rd):
    src = rd.NewSource("x")
    src.close()
    with pytest.raises(usegolib.ObjectClosedError):
        rd.ReadAll(src)


def test_signature_and_stub(rd):
    ann = inspect.signature(rd.ReadAll).parameters["r"].annotation
    assert ann == bytes | bytearray | memoryview | str | usegolib.GoObject | None
    stub = _stubs.render(rd._go_module, "example.com/readers")
    assert (
        "def ReadAll(r: bytes | bytearray | memoryview | str | SupportsRead[bytes] | GoObject"
        " | None) -> bytes" in stub
    )
    assert "def Wrap(s: str) -> Any" in stub, "an io.Reader result stays a Go object"
