"""Python callables for Go func parameters (docs/abi.md section 10), over the real built
callbacks fixture: arguments and results converted as for calls, exceptions raised to the
caller of the outer Go function, callbacks from goroutines Go started, re-entrancy, release
of the callables Go no longer holds, and interpreter shutdown (in child processes)."""

from __future__ import annotations

import sys
import time

import pytest
import usegolib
from conftest import FIXTURES, in_threads, ok, run_py, settled_live


def test_callables_are_called_with_converted_arguments(cb):
    assert cb.Apply(lambda x: x + 1, 41) == 42
    assert cb.Twice(lambda x: x * 3, 2) == 18
    assert cb.SortStrings(["b", "a", "c"], lambda a, b: a > b) == ["c", "b", "a"]
    assert cb.MapRunes(lambda r: r + 1, "HAL") == "IBM"
    assert cb.Lookup(lambda k: (len(k), True), "abc") == (3, True), "two results: a tuple"
    assert cb.MakePoint(lambda: cb.Point(X=1, Y=2)) == cb.Point(X=1, Y=2)
    assert cb.MakePoint(lambda: {"X": 3, "Y": 4}) == cb.Point(X=3, Y=4), "a dict, as for args"
    c = cb.NewCounter(5)
    seen = []

    def inspect(p, counter):
        seen.append((p, type(counter)))
        counter.Add(1)  # a Go object Go passed: its methods work (a call from inside a callback)
        return cb.Point(X=p.X + counter.Value(), Y=p.Y)

    assert cb.Inspect(inspect, cb.Point(X=1, Y=2), c) == cb.Point(X=7, Y=2)
    assert seen == [(cb.Point(X=1, Y=2), cb.Counter)]
    assert c.Value() == 6


def test_any_callable_and_go_funcs_and_none(cb):
    class Adder:
        def __call__(self, x):
            return x + 10

    assert cb.Apply(Adder(), 1) == 11
    assert cb.Apply(abs, -4) == 4, "a builtin"
    go_add = cb.Adder(5)
    assert cb.Apply(go_add, 1) == 6, "a Go func object passes as itself (no callback)"
    assert go_add(1) == 6
    assert cb.IsNil(None) is True
    assert cb.IsNil(lambda x: x) is False


def test_bad_arguments_name_the_parameter(cb):
    with pytest.raises(TypeError, match=r"argument 'f' \(Go func\(int\) int\).*callable.*got int"):
        cb.Apply(3, 1)
    with pytest.raises(TypeError, match=r"argument 'less'.*got str"):
        cb.SortStrings(["a"], "not callable")
    live = usegolib.host_objects_live()
    with pytest.raises(TypeError, match=r"argument 'x'"):
        cb.Apply(lambda x: x, "one")
    assert usegolib.host_objects_live() == live, "a call refused before Go ran keeps no callable"


def test_results_are_checked_and_their_errors_reach_the_caller(cb):
    with pytest.raises(TypeError, match=r"result 0 of the Python callable.*expected int") as e:
        cb.Apply(lambda x: "forty-two", 1)
    assert any("panic" in n for n in e.value.__notes__), e.value.__notes__
    with pytest.raises(OverflowError, match=r"out of range for int8"):
        cb.ApplyInt8(lambda x: 300, 1)
    with pytest.raises(TypeError, match=r"must return a tuple of 2 values"):
        cb.Lookup(lambda k: 3, "k")
    with pytest.raises(TypeError, match="expected bool"):
        cb.SortStrings(["b", "a"], lambda a, b: 1)


def test_an_exception_reaches_the_caller_with_what_go_saw(cb):
    def visit(i, w):
        if w == "stop":
            raise ValueError("no " + w)

    with pytest.raises(ValueError, match="no stop") as e:
        cb.Visit(["a", "stop", "b"], visit)
    assert e.value.__notes__ == [
        "the Go function then failed: GoError: visit stopped: ValueError: no stop"
    ], "func ... error: Go got an error result, and returned it"
    assert e.value.__traceback__ is not None

    with pytest.raises(ZeroDivisionError) as e:
        cb.Apply(lambda x: 1 / 0, 1)
    (note,) = e.value.__notes__
    assert "GoPanicError" in note and "host callback failed: ZeroDivisionError" in note, note

    # The library recovers the panic itself and returns normally: still raised.
    with pytest.raises(KeyError) as e:
        cb.Recover(lambda: {}["k"])
    assert e.value.__notes__ == ["the Go function returned normally after this callback raised"]
    assert cb.Recover(lambda: None) == "returned"


def test_a_go_object_made_by_the_callable_reaches_go(cb):
    # The callable keeps no reference to the Go object it returns: it must not be released
    # before Go has read the reply (it was: Go got nil).
    assert cb.CountOf(lambda: cb.NewCounter(7)) == 7
    kept = cb.NewCounter(4)
    assert cb.CountOf(lambda: kept) == 4
    assert cb.CountOf(lambda: None) == -1
    assert [cb.CountOf(lambda i=i: cb.NewCounter(i)) for i in range(50)] == list(range(50))
    # Likewise for a callable of one argument (a call path of its own).
    assert cb.CountOfN(lambda n: cb.NewCounter(n), 7) == 7
    assert [cb.CountOfN(lambda n: cb.NewCounter(n), i) for i in range(50)] == list(range(50))


def test_reentrancy(cb):
    assert cb.Apply(lambda x: cb.Apply(lambda y: y + 1, x) * 2, 1) == 4
    assert cb.Apply(lambda x: cb.Twice(lambda y: cb.Apply(abs, -y), x), -3) == 3
    with pytest.raises(RuntimeError, match="inner"):
        cb.Apply(lambda x: cb.Apply(lambda y: (_ for _ in ()).throw(RuntimeError("inner")), x), 1)


def test_callbacks_from_goroutines_during_the_call(cb):
    assert cb.ApplyOnThread(lambda x: x * 2, 21) == 42, "on a thread Go created"
    with pytest.raises(ValueError, match="on a Go thread"):
        cb.ApplyOnThread(lambda x: (_ for _ in ()).throw(ValueError("on a Go thread")), 1)
    # Many Python threads calling Go that calls back, at once.
    out = []

    def worker(n):
        for i in range(200):
            out.append(cb.ApplyOnThread(lambda x: x + n, i) - i)

    assert in_threads(worker, range(4)) == []
    assert sorted(set(out)) == [0, 1, 2, 3] and len(out) == 800


def test_kept_callbacks_called_later_from_goroutines(cb, monkeypatch):
    cb.Clear()
    cb.Register(lambda e: e.upper())
    cb.Register(lambda e: e + "!")
    assert cb.Fire("hi") == ["HI", "hi!"], "called from goroutines Fire started"
    assert cb.HeldFuncs() == 2

    # A callback raising outside the call that passed it: sys.unraisablehook, zero values to Go.
    seen = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: seen.append(u))

    def broken(e):
        raise LookupError("handler broke on " + e)

    cb.Register(broken)
    assert cb.Fire("x") == ["X", "x!", ""]
    assert [(type(u.exc_value), str(u.exc_value)) for u in seen] == [
        (LookupError, "handler broke on x")
    ]
    assert seen[0].object is broken
    seen.clear()
    cb.FireLater("later")  # returns at once; a goroutine calls the handlers
    assert cb.Fired() == "LATER;later!;;"
    assert [str(u.exc_value) for u in seen] == ["handler broke on later"]
    cb.Clear()


@pytest.mark.parametrize("apply", ["Apply", "ApplyEscaping"])
def test_short_lived_callbacks_are_released(cb, apply):
    """Lent (Apply, docs/abi.md section 10.9) or registered (ApplyEscaping: f escapes). A lent
    callable is never counted by host_objects_live(), so for Apply only the RSS check tests
    anything; for ApplyEscaping both do."""

    def rss_kib():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * 4

    call = getattr(cb, apply)
    for i in range(20_000):
        assert call(lambda x, i=i: x + i, 1) == i + 1
    before = rss_kib()
    for i in range(100_000):
        call(lambda x, i=i: x + i, 1)
    grown = rss_kib() - before
    cb.GC()
    deadline = time.monotonic() + 20
    while usegolib.host_objects_live() > 16 and time.monotonic() < deadline:
        cb.GC()
        time.sleep(0.05)
    assert usegolib.host_objects_live() <= 16, usegolib.host_objects_live()
    assert grown < 32 * 1024, f"RSS grew by {grown} KiB over 100,000 callbacks"


def test_a_callable_passed_again_while_go_holds_it_is_one_host_object(cb):
    cb.Clear()
    base = settled_live(cb)

    def shout(event):
        return event.upper()

    cb.Register(shout)
    cb.Register(shout)  # the same callable for the same func type: its id again
    f = lambda x: x * 2  # noqa: E731
    for i in range(1000):
        assert cb.ApplyEscaping(f, i) == 2 * i  # f escapes: registered, not lent
    assert usegolib.host_objects_live() <= base + 2, "f passed 1000 times: one host object"
    assert cb.Fire("a") == ["A", "A"], "both funcs Go made call the one callable"
    held = settled_live(cb)
    assert held == base + 1, "kept: shout (held twice by Go), nothing for ApplyEscaping's"
    cb.Clear()  # Go drops both funcs of shout: its passes all end, so it is released
    assert settled_live(cb) == base


def test_after_shutdown_go_gets_an_error_not_a_crash():
    r = run_py(
        f"""
        import usegolib
        from usegolib import _native
        cb = usegolib.import_({str(FIXTURES / "callbacks")!r})
        cb.Register(lambda e: "called")
        _native.host_close()  # what the atexit hook does
        print(cb.Fire("x"))
        try:
            cb.Visit(["a"], lambda i, w: None)
        except usegolib.GoError as e:
            print(e)
        """
    )
    assert ok(r).splitlines() == [
        "['']",
        "visit stopped: the Python interpreter is shutting down",
    ], r.stdout


def test_a_goroutine_calling_back_while_the_interpreter_exits():
    r = run_py(
        f"""
        import time, usegolib
        cb = usegolib.import_({str(FIXTURES / "callbacks")!r})
        n = []
        cb.Spin(lambda e: n.append(e) or e)
        time.sleep(0.05)
        assert n, "the goroutine calls back"
        print("exiting")
        """,
        timeout=60,
    )
    assert ok(r) == "exiting\n"


def test_stubs_and_show_annotate_func_parameters(cb, artifact_root, tmp_path):
    from usegolib import _stubs

    text = _stubs.render(cb._go_module, cb._go_path)
    assert "from collections.abc import Callable, Mapping, Sequence" in text
    assert "def Apply(f: Callable[[int], int] | Func_int__int, x: int) -> int:" in text
    assert "def Register(h: Callable[[str], str] | Handler) -> None:" in text
    assert (
        "def Lookup(get: Callable[[str], tuple[int, bool]] | Func_string__int_bool, key: str)"
        in text
    )
    assert "visit: Callable[[int, str], None] | Func_int_string__error" in text
    assert "def Adder(n: int) -> Func_int__int:" in text, "a result is the Go func class only"
    r = run_py(
        f"""
        import sys
        from usegolib.cli import main
        sys.exit(main(["--artifact-dir", {str(artifact_root)!r}, "show",
                       {str(FIXTURES / "callbacks")!r}]))
        """
    )
    assert (
        "  func Apply(f func(int) int, x int) int\n"
        "    python: Apply(f: Callable[[int], int] | Func_int__int, x: int) -> int\n"
    ) in ok(r), r.stdout
