"""Python streams as Go io.Writer and io.Reader (docs/abi.md section 10): objects with write(),
read() or readinto(), binary and text streams, over the callbacks fixture and the real
goldmark (its output compared byte for byte with a Go program writing to a bytes.Buffer)."""

from __future__ import annotations

import io

import pytest
import usegolib
from conftest import go_output, run_py

GOLDMARK = "github.com/yuin/goldmark@v1.8.7"  # pinned, as in go/builder/realmod_test.go

MARKDOWN = (
    b"# Title\n\nSome *emphasis*, **strong**, `code` and a [link](https://example.com).\n\n"
    b"- one\n- two\n  - nested \xc3\xa9\n\n1. first\n2. second\n\n> a quote\n\n"
    b"```go\nfunc main() {}\n```\n\n<div>raw html</div>\n\n---\n\n" + b"para " * 5000 + b"\n"
)


def test_writers(cb):
    out = io.BytesIO()
    assert cb.Greet(out, "wörld") is None
    assert out.getvalue() == "hello, wörld\n".encode()
    text = io.StringIO()
    cb.Greet(text, "wörld")
    assert text.getvalue() == "hello, wörld\n", "a text stream gets UTF-8 text"

    class Chunks:
        def __init__(self):
            self.chunks = []

        def write(self, b):
            self.chunks.append(bytes(b))
            return len(b)

    w = Chunks()
    cb.WriteN(w, 1000, 7)
    assert [len(c) for c in w.chunks] == [7] * 142 + [6], "one write() per Go Write"
    assert b"".join(w.chunks) == bytes(i % 7 for i in range(1000))

    class Raw:  # a raw stream takes part of each write; the rest is written again
        def __init__(self):
            self.data = b""

        def write(self, b):
            self.data += bytes(b[:2])
            return min(2, len(b))

    r = Raw()
    cb.WriteN(r, 10, 5)
    assert r.data == bytes([0, 1, 2, 3, 4, 0, 1, 2, 3, 4])
    buf = cb.NewBuffer()  # a Go io.Writer passes as itself
    cb.Greet(buf, "go")
    assert cb.BufferText(buf) == "hello, go\n"


def test_a_text_stream_gets_characters_split_across_writes_whole(cb):
    text = io.StringIO()
    cb.Upper(text, io.BytesIO("ééé-ü".encode()))  # 3-byte chunks cut é (2 bytes) in half
    assert text.getvalue() == "ééé-ü"


def test_readers(cb):
    data = bytes(range(256)) * 100
    assert cb.ReadAll(io.BytesIO(data)) == data, "readinto()"

    class OnlyRead:
        def __init__(self, data):
            self.f = io.BytesIO(data)

        def read(self, n):
            return self.f.read(min(n, 1000))

    assert cb.ReadAll(OnlyRead(data)) == data, "read(n), short reads"
    assert cb.ReadAll(io.StringIO("héllo wörld")) == "héllo wörld".encode()
    assert cb.ReadAll(b"bytes still need no callback") == b"bytes still need no callback"
    out = io.BytesIO()
    cb.Upper(out, io.BytesIO(b"hello there"))
    assert out.getvalue() == b"HELLO THERE"


def test_bad_streams_name_the_parameter_and_the_method(cb):
    with pytest.raises(
        TypeError, match=r"argument 'w' \(Go io.Writer\).*missing method write.*got int"
    ):
        cb.Greet(3, "x")
    with pytest.raises(TypeError, match=r"argument 'r' \(Go io.Reader\).*missing method read"):
        cb.ReadAll(object())

    class Full:
        def write(self, b):
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full") as e:
        cb.Greet(Full(), "x")
    assert e.value.__notes__ == ["the Go function then failed: GoError: OSError: disk full"]

    class Bad:
        def read(self, n):
            return 42

    with pytest.raises(TypeError, match="read\\(\\) returned int, not bytes"):
        cb.ReadAll(Bad())

    # A count that is not one: the error names the method and what it returned.
    for count, exc in [(-1, ValueError), ("3", TypeError), (2.0, TypeError)]:

        class BadCount:
            def write(self, b, count=count):
                return count

            def readinto(self, b, count=count):
                return count

        with pytest.raises(exc, match=rf"write\(\) of io.Writer returned {count!r}: expected"):
            cb.Greet(BadCount(), "x")
        with pytest.raises(exc, match=rf"readinto\(\) of io.Reader returned {count!r}: expected"):
            cb.ReadAll(BadCount())


@pytest.fixture(scope="module")
def goldmark(artifact_root):
    try:
        return usegolib.import_(GOLDMARK, artifact_dir=artifact_root)
    except usegolib.BuildError as e:  # neither in the module cache nor reachable
        pytest.skip(f"{GOLDMARK} is not available: {e}")


def go_goldmark(tmp_path, source: bytes) -> bytes:
    """What goldmark.Convert writes to a bytes.Buffer, from a Go program."""
    body = "if err := goldmark.Convert(src, &b); err != nil {\n\tpanic(err)\n}\n"
    return go_output(
        tmp_path, {"github.com/yuin/goldmark": "v1.8.7"}, "github.com/yuin/goldmark", body, source
    )


def test_goldmark_writes_into_bytesio_exactly_what_go_writes(goldmark, tmp_path):
    want = go_goldmark(tmp_path, MARKDOWN)
    out = io.BytesIO()
    goldmark.Convert(MARKDOWN, out)
    assert out.getvalue() == want
    assert b"<h1>Title</h1>" in want
    md = goldmark.New()
    again = io.BytesIO()
    md.Convert(MARKDOWN, again)
    assert again.getvalue() == want


def test_goldmark_writes_into_sys_stdout(goldmark, artifact_root, tmp_path):
    want = go_goldmark(tmp_path, MARKDOWN)
    for stream in ("sys.stdout", "sys.stdout.buffer"):
        r = run_py(
            f"""
            import sys, usegolib
            gm = usegolib.import_({GOLDMARK!r}, artifact_dir={str(artifact_root)!r})
            gm.Convert({MARKDOWN!r}, {stream})
            sys.stdout.flush()
            """
        )
        assert r.returncode == 0, r.stderr
        assert r.stdout.encode() == want, stream


def test_stubs_spell_streams(cb):
    from usegolib import _stubs

    text = _stubs.render(cb._go_module, cb._go_path)
    assert "from _typeshed import SupportsRead, SupportsWrite" in text
    assert (
        "def Greet(w: SupportsWrite[bytes] | SupportsWrite[str] | GoObject | None, name: str)"
        in text
    )
    assert (
        "def ReadAll(r: bytes | bytearray | memoryview | str | SupportsRead[bytes] | GoObject"
        " | None) -> bytes:" in text
    )


def test_python_objects_implement_go_interfaces(cb):
    class Square:
        def area(self):  # snake_case of Area
            return 4.0

        def Name(self):  # or the Go name
            return "square"

    assert cb.Describe(Square()) == "square 4.0"
    seen = []

    class Visitor:
        def visit_node(self, depth, label):
            seen.append((depth, label))

    assert cb.Walk(Visitor()) is None
    assert seen == [(0, "root"), (1, "kid"), (2, "leaf")]

    class Failing:
        def visit_node(self, depth, label):
            if label == "kid":
                raise KeyError("nope")

    with pytest.raises(KeyError) as e:
        cb.Walk(Failing())
    assert e.value.__notes__ == ["the Go function then failed: GoError: walk: KeyError: 'nope'"]


def test_a_method_whose_result_does_not_convert_names_the_interface_and_method(cb):
    class BadShape:
        def area(self):
            return "four"

        def name(self):
            return "bad"

    with pytest.raises(
        TypeError, match=r"result 0 of the Python callable for callbacks\.Shape\.Area: "
    ):
        cb.Describe(BadShape())


def test_a_missing_method_is_a_type_error_before_go_runs(cb):
    class HalfShape:
        def area(self):
            raise AssertionError("never called: the object is refused first")

    live = usegolib.host_objects_live()
    with pytest.raises(TypeError, match=r"argument 's'.*callbacks.Shape.*missing method Name"):
        cb.Describe(HalfShape())
    assert usegolib.host_objects_live() == live


def test_small_io_interfaces(cb):
    rw = io.BytesIO(b"hello")  # io.ReadWriter: readinto and write
    cb.Shout(rw)
    assert rw.getvalue() == b"helloHELLO"
    text = io.StringIO()
    assert cb.WriteText(text, "héllo") == 6, "io.StringWriter: a stream's write, bytes counted"
    assert text.getvalue() == "héllo"
    raw = io.BytesIO()
    assert cb.WriteText(raw, "héllo") == 6
    assert raw.getvalue() == "héllo".encode()
    cb.WriteBytes(raw, "!?")  # io.ByteWriter: a stream's write, one byte each
    assert raw.getvalue() == "héllo!?".encode()
    utf8 = io.StringIO()
    cb.WriteBytes(utf8, "é")  # two WriteByte calls, one character
    assert utf8.getvalue() == "é"

    class Own:
        def __init__(self):
            self.got = []

        def write_byte(self, c):  # an object's own method wins over the stream alias
            self.got.append(c)

    own = Own()
    cb.WriteBytes(own, "ab")
    assert own.got == [97, 98]

    class Closable:
        closed = False

        def close(self):
            Closable.closed = True

    cb.CloseIt(Closable())  # io.Closer
    assert Closable.closed
    buf = cb.NewBuffer()  # a Go value implementing the interface passes as itself
    cb.Greet(buf, "x")
    assert cb.BufferText(buf) == "hello, x\n"
