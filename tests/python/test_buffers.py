"""Numeric buffers (docs/abi.md section 8.10, docs/adr/0026): objects with the buffer protocol
for slices of fixed-width numbers, packed results as array.array or memoryview, in/out buffers
sent and written back packed. Over a real c-shared library; numpy is optional."""

from __future__ import annotations

import array
import copy
import pickle
import sys

import pytest
import usegolib
from conftest import FIXTURES, go_output

try:
    import numpy as np
except ImportError:  # pragma: no cover - numpy is pinned in scripts/dev-requirements.txt
    np = None

needs_numpy = pytest.mark.skipif(np is None, reason="numpy is not installed (optional)")


@pytest.fixture(scope="module")
def nb(artifact_root):
    return usegolib.import_(FIXTURES / "numbuf", artifact_dir=artifact_root)


# One list of values per parameter of Print, with each parameter's array typecode.
PRINT_ARGS = [
    ("b", [-128, -1, 0, 127]),
    ("h", [-32768, 300, 32767]),
    ("i", [-(2**31), 70000, 2**31 - 1]),
    ("q", [-(2**63), -5, 2**63 - 1]),
    ("q", [1, 2, 3]),
    ("H", [0, 65535]),
    ("I", [0, 2**32 - 1]),
    ("Q", [0, 2**64 - 1]),
    ("Q", [7, 2**64 - 1]),
    ("f", [1.5, -0.25]),
    ("d", [3.141592653589793, -1e300]),
    ("B", [0, 200, 255]),
    ("d", [-40.0, 36.6]),
]


def test_every_format_gives_what_a_list_gives_and_what_go_prints(nb, tmp_path):
    lists = [v for _, v in PRINT_ARGS]
    arrays = [array.array(code, v) for code, v in PRINT_ARGS]
    views = [memoryview(a).toreadonly() for a in arrays]  # read-only: plain inputs
    printed = nb.Print(*lists)
    assert nb.Print(*arrays) == printed
    assert nb.Print(*views) == printed
    want = go_output(
        tmp_path,
        {},
        "fmt",
        """
        _ = src
        b.WriteString(fmt.Sprint(
            []int8{-128, -1, 0, 127}, []int16{-32768, 300, 32767},
            []int32{-2147483648, 70000, 2147483647},
            []int64{-9223372036854775808, -5, 9223372036854775807}, []int{1, 2, 3},
            []uint16{0, 65535}, []uint32{0, 4294967295}, []uint64{0, 18446744073709551615},
            []uint{7, 18446744073709551615}, []float32{1.5, -0.25},
            []float64{3.141592653589793, -1e300}, []uint8{0, 200, 255}, []float64{-40, 36.6}))
        """,
        b"",
    )
    assert printed.encode() == want


@needs_numpy
def test_numpy_arrays_of_every_dtype_contiguous_or_strided(nb):
    dtypes = ["i1", "i2", "i4", "i8", "i8", "u2", "u4", "u8", "u8", "f4", "f8", "u1", "f8"]
    lists = [v for _, v in PRINT_ARGS]
    printed = nb.Print(*lists)
    arrays = [np.array(v, dtype=dt) for v, dt in zip(lists, dtypes, strict=True)]
    assert nb.Print(*arrays) == printed
    # Strided (a[::2] of a doubled array) and reversed views are gathered in order.
    strided = [np.repeat(a, 2)[::2] for a in arrays]
    assert not strided[3].flags.c_contiguous
    assert nb.Print(*strided) == printed
    backwards = [a[::-1][::-1] for a in arrays]
    assert nb.Print(*backwards) == printed
    big = np.arange(10_000, dtype=np.int64)
    assert nb.Sum(big) == sum(range(10_000))
    assert nb.Sum(big[::7]) == sum(range(0, 10_000, 7))
    assert nb.Sum(np.array([], dtype=np.int64)) == 0
    # Explicit little-endian formats are this machine's order here.
    if sys.byteorder == "little":
        assert nb.Sum(np.array([1, 2], dtype="<i8")) == 3


@pytest.mark.parametrize(
    ("make", "fmt"),
    [
        (lambda: array.array("d", [1.0, 2.0]), "'d'"),  # float64 for []int64
        (lambda: array.array("i", [1, 2]), "'i'"),  # int32 for []int64
        (lambda: array.array("Q", [1, 2]), "'Q'"),  # unsigned for signed
        (lambda: array.array("B", [1, 2]), "'B'"),
        (lambda: b"\x01\x00\x00\x00\x00\x00\x00\x00", "'B'"),  # bytes are not int64s
        (lambda: memoryview(array.array("q", [1, 2, 3, 4])).cast("B").cast("q", (2, 2)), "2-dim"),
    ],
)
def test_mismatched_formats_are_refused_never_reinterpreted(nb, make, fmt):
    with pytest.raises(TypeError) as e:
        nb.Sum(make())
    msg = str(e.value)
    assert "argument 'xs'" in msg and "[]int64" in msg
    if fmt == "2-dim":
        assert "2-dimensional" in msg
    else:
        assert f"format {fmt}" in msg and "exactly int64" in msg


@needs_numpy
@pytest.mark.parametrize("dtype", ["f8", "<i4", ">i8", "u8", "?", "f2"])
def test_mismatched_numpy_dtypes_are_refused(nb, dtype):
    with pytest.raises(TypeError, match=r"argument 'xs' \(Go \[\]int64\): a buffer \(ndarray\)"):
        nb.Sum(np.zeros(3, dtype=dtype))


def test_other_values_keep_their_errors(nb):
    with pytest.raises(TypeError, match="list, tuple or buffer of numbers, got str"):
        nb.Sum("123")
    with pytest.raises(TypeError, match="expected int"):
        nb.Sum([1, "2"])
    with pytest.raises(OverflowError, match="out of range for int64"):
        nb.Sum([1, 2**63])
    assert nb.Sum(None) == 0
    assert nb.Sum((1, 2)) == 3


def test_lists_and_buffers_of_named_element_types(nb):
    assert nb.Warm(array.array("d", [1.0, 2.5]), 1.0) == [2.0, 3.5]
    assert nb.Warm([1.0, 2.5], 1.0) == [2.0, 3.5]
    assert nb.Octets(array.array("B", [1, 2, 3])) == [3, 2, 1]
    assert nb.Octets(b"\x01\x02") == [2, 1]  # []Octet is a slice of numbers: bytes are uint8s
    assert nb.Mean(nb.Series(Name="s", Values=array.array("d", [1.0, 2.0, 6.0]))) == 3.0


def test_array_and_memoryview_results_equal_list_results(nb):
    as_list = nb.Range(1000)
    rng = nb.Range.with_result("array")
    got = rng(1000)
    assert isinstance(got, array.array) and got.typecode == "q"
    assert got.tolist() == as_list
    mv = nb.Range.with_result("memoryview")(1000)
    assert isinstance(mv, memoryview) and mv.format == "q" and mv.readonly
    assert mv.tolist() == as_list
    assert nb.Range.with_result("array")(0) == array.array("q")
    # Several results: each slice of numbers in its form, the others as they are.
    halves = nb.Halves.with_result("array")([1.0, 3.0])
    assert halves == (array.array("f", [0.5, 1.5]), array.array("d", [0.5, 1.5]), 2)
    assert nb.Halves([1.0, 3.0]) == ([0.5, 1.5], [0.5, 1.5], 2)
    signed = nb.Signed.with_result("memoryview")([-1], [-2], [-3], [-4])
    assert [(m.format, m.tolist()) for m in signed] == [
        ("b", [-1]),
        ("h", [-2]),
        ("i", [-3]),
        ("q", [-4]),
    ]
    big = [2**64 - 1]
    unsigned = nb.Unsigned.with_result("array")([1], [2], big, big)
    assert [a.tolist() for a in unsigned] == [[1], [2], big, big]
    assert nb.Warm.with_result("array")([1.0], 0.5).tolist() == [1.5]
    assert nb.Octets.with_result("array")([1, 2]).tolist() == [2, 1]
    assert nb.Range.with_result("list")(3) == [0, 1, 2]


@needs_numpy
def test_numpy_reads_results_without_a_copy(nb):
    mv = nb.Range.with_result("memoryview")(5)
    a = np.frombuffer(mv, dtype=np.int64)
    assert a.tolist() == [0, 1, 2, 3, 4]
    arr = nb.Range.with_result("array")(5)
    assert np.frombuffer(arr, dtype=np.int64).tolist() == [0, 1, 2, 3, 4]


def test_with_result_refuses_what_it_cannot_do(nb):
    with pytest.raises(TypeError, match=r"Sum\(\) has no result that is a slice"):
        nb.Sum.with_result("array")
    with pytest.raises(TypeError, match="with_result\\(\\) takes"):
        nb.Range.with_result("tuple")


def test_in_out_buffers_come_back_packed(nb):
    a = array.array("q", [1, 2, 3])
    assert nb.Double(a) == 12
    assert a.tolist() == [2, 4, 6]
    mv = memoryview(array.array("q", [5]))
    assert nb.Double(mv) == 10 and mv.tolist() == [10]
    # Unchanged elements come back as nil: the buffer is left as it is.
    assert nb.Sum(a) == 12 and a.tolist() == [2, 4, 6]
    # A read-only view is a plain input: Go's writes are not seen.
    ro = memoryview(array.array("q", [1, 2])).toreadonly()
    assert nb.Double(ro) == 6 and ro.tolist() == [1, 2]


def test_a_buffer_resized_or_changed_during_the_call_cannot_crash(nb):
    a = array.array("q", range(100))
    seen = []

    def grow():
        try:
            a.extend(range(100))  # the in/out buffer is held while Go runs
        except BufferError as e:
            seen.append(e)

    assert nb.SumAfter(a, grow) == sum(range(100))
    assert len(seen) == 1 and len(a) == 100
    # A plain input (read-only view of a bytearray) is copied before Go runs: resizing the
    # bytearray meanwhile is refused while the view exists, and changing its bytes does not
    # reach the slice Go holds.
    ba = bytearray(array.array("q", [1, 2, 3]).tobytes())
    view = memoryview(ba).cast("q").toreadonly()

    def mutate():
        ba[0:8] = array.array("q", [100]).tobytes()
        with pytest.raises(BufferError):
            ba.extend(b"\x00" * 8)

    assert nb.SumAfter(view, mutate) == 6
    assert view.tolist() == [100, 2, 3]


@needs_numpy
def test_a_numpy_array_changed_during_the_call_does_not_reach_go(nb):
    a = np.arange(10, dtype=np.int64)

    def zero():
        a[:] = 0

    assert nb.SumAfter(a, zero) == 45
    assert a.sum() == 0


def test_a_misaligned_in_out_buffer_gets_its_result(nb):
    # One byte in: the int64 items are not aligned in memory. Go's result is written back
    # through a byte view rather than lost after the call.
    raw = bytearray(25)
    a = memoryview(raw)[1:].cast("q")
    a[0], a[1], a[2] = 1, 2, 3
    assert nb.Double(a) == 12
    assert a.tolist() == [2, 4, 6]
    assert raw[0] == 0
    # Unchanged: nothing written.
    assert nb.Sum(a) == 12 and a.tolist() == [2, 4, 6]


def test_in_out_buffers_of_a_named_element_type_with_methods(nb):
    # []Kelvin, Kelvin a float64 with a method: the buffer is in/out as for []float64.
    ks = array.array("d", [300.0, 280.5])
    assert nb.Cool(ks, 10.0) == 2
    assert ks.tolist() == [290.0, 270.5]
    mv = memoryview(array.array("d", [1.0]))
    assert nb.Cool(mv, 0.5) == 1 and mv.tolist() == [0.5]
    # A list stays a copy.
    xs = [5.0]
    assert nb.Cool(xs, 1.0) == 1 and xs == [5.0]
    # A named slice type with methods (Temps, of Kelvin): in/out too.
    ts = array.array("d", [1.5, -2.0])
    assert nb.Scale(ts, 2.0) is None
    assert ts.tolist() == [3.0, -4.0]


def test_a_function_with_a_result_form_pickles_and_copies_with_it(nb):
    rng = nb.Range.with_result("array")
    assert rng.result_form == "array"
    assert nb.Range.result_form == "list"
    assert nb.Range.with_result("memoryview").result_form == "memoryview"
    for f in (pickle.loads(pickle.dumps(rng)), copy.copy(rng), copy.deepcopy(rng)):
        assert f.result_form == "array"
        got = f(3)
        assert isinstance(got, array.array) and got.tolist() == [0, 1, 2]
    mv = pickle.loads(pickle.dumps(nb.Halves.with_result("memoryview")))
    assert [m.format for m in mv([1.0])[:2]] == ["f", "d"]
    # The plain function still pickles by identity.
    assert pickle.loads(pickle.dumps(nb.Range)) is nb.Range
