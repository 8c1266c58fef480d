"""Callables lent to a call (docs/abi.md section 10.9, docs/adr/0036): a func parameter the Go
compiler proves the function does not keep (``f does not escape``) gets the Python callable
lent for the call in the scalar form, found again on the calling thread when Go calls it back,
with nothing registered, counted or released. A func Go keeps (stored, run on a goroutine,
returned) is registered as before. Real c-shared libraries of tests/fixtures/go/callbacks and
tests/fixtures/go/inplace; the results are what Go itself gives with Go funcs."""

from __future__ import annotations

import gc
import weakref

import pytest
import usegolib
from conftest import FIXTURES, fixture_prints, in_threads, settled_live


@pytest.fixture(scope="module")
def ip(artifact_root):
    return usegolib.import_(FIXTURES / "inplace", artifact_dir=artifact_root)


@pytest.mark.parametrize(("apply", "lent"), [("Apply", True), ("ApplyEscaping", False)])
def test_a_func_go_does_not_keep_is_lent_one_it_may_keep_registered(cb, apply, lent):
    base = settled_live(cb)
    seen = []

    def f(x):
        seen.append(usegolib.host_objects_live())
        return x * 3

    assert getattr(cb, apply)(f, 14) == 42
    assert seen == [base if lent else base + 1]


def test_a_lent_callable_is_not_kept_after_its_call(cb):
    """Nothing holds it once the call returns: no Go collection is needed to free it."""

    def passed(call, want) -> weakref.ref:
        f = lambda x: x + 1  # noqa: E731 - a callable with no other reference
        assert call(f, 1) == want
        return weakref.ref(f)

    assert passed(cb.Apply, 2)() is None
    assert passed(cb.Twice, 3)() is None


def test_two_callables_lent_to_one_call_are_told_apart(ip, tmp_path):
    got = (
        ip.Compose(lambda x: x + 1, lambda x: x * 10, 3),
        ip.Compose(lambda x: x * 10, lambda x: x + 1, 3),
        ip.Sign(lambda neg, x: neg != (x > 100), -2.5),
        ip.Sign(lambda neg, x: neg != (x > 100), 250.0),
        ip.ApplyF(lambda x: -x, 2**63 - 1),
    )
    want = fixture_prints(
        tmp_path,
        "inplace",
        "fmt",
        """
        b.WriteString(fmt.Sprintln(
            inplace.Compose(func(x int64) int64 { return x + 1 }, func(x int64) int64 { return x * 10 }, 3),
            inplace.Compose(func(x int64) int64 { return x * 10 }, func(x int64) int64 { return x + 1 }, 3),
            inplace.Sign(func(neg bool, x float64) bool { return neg != (x > 100) }, -2.5),
            inplace.Sign(func(neg bool, x float64) bool { return neg != (x > 100) }, 250.0),
            inplace.ApplyF(func(x int64) int64 { return -x }, 1<<63-1),
        ))
        """,
    )
    assert " ".join(str(v).lower() for v in got) + "\n" == want


def test_a_func_go_keeps_is_still_there_after_the_call(ip):
    """KeepF stores f (it escapes): registered, so CallKept reaches it after KeepF returned."""
    ip.KeepF(lambda x: x * 7)
    assert ip.CallKept(6) == 42
    assert ip.ReturnF(lambda x: x - 1)(10) == 9, "returned: Go holds it as a func value"
    assert ip.GoF(lambda x: x + 2, 40) == 42, "run on a goroutine: registered"


def test_an_exception_in_a_lent_callable_reaches_its_call_and_the_next_calls_work(cb):
    def boom(x):
        raise KeyError(x)

    for _ in range(3):
        with pytest.raises(KeyError) as e:
            cb.Twice(boom, 5)
        assert "host callback failed: KeyError: 5" in e.value.__notes__[0]
        with pytest.raises(ZeroDivisionError) as e:
            cb.Recover(lambda: 1 / 0)  # Go recovers; the exception still replaces the result
        assert e.value.__notes__ == ["the Go function returned normally after this callback raised"]
        assert cb.Twice(lambda x: x + 1, 5) == 7


def test_threads_lend_their_own_callables(cb):
    """Each thread's callbacks find the callables it lent, not another thread's at the same
    place, through nested calls too."""

    def work(k):
        for i in range(2000):
            assert cb.Apply(lambda x: x + k, i) == i + k
            assert cb.Apply(lambda x: cb.Apply(lambda y: y * k, x) + 1, i) == i * k + 1

    assert in_threads(work, range(8)) == []


def test_collections_during_a_lent_callback(cb):
    class Once:
        def __call__(self, x):
            holder.clear()  # the call's argument is the only reference left
            gc.collect()
            cb.GC()
            return x * 2

    holder = [Once()]
    ref = weakref.ref(holder[0])
    assert cb.Apply(holder[0], 21) == 42
    assert ref() is None, "the lent callable outlived its call"


def test_the_general_form_registers_instead(cb):
    """With the scalar form off, the call is made in MessagePack, which passes ids only."""
    base = settled_live(cb)
    seen = []
    before = usegolib._native._scalar_calls(False)
    try:
        assert cb.Apply(lambda x: seen.append(usegolib.host_objects_live()) or x, 5) == 5
    finally:
        usegolib._native._scalar_calls(before)
    assert seen == [base + 1]


def test_a_lent_callable_called_back_in_the_general_form(ip, cb):
    """func(Level) Level has a named type, which Go calls with MessagePack: a lent callable is
    found on the calling thread in that form too."""
    base = settled_live(cb)
    seen = []

    def f(x):
        seen.append((type(x), usegolib.host_objects_live()))
        return x * 2

    assert ip.ApplyLevel(f, 21) == 42
    assert seen == [(int, base)]
    with pytest.raises(OverflowError):
        ip.ApplyLevel(lambda x: 2**70, 1)
    assert ip.ApplyLevel(lambda x: x - 1, 0) == -1


def test_a_lent_callable_called_again_after_a_nested_call_lent_and_took_back_its_own(cb):
    """The nested call lends at the next place and takes it back: the outer callable is still
    found at its own place for its second callback."""
    assert cb.Twice(lambda x: cb.Apply(lambda y: y + 1, x), 5) == 7
    assert cb.Twice(lambda x: cb.Twice(lambda y: y * 2, x) + 1, 1) == 21  # 4x + 1, twice


@pytest.mark.parametrize(("levels", "registered"), [(63, 0), (64, 0), (65, 1), (66, 2), (100, 36)])
def test_the_lending_limit_is_64_a_thread(cb, levels, registered):
    """``levels`` calls nested through Go (each callback calls Go again): the first 64 lend, the
    ones past them register, and are released like any other."""
    base = settled_live(cb)
    deepest = []

    def down(n):
        if n == 1:
            deepest.append(usegolib.host_objects_live())
            return 1
        return cb.Apply(down, n - 1) + 1

    assert cb.Apply(down, levels) == levels
    assert deepest == [base + registered]
    assert settled_live(cb) == base


def test_two_callables_past_the_limit_are_both_registered(ip, cb):
    """At 63 lent, a call of two funcs has room for one: both are registered instead."""
    base = settled_live(cb)
    seen = []

    def down(n):
        if n == 0:
            f = lambda x: seen.append(usegolib.host_objects_live()) or x + 1  # noqa: E731
            return ip.Compose(f, lambda x: x * 10, 3)
        return cb.Apply(down, n - 1)

    assert cb.Apply(down, 62) == 40  # 63 Apply calls lend, then Compose
    assert seen == [base + 2]


def test_a_method_lends_its_func(ip, cb):
    base = settled_live(cb)
    box = ip.Wrap(b"four")
    seen = []
    assert box.Times(lambda n: seen.append(usegolib.host_objects_live()) or n * 10) == 40
    assert seen == [base]
