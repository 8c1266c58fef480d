"""Build benchmark: the first (cold) and later (warm) builds of the bench fixture, ours beside the
peer ``usegolib`` 0.1.0, measured in one run (``make bench-build``).

    .venv/bin/python benches/python/bench_build.py [--runs N] [--no-peer]

Each run times, in fresh processes, on a copy of tests/fixtures/go/bench:

- cold: an empty usegolib cache and artifact directory and an empty Go build cache (a fresh
  GOCACHE), as on a machine that never built anything; ours with the usegolib-build tool the
  package bundles (python/usegolib/_bin, written by scripts/setup-venv.sh as a platform wheel
  ships it), and once more with it ignored (USEGOLIB_NO_BUNDLED_TOOL=1: the tool is compiled
  first, as when the bundle does not match the user's Go);
- warm edit: a rebuild after a source edit (a function added), with the caches of the cold build;
- warm no-op: the same module again, unchanged (the fingerprint says it is built).

Both sides keep the user's Go module cache (GOMODCACHE: the peer's bridge needs
github.com/vmihailenco/msgpack/v5 from it, ours nothing) and the peer keeps zig's own cache: both
favour the peer. The peer is set up as bench_call.py sets it up (target/peer-venv); if it cannot
be, its column says n/a and why. Wall-clock seconds of each whole command, medians of the runs;
the machine's load average is printed at the start and the end (2 shared cores: compare only
figures of one run).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import bench_call
from bench_call import FIXTURE, REPO, PeerUnavailable, _tail

CASES = (
    ("cold", "cold: empty caches, bundled tool"),
    ("cold_compiled_tool", "cold: empty caches, tool compiled"),
    ("warm_edit", "warm: rebuild after a source edit"),
    ("warm_noop", "warm: unchanged, no rebuild"),
)

OURS_IMPORT = """
import sys, usegolib
m = usegolib.import_(sys.argv[1], artifact_dir=sys.argv[2])
assert m.AddInt(1, 2) == 3
"""


def _timed(cmd: list[str], env: dict[str, str], what: str) -> float:
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO, timeout=1800)
    took = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError(f"{what} failed (exit {p.returncode}): {_tail(p.stdout + p.stderr)}")
    return took


def _edit(module: Path, n: int) -> None:
    """Adds a function to the module: a source edit that changes its API."""
    with open(module / "bench.go", "a") as f:
        f.write(f"\n// Edited{n} was added by bench_build.py.\n")
        f.write(f"func Edited{n}() int64 {{ return {n} }}\n")


class Side:
    """One side's commands: `build(module, root, env)` builds the module into root."""

    def __init__(self, name: str, build, base_env: dict[str, str]):
        self.name, self.build, self.base_env = name, build, base_env

    def run(self, tmp: Path, run: int, cold_cases: tuple[str, ...]) -> dict[str, float]:
        out: dict[str, float] = {}
        for case in cold_cases:
            work = tmp / f"{self.name}-{run}-{case}"
            module = work / "bench"
            shutil.copytree(FIXTURE, module)
            env = dict(self.base_env)
            env["GOCACHE"] = str(work / "gocache")
            env["USEGOLIB_CACHE_DIR"] = str(work / "usegolib-cache")
            if case == "cold_compiled_tool":
                env["USEGOLIB_NO_BUNDLED_TOOL"] = "1"
            root = work / "artifacts"
            out[case] = self.build(module, root, env)
            if case == "cold":
                _edit(module, run)
                out["warm_edit"] = self.build(module, root, env)
                out["warm_noop"] = self.build(module, root, env)
        return out


def ours_side() -> Side:
    env = {k: v for k, v in os.environ.items() if k not in ("USEGOLIB_NO_BUNDLED_TOOL",)}
    env["USEGOLIB_QUIET"] = "1"

    def build(module: Path, root: Path, env: dict[str, str]) -> float:
        cmd = [sys.executable, "-c", OURS_IMPORT, str(module), str(root)]
        return _timed(cmd, env, "our import_")

    return Side("ours", build, env)


def peer_side() -> Side:
    py, env = bench_call.setup_peer()
    cli = str(Path(py).parent / "usegolib")

    def build(module: Path, root: Path, env: dict[str, str]) -> float:
        env = dict(env)
        env["USEGOLIB_ARTIFACT_DIR"] = str(root)
        cmd = [cli, "build", "--module", str(module), "--out", str(root)]
        return _timed(cmd, env, "peer `usegolib build`")

    return Side("peer", build, env)


def _fmt(xs: list[float]) -> str:
    if not xs:
        return "n/a"
    each = " ".join(f"{x:.1f}" for x in xs)
    return f"{statistics.median(xs):.1f} s ({each})" if len(xs) > 1 else f"{xs[0]:.1f} s"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=2, help="runs of every case (default 2)")
    ap.add_argument("--no-peer", action="store_true", help="skip the peer usegolib 0.1.0")
    args = ap.parse_args()
    bundled = (REPO / "python" / "usegolib" / "_bin" / "usegolib-build").is_file()
    load0 = os.getloadavg()
    print(
        f"usegolib build benchmark: {platform.system().lower()}/{platform.machine()}, "
        f"{os.cpu_count()} CPUs, load average {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f}, "
        f"{args.runs} runs; bundled tool: {'yes' if bundled else 'no (run scripts/setup-venv.sh)'}",
        flush=True,
    )
    sides = [ours_side()]
    peer_missing = ""
    if args.no_peer:
        peer_missing = "--no-peer"
    else:
        try:
            sides.append(peer_side())
        except PeerUnavailable as e:
            peer_missing = str(e)
    results: dict[str, dict[str, list[float]]] = {s.name: {} for s in sides}
    with tempfile.TemporaryDirectory(prefix="usegolib-bench-build-") as tmp:
        for run in range(args.runs):
            for side in sides:  # alternate, so that load changes hit both sides alike
                cold = ("cold", "cold_compiled_tool") if side.name == "ours" else ("cold",)
                try:
                    got = side.run(Path(tmp), run, cold)
                except (RuntimeError, subprocess.TimeoutExpired) as e:
                    if side.name == "ours":
                        raise
                    peer_missing = str(e)
                    sides.remove(side)
                    results.pop("peer", None)
                    continue
                for k, v in got.items():
                    results[side.name].setdefault(k, []).append(v)
                each = ", ".join(f"{k} {v:.1f} s" for k, v in got.items())
                print(f"  run {run + 1} {side.name}: {each}", flush=True)
    load1 = os.getloadavg()
    ours, peer = results["ours"], results.get("peer", {})
    head = ("case", "ours", "peer", "peer/ours")
    rows = []
    for key, label in CASES:
        o, p = ours.get(key, []), peer.get(key, [])
        cell = _fmt(p)
        if key == "cold_compiled_tool" and peer.get("cold"):
            p = peer["cold"]  # the peer has no tool to compile: beside its one cold build
            cell = "(its cold, above)"
        elif not p and peer_missing and key == "cold":
            cell = f"n/a ({peer_missing})"
        ratio = f"{statistics.median(p) / statistics.median(o):.2f}" if o and p else "-"
        rows.append((label, _fmt(o), cell, ratio))
    widths = [max(len(r[i]) for r in (head, *rows)) for i in range(4)]
    print()
    for r in (head, *rows):
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    print()
    print(
        f"Medians of {args.runs} runs (each run's figures in brackets), whole commands in fresh "
        f"processes: ours `usegolib.import_` of the module dir, the peer `usegolib build`. "
        f"peer/ours > 1: ours is faster. Cold met (ours <= peer): "
        + (
            "yes"
            if ours.get("cold")
            and peer.get("cold")
            and statistics.median(ours["cold"]) <= statistics.median(peer["cold"])
            else ("no" if peer.get("cold") else "n/a")
        )
        + f". Load average at the end {load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f}."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
