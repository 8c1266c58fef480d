"""RSS over many calls from 8 threads (docs/adr/0027-large-bytes-and-memory.md).

    python tests/python/rss_soak.py CALLS FIXTURE_DIR ARTIFACT_ROOT

Eight Python threads call a Go module (the level1 fixture: AddInt, EchoString, EchoBytes of 1 KiB,
Sum of 10 ints, in turn) CALLS times in all after a warm-up of a tenth as many; RSS is read
(/proc/self/statm) after the warm-up and at the end, and sampled meanwhile. Exits 1 when the end
exceeds the start by more than BOUND (8 MiB: two Go heap goals of slack; the growth measured is
about zero). Run by tests/python/test_memory.py with 10^7 calls.
"""

from __future__ import annotations

import gc
import os
import sys
import threading
import time

import usegolib

THREADS = 8
BOUND = 8 << 20  # bytes of RSS growth allowed between the warm-up and the end
PER_ROUND = 4  # calls per round of work


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def main() -> int:
    calls, fixture, root = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    m = usegolib.import_(fixture, artifact_dir=root)
    add, echo_s, echo_b, total = m.AddInt, m.EchoString, m.EchoBytes, m.Sum
    payload, xs, s = os.urandom(1024), list(range(10)), "hello, Go"

    def work(rounds: int) -> None:
        for _ in range(rounds):
            if add(1, 2) != 3 or echo_s(s) != s or echo_b(payload) != payload or total(xs) != 45:
                raise AssertionError("a wrong result")

    rounds = max(calls // THREADS // PER_ROUND, 1)
    warm = max(rounds // 10, 1000)
    ready = threading.Barrier(THREADS + 1)
    go = threading.Barrier(THREADS + 1)
    failed: list[BaseException] = []

    def worker() -> None:
        try:
            work(warm)
            ready.wait()
            go.wait()
            work(rounds)
        except BaseException as e:  # noqa: BLE001 - reported by the main thread
            failed.append(e)
            ready.abort()
            go.abort()

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for t in threads:
        t.start()
    ready.wait()
    gc.collect()
    start = peak = rss()
    t0 = time.perf_counter()
    go.wait()
    while any(t.is_alive() for t in threads):
        threads[0].join(0.25)
        peak = max(peak, rss())
    elapsed = time.perf_counter() - t0
    gc.collect()
    end = rss()
    if failed:
        raise failed[0]
    done = rounds * PER_ROUND * THREADS
    mib = 1 << 20
    print(
        f"{done:,} calls from {THREADS} threads in {elapsed:.1f} s "
        f"({elapsed / done * 1e9:.0f} ns/call); RSS after warm-up {start / mib:.1f} MiB, "
        f"peak {peak / mib:.1f} MiB, end {end / mib:.1f} MiB: growth "
        f"{(end - start) / mib:+.2f} MiB (bound {BOUND / mib:.0f} MiB)"
    )
    if end - start > BOUND:
        print("RSS grew beyond the bound")
        return 1
    print("RSS flat")
    return 0


if __name__ == "__main__":
    sys.exit(main())
