"""The scalar form of host calls (docs/abi.md section 10.8): a func type whose parameters and
results are all unnamed bools, ints and floats is called without MessagePack. It must give
exactly what the general form gives: the same Python values, the same checks and errors, and
what Go prints of the results (a differential against a Go program)."""

from __future__ import annotations

import gc
import time
import weakref

import pytest
from conftest import go_output

RESULTS = (False, -5, 2**64 - 1, 0.1, 1e300)


def test_every_scalar_kind_crosses_both_ways(cb, tmp_path):
    got = []

    def f(*args):
        got.append(args)
        return RESULTS

    printed = cb.Scalars(f)
    assert got == [(True, -128, 65535, -(2**31), 2**64 - 1, 1.5, -2.25)]
    assert [type(a) for a in got[0]] == [bool, int, int, int, int, float, float]
    want = go_output(
        tmp_path,
        {},
        "fmt",
        """
        _ = src
        b.WriteString(fmt.Sprint(false, int8(-5), uint64(1<<64-1), float32(0.1), 1e300))
        """,
        b"",
    )
    assert printed.encode() == want


def test_named_types_take_the_general_form_with_the_same_results(cb):
    assert cb.ApplyLevel(lambda x: x * 2, 21) == 42
    assert cb.Apply(lambda x: x * 2, 21) == 42
    with pytest.raises(OverflowError, match="out of range for int64"):
        cb.ApplyLevel(lambda x: 2**63, 1)
    with pytest.raises(OverflowError, match="out of range for int64"):
        cb.Apply(lambda x: 2**63, 1)


@pytest.mark.parametrize(
    ("bad", "exc", "match"),
    [
        ((False, 128, 0, 0.0, 0.0), OverflowError, "result 1 .* out of range for int8"),
        ((False, 0, -1, 0.0, 0.0), OverflowError, "result 2 .* out of range for uint64"),
        ((1, 0, 0, 0.0, 0.0), TypeError, "result 0 .* expected bool"),
        ((False, 0, 0, "x", 0.0), TypeError, "result 3 .* expected float"),
        ((False, 0, 0), TypeError, "must return a tuple of 5 values"),
    ],
)
def test_results_are_checked_as_in_the_general_form(cb, bad, exc, match):
    with pytest.raises(exc, match=match) as e:
        cb.Scalars(lambda *a: bad)
    (note,) = e.value.__notes__
    assert "host callback failed" in note, note


def test_an_error_result_carries_the_exception(cb):
    assert cb.Checked(lambda x: x / 2, 3.0) == 1.5

    def fail(x):
        raise ValueError(f"no {x}")

    with pytest.raises(ValueError, match="no 2.5") as e:
        cb.Checked(fail, 2.5)
    assert e.value.__notes__ == [
        "the Go function then failed: GoError: checked: ValueError: no 2.5"
    ]


@pytest.mark.parametrize("apply", ["ApplyEscaping", "ApplyOnGoroutine"])
def test_a_callable_go_released_is_freed(cb, apply):
    """Once Go has released a callable it was passed (after its collection), the host keeps
    nothing of it: not the calling thread's last callback, nor the one of a thread Go made
    (those threads live on), though this thread then makes only calls without a callable."""

    def passed() -> weakref.ref:
        f = lambda x: x + 1  # noqa: E731 - a callable with no other reference
        assert getattr(cb, apply)(f, 1) == 2
        return weakref.ref(f)

    ref = passed()
    deadline = time.monotonic() + 20
    while ref() is not None and time.monotonic() < deadline:
        cb.GC()  # a call without a callable, on this thread
        gc.collect()
        time.sleep(0.02)
    assert ref() is None, "a callable Go released is still alive"
