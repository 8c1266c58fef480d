"""The scalar form of calls (docs/abi.md sections 8.11 and 8.13): a Go function or method whose
parameters and results are all unnamed bools, ints, floats, strings and flat records is called
without MessagePack. Each call here
is made twice, in the scalar form and with it turned off (the general form), and must give the
same: the same Python values of the same types, the same exceptions with the same messages.
A Go panic's stack names the entry that ran, which shows that the scalar form was taken."""

from __future__ import annotations

import dataclasses
import math
import struct
import textwrap
import threading

import pytest
import usegolib
from conftest import FIXTURES, OWN_POINT_CLASS, fixture_prints, in_threads, ok, run_py
from usegolib import _native


@pytest.fixture(scope="module")
def s(artifact_root):
    return usegolib.import_(FIXTURES / "scalars", artifact_dir=artifact_root)


@pytest.fixture(autouse=True)
def scalar_on():
    was = _native._scalar_calls(True)
    yield
    _native._scalar_calls(was)


def outcome(call):
    try:
        r = call()
    except Exception as e:  # noqa: BLE001 - the outcome is compared, whatever it is
        return ("raised", type(e), str(e), getattr(e, "__notes__", None))
    return ("returned", shape(r))


def shape(r):
    """A value with its types, floats by repr (so -0.0, nan and rounding count), a record as its
    class and its instance dict (the fields set on it, not those read from the class)."""
    if isinstance(r, tuple):
        return tuple(shape(x) for x in r)
    if isinstance(r, float):
        return (float, repr(r))
    if isinstance(r, dict):
        return (dict, {k: shape(v) for k, v in r.items()})
    if hasattr(type(r), "__usegolib_record__"):
        return (type(r), {k: shape(v) for k, v in vars(r).items()})
    return (type(r), r)


def both(call):
    """The outcome of call() in the scalar form and in the general form: asserted equal."""
    _native._scalar_calls(True)
    scalar = outcome(call)
    _native._scalar_calls(False)
    try:
        general = outcome(call)
    finally:
        _native._scalar_calls(True)
    assert scalar == general
    return scalar


def returns(call):
    got = both(call)
    assert got[0] == "returned", got
    return got[1]


def raises(call, exc, match):
    got = both(call)
    assert got[0] == "raised" and issubclass(got[1], exc), got
    assert match in got[2], got
    return got


I8, I16, I32, I64 = 2**7, 2**15, 2**31, 2**63


def test_eligible_functions_have_a_scalar_form(s):
    for name in ("AddInt", "Ints", "Uints", "Floats", "Not", "Mixed", "Eight", "Div", "Check"):
        assert getattr(s, name)._scalar_index is not None, name
    for name in ("Panic", "Nothing", "NewCounter"):
        assert hasattr(s, name)
    # A named int, nine words: the general form only.
    for f in (s.AddNum, s.Nine):
        assert f._scalar_index is None, f
    # A func parameter a Python callable may be travels as its host-object id (8.11).
    assert s.Counter.SetHook._scalar_index is not None
    assert s.Counter.Inc._scalar_index is not None


@pytest.mark.parametrize(
    "args",
    [
        (-I8, -I16, -I32, -I64, -I64),
        (I8 - 1, I16 - 1, I32 - 1, I64 - 1, I64 - 1),
        (0, 0, 0, 0, 0),
        (-1, 1, -1, 1, -1),
    ],
)
def test_signed_ints_at_their_bounds(s, args):
    assert returns(lambda: s.Ints(*args)) == tuple((int, a) for a in args)


@pytest.mark.parametrize(
    "args",
    [(0, 0, 0, 0, 0), (2**8 - 1, 2**16 - 1, 2**32 - 1, 2**64 - 1, 2**64 - 1), (1, 2, 3, I64, I64)],
)
def test_unsigned_ints_at_their_bounds(s, args):
    assert returns(lambda: s.Uints(*args)) == tuple((int, a) for a in args)


@pytest.mark.parametrize(
    "a",
    [0.1, 1.5, -0.0, 1e-46, 3.4028234663852886e38, math.inf, -math.inf, 7, -(2**70), 2**24 + 1],
)
def test_floats_and_float32_rounding(s, a):
    got = returns(lambda: s.Floats(a, a))
    assert got[1] == (float, repr(float(a)))


def test_nan(s):
    for form in (True, False):
        _native._scalar_calls(form)
        a, b = s.Floats(math.nan, math.nan)
        assert math.isnan(a) and math.isnan(b)


def test_bools_mixed_and_eight_words(s):
    assert returns(lambda: s.Not(True)) == (bool, False)
    assert returns(lambda: s.Not(False)) == (bool, True)
    assert returns(lambda: s.Mixed(3, True, 1.25, 2**64 - 1)) == (
        (bool, True),
        (float, "2.5"),
        (int, 615),
    )
    assert returns(lambda: s.Eight(*range(8))) == tuple((int, i) for i in reversed(range(8)))
    assert returns(lambda: s.Nine(*range(9))) == (int, 36)
    assert returns(lambda: s.AddInt(I64 - 1, 1)) == (int, -I64)  # Go's int wraps
    assert returns(lambda: s.Nothing()) == (type(None), None)


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda s: s.Ints(I8, 0, 0, 0, 0), OverflowError, "value 128 is out of range for int8"),
        (lambda s: s.Ints(0, -I16 - 1, 0, 0, 0), OverflowError, "out of range for int16"),
        (lambda s: s.Ints(0, 0, I32, 0, 0), OverflowError, "out of range for int32"),
        (lambda s: s.Ints(0, 0, 0, I64, 0), OverflowError, "out of range for int64"),
        (lambda s: s.Ints(0, 0, 0, 0, -I64 - 1), OverflowError, "out of range for int64"),
        (lambda s: s.Uints(-1, 0, 0, 0, 0), OverflowError, "value -1 is out of range for uint8"),
        (lambda s: s.Uints(0, 2**16, 0, 0, 0), OverflowError, "out of range for uint16"),
        (lambda s: s.Uints(0, 0, 0, 2**64, 0), OverflowError, "out of range for uint64"),
        (lambda s: s.Floats(1e39, 0.0), OverflowError, "out of range for float32"),
        (lambda s: s.Floats(0.0, 2**1024), OverflowError, "int too large to convert to float"),
        (lambda s: s.Ints(True, 0, 0, 0, 0), TypeError, "expected int, got bool"),
        (lambda s: s.AddInt(1.0, 2), TypeError, "expected int, got float"),
        (lambda s: s.Not(1), TypeError, "expected bool, got int"),
        (lambda s: s.Floats("x", 0.0), TypeError, "expected float, got str"),
        (lambda s: s.Mixed(0, None, 0.0, 0), TypeError, "expected bool, got None"),
        (lambda s: s.AddInt(1), TypeError, "takes 2 arguments"),
        (lambda s: s.AddInt(1, 2, 3), TypeError, "takes 2 arguments"),
        (lambda s: s.AddInt(1, c=2), TypeError, "unexpected keyword argument 'c'"),
    ],
)
def test_refused_arguments_give_the_general_forms_errors(s, call, exc, match):
    raises(lambda: call(s), exc, match)


def test_keywords_and_int_subclasses(s):
    class MyInt(int):
        pass

    assert returns(lambda: s.AddInt(a=1, b=2)) == (int, 3)
    assert returns(lambda: s.AddInt(1, b=2)) == (int, 3)
    assert returns(lambda: s.AddInt(MyInt(4), 2)) == (int, 6)
    assert returns(lambda: s.Floats(MyInt(3), 2)) == ((float, "3.0"), (float, "2.0"))


def test_the_functions_error(s):
    assert returns(lambda: s.Div(7, 2)) == (int, 3)
    got = raises(lambda: s.Div(1, 0), usegolib.GoError, "div 1: division by zero")
    assert got[3] is None
    assert returns(lambda: s.Check(True)) == (type(None), None)
    raises(lambda: s.Check(False), usegolib.GoError, "not ok")


def test_a_panic_and_which_form_ran(s):
    raises(lambda: s.Panic(3), usegolib.GoPanicError, "panic 3")
    assert returns(lambda: s.Panic(0)) == (int, 0)
    with pytest.raises(usegolib.GoPanicError) as scalar:
        s.Panic(1)
    assert "usegolibScalar" in scalar.value.stack
    _native._scalar_calls(False)
    with pytest.raises(usegolib.GoPanicError) as general:
        s.Panic(1)
    assert "usegolibScalar" not in general.value.stack


def test_a_func_word_takes_the_scalar_form_and_a_refused_call_keeps_no_callable(s):
    """A func parameter does not send the call to the general form (8.11.1): its panic's stack
    shows the scalar dispatcher. A callable that raises gives what the general form gives. A
    call Go refuses (a closed receiver, after the callable's word was written) keeps no new
    host object, in either form."""
    with pytest.raises(usegolib.GoPanicError) as scalar:
        s.ApplyOrPanic(lambda x: x, -1)
    assert "usegolibScalar" in scalar.value.stack
    assert returns(lambda: s.ApplyOrPanic(lambda x: x * 3, 5)) == (int, 15)

    def boom(x):
        raise ValueError(f"boom {x}")

    raises(lambda: s.ApplyOrPanic(boom, 4), ValueError, "boom 4")
    c = s.NewCounter()
    c.close()
    for form in (True, False):
        _native._scalar_calls(form)
        live = usegolib.host_objects_live()
        with pytest.raises(usegolib.ObjectClosedError):
            c.SetHook(lambda x: x)  # a new callable: registered, then the call is refused
        assert usegolib.host_objects_live() == live, form


def test_methods_on_a_go_object(s):
    for form in (True, False):
        _native._scalar_calls(form)
        c = s.NewCounter()
        inc = c.Inc
        assert [inc(1), inc(2), c.Inc(by=3), c.Get()] == [1, 3, 6, 6]
        assert c.N == 6
        c.N = 10
        assert c.Get() == 10
        with pytest.raises(OverflowError, match="out of range for int64"):
            inc(I64)
        assert c.Get() == 10
        c.close()
        with pytest.raises(usegolib.ObjectClosedError, match="closed"):
            inc(1)


def test_a_method_that_calls_a_stored_python_callable(s):
    def run():
        c = s.NewCounter()
        c.Inc(5)
        c.SetHook(lambda x: x * 10)
        r = [c.Hooked(1)]
        # Re-entrancy: the hook makes scalar calls itself, one of them on the same object.
        c.SetHook(lambda x: s.AddInt(x, c.Get()) + s.Eight(*range(8))[0])
        r.append(c.Hooked(2))

        def fail(x):
            raise ValueError(f"hook {x}")

        c.SetHook(fail)
        try:
            c.Hooked(3)
        except ValueError as e:
            r.append((str(e), e.__notes__))
        c.close()
        return r

    kind, values = returns(run)
    assert kind is list and values[:2] == [61, 20]
    message, notes = values[2]
    assert message == "hook 8" and notes, notes


def test_a_panicking_method(s):
    c = s.NewCounter()
    raises(lambda: c.Hooked(1), usegolib.GoPanicError, "no hook")


def test_threads(s):
    # One counter per thread: Counter.Inc is a plain `c.N += by`, which Go itself does not make
    # safe for concurrent callers (a shared counter loses updates, whatever the call form).
    counters = [s.NewCounter() for _ in range(8)]

    def work(t):
        for i in range(2000):
            assert s.AddInt(t, i) == t + i
            counters[t].Inc(1)

    assert in_threads(work, range(8)) == []
    assert [c.Get() for c in counters] == [2000] * 8


def test_what_go_prints(s, tmp_path):
    got = s.Floats(0.1, 0.1), s.Mixed(-3, True, 2.75, 2**64 - 1), s.Uints(255, 1, 2, 2**64 - 1, 7)
    want = fixture_prints(
        tmp_path,
        "scalars",
        "fmt strconv",
        """
        f32, f64 := scalars.Floats(0.1, 0.1)
        b.WriteString(strconv.FormatFloat(float64(f32), 'g', -1, 64) + " ")
        b.WriteString(strconv.FormatFloat(f64, 'g', -1, 64) + "\\n")
        x, y, z := scalars.Mixed(-3, true, 2.75, 1<<64-1)
        b.WriteString(fmt.Sprintln(x, y, z))
        b.WriteString(fmt.Sprintln(scalars.Uints(255, 1, 2, 1<<64-1, 7)))
        """,
    )
    mine = (
        f"{got[0][0]!r} {got[0][1]!r}\n"
        f"{str(got[1][0]).lower()} {got[1][1]:g} {got[1][2]}\n"
        + " ".join(str(v) for v in got[2])
        + "\n"
    )
    assert mine == want


def test_a_func_parameter_travels_as_its_host_object_id(s):
    """SetHook(f func(int64) int64) is a scalar call: the callable's word is its host-object id
    (docs/abi.md section 8.11); None is nil; a non-callable, a closed receiver and a callable
    that raises give what the general form gives, in both forms."""
    hook = lambda x: x + 100  # noqa: E731 - the same callable each call (it keeps its id)

    def run():
        c = s.NewCounter()
        r = []
        for i in range(3):
            c.SetHook(hook)  # passed again: the same host object
            r.append(c.Hooked(i))
        c.SetHook(lambda x: -x)  # a new callable each time
        r.append(c.Hooked(7))
        c.SetHook(None)
        r.append(outcome(lambda: c.Hooked(1)))  # a nil func: the Go code's panic
        r.append(outcome(lambda: c.SetHook(42)))  # not callable: the general form's TypeError
        c.close()
        r.append(outcome(lambda: c.SetHook(hook))[:2])  # its message names the handle
        return r

    kind, values = returns(run)
    assert kind is list
    assert values[:4] == [101, 102, 103, -6], values
    assert values[4][0] == "raised" and values[4][1] is usegolib.GoPanicError, values[4]
    assert values[5][:2] == ("raised", TypeError) and "callable" in values[5][2], values[5]
    assert values[6][:2] == ("raised", usegolib.ObjectClosedError), values[6]


# --- Strings and flat records (docs/abi.md section 8.13) -------------------------------------


def test_string_and_record_entries_have_a_scalar_form(s):
    scalar = "Echo Concat Repeat Invalid EchoPoint PanicPoint Norm MakePoint EchoEdges EchoSkip"
    for name in (scalar + " EchoSparse EchoEmpty EchoNarrow").split():
        assert getattr(s, name)._scalar_index is not None, name
    # A named string, a record field, a promoted field, ten words: the general form only.
    for name in ("EchoText", "EchoNested", "EchoEmbeds", "EchoWide"):
        assert getattr(s, name)._scalar_index is None, name


@pytest.mark.parametrize(
    "text",
    ["", "p", "héllo wörld", "✓ 𝄞 漢字", "a\x00b\x00", "\x00", "x" * 100_000, "é" * 70_000],
    ids=range(8),
)
def test_strings_both_ways(s, text):
    assert returns(lambda: s.Echo(text)) == (str, text)
    assert returns(lambda: s.Concat(text, "ç")) == (
        (str, text + "ç"),
        (int, len(text.encode()) + 2),
    )


def test_strings_that_are_not_utf8(s):
    """A str with lone surrogates (surrogateescape's bytes that are not UTF-8) and a str
    subclass go the general way; bytes from Go that are not UTF-8 come back as surrogateescape
    makes them, in both forms."""

    class Text(str):
        pass

    assert returns(lambda: s.Echo("a\udcffb")) == (str, "a\udcffb")
    assert returns(lambda: s.Echo(Text("sub"))) == (str, "sub")
    assert returns(lambda: s.Invalid("x")) == (str, "\udcffx\udcc3")
    assert returns(lambda: s.Invalid("\udcfe")) == (str, "\udcff\udcfe\udcc3")
    # A surrogate surrogateescape does not make: the general form's error.
    raises(lambda: s.Concat("\ud800", ""), UnicodeEncodeError, "surrogates not allowed")


def test_results_larger_than_the_reply_buffer(s):
    for text, n in (("ab", 1 << 20), ("é✓", 300_000), ("", 1 << 20)):
        got = returns(lambda text=text, n=n: s.Repeat(text, n))
        assert got == (str, text * n)
    # The thread's buffer grew or stayed: later small calls still answer right.
    assert returns(lambda: s.Concat("a", "b")) == ((str, "ab"), (int, 2))


def test_string_errors_are_the_general_forms(s):
    raises(lambda: s.Echo(b"x"), TypeError, "expected str, got bytes")
    raises(lambda: s.Echo(None), TypeError, "expected str, got None")
    raises(lambda: s.Repeat("x", -1), usegolib.GoPanicError, "negative Repeat count")
    with pytest.raises(usegolib.GoPanicError) as scalar:
        s.Repeat("✓", -1)
    assert "usegolibScalar" in scalar.value.stack  # a string argument takes the scalar form
    with pytest.raises(usegolib.GoPanicError) as general:
        s.Repeat("\udcff", -1)
    assert "usegolibScalar" not in general.value.stack  # lone surrogates: the general form


def point(s, **kw):
    return s.Point(**{"X": 1.5, "Y": -2.0, "Tag": "p", **kw})


def test_records_both_ways(s):
    p = point(s)
    assert returns(lambda: s.EchoPoint(p)) == (
        s.Point,
        {"X": (float, "1.5"), "Y": (float, "-2.0"), "Tag": (str, "p")},
    )
    assert s.EchoPoint(p) == p and s.EchoPoint(p) is not p
    assert returns(lambda: s.Norm(point(s, Tag="abc"))) == (float, repr(1.5**2 + 4.0 + 3))
    assert returns(lambda: s.MakePoint(1, -0.0, "m")) == (
        s.Point,
        {"X": (float, "1.0"), "Y": (float, "-0.0"), "Tag": (str, "m")},
    )
    assert returns(lambda: s.EchoPoint(s.Point())) == (
        s.Point,
        {"X": (float, "0.0"), "Y": (float, "0.0"), "Tag": (str, "")},
    )
    # Ints for float fields, NUL and non-ASCII text, a record without fields.
    assert returns(lambda: s.EchoPoint(point(s, X=3, Tag="\x00é𝄞"))) == returns(
        lambda: s.MakePoint(3.0, -2.0, "\x00é𝄞")
    )
    got = returns(lambda: s.EchoEmpty(s.Empty(), 7))
    assert got == ((s.Empty, {}), (int, 7))


E_MIN = {
    "I8": -(2**7),
    "U8": 0,
    "U64": 0,
    "I": -(2**63),
    "F32": -3.4028234663852886e38,
}
E_MAX = {"I8": 2**7 - 1, "U8": 2**8 - 1, "U64": 2**64 - 1, "I": 2**63 - 1}


@pytest.mark.parametrize(
    "fields",
    [
        {**E_MIN, "B": False, "S": ""},
        {**E_MAX, "F32": 3.4028234663852886e38, "B": True, "S": "max"},
        {"F32": 0.1, "S": "✓" * 1000},
        {"F32": math.inf, "I": -1},
        {"F32": -0.0, "U64": 2**63},
    ],
)
def test_record_fields_at_their_bounds(s, fields):
    got = returns(lambda: s.EchoEdges(s.Edges(**fields)))
    want = {**{f.name: f.default for f in dataclasses.fields(s.Edges)}, **fields}
    assert got[0] is s.Edges
    assert got[1] == {k: shape(f32(v) if k == "F32" else v) for k, v in want.items()}


def f32(x):
    """x rounded to the nearest float32, as Go's float32 field holds it."""
    return struct.unpack("f", struct.pack("f", x))[0]


@pytest.mark.parametrize(
    "fields",
    [
        {"I16": -(2**15), "U16": 0, "I32": -(2**31), "U32": 0, "B": False},
        {"I16": 2**15 - 1, "U16": 2**16 - 1, "I32": 2**31 - 1, "U32": 2**32 - 1, "B": True},
    ],
)
def test_narrow_record_fields_at_their_bounds(s, fields):
    assert returns(lambda: s.EchoNarrow(s.Narrow(**fields))) == (
        s.Narrow,
        {k: shape(v) for k, v in fields.items()},
    )
    for k, v in fields.items():  # one past each bound: the general form's OverflowError
        if k != "B":
            beyond = v - 1 if v <= 0 else v + 1
            raises(lambda k=k, b=beyond: s.EchoNarrow(s.Narrow(**{k: b})), OverflowError, k)


@pytest.mark.parametrize(
    ("fields", "exc", "match"),
    [
        ({"I8": 2**7}, OverflowError, "value 128 is out of range for int8"),
        ({"I8": -(2**7) - 1}, OverflowError, "value -129 is out of range for int8"),
        ({"U8": -1}, OverflowError, "value -1 is out of range for uint8"),
        ({"U64": 2**64}, OverflowError, "out of range for uint64"),
        ({"I": 2**63}, OverflowError, "out of range for int64"),
        ({"F32": 1e39}, OverflowError, "out of range for float32"),
        ({"B": 1}, TypeError, "expected bool, got int"),
        ({"I": 1.0}, TypeError, "expected int, got float"),
        ({"S": b"x"}, TypeError, "expected str, got bytes"),
        ({"S": 3}, TypeError, "expected str, got int"),
        ({"F32": "1"}, TypeError, "expected float, got str"),
    ],
)
def test_record_field_errors_are_the_general_forms(s, fields, exc, match):
    got = raises(lambda: s.EchoEdges(s.Edges(**fields)), exc, match)
    assert "Edges" in got[2], got


def test_what_goes_the_general_way_still_works(s):
    """A dict, a subclass instance, a field holding None, an int subclass or a str with lone
    surrogates in a field: the general form takes the call, with the same outcome."""

    class MyInt(int):
        pass

    @dataclasses.dataclass(kw_only=True)
    class Labeled(s.Point):
        label: str = ""

    class Plain(s.Point):
        pass

    want = returns(lambda: s.EchoPoint(point(s)))
    assert returns(lambda: s.EchoPoint({"X": 1.5, "Y": -2.0, "Tag": "p"})) == want
    assert returns(lambda: s.EchoPoint(Labeled(X=1.5, Y=-2.0, Tag="p", label="l"))) == want
    assert returns(lambda: s.EchoPoint(Plain(X=1.5, Y=-2.0, Tag="p"))) == want
    assert returns(lambda: s.EchoPoint(point(s, X=MyInt(2)))) == returns(
        lambda: s.MakePoint(2.0, -2.0, "p")
    )
    assert returns(lambda: s.EchoPoint(point(s, Tag=None))) == returns(
        lambda: s.MakePoint(1.5, -2.0, "")
    )
    assert returns(lambda: s.EchoPoint(point(s, Tag="\udcff"))) == returns(
        lambda: s.MakePoint(1.5, -2.0, "\udcff")
    )
    raises(lambda: s.EchoPoint(s.Edges()), TypeError, "expected Point or dict, got Edges")
    raises(lambda: s.EchoPoint(3), TypeError, "expected Point or dict, got int")
    raises(lambda: s.EchoPoint({"Z": 1}), TypeError, 'unknown field "Z"')
    p = point(s)
    del p.Tag  # the class attribute (the field's default) is read instead, in both forms
    assert returns(lambda: s.EchoPoint(p)) == returns(lambda: s.MakePoint(1.5, -2.0, ""))


def test_a_dash_field_and_omitempty_fields(s):
    """A field tagged `-` never travels (Go gets its zero value and sends nothing back); an
    empty omitempty field is left out of the general form's reply, and the scalar form makes
    the same instance (its instance dict without that field)."""
    got = returns(lambda: s.EchoSkip(s.Skip(a=1, b="x")))
    assert got == (s.Skip, {"a": (int, 2), "b": (str, "x")})
    assert [f.name for f in dataclasses.fields(s.Skip)] == ["a", "b"]
    assert returns(lambda: s.EchoSparse(s.Sparse())) == (s.Sparse, {})
    full = returns(lambda: s.EchoSparse(s.Sparse(n=-1, f=0.5, s="s", b=True)))
    assert full == (
        s.Sparse,
        {"n": (int, -1), "f": (float, "0.5"), "s": (str, "s"), "b": (bool, True)},
    )
    assert returns(lambda: s.EchoSparse(s.Sparse(f=-0.0, s="t"))) == (s.Sparse, {"s": (str, "t")})
    assert s.EchoSparse(s.Sparse(f=-0.0)) == s.Sparse()


def test_a_record_calls_panic_shows_which_form_ran(s):
    raises(lambda: s.PanicPoint(point(s, Tag="panic")), usegolib.GoPanicError, "panic at 1.5,-2")
    with pytest.raises(usegolib.GoPanicError) as scalar:
        s.PanicPoint(point(s, Tag="panic"))
    assert "usegolibScalar" in scalar.value.stack
    with pytest.raises(usegolib.GoPanicError) as general:
        s.PanicPoint({"X": 1.5, "Y": -2.0, "Tag": "panic"})  # a dict: the general form
    assert "usegolibScalar" not in general.value.stack
    with pytest.raises(usegolib.GoPanicError) as general:
        s.PanicPoint(type("Sub", (s.Point,), {})(Tag="panic"))  # a subclass: the general form
    assert "usegolibScalar" not in general.value.stack


def test_a_user_registered_record_class(artifact_root):
    """A record class registered for the Go type (here one with its own ``__new__``) is the
    class the scalar form takes and makes: a record argument of exactly that class goes as
    words, and results are made through its ``__new__`` as the general decoder makes them."""
    r = run_py(
        OWN_POINT_CLASS
        + textwrap.dedent(
            f"""
        from usegolib import _native
        s = usegolib.import_({str(FIXTURES / "scalars")!r}, artifact_dir={str(artifact_root)!r})
        p = s.Point(X=1.0, Tag="own")
        made.clear()
        outs = []
        for on in (True, False):
            _native._scalar_calls(on)
            q = s.EchoPoint(p)
            outs.append((type(q) is type(p), vars(q), list(made)))
            made.clear()
        _native._scalar_calls(True)
        try:
            s.PanicPoint(s.Point(Tag="panic"))
        except usegolib.GoPanicError as e:
            outs.append("usegolibScalar" in e.stack)
        print(outs)
        """
        )
    )
    want = (True, {"X": 1.0, "Y": 0.0, "Tag": "own"}, ["Point"])
    assert ok(r).strip() == repr([want, want, True])


def test_a_record_changed_by_another_thread_during_calls(s):
    """The field values of a record argument are read once and held for the call: another
    thread setting its string field meanwhile never gives Go freed or torn bytes."""
    p = point(s, Tag="start")
    tags = {"start"} | {f"tag {i} " * (i % 7) for i in range(50)}
    stop = threading.Event()

    def writer():
        i = 0
        while not stop.is_set():
            p.Tag = f"tag {i % 50} " * (i % 50 % 7)
            i += 1

    t = threading.Thread(target=writer)
    t.start()
    try:
        seen = set()
        for _ in range(3000):
            q = s.EchoPoint(p)
            assert q.Tag in tags, q.Tag
            seen.add(q.Tag)
    finally:
        stop.set()
        t.join()
    assert len(seen) > 1, f"the writer thread never changed Tag between calls: {seen}"


def test_strings_and_records_in_threads(s):
    def work(t):
        for i in range(1000):
            text = f"{t}-{i}-✓" * (i % 5)
            assert s.Echo(text) == text
            q = s.EchoPoint(s.Point(X=t, Y=i, Tag=text))
            assert (q.X, q.Y, q.Tag) == (t, i, text)

    assert in_threads(work, range(8)) == []


def test_strings_and_records_as_go_prints_them(s, tmp_path):
    """What the calls give equals what the same calls print in a Go program (strings as the
    hex of their bytes, floats by Go's shortest form)."""

    def hx(text):
        return text.encode("utf-8", "surrogateescape").hex()

    p = s.EchoPoint(s.Point(X=1.5, Y=-2.0, Tag="p"))
    c, n = s.Concat("héllo", "\x00✓")
    bad = s.Invalid("x")
    e = s.EchoEdges(s.Edges(I8=-128, U64=2**64 - 1, F32=0.1, B=True, S="e"))
    k = s.EchoSkip(s.Skip(a=41, b="b"))
    norm = s.Norm(s.MakePoint(3, 4, "ab"))
    mine = (
        f"{p.X:g} {p.Y:g} {hx(p.Tag)}\n"
        f"{hx(c)} {n}\n"
        f"{hx(bad)}\n"
        f"{e.I8} {e.U8} {e.U64} {e.I} {e.F32!r} {str(e.B).lower()} {hx(e.S)}\n"
        f"{k.a} {hx(k.b)}\n"
        f"{norm:g}\n"
    )
    want = fixture_prints(
        tmp_path,
        "scalars",
        "fmt",
        """
        p := scalars.EchoPoint(scalars.Point{X: 1.5, Y: -2.0, Tag: "p"})
        fmt.Fprintf(&b, "%v %v %x\\n", p.X, p.Y, p.Tag)
        c, n := scalars.Concat("héllo", "\\x00✓")
        fmt.Fprintf(&b, "%x %d\\n", c, n)
        fmt.Fprintf(&b, "%x\\n", scalars.Invalid("x"))
        e := scalars.EchoEdges(scalars.Edges{I8: -128, U64: 1<<64 - 1, F32: 0.1, B: true, S: "e"})
        fmt.Fprintf(&b, "%d %d %d %d %v %v %x\\n", e.I8, e.U8, e.U64, e.I,
            float64(e.F32), e.B, e.S)
        k := scalars.EchoSkip(scalars.Skip{A: 41, B: "b"})
        fmt.Fprintf(&b, "%d %x\\n", k.A, k.B)
        fmt.Fprintf(&b, "%v\\n", scalars.Norm(scalars.MakePoint(3, 4, "ab")))
        """,
    )
    assert mine == want


def test_a_record_class_with_its_own_attribute_hooks(s):
    """A record class that defines ``__setattr__`` or ``__getattribute__`` has them called, as
    ``setattr``/``getattr`` would, when a result is made and an argument read, in both forms."""
    seen = []

    def setattr_hook(self, name, value):
        seen.append(("set", name))
        object.__setattr__(self, name, value)

    def getattribute_hook(self, name):
        if name in ("X", "Y", "Tag"):
            seen.append(("get", name))
        return object.__getattribute__(self, name)

    p = point(s)
    s.Point.__setattr__ = setattr_hook
    s.Point.__getattribute__ = getattribute_hook
    try:
        got = returns(lambda: (s.EchoPoint(p), list(seen), seen.clear())[:2])
    finally:
        del s.Point.__setattr__
        del s.Point.__getattribute__
    (_, echoed), (_, calls) = got
    assert echoed == {"X": (float, "1.5"), "Y": (float, "-2.0"), "Tag": (str, "p")}
    names = [("get", n) for n in ("X", "Y", "Tag")] + [("set", n) for n in ("X", "Y", "Tag")]
    assert calls == names, calls
    assert returns(lambda: s.EchoPoint(p))[1] == echoed  # the hooks gone: as before


def test_an_argument_the_words_cannot_carry_is_read_once(s):
    """A record argument with a field the words cannot carry (a str subclass) goes the general
    way, and its fields are read as many times as the general form alone reads them: the
    scalar form is tried once, not again by the general entry."""

    class Tag(str):
        pass

    seen = []

    def getattribute_hook(self, name):
        if name in ("X", "Y", "Tag"):
            seen.append(name)
        return object.__getattribute__(self, name)

    p = s.Point(X=1.5, Y=-2.0, Tag=Tag("p"))
    s.Point.__getattribute__ = getattribute_hook
    try:
        got = returns(lambda: (s.EchoPoint(p), list(seen), seen.clear())[:2])
    finally:
        del s.Point.__getattribute__
    (_, echoed), (_, reads) = got  # both() asserted the same in the two forms
    assert echoed == {"X": (float, "1.5"), "Y": (float, "-2.0"), "Tag": (str, "p")}
    assert reads == ["X", "Y", "Tag"], reads
