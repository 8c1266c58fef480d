"""The scalar form of calls (docs/abi.md section 8.11): a Go function or method whose parameters
and results are all unnamed bools, ints and floats is called without MessagePack. Each call here
is made twice, in the scalar form and with it turned off (the general form), and must give the
same: the same Python values of the same types, the same exceptions with the same messages.
A Go panic's stack names the entry that ran, which shows that the scalar form was taken."""

from __future__ import annotations

import math

import pytest
import usegolib
from conftest import FIXTURES, go_output, in_threads
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
    """A value with its types, floats by repr (so -0.0, nan and rounding count)."""
    if isinstance(r, tuple):
        return tuple(shape(x) for x in r)
    if isinstance(r, float):
        return (float, repr(r))
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
    want = go_output(
        tmp_path,
        {"example.com/scalars": "v0.0.0"},
        "fmt strconv example.com/scalars",
        """
        _ = src
        f32, f64 := scalars.Floats(0.1, 0.1)
        b.WriteString(strconv.FormatFloat(float64(f32), 'g', -1, 64) + " ")
        b.WriteString(strconv.FormatFloat(f64, 'g', -1, 64) + "\\n")
        x, y, z := scalars.Mixed(-3, true, 2.75, 1<<64-1)
        b.WriteString(fmt.Sprintln(x, y, z))
        b.WriteString(fmt.Sprintln(scalars.Uints(255, 1, 2, 1<<64-1, 7)))
        """,
        b"",
        replaces={"example.com/scalars": FIXTURES / "scalars"},
    )
    mine = (
        f"{got[0][0]!r} {got[0][1]!r}\n"
        f"{str(got[1][0]).lower()} {got[1][1]:g} {got[1][2]}\n"
        + " ".join(str(v) for v in got[2])
        + "\n"
    )
    assert mine.encode() == want


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
