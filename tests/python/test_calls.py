"""Every Level-1 shape and boundary, from Python, over the real built level1 fixture."""

from __future__ import annotations

import dis
import inspect
import subprocess
import sys
import threading
import types

import pytest
import usegolib
from conftest import in_threads

INTS = [
    ("Int8", -(2**7), 2**7 - 1),
    ("Int16", -(2**15), 2**15 - 1),
    ("Int32", -(2**31), 2**31 - 1),
    ("Int64", -(2**63), 2**63 - 1),
    ("Int", -(2**63), 2**63 - 1),
    ("Uint8", 0, 2**8 - 1),
    ("Uint16", 0, 2**16 - 1),
    ("Uint32", 0, 2**32 - 1),
    ("Uint64", 0, 2**64 - 1),
    ("Uint", 0, 2**64 - 1),
]


def test_add_int(level1):
    assert level1.AddInt(1, 2) == 3
    assert level1.AddInt(a=1, b=2) == 3
    assert level1.AddInt(1, b=-5) == -4


@pytest.mark.parametrize(("name", "lo", "hi"), INTS)
def test_integer_bounds(level1, name, lo, hi):
    echo = getattr(level1, f"Echo{name}")
    for v in (lo, hi, 0, 1):
        assert echo(v) == v
        assert type(echo(v)) is int
    for v in (lo - 1, hi + 1):
        with pytest.raises(OverflowError) as e:
            echo(v)
        msg = str(e.value)
        assert (
            "'v'" in msg
            and f"out of range for {name.lower() if name not in ('Int', 'Uint') else name.lower() + '64'}"
            in msg
        )
        assert f"[{lo}, {hi}]" in msg
    with pytest.raises(OverflowError):
        echo(2**200)


@pytest.mark.parametrize(("name", "lo", "hi"), [i for i in INTS if i[0] != "Uint8"])
def test_integer_slices(level1, name, lo, hi):
    echo = getattr(level1, f"Echo{name}s")
    assert echo([lo, 0, hi]) == [lo, 0, hi]
    assert echo((lo, hi)) == [lo, hi], "tuples are accepted, lists come back"
    with pytest.raises(OverflowError, match="element 1: value"):
        echo([0, hi + 1])


def test_uint8_slice_is_bytes(level1):
    assert level1.EchoUint8s(b"\x00\xff") == b"\x00\xff"


def test_bool_is_not_int_and_int_is_not_bool(level1):
    assert level1.EchoBool(True) is True
    assert level1.EchoBool(False) is False
    with pytest.raises(
        TypeError, match=r"EchoBool\(\) argument 'v' \(Go bool\): expected bool, got int"
    ):
        level1.EchoBool(1)
    with pytest.raises(TypeError, match="expected int, got bool"):
        level1.EchoInt(True)
    with pytest.raises(TypeError, match="expected int, got float"):
        level1.EchoInt(1.0)


def test_floats(level1):
    assert level1.EchoFloat64(1.5) == 1.5
    assert level1.EchoFloat64(7) == 7.0 and type(level1.EchoFloat64(7)) is float
    assert level1.EchoFloat32(0.1) == pytest.approx(0.1, rel=1e-7)
    assert level1.EchoFloat32(3) == 3.0
    assert str(level1.EchoFloat64(-0.0)) == "-0.0"
    assert level1.EchoFloat64(float("inf")) == float("inf")
    nan = level1.EchoFloat64(float("nan"))
    assert nan != nan
    with pytest.raises(OverflowError, match="out of range for float32"):
        level1.EchoFloat32(1e39)
    assert level1.EchoFloat64s([1, 2.5]) == [1.0, 2.5]
    with pytest.raises(TypeError, match="expected float, got str"):
        level1.EchoFloat64("1")


def test_strings(level1):
    for s in ["", "hello", "a\x00b", "\U0001f600", "é" * 1000]:
        assert level1.EchoString(s) == s
    assert level1.EchoStrings(["a", "", "ü"]) == ["a", "", "ü"]
    with pytest.raises(TypeError, match="expected str, got bytes"):
        level1.EchoString(b"x")


def test_invalid_utf8_round_trips_with_surrogateescape(level1):
    s = level1.BadUTF8()
    assert s == "a\udcffb"
    assert s.encode("utf-8", "surrogateescape") == b"a\xffb"
    assert level1.StringBytes(s) == b"a\xffb", "goes back to Go as the same bytes"
    assert level1.EchoString(s) == s
    with pytest.raises(UnicodeEncodeError):
        level1.EchoString("\ud800")  # a lone surrogate that surrogateescape cannot map


def test_bytes(level1):
    for b in [b"", b"\x00\xff", bytes(range(256)) * 1000]:
        assert level1.EchoBytes(b) == b
    assert level1.EchoBytes(bytearray(b"abc")) == b"abc"
    assert level1.EchoBytes(memoryview(b"xyz")) == b"xyz"
    assert type(level1.EchoBytes(bytearray(b"q"))) is bytes
    assert level1.EchoBytesList([b"a", bytearray(b""), b"c"]) == [b"a", b"", b"c"]
    with pytest.raises(TypeError, match="expected bytes, bytearray or memoryview, got str"):
        level1.EchoBytes("abc")


def test_nested_lists_and_sum(level1):
    m = [[1, 2], [], [-3]]
    assert level1.EchoInt64Matrix(m) == m
    assert level1.Sum(list(range(1001))) == 500500
    assert level1.Sum(()) == 0
    with pytest.raises(TypeError, match="element 1: expected int, got str"):
        level1.Sum([1, "2"])


def test_nil_and_empty(level1):
    assert level1.NilInts() == [] and level1.EmptyInts() == []
    assert level1.NilStrings() == []
    assert level1.NilBytes() == b"" and level1.EmptyBytes() == b""
    assert type(level1.NilBytes()) is bytes
    assert level1.EchoInt64s(None) == [], "None is accepted for a slice (nil)"


def test_results(level1):
    assert level1.DivMod(17, 5) == (3, 2)
    assert level1.Triple() == ("three", 3, b"\x01\x02\x03")
    assert level1.Nothing() is None
    assert level1.ParseInt("-42") == -42
    assert level1.Check(True) is None


def test_go_errors(level1):
    with pytest.raises(usegolib.GoError) as e:
        level1.ParseInt("x")
    assert str(e.value) == 'strconv.ParseInt: parsing "x": invalid syntax'
    assert e.value.go_type == "*strconv.NumError"
    assert isinstance(e.value, usegolib.UsegolibError)
    with pytest.raises(usegolib.GoError) as e:
        level1.Check(False)
    assert e.value.go_type == "*level1.CheckError"
    assert e.value.message == "check failed: not ok"


@pytest.mark.parametrize(
    ("name", "value", "go_type"),
    [
        ("PanicString", "boom", "string"),
        ("PanicError", "bad thing", "*errors.errorString"),
        ("PanicNilDeref", "runtime error: invalid memory address or nil pointer dereference", None),
    ],
)
def test_panics(level1, name, value, go_type):
    with pytest.raises(usegolib.GoPanicError) as e:
        getattr(level1, name)()
    assert e.value.value == value
    if go_type:
        assert e.value.go_type == go_type
    assert f"level1.{name}" in e.value.stack
    assert value in str(e.value)
    assert level1.AddInt(2, 2) == 4, "the runtime keeps working after a panic"


def test_arity_and_keywords(level1):
    with pytest.raises(TypeError, match=r"AddInt\(\) takes 2 arguments \(a int, b int\), got 1"):
        level1.AddInt(1)
    with pytest.raises(TypeError, match="takes 2 arguments"):
        level1.AddInt(1, 2, 3)
    with pytest.raises(TypeError, match="unexpected keyword argument 'c'"):
        level1.AddInt(1, c=2)
    with pytest.raises(TypeError, match="multiple values for argument 'a'"):
        level1.AddInt(1, a=2)


def test_namespace(level1):
    names = dir(level1)
    assert "AddInt" in names and "EchoBytes" in names and "Send" in names
    assert names == sorted(names)
    # A package without variables has no module __getattr__ (docs/adr/0025): an unknown name
    # is Python's own error for modules, whose display suggests the close name from dir().
    with pytest.raises(AttributeError, match=r"module 'example.com/level1' has no attribute"):
        _ = level1.Addint
    program = "import sys, usegolib; usegolib.load_artifact(sys.argv[1]).Addint"
    shown = subprocess.run(
        [sys.executable, "-c", program, level1._go_module.artifact_dir],
        capture_output=True,
        text=True,
    )
    assert "Did you mean: 'AddInt'?" in shown.stderr, shown.stderr
    assert not hasattr(level1, "NoSuchThing")
    assert isinstance(level1, usegolib.GoPackage) and type(level1) is types.ModuleType


def test_namespace_lookups_are_cached_by_cpython(level1):
    """The package is an exact module without __getattr__, and its functions' type has no
    __get__: CPython's specialising interpreter caches `level1.AddInt(...)` (LOAD_METHOD_MODULE
    on 3.11, LOAD_ATTR_MODULE later) as it does for a function of a Python module."""

    def call(n):
        for _ in range(n):
            level1.AddInt(1, 2)

    call(200)  # past the specialisation warm-up
    ops = {i.opname for i in dis.get_instructions(call, adaptive=True)}
    assert ops & {"LOAD_METHOD_MODULE", "LOAD_ATTR_MODULE"}, sorted(ops)


def test_skipped_functions_raise_with_their_reason(level1):
    assert hasattr(level1, "Send")
    with pytest.raises(usegolib.UnsupportedSignatureError) as e:
        level1.Send(None)
    assert "parameter ch has type chan int" in e.value.reason
    assert "channels are not supported" in str(e.value)
    for name in ["Conj", "Generic"]:
        with pytest.raises(usegolib.UnsupportedSignatureError):
            getattr(level1, name)()
    # Supported since Level 3: pointers, variadics, maps, named types.
    assert level1.Ptr(5) == 5
    assert level1.Variadic(1, 2, 3) == 3
    assert level1.MapLen({"a": 1}) == 1
    assert level1.Warm(25.0) is True
    assert "unsupported" in repr(level1.Send)


def test_docs_signatures_and_repr(level1):
    f = level1.DivMod
    assert f.__name__ == "DivMod"
    assert "quotient" in f.__doc__
    assert "Go: example.com/level1.DivMod(a int64, b int64) (q int64, r int64)" in f.__doc__
    sig = inspect.signature(f)
    assert list(sig.parameters) == ["a", "b"]
    assert sig.parameters["a"].annotation is int
    assert sig.return_annotation == tuple[int, int]
    assert repr(f) == "<go func level1.DivMod(a int64, b int64) (q int64, r int64)>"
    assert repr(level1).startswith(
        "<module 'example.com/level1' (usegolib package of example.com/level1 "
    )
    assert inspect.signature(level1.EchoBytesList).parameters["v"].annotation == list[bytes]


def test_subpackage_shares_the_runtime(level1, sub):
    assert sub.Hello("go") == "hello, go"
    assert sub.Twice(21) == 42
    assert sub._go_module.path == level1._go_module.path == "example.com/level1"
    assert usegolib.import_(sub._go_path) is sub, "a package path follows the loaded module"


def test_threads_many_calls_each_checked(level1):
    wrong = []

    def work(t):
        for i in range(10_000):
            r = level1.AddInt(t, i)
            if r != t + i:
                wrong.append((t, i, r))

    assert in_threads(work, [t * 1_000_000 for t in range(8)]) == []
    assert wrong == []


def test_threads_run_go_in_parallel(level1):
    """With the GIL released, two Python threads are inside Go at the same time: each Meet call
    waits (up to 20 s) for a partner, so with the GIL held during calls they could never meet."""
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(level1.Meet(20_000))) for _ in range(2)
    ]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert results == [True, True]
    # Alone, Meet finds no partner and says so: the check above can fail.
    assert level1.Meet(10) is False


def test_bytes_of_every_size_around_the_copy_pieces_cross_intact(level1):
    """Bytes results are made in 2 KiB pieces when their buffers would make glibc's memcpy slow
    on AMD Zen (usegolib_abi::copy_piece); whatever the placement, every byte crosses."""
    for n in [2047, 2048, 2049, 4096, 4097, 6145, 65535, 65536, 65541, 200_003]:
        for shift in range(0, 64, 9):
            data = bytes((i * 31 + shift) & 0xFF for i in range(n))
            assert level1.EchoBytes(data) == data, (n, shift)
