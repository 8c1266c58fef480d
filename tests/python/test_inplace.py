"""Arguments Go reads in place (docs/abi.md section 8.12, docs/adr/0034): []byte and numeric
slice parameters that the Go compiler proves a function does not keep are handed to it as a
view of the request, the others as a copy. Differential tests over a real c-shared library of
tests/fixtures/go/inplace, whose functions keep (global, Go object, goroutine) or do not keep
their arguments: the results are what a Go program prints, and an argument Go kept still holds
its bytes after later calls have overwritten the request buffer where it travelled."""

from __future__ import annotations

import array
import ctypes
import json

import pytest
import usegolib
from conftest import FIXTURES, go_output

try:
    import numpy as np
except ImportError:  # pragma: no cover - numpy is pinned in scripts/dev-requirements.txt
    np = None

INPLACE = FIXTURES / "inplace"


@pytest.fixture(scope="module")
def ip(artifact_root):
    return usegolib.import_(INPLACE, artifact_dir=artifact_root)


@pytest.fixture(scope="module")
def schema(ip, artifact_root):
    """The schema the library carries (usegolib_schema, a plain C function: docs/abi.md 1)."""
    libs = list((artifact_root / "example.com" / "inplace@local").rglob("libusegolib.so"))
    if not libs:
        pytest.skip(f"no libusegolib.so under {artifact_root} (not linux?)")
    lib = ctypes.CDLL(str(libs[0]))
    lib.usegolib_schema.restype = ctypes.POINTER(ctypes.c_uint8)
    lib.usegolib_schema.argtypes = [ctypes.POINTER(ctypes.c_size_t)]
    n = ctypes.c_size_t()
    p = lib.usegolib_schema(ctypes.byref(n))
    return json.loads(ctypes.string_at(p, n.value))


GO_BODY = """
_ = src
b.WriteString(fmt.Sprintln(inplace.Sum([]int64{1, -2, 3, 1 << 40}), inplace.SumF([]float64{0.5, 2.25}), inplace.SumI32([]int32{-7, 9})))
b.WriteString(fmt.Sprintf("%q %q\\n", inplace.Echo([]byte("hello")), inplace.Upper([]byte("MixEd 1"))))
b.WriteString(fmt.Sprintln(inplace.Append([]int64{1, 2}, 3)))
inplace.Keep([]byte("kept bytes"))
inplace.KeepNums([]int64{7, 8, 9})
inplace.Send([]int64{4, 5})
w := inplace.Wrap([]byte("wrapped"))
b.WriteString(fmt.Sprintln(inplace.Count("banana", "an"), inplace.Trim("  x y  ")))
inplace.KeepString("kept string")
b.WriteString(fmt.Sprintf("%q %v %v %q %d %q\\n", inplace.Kept(), inplace.KeptNums(), inplace.Received(), w.Bytes(), w.Len([]byte("abc")), inplace.KeptString()))
"""


def go_style(v) -> str:
    """A value as Go's fmt prints it (%v of numbers, strings and slices, %q of ASCII bytes and
    of the last string)."""
    if isinstance(v, bytes):
        return '"' + v.decode() + '"'
    if isinstance(v, str) and v == "kept string":
        return '"' + v + '"'
    if isinstance(v, list):
        return "[" + " ".join(go_style(x) for x in v) + "]"
    return str(v)


def overwrite(ip):
    """Calls that write other bytes where the arguments of the calls before travelled (the
    thread's request buffer is reused: same layout, same offsets)."""
    for _ in range(3):
        assert ip.Echo(b"ZZZZZZZZZZ") == b"ZZZZZZZZZZ"
        assert ip.Echo(b"QQQQQQQ") == b"QQQQQQQ"
        assert ip.Sum([0, 0, 0]) == 0
        assert ip.Sum(array.array("q", [-1, -1])) == -2
        assert ip.SumF([9.0, 9.0]) == 18.0
        assert ip.Count("XXXX XXXXXX", "Y") == 0
        assert ip.Trim("ZZZZZZZZZZZ") == "ZZZZZZZZZZZ"


@pytest.mark.parametrize("form", ["list", "array", "readonly"])
def test_results_and_kept_arguments_are_what_go_prints(ip, tmp_path, form):
    def nums(code, xs):
        if form == "list":
            return list(xs)
        a = array.array(code, xs)
        return a if form == "array" else memoryview(a).toreadonly()

    lines = [
        [
            ip.Sum(nums("q", [1, -2, 3, 1 << 40])),
            ip.SumF(nums("d", [0.5, 2.25])),
            ip.SumI32(nums("i", [-7, 9])),
        ],
        [ip.Echo(b"hello"), ip.Upper(b"MixEd 1")],
        [ip.Append(nums("q", [1, 2]), 3)],
    ]
    lines.append([ip.Count("banana", "an"), ip.Trim("  x y  ")])
    ip.KeepString("kept string")
    ip.Keep(b"kept bytes")
    ip.KeepNums(nums("q", [7, 8, 9]))
    ip.Send(nums("q", [4, 5]))
    w = ip.Wrap(b"wrapped")
    overwrite(ip)
    lines.append(
        [ip.Kept(), ip.KeptNums(), ip.Received(), w.Bytes(), w.Len(b"abc"), ip.KeptString()]
    )
    ours = "".join(" ".join(go_style(v) for v in line) + "\n" for line in lines)
    want = go_output(
        tmp_path,
        {"example.com/inplace": "v0.0.0"},
        "fmt example.com/inplace",
        GO_BODY,
        b"",
        replaces={"example.com/inplace": INPLACE},
    ).decode()
    assert ours == want


def test_the_schema_marks_what_the_compiler_proves(schema):
    marked = {}
    for fn in _functions(schema):
        for p in fn.get("params", []):
            marked[fn["name"] + "." + p["name"]] = p.get("in_place", False)
    for name in ["Sum.xs", "SumF.xs", "Echo.b", "Upper.b", "Double.xs", "Later.xs", "Count.s"]:
        assert marked.get(name) is True, (name, marked)
    for name in ["Keep.b", "KeepNums.xs", "Wrap.b", "Send.xs", "Fail.b", "KeepString.s"]:
        assert marked.get(name) is False, (name, marked)


def _functions(node):
    """Every function entry of a schema (dicts with a name and params)."""
    if isinstance(node, dict):
        if "params" in node and "name" in node:
            yield node
        for v in node.values():
            yield from _functions(v)
    elif isinstance(node, list):
        for v in node:
            yield from _functions(v)


def test_go_writes_do_not_reach_immutable_inputs(ip):
    src = b"abc xyz"
    assert ip.Upper(src) == b"ABC XYZ"
    assert src == b"abc xyz"
    ro = memoryview(array.array("q", [1, 2, 3])).toreadonly()
    ip.Double(ro)
    assert list(ro) == [1, 2, 3]
    xs = [1, 2, 3]
    ip.Double(xs)
    assert xs == [1, 2, 3]


def test_in_out_buffers_read_in_place_are_written_back(ip):
    a = array.array("q", [1, -2, 3])
    ip.Double(a)
    assert list(a) == [2, -4, 6]
    # A writable memoryview, and one whose items are not aligned in memory: the same.
    b = array.array("q", [5, 6])
    ip.Double(memoryview(b))
    assert list(b) == [10, 12]
    raw = bytearray(8 * 3 + 1)
    odd = memoryview(raw)[1:].cast("q")
    odd[0], odd[1], odd[2] = 7, -8, 9
    ip.Double(odd)
    assert list(odd) == [14, -16, 18]
    # Go changes nothing: nothing changes.
    c = array.array("q", [0, 0])
    ip.Double(c)
    assert list(c) == [0, 0]
    # Many sizes: every padding the alignment needs.
    for n in range(0, 40):
        a = array.array("q", range(n))
        ip.Double(a)
        assert list(a) == [2 * i for i in range(n)], n


def test_misaligned_and_strided_inputs_give_the_same_results(ip):
    xs = list(range(-50, 50))
    want = sum(xs)
    raw = bytearray(8 * len(xs) + 3)
    for off in range(1, 4):
        view = memoryview(raw)[off : off + 8 * len(xs)].cast("q")
        for i, x in enumerate(xs):
            view[i] = x
        assert ip.Sum(view.toreadonly()) == want
        assert ip.Sum(view) == want
    for n in range(0, 20):
        assert ip.Sum(list(range(n))) == sum(range(n))
        assert ip.Echo(bytes(range(n))) == bytes(range(n))
    if np is not None:
        a = np.arange(200, dtype=np.int64)
        assert ip.Sum(a[::3]) == int(a[::3].sum())
        assert ip.SumF(np.linspace(0, 1, 11)[1:]) == pytest.approx(
            float(np.linspace(0, 1, 11)[1:].sum())
        )


def test_append_does_not_write_past_its_argument(ip):
    # Append's result is xs plus one: Go's append must reallocate, not write into the request
    # after xs (where the next argument, x, travelled).
    for n in range(0, 12):
        assert ip.Append(array.array("q", range(n)), -1) == list(range(n)) + [-1]
        assert ip.Append(list(range(n)), 99) == list(range(n)) + [99]


def test_a_nested_call_from_a_callback_does_not_touch_the_outer_request(ip):
    xs = array.array("q", range(1000))
    big = list(range(5000, 7000))

    def again():
        # Go calls back into Python, which calls Go again with other, larger arguments of the
        # same types: the nested call has its own request buffer.
        assert ip.Sum(big) == sum(big)
        assert ip.Sum(array.array("q", [-1] * 1000)) == -1000
        assert ip.Echo(b"n" * 5000) == b"n" * 5000

    assert ip.Later(xs, again) == sum(range(1000))
    assert ip.Later(list(range(1000)), again) == sum(range(1000))
    payload = bytes(range(256)) * 20
    assert ip.LaterBytes(payload, again) == payload


def test_flat_records_read_in_place_and_kept(ip, schema):
    """A flat record whose string field Go reads in place in the scalar form (docs/abi.md 8.12,
    8.13): the schema marks what the compiler proves; a record Go keeps has its Tag copied, so
    it survives the Python str being freed and its memory reused; both forms agree."""
    from usegolib import _native

    marked = {}
    for fn in _functions(schema):
        for p in fn.get("params", []):
            marked[fn["name"] + "." + p["name"]] = p.get("in_place", False)
    for name in ["EchoTagged.t", "TagLen.t"]:
        assert marked.get(name) is True, (name, marked)
    for name in ["KeepTagged.t", "LabelCount.l"]:
        assert marked.get(name) is False, (name, marked)
    for name in ("EchoTagged", "TagLen", "KeepTagged", "ToTagged"):
        assert getattr(ip, name)._scalar_index is not None, name
    was = _native._scalar_calls(True)
    try:
        for form in (True, False):
            _native._scalar_calls(form)
            tag = "".join(["kept ", str(form), " é✓"] * 50)  # a new str, freed below
            ip.KeepTagged(ip.Tagged(N=7, Tag=tag))
            want = ip.Tagged(N=7, Tag=tag)
            del tag
            for i in range(200):  # reuse the freed memory with other strings of its size
                other = "".join(["other ", str(i), " é✓"] * 50)
                assert ip.EchoTagged(ip.Tagged(N=i, Tag=other)) == ip.Tagged(N=i, Tag=other)
                assert ip.TagLen(ip.Tagged(N=1, Tag=other)) == len(other.encode()) + 1
            assert ip.KeptTagged() == want
            assert ip.ToTagged("t\x00\udcff") == ip.Tagged(Tag="t\x00\udcff")
    finally:
        _native._scalar_calls(was)
