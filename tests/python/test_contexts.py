"""context.Context parameters (docs/abi.md section 8.7), over the real built contexts fixture:
a context left out or None is one the bridge makes, cancelled by Ctrl-C (KeyboardInterrupt) and
ended at the call's timeout= (TimeoutError); a Go object holding a context passes as itself."""

from __future__ import annotations

import gc
import inspect
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import weakref
from datetime import timedelta

import pytest
import usegolib
from conftest import FIXTURES
from usegolib import _stubs

LONG = timedelta(seconds=10)


@pytest.fixture(scope="module")
def cx(artifact_root):
    return usegolib.import_(FIXTURES / "contexts", artifact_dir=artifact_root)


def test_a_context_may_be_left_out_or_none(cx):
    assert cx.Kind() == "*bridge.callContext"
    assert cx.Kind(None) == "*bridge.callContext"
    assert cx.Kind(ctx=None) == "*bridge.callContext"
    assert cx.Err() is None, "a bridge-made context is live during the call"
    assert cx.Sleep(timedelta(microseconds=1)) is None
    assert cx.Sleep(None, timedelta(microseconds=1)) is None
    assert cx.Deadline() == (timedelta(0), False), "no timeout, no deadline"


def test_other_parameters_keep_their_positions_and_keywords(cx):
    # A context first, in the middle, last.
    assert cx.Sleep(d=timedelta(0)) is None
    assert cx.Sleep(timedelta(0), ctx=None) is None
    assert cx.Between("x", 3) == cx.Between("x", None, 3) == "x=3"
    assert cx.Between("x", n=3) == cx.Between(label="x", n=3) == "x=3"
    assert cx.Between("x", 3, ctx=None) == "x=3"
    assert cx.Add(1, 2) == cx.Add(1, 2, None) == cx.Add(a=1, b=2) == 3
    # A method.
    w = cx.NewWorker()
    assert w.Wait(timedelta(0)) == 1
    assert w.Wait(None, timedelta(0), timeout=5) == 2
    # Variadic: the context is never positional.
    assert cx.Join("a", "b") == "a-b"
    assert cx.Join() == ""
    assert cx.Join("a", ctx=cx.Cancelled()) == "context canceled"


def test_timeout_raises_timeout_error_chained_with_the_go_error(cx):
    start = time.monotonic()
    with pytest.raises(TimeoutError, match=r"contexts\.Sleep\(\) did not finish within") as ei:
        cx.Sleep(LONG, timeout=0.2)
    took = time.monotonic() - start
    assert 0.2 <= took < 1.5, took
    cause = ei.value.__cause__
    assert isinstance(cause, usegolib.GoError)
    assert "context deadline exceeded" in str(cause)
    # The deadline reaches Go; a call that ends in time returns normally.
    left, has = cx.Deadline(timeout=30)
    assert has and timedelta(seconds=29) < left <= timedelta(seconds=30)
    assert cx.Sleep(timedelta(milliseconds=1), timeout=5) is None
    # A method, and a call from another thread (no worker thread there).
    with pytest.raises(TimeoutError):
        cx.NewWorker().Wait(LONG, timeout=0.1)
    errors = []

    def other():
        try:
            cx.Sleep(LONG, timeout=0.1)
        except TimeoutError as e:
            errors.append(e)

    t = threading.Thread(target=other)
    t.start()
    t.join(5)
    assert len(errors) == 1


def test_go_code_that_ignores_the_context_runs_to_its_end(cx):
    # It returns no error, so the timeout has nothing to report: its result is returned.
    slept = cx.SleepIgnoring(timedelta(milliseconds=300), timeout=0.05)
    assert slept >= 0.3


def test_a_go_parameter_named_timeout_keeps_its_keyword(cx):
    assert cx.Dial("h", timeout=timedelta(seconds=7)) == "h 7s deadline=false"
    assert cx.Dial("h", timedelta(seconds=7), call_timeout=5) == "h 7s deadline=true"
    assert cx.Dial(None, "h", timedelta(seconds=1)) == "h 1s deadline=false"
    assert cx.Dial.timeout_keyword == "call_timeout"
    assert cx.Sleep.timeout_keyword == "timeout"
    assert cx.SleepPlain.timeout_keyword is None


def test_a_go_object_context_passes_as_itself(cx):
    v = cx.WithValue("k", "v")
    assert cx.Value(v, "k") == "v"
    assert cx.Value(ctx=v, k="k") == "v"
    assert cx.Value("k") == "", "a bridge-made context holds no values"
    assert cx.Kind(v) == "*context.valueCtx"
    with pytest.raises(usegolib.GoError, match="context canceled"):
        cx.Err(cx.Cancelled())
    # Inside a list only Go objects (or None) are contexts.
    assert cx.Contexts("k", [v, None]) == ["v", "<nil>"]
    with pytest.raises(TypeError, match=r"argument .ctxs.* element 0: expected a Go object"):
        cx.Contexts("k", ["not a context"])
    # A Go object that is not a context is refused by Go, naming the parameter.
    w = cx.NewWorker()
    with pytest.raises(
        TypeError, match=r"\(ctx context.Context\): handle .* not a context.Context"
    ):
        cx.Kind(w)


@pytest.mark.parametrize(
    ("bad", "err"),
    [
        ("1", TypeError),
        (True, TypeError),
        ([1], TypeError),
        (0, ValueError),
        (-1, ValueError),
        (float("nan"), ValueError),
        (float("inf"), ValueError),
        (1e300, ValueError),
    ],
)
def test_bad_timeouts(cx, bad, err):
    with pytest.raises(err, match="timeout must be a"):
        cx.Sleep(timedelta(0), timeout=bad)


def test_bad_context_arguments(cx):
    with pytest.raises(TypeError, match=r"argument 'ctx' \(Go context.Context\): expected None"):
        cx.Kind(5)
    with pytest.raises(TypeError, match="timeout= with a Go object"):
        cx.Kind(cx.Cancelled(), timeout=1)
    with pytest.raises(TypeError, match="takes 2 arguments .*ctx may be left out.*got 3"):
        cx.Sleep(None, timedelta(0), 1)
    with pytest.raises(TypeError, match="missing argument 'd'"):
        cx.Sleep()
    with pytest.raises(TypeError, match="unexpected keyword argument 'x'"):
        cx.Sleep(timedelta(0), x=1)
    with pytest.raises(TypeError, match="only its context and timeout are keywords"):
        cx.Join("a", parts=1)
    assert cx.Sleep(timedelta(0), timeout=None) is None, "timeout=None is no timeout"


# Ctrl-C: a child process runs the call, the parent sends SIGINT.
CHILD = """
import sys, time, usegolib
from datetime import timedelta
c = usegolib.import_(sys.argv[1], artifact_dir=sys.argv[2])
fn, secs = sys.argv[3], float(sys.argv[4])
print("ready", flush=True)
start = time.monotonic()
try:
    r = getattr(c, fn)(timedelta(seconds=secs))
    print("returned", r, flush=True)
except KeyboardInterrupt as e:
    print("caught", round(time.monotonic() - start, 2), type(e.__cause__).__name__, flush=True)
print("after", c.Kind(), flush=True)
"""


def interrupt(artifact_root, fn: str, secs: float, signals: int) -> tuple[float, list[str]]:
    """Runs fn(secs) in a child, sends it `signals` SIGINTs 0.1 s apart once it runs; returns
    how long after the first one the child exited, and its output lines."""
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(CHILD), str(FIXTURES / "contexts")]
        + [str(artifact_root), fn, str(secs)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(0.3)  # the call is under way
        start = time.monotonic()
        for _ in range(signals):
            proc.send_signal(signal.SIGINT)
            time.sleep(0.1)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    took = time.monotonic() - start
    assert proc.returncode == 0, err
    return took, out.splitlines()


def test_ctrl_c_ends_a_context_aware_call(artifact_root, cx):
    took, out = interrupt(artifact_root, "Sleep", 30, 1)
    assert out[0].startswith("caught"), out
    assert out[0].endswith("GoError"), "chained with the Go error (context canceled)"
    assert float(out[0].split()[1]) < 2, "well before the 30 s sleep would end"
    assert took < 10
    assert out[1] == "after *bridge.callContext", "the module works after"


def test_ctrl_c_on_go_code_that_ignores_the_context(artifact_root, cx):
    # The call runs to its end; a second Ctrl-C meanwhile changes nothing: one
    # KeyboardInterrupt, when the call returns.
    took, out = interrupt(artifact_root, "SleepIgnoring", 1.5, 2)
    assert out[0].startswith("caught"), out
    assert float(out[0].split()[1]) >= 1.5
    assert out[1] == "after *bridge.callContext"


def test_ctrl_c_on_a_call_without_a_context_is_as_before(artifact_root, cx):
    took, out = interrupt(artifact_root, "SleepPlain", 1.5, 1)
    assert out[0].startswith("caught"), out
    assert float(out[0].split()[1]) >= 1.5, "KeyboardInterrupt once the call returned"


def test_out_parameters_are_written_back_when_the_timeout_ends_the_call(cx):
    buf, state = bytearray(3), usegolib.Ref()
    with pytest.raises(TimeoutError) as ei:
        cx.Fill(buf, state, timeout=0.1)
    assert isinstance(ei.value.__cause__, usegolib.GoError)
    assert buf == b"\x01\x01\x01", "Go's writes to the buffer are seen"
    assert state.value == "context deadline exceeded", "and what Go left in the Ref"


CHILD_OUTS = """
import sys, usegolib
c = usegolib.import_(sys.argv[1], artifact_dir=sys.argv[2])
buf, state = bytearray(2), usegolib.Ref()
print("ready", flush=True)
try:
    c.Fill(buf, state)
except KeyboardInterrupt:
    print("caught", bytes(buf).hex(), state.value, flush=True)
"""


def test_out_parameters_are_written_back_when_ctrl_c_ends_the_call(artifact_root, cx):
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(CHILD_OUTS), str(FIXTURES / "contexts")]
        + [str(artifact_root)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(0.3)  # the call is under way
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert out.splitlines() == ["caught 0101 context canceled"]


def test_signature_and_stubs_show_contexts_as_optional(cx):
    sig = inspect.signature(cx.Sleep)
    assert str(sig).startswith("(d: usegolib._types.GoDuration, *, ctx: ")
    assert sig.parameters["ctx"].default is None
    assert sig.parameters["timeout"].default is None
    assert sig.parameters["timeout"].kind is inspect.Parameter.KEYWORD_ONLY
    add = inspect.signature(cx.Add)
    assert list(add.parameters) == ["a", "b", "ctx", "timeout"]
    assert add.parameters["ctx"].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    assert "timeout" not in inspect.signature(cx.SleepPlain).parameters
    text = _stubs.render(cx._go_module, cx._go_path)
    assert (
        "@overload\ndef Sleep(d: GoDuration, *, ctx: GoObject | None = None, "
        "timeout: float | None = None) -> None:" in text
    )
    assert (
        "@overload\ndef Sleep(ctx: GoObject | None, d: GoDuration, *, "
        "timeout: float | None = None) -> None:" in text
    )
    assert (
        "def Add(a: int, b: int, ctx: GoObject | None = None, *, "
        "timeout: float | None = None) -> int:" in text
    )
    assert (
        "def Join(*parts: str, ctx: GoObject | None = None, timeout: float | None = None)" in text
    )
    assert "call_timeout: float | None = None" in text
    assert "def SleepPlain(d: GoDuration) -> int:" in text
    compile(text, "contexts.pyi", "exec")


def test_context_calls_reuse_their_worker_thread(cx):
    def threads() -> int:
        return len(os.listdir("/proc/self/task"))

    cx.Kind()
    before = threads()
    for _ in range(300):
        assert cx.Kind() == "*bridge.callContext"
    assert threads() <= before + 2, "one worker thread, reused from call to call"


def test_show_says_which_contexts_may_be_left_out(artifact_root, cx):
    out = subprocess.run(
        [sys.executable, "-m", "usegolib", "--artifact-dir", str(artifact_root), "show"]
        + [str(FIXTURES / "contexts"), "--no-build"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert (
        "func Sleep(ctx context.Context, d time.Duration) error  "
        "[ctx may be left out (None); timeout=seconds]" in out.stdout
    )
    assert "[ctx may be left out (None); call_timeout=seconds]" in out.stdout
    assert "  func SleepPlain(d time.Duration) int\n" in out.stdout


def test_callbacks_during_a_context_call_belong_to_it(cx):
    # The call runs on a worker thread (from the main thread); its callbacks run there too and
    # belong to the caller's call: an exception unwinds Go at once (no further callbacks) and
    # is raised here, with what Go made of it in its notes.
    assert threading.current_thread() is threading.main_thread()
    seen = []

    def f(i):
        seen.append(i)
        if i == 2:
            raise ValueError("two")
        return i * 10

    with pytest.raises(ValueError, match="two") as e:
        cx.Each(n=5, f=f)
    assert seen == [0, 1, 2]
    assert any("panic" in n for n in getattr(e.value, "__notes__", [])), e.value.__notes__
    assert cx.Each(n=4, f=lambda i: i * 10, timeout=5) == 60


def test_a_worker_thread_keeps_no_callable_go_released(cx):
    """A context call runs on a worker thread, where the scalar callbacks run: once Go released
    the callable, nothing of that thread keeps it (the thread lives on in the pool)."""

    def passed() -> weakref.ref:
        f = lambda i: i  # noqa: E731 - a callable with no other reference
        assert cx.Each(n=3, f=f, timeout=5) == 3
        return weakref.ref(f)

    ref = passed()
    deadline = time.monotonic() + 20
    while ref() is not None and time.monotonic() < deadline:
        cx.GC()
        gc.collect()
        time.sleep(0.02)
    assert ref() is None, "a callable Go released is still alive"
