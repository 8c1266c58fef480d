"""Drives the peer ``usegolib`` 0.1.0 (TimLai666/usegolib, pure Python) for bench_call.py.

Runs with the python of the peer's own virtualenv (its import name is also ``usegolib``, so it
can never share an environment with this project). Prints one JSON object as its last line.

    peer_driver.py calls  --artifact-dir ROOT --counts JSON [--rounds N]
    peer_driver.py import --artifact-dir ROOT                 # first import_ in this process
    peer_driver.py reuse  --artifact-dir ROOT --module-dir DIR  # no-op build (fingerprint check)
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import time

import _timing

MODULE = "example.com/bench"


def _calls(args: argparse.Namespace) -> dict:
    import usegolib

    counts = json.loads(args.counts)
    rounds = args.rounds
    h = usegolib.import_(MODULE, artifact_dir=args.artifact_dir, build_if_missing=False)
    add, echo, sum_, spin = h.AddInt, h.Echo, h.Sum, h.Spin
    payloads = {k: os.urandom(n) for k, n in (("1k", 1024), ("64k", 65536), ("1m", 1 << 20))}
    xs = list(range(1000))

    out: dict = {}
    out["addint_ns"] = _timing.per_call_ns(add, (1, 2), counts["addint"], rounds=rounds)
    if add(1, 2) != 3:
        raise AssertionError(f"peer AddInt(1, 2) = {add(1, 2)!r}")
    for k, p in payloads.items():
        n = counts[f"echo_{k}"]
        out[f"echo_{k}_ns"] = _timing.per_call_ns(
            echo, (p,), n, warmup=max(2, n // 5), rounds=rounds
        )
        if echo(p) != p:
            raise AssertionError(f"peer Echo of {len(p)} bytes returned different bytes")
    n = counts["sum"]
    out["sum_ns"] = _timing.per_call_ns(sum_, (xs,), n, warmup=max(2, n // 5), rounds=rounds)
    if sum_(xs) != sum(xs):
        raise AssertionError(f"peer Sum = {sum_(xs)!r}, want {sum(xs)}")
    as_dict = {"x": 1, "y": 2, "tags": ["a", "b"], "label": "p"}
    n = counts["struct"]
    out["struct_ns"] = _timing.per_call_ns(
        h.EchoPoint, (as_dict,), n, warmup=max(2, n // 5), rounds=rounds
    )
    got = h.EchoPoint(as_dict)
    if dict(got) != as_dict:
        raise AssertionError(f"peer EchoPoint returned {got!r}")
    counter = h.NewCounter()
    n = counts["method"]
    out["method_ns"] = _timing.per_call_ns(
        counter.Inc, (1,), n, warmup=max(2, n // 5), rounds=rounds
    )
    if not (isinstance(spin(50), int) and spin(50) > 0):
        raise AssertionError("peer Spin(50) returned no iterations")
    ratios, single = _timing.thread_ratio(spin, 50, counts["spin"], rounds=rounds)
    out["threads_ratio"] = ratios
    out["spin_single_us"] = single
    return out


def _import(args: argparse.Namespace) -> dict:
    t0 = time.perf_counter_ns()
    import usegolib

    t1 = time.perf_counter_ns()
    h = usegolib.import_(MODULE, artifact_dir=args.artifact_dir, build_if_missing=False)
    t2 = time.perf_counter_ns()
    r = h.AddInt(1, 2)
    t3 = time.perf_counter_ns()
    if r != 3:
        raise AssertionError(f"peer AddInt(1, 2) = {r!r}")
    return {
        "import_pkg_ms": (t1 - t0) / 1e6,
        "import_ms": (t2 - t1) / 1e6,
        "first_call_ms": (t3 - t2) / 1e6,
    }


def _reuse(args: argparse.Namespace) -> dict:
    from pathlib import Path

    from usegolib.builder.build import build_artifact
    from usegolib.builder.fingerprint import fingerprint_local_module_dir

    root = Path(args.artifact_dir)
    libs = list(root.rglob("libusegolib.so"))
    before = {p: p.stat().st_mtime_ns for p in libs}
    sink = io.StringIO()
    t0 = time.perf_counter_ns()
    with contextlib.redirect_stdout(sink):
        build_artifact(module=args.module_dir, out_dir=root)
    t1 = time.perf_counter_ns()
    fp = fingerprint_local_module_dir(Path(args.module_dir))
    t2 = time.perf_counter_ns()
    rebuilt = any(p.stat().st_mtime_ns != m for p, m in before.items()) or not libs
    return {
        "reuse_ms": (t1 - t0) / 1e6,
        "fingerprint_ms": (t2 - t1) / 1e6,
        "fingerprint": fp,
        "rebuilt": rebuilt,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mode", choices=("calls", "import", "reuse"))
    ap.add_argument("--artifact-dir", required=True)
    ap.add_argument("--module-dir")
    ap.add_argument("--counts", default="{}")
    ap.add_argument("--rounds", type=int, default=_timing.ROUNDS)
    args = ap.parse_args()
    result = {"calls": _calls, "import": _import, "reuse": _reuse}[args.mode](args)
    sys.stdout.write("\n" + json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
