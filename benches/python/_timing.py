"""Timing helpers shared by bench_call.py (usegolib, in .venv) and peer_driver.py (the peer
``usegolib`` 0.1.0, in its own virtualenv). Standard library only, Python 3.10+.

Every per-call figure is the mean of one round of ``n`` calls in a tight loop (prebound callable,
prebuilt arguments, the loop itself included, GC off as in ``timeit``); a case reports the median
of its rounds.
"""

from __future__ import annotations

import gc
import statistics
import threading
import time
from collections.abc import Callable
from itertools import repeat
from typing import Any

ROUNDS = 5


def _loop1(f: Callable[[Any], Any], a: Any, n: int) -> int:
    t0 = time.perf_counter_ns()
    for _ in repeat(None, n):
        f(a)
    return time.perf_counter_ns() - t0


def _loop2(f: Callable[[Any, Any], Any], a: Any, b: Any, n: int) -> int:
    t0 = time.perf_counter_ns()
    for _ in repeat(None, n):
        f(a, b)
    return time.perf_counter_ns() - t0


def _one_round(f: Callable[..., Any], args: tuple[Any, ...], n: int) -> float:
    """Nanoseconds per call of ``f(*args)`` over ``n`` calls."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        if len(args) == 1:
            total = _loop1(f, args[0], n)
        elif len(args) == 2:
            total = _loop2(f, args[0], args[1], n)
        else:
            raise ValueError("only 1 or 2 arguments are supported")
    finally:
        if enabled:
            gc.enable()
    return total / n


def per_call_ns(
    f: Callable[..., Any],
    args: tuple[Any, ...],
    n: int,
    *,
    warmup: int | None = None,
    rounds: int = ROUNDS,
) -> list[float]:
    """ns/call of each of ``rounds`` rounds of ``n`` calls, after ``warmup`` calls (default
    n // 10, at least 1)."""
    _one_round(f, args, max(1, n // 10 if warmup is None else warmup))
    return [_one_round(f, args, n) for _ in range(rounds)]


def interleaved(
    cases: list[tuple[Callable[..., Any], tuple[Any, ...], int]], *, rounds: int = ROUNDS
) -> list[list[float]]:
    """Like per_call_ns for several ``(f, args, n)`` cases measured side by side: after a
    warm-up of each, every round runs each case once in turn, so drift in machine load hits
    them alike. Returns the ns/call of each round, per case."""
    for f, args, n in cases:
        _one_round(f, args, max(1, n // 10))
    out: list[list[float]] = [[] for _ in cases]
    for _ in range(rounds):
        for i, (f, args, n) in enumerate(cases):
            out[i].append(_one_round(f, args, n))
    return out


def median(xs: list[float]) -> float:
    return statistics.median(xs)


class _Pool:
    """``k`` persistent threads that each make ``n`` calls of ``f(arg)`` per run, started
    together; the threads (and whatever per-thread state the callee sets up on a thread's first
    call) are reused across runs."""

    def __init__(self, k: int, f: Callable[[Any], Any], arg: Any, n: int) -> None:
        self._start = threading.Barrier(k + 1)
        self._done = threading.Barrier(k + 1)
        self._stop = False
        self._errors: list[BaseException] = []
        self._f, self._arg, self._n = f, arg, n
        self._threads = [threading.Thread(target=self._work, daemon=True) for _ in range(k)]
        for t in self._threads:
            t.start()

    def _work(self) -> None:
        while True:
            self._start.wait()
            if self._stop:
                return
            try:
                _loop1(self._f, self._arg, self._n)
            except BaseException as e:  # reported by run()
                self._errors.append(e)
            self._done.wait()

    def run(self) -> int:
        """Wall nanoseconds for every thread to finish its ``n`` calls."""
        self._start.wait()
        t0 = time.perf_counter_ns()
        self._done.wait()
        elapsed = time.perf_counter_ns() - t0
        if self._errors:
            raise self._errors[0]
        return elapsed

    def close(self) -> None:
        self._stop = True
        self._start.wait()
        for t in self._threads:
            t.join()


def thread_ratio(
    f: Callable[[Any], Any], arg: Any, n: int, *, rounds: int = ROUNDS
) -> tuple[list[float], list[float]]:
    """Throughput of two threads over one, each thread making ``n`` calls of ``f(arg)``.

    Returns (ratios, single-thread us/call) per round; a round runs one thread, then two, so
    drift in machine load hits both alike."""
    one, two = _Pool(1, f, arg, n), _Pool(2, f, arg, n)
    enabled = gc.isenabled()
    gc.disable()
    try:
        one.run()  # warm-up: thread start, first calls
        two.run()
        ratios, single = [], []
        for _ in range(rounds):
            t1 = one.run()
            t2 = two.run()
            ratios.append(2 * t1 / t2)
            single.append(t1 / n / 1000)
        return ratios, single
    finally:
        if enabled:
            gc.enable()
        one.close()
        two.close()


def compile_statement(stmt: str, setup: str, namespace: dict[str, Any]) -> Callable[[int], float]:
    """A timer of ``stmt`` as a user writes it (``timeit``-style: compiled into the body of a
    loop, so no lambda or call of ours is in the figure): returns ``run(n)``, ns per execution of
    ``stmt`` over ``n`` executions (the loop itself included, GC off). ``setup`` runs once per
    round, in the same function (its names are locals, as in a user's function); the names of
    ``namespace`` are globals."""
    src = (
        "def _run(_n, _clock=_clock, _repeat=_repeat):\n"
        f"    {setup or 'pass'}\n"
        "    _t0 = _clock()\n"
        "    for _ in _repeat(None, _n):\n"
        f"        {stmt}\n"
        "    return _clock() - _t0\n"
    )
    g = dict(namespace, _clock=time.perf_counter_ns, _repeat=repeat)
    exec(compile(src, f"<bench: {stmt}>", "exec"), g)
    run = g["_run"]

    def timed(n: int) -> float:
        enabled = gc.isenabled()
        gc.disable()
        try:
            return run(n) / n
        finally:
            if enabled:
                gc.enable()

    return timed


def interleaved_statements(
    cases: list[tuple[str, str]], namespace: dict[str, Any], n: int, *, rounds: int = ROUNDS
) -> list[list[float]]:
    """``interleaved`` for statements ``(stmt, setup)`` (``compile_statement``): after a warm-up
    of each, every round times each statement once in turn. Returns ns per execution of each
    round, per case; a ratio is best taken per round (``round_ratios``)."""
    timers = [compile_statement(s, setup, namespace) for s, setup in cases]
    for t in timers:
        t(max(1, n // 10))
    out: list[list[float]] = [[] for _ in cases]
    for _ in range(rounds):
        for i, t in enumerate(timers):
            out[i].append(t(n))
    return out


def round_ratios(a: list[float], b: list[float]) -> list[float]:
    """a / b of each round (two cases measured in the same rounds)."""
    return [x / y for x, y in zip(a, b, strict=True)]
