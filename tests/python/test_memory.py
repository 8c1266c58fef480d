"""Memory of calls (docs/adr/0027-large-bytes-and-memory.md): what a thread keeps after large
calls, and RSS over many calls from many threads. Allocation counts of the Rust side are proven
by usegolib-py/tests/alloc.rs (CPython embedded in a Rust test with a counting allocator) and
usegolib-loader/tests/memory.rs."""

from __future__ import annotations

import os
from pathlib import Path

from conftest import FIXTURES, in_threads, run_py
from usegolib import _native

BASE = 64 << 10  # what a thread keeps for good, per buffer
KEEP = 16 << 20  # the most a thread keeps after any call, per buffer
SHRINK_AFTER = 64  # small calls after which a grown buffer is given back

SOAK = Path(__file__).resolve().parent / "rss_soak.py"


def _in_thread(fn):
    """Runs fn in a new thread (whose buffers are its own) and re-raises what it raised."""
    for e in in_threads(lambda _: fn(), [None]):
        raise e


def test_a_thread_gives_back_what_large_calls_grew(level1):
    echo = level1.Echo
    small = b"x" * 100

    def scenario():
        assert echo(small) == small
        req, rep = _native._thread_buffers()
        assert req <= BASE and rep == BASE, (req, rep)

        mib = os.urandom(1 << 20)
        for _ in range(3):
            assert echo(mib) == mib
        req, rep = _native._thread_buffers()
        assert (1 << 20) < req <= KEEP and (1 << 20) < rep <= KEEP, (req, rep)
        # Calls mixing sizes keep the grown buffers (no allocation and page faults per call)...
        for _ in range(SHRINK_AFTER - 1):
            echo(small)
        assert _native._thread_buffers() == (req, rep)
        # ...and enough small calls in a row give them back.
        for _ in range(2):
            echo(small)
        req, rep = _native._thread_buffers()
        assert req <= BASE and rep <= BASE, (req, rep)

        # A call above KEEP never leaves more than KEEP behind, right after it.
        huge = os.urandom(KEEP + (4 << 20))
        assert echo(huge) == huge
        req, rep = _native._thread_buffers()
        assert req <= KEEP and rep <= KEEP, (req, rep)
        del huge
        for _ in range(SHRINK_AFTER + 1):
            echo(small)
        req, rep = _native._thread_buffers()
        assert req <= BASE and rep <= BASE, (req, rep)

    _in_thread(scenario)


def test_rss_stays_flat_over_many_calls_from_8_threads(tmp_path):
    """10^7 calls (USEGOLIB_SOAK_CALLS to change it; 5-15 s on 2 cores) in a child process; the
    script asserts that RSS at the end exceeds RSS after its warm-up by less than its bound."""
    calls = os.environ.get("USEGOLIB_SOAK_CALLS", str(10**7))
    r = run_py(
        f"import runpy, sys; sys.argv = ['rss_soak', {calls!r}, {str(FIXTURES / 'level1')!r}, "
        f"{str(tmp_path / 'artifacts')!r}]; runpy.run_path({str(SOAK)!r}, run_name='__main__')",
        timeout=1800,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "RSS flat" in r.stdout, r.stdout + r.stderr
