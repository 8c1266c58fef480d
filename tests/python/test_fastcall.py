"""The call entry of Go functions (usegolib-py/src/fast.rs) end to end: the program that
`make sanitize` runs under valgrind, here run plainly in a child process (its own assertions:
vectorcall and tp_call, keywords, arity and type errors, bound methods, attribute forwarding,
a GC cycle through a bound method)."""

from __future__ import annotations

import subprocess
import sys

import pytest
import usegolib
from conftest import FIXTURES, REPO

PROGRAM = REPO / "tests" / "valgrind" / "fastcall.py"


@pytest.fixture(scope="module")
def bench(artifact_root):
    return usegolib.import_(FIXTURES / "bench", artifact_dir=artifact_root)


def test_the_sanitize_program_passes_without_valgrind(bench):
    r = subprocess.run(
        [sys.executable, str(PROGRAM), bench._go_module.artifact_dir],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    assert "fastcall under valgrind: ok" in r.stdout


def test_a_go_function_stands_for_its_gofunction(bench):
    f = bench.AddInt
    assert isinstance(f, usegolib._native.GoFunction)
    assert type(f) is usegolib._native.GoCallable
    assert f.go_signature == "func AddInt(a int64, b int64) int64"
    assert f.__qualname__ == "bench.AddInt" and f.kind == "function"
    with pytest.raises(TypeError, match="cannot create"):
        type(f)()


def test_a_method_binds_through_get_and_keeps_its_receiver(bench):
    c = bench.NewCounter()
    inc = c.Inc
    assert isinstance(inc, usegolib._native.GoMethod)
    assert inc.__self__ is c and inc.__func__.go_name == "Counter.Inc"
    assert inc(2) == 2 and inc(d=3) == 5
    assert inc.__doc__ == type(c).Inc.__doc__
