"""One fresh-process measurement of usegolib's import path, for bench_call.py.

    _probe_ours.py cached TARGET   # first import_ of an already-built artifact (by module path)
    _probe_ours.py local DIR       # import_ of a local module dir: fingerprint-based reuse check

Prints one JSON object as its last line. Only ``import_`` (and, for ``local``, a following
``_native.fingerprint(DIR)``) is timed; ``import usegolib`` is reported separately.
"""

from __future__ import annotations

import json
import sys
import time


def main() -> int:
    mode, target = sys.argv[1], sys.argv[2]
    t0 = time.perf_counter_ns()
    import usegolib

    t1 = time.perf_counter_ns()
    pkg = usegolib.import_(target)  # the default build="missing", as users call it
    t2 = time.perf_counter_ns()
    r = pkg.AddInt(1, 2)
    t3 = time.perf_counter_ns()
    if r != 3:
        raise AssertionError(f"AddInt(1, 2) = {r!r}")
    out = {
        "import_pkg_ms": (t1 - t0) / 1e6,
        "import_ms": (t2 - t1) / 1e6,
        "first_call_ms": (t3 - t2) / 1e6,
    }
    if mode == "local":
        t4 = time.perf_counter_ns()
        out["fingerprint"] = usegolib._native.fingerprint(target)
        out["fingerprint_ms"] = (time.perf_counter_ns() - t4) / 1e6
    sys.stdout.write("\n" + json.dumps(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
