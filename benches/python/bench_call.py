"""Python call benchmark: usegolib beside its floors and the peer ``usegolib`` 0.1.0.

    .venv/bin/python benches/python/bench_call.py [--quick] [--no-peer] [--json FILE]

Prints one table of medians (5 rounds after warm-up), measured in one run:

1. ``AddInt(1, 2)``, against a direct pyo3 -> cgo call of the same Go function (no envelope)
   ``ParseInt("x")`` raising a ``GoError`` that is caught, against ``ParseInt("12")``
2. ``Echo`` of 1 KiB, 64 KiB and 1 MiB of bytes
3. ``Sum`` of a list of 1000 ints
   ``r.Int()``: a method on a record (gjson's ``Result`` shape, sent by value), beside
   ``AddInt`` measured in the same rounds
4. ``Apply(lambda x: x + 1, 1)``: a Go -> Python callback round trip, beside ``AddInt`` and the
   callback's floor (``func(int64) int64``: the scalar form of host calls, docs/abi.md 10.8);
   the same through a named int type (``ApplyNamed``: the general form, with MessagePack); the
   same with a new lambda each call; the same callback called from a goroutine (a thread Go
   created, a Python thread state per call)
   ``WriteN(io.BytesIO(), 100 MiB)``: Go writing 100 MiB into a Python ``io.BytesIO`` in 64 KiB
   chunks, against one 100 MiB copy in Python
5. two Python threads calling ``Spin(50)`` (a ~50 us Go busy loop) against one: throughput ratio
6. the first ``import_`` of an already-built artifact in a fresh process
7. ``import_`` of an unchanged local module dir in a fresh process (the fingerprint-based reuse
   check), and ``_native.fingerprint(dir)`` alone

Our side runs in this process (cases 6-7 in fresh subprocesses of this interpreter). The peer is
the pure-Python ``usegolib`` 0.1.0 from PyPI; it shares our import name, so it lives in its own
virtualenv (target/peer-venv, created here when missing) and is driven through
``peer_driver.py`` in subprocesses. If the peer cannot be set up, its column reads n/a.
"""

from __future__ import annotations

import argparse
import array
import io
import json
import operator
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import _timing

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
FIXTURE = REPO / "tests" / "fixtures" / "go" / "bench"
MODULE = "example.com/bench"
CACHE_DIR = REPO / "target" / "usegolib-bench-cache"
PEER_VENV = REPO / "target" / "peer-venv"
PEER_ROOT = REPO / "target" / "peer-artifacts"
PEER_REQUIREMENTS = ("usegolib==0.1.0", "ziglang==0.17.1", "msgpack")

# Calls per round. The peer is 50-1000x slower per call, so it gets fewer.
OURS_COUNTS = {
    "addint": 500_000,
    "echo_1k": 300_000,
    "echo_64k": 30_000,
    "echo_1m": 1_000,
    "sum": 20_000,
    "struct": 100_000,
    "method": 300_000,
    "record_method": 300_000,
    "raise": 100_000,
    "spin": 3_000,
    "callback": 200_000,
    "callback_thread": 20_000,
    "writer": 5,
    "floor_rows": 300_000,
}
PEER_COUNTS = {
    "addint": 40_000,
    "echo_1k": 20_000,
    "echo_64k": 1_000,
    "echo_1m": 150,
    "sum": 300,
    "struct": 2_000,
    "method": 5_000,
    "spin": 2_000,
}
SUBPROCESSES = 7  # fresh processes per import case
QUICK_DIVISOR = 10
WRITER_BYTES = 100 << 20
PAYLOAD_SIZES = (("1k", 1024, "1 KiB"), ("64k", 64 * 1024, "64 KiB"), ("1m", 1 << 20, "1 MiB"))


class PeerUnavailable(Exception):
    """The peer could not be installed, built or run; the message says why."""


def _tail(text: str, lines: int = 6) -> str:
    return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:])


def _last_json(stdout: str) -> dict:
    for line in reversed(stdout.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    raise ValueError("no JSON line in the output")


# ---------------------------------------------------------------------------------------------
# Our side


def build_c_floor():
    """The C-extension floor (floor_ext.c), built here with the system cc against this
    interpreter's headers into target/bench-floor, and imported."""
    import importlib.util
    import sysconfig

    src = HERE / "floor_ext.c"
    out = REPO / "target" / "bench-floor"
    out.mkdir(parents=True, exist_ok=True)
    so = out / ("_usegolib_floor" + sysconfig.get_config_var("EXT_SUFFIX"))
    if not so.exists() or so.stat().st_mtime < src.stat().st_mtime:
        cc = os.environ.get("CC", "cc")
        include = sysconfig.get_paths()["include"]
        cmd = [cc, "-O2", "-shared", "-fPIC", "-I", include, str(src), "-o", str(so)]
        subprocess.run(cmd, check=True)
    spec = importlib.util.spec_from_file_location("_usegolib_floor", so)
    assert spec is not None and spec.loader is not None
    ext = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ext)
    return ext


def measure_floor_rows(b, n: int) -> dict:
    """Issue 11 item 1: statements as users write them (timeit-style, compiled; attribute
    lookups included), each measured in the same rounds as the C-extension floor (and ctypes)
    calling the same Go export with the GIL released; ratios are per round."""
    import ctypes

    from usegolib import _native

    ext = build_c_floor()
    addr = _native._bench_floor_address(b._go_module, "addint")
    ext.set_target(addr)
    proto = ctypes.CFUNCTYPE(ctypes.c_int64, ctypes.c_int64, ctypes.c_int64)
    ct_add = proto(addr)  # a CFUNCTYPE call releases the GIL, as ours and the C floor do
    for f in (ext.addint, ct_add, b.AddInt):
        if f(1, 2) != 3:
            raise AssertionError(f"{f!r}(1, 2) != 3")
    import usegolib

    # The record of issue 11's row, exactly as the issue states it: two float64 and a string.
    geo = usegolib.import_(FIXTURE / "geo", quiet=True)
    ns = {"pkg": b, "geo": geo, "floor": ext, "ct_add": ct_add, "f": lambda x: x + 1}
    floor = ("floor.addint(1, 2)", "")
    out: dict = {}
    r = _timing.interleaved_statements(
        [("pkg.AddInt(1, 2)", ""), floor, ("ct_add(1, 2)", "")], ns, n
    )
    out["u_addint_ns"], out["u_floor_ns"], out["u_ctypes_ns"] = r
    out["u_addint_x"] = _timing.round_ratios(r[0], r[1])
    out["u_addint_ctypes_x"] = _timing.round_ratios(r[0], r[2])
    r = _timing.interleaved_statements([("inc(1)", "inc = pkg.NewCounter().Inc"), floor], ns, n)
    out["u_bound_ns"], out["u_bound_floor_ns"] = r
    out["u_bound_x"] = _timing.round_ratios(r[0], r[1])
    rec = 'geo.EchoPoint(geo.Point(X=1.5, Y=-2.0, Tag="p"))'
    want = geo.Point(X=1.5, Y=-2.0, Tag="p")
    if eval(rec, ns) != want:
        raise AssertionError(f"{rec} != {want!r}")
    # The bench package's own Point (four fields, one a []string) in the same rounds.
    rec4 = "pkg.EchoPoint(pkg.Point(x=1, y=-2, label='p'))"
    r = _timing.interleaved_statements([(rec, ""), floor, (rec4, "")], ns, n // 4)
    out["u_record_ns"], out["u_record_floor_ns"], out["u_record4_ns"] = r
    out["u_record_x"] = _timing.round_ratios(r[0], r[1])
    out["u_record4_x"] = _timing.round_ratios(r[2], r[1])
    r = _timing.interleaved_statements([("pkg.Apply(f, 1)", ""), ("pkg.AddInt(1, 2)", "")], ns, n)
    out["u_callback_ns"], out["u_callback_plain_ns"] = r
    out["u_callback_x"] = _timing.round_ratios(r[0], r[1])
    # A string argument in the scalar form (docs/abi.md section 8.13): its bytes lent, no
    # MessagePack; against the plain call in the same rounds.
    r = _timing.interleaved_statements(
        [("pkg.ParseInt('12345')", ""), ("pkg.AddInt(1, 2)", "")], ns, n
    )
    out["u_string_ns"], out["u_string_plain_ns"] = r
    out["u_string_x"] = _timing.round_ratios(r[0], r[1])
    return out


def measure_ours(counts: dict[str, int]) -> dict:
    import usegolib
    from usegolib import _native

    t0 = time.perf_counter()
    b = usegolib.import_(FIXTURE, quiet=True)
    setup_s = time.perf_counter() - t0
    mod = b._go_module
    add, echo, sum_, spin = b.AddInt, b.Echo, b.Sum, b.Spin
    floor_free = _native._bench_floor(mod, "addint", detach=True)
    floor_held = _native._bench_floor(mod, "addint")
    payloads = {k: os.urandom(n) for k, n, _ in PAYLOAD_SIZES}
    xs = list(range(1000))
    out: dict = {"import_s": setup_s}

    r = _timing.interleaved(
        [
            (add, (1, 2), counts["addint"]),
            (floor_free, (1, 2), counts["addint"]),
            (floor_held, (1, 2), counts["addint"]),
        ]
    )
    out["addint_ns"], out["floor_addint_ns"], out["floor_addint_held_ns"] = r
    for f in (add, floor_free, floor_held):
        if f(1, 2) != 3:
            raise AssertionError(f"{f!r}(1, 2) = {f(1, 2)!r}")

    parse = b.ParseInt

    def parse_caught(s: str) -> None:  # a Go error raised as GoError and caught
        try:
            parse(s)
        except usegolib.GoError:
            pass

    out["raise_ns"], out["raise_plain_ns"] = _timing.interleaved(
        [(parse_caught, ("x",), counts["raise"]), (parse_caught, ("12",), counts["raise"])]
    )
    try:
        parse("x")
        raise AssertionError('ParseInt("x") did not raise')
    except usegolib.GoError as e:
        if e.go_type != "*strconv.NumError" or e.unwrap() is None:
            raise AssertionError(f'ParseInt("x") raised {e.go_type} {e!r}') from None

    for k, p in payloads.items():
        view = memoryview(p)  # bytes(view) is one copy of p into a new bytes object
        n = counts[f"echo_{k}"]
        # One memcpy of the payload into memory already there: the unit of the copies figure.
        dst = memoryview(bytearray(len(p)))
        r = _timing.interleaved(
            [(echo, (p,), n), (bytes, (view,), n), (dst.__setitem__, (slice(None), view), n)]
        )
        out[f"echo_{k}_ns"], out[f"floor_echo_{k}_ns"], out[f"memcpy_{k}_ns"] = r
        got = echo(p)
        if type(got) is not bytes or got != p:
            raise AssertionError(f"Echo of {len(p)} bytes returned {type(got).__name__} != input")

    # Sum of a list, and of the same numbers in an array('q') (a buffer: packed, docs/abi.md
    # 8.10), against Python's sum() over the list, in the same rounds.
    packed = array.array("q", xs)
    n = counts["sum"]
    r = _timing.interleaved([(sum_, (xs,), n), (sum_, (packed,), n), (sum, (xs,), n)])
    out["sum_ns"], out["sum_array_ns"], out["floor_sum_ns"] = r
    if sum_(xs) != sum(xs) or sum_(packed) != sum(xs):
        raise AssertionError(f"Sum = {sum_(xs)!r}, {sum_(packed)!r}, want {sum(xs)}")

    point = b.Point(x=1, y=2, tags=["a", "b"], label="p")
    as_dict = {"x": 1, "y": 2, "tags": ["a", "b"], "label": "p"}
    r = _timing.interleaved(
        [(b.EchoPoint, (point,), counts["struct"]), (b.EchoPoint, (as_dict,), counts["struct"])]
    )
    out["struct_ns"], out["struct_dict_ns"] = r
    if b.EchoPoint(point) != point or b.EchoPoint(as_dict) != point:
        raise AssertionError("EchoPoint did not return its argument")
    counter = b.NewCounter()
    inc = operator.methodcaller("Inc", 1)  # looks the method up on every call, in C
    out["method_ns"], out["method_lookup_ns"] = _timing.interleaved(
        [(counter.Inc, (1,), counts["method"]), (inc, (counter,), counts["method"])]
    )
    before = counter.Inc(0)
    if counter.Inc(1) != before + 1:
        raise AssertionError("Counter.Inc(1) did not add one")
    rec = b.GetNum()  # a record whose type has methods: r.Int() sends the record by value
    r_int = operator.methodcaller("Int")  # r.Int(): the lookup (a bound method) and the call
    out["record_method_ns"], out["record_method_addint_ns"] = _timing.interleaved(
        [(r_int, (rec,), counts["record_method"]), (add, (1, 2), counts["record_method"])]
    )
    if rec.Int() != 42:
        raise AssertionError(f"Result.Int() = {rec.Int()!r}, want 42")

    inc = lambda x: x + 1  # noqa: E731 - the callable a user would pass
    # The callback's floor, measured in the same rounds: the detached AddInt floor, plus one
    # cgo call Go -> C, one GIL release and re-take, and the Python call of inc itself.
    gotoc = _native._bench_floor(mod, "gotoc")
    per = 1000  # Go -> C calls, GIL round trips per timed call
    r = _timing.interleaved(
        [
            (b.Apply, (inc, 1), counts["callback"]),
            (add, (1, 2), counts["callback"]),
            (floor_free, (1, 2), counts["callback"]),
            (gotoc, (1, per), counts["callback"] // per),
            (_native._bench_detach, (per,), counts["callback"] // per),
            (inc, (1,), counts["callback"]),
            (b.ApplyNamed, (inc, 1), counts["callback"]),
            (b.ApplyKeeping, (inc, 1), counts["callback"]),
        ]
    )
    out["callback_ns"], out["callback_addint_ns"] = r[0], r[1]
    out["callback_general_ns"] = r[6]
    out["callback_kept_ns"] = r[7]
    parts = list(zip(r[2], [x / per for x in r[3]], [x / per for x in r[4]], r[5], strict=True))
    out["floor_callback_ns"] = [sum(p) for p in parts]
    out["floor_callback_parts_ns"] = parts
    apply = b.Apply

    def fresh(x: int) -> int:  # a new callable each call: lent, as the same one is
        return apply(lambda y: y + 1, x)

    (out["callback_fresh_ns"],) = _timing.interleaved([(fresh, (1,), counts["callback"])])
    (out["callback_thread_ns"],) = _timing.interleaved(
        [(b.ApplyOnGoThread, (inc, 1), counts["callback_thread"])]
    )
    if b.Apply(inc, 1) != 2 or b.ApplyNamed(inc, 1) != 2 or b.ApplyKeeping(inc, 1) != 2:
        raise AssertionError("Apply(lambda x: x + 1, ...) did not add one")
    if fresh(1) != 2 or b.ApplyOnGoThread(inc, 41) != 42:
        raise AssertionError("Apply(lambda x: x + 1, ...) did not add one")

    total, chunk = WRITER_BYTES, 64 << 10
    big = memoryview(bytes(total))

    def write_all(size: int) -> None:
        out = io.BytesIO()
        b.WriteN(out, size, chunk)
        if out.getbuffer().nbytes != size:
            raise AssertionError("WriteN did not write every byte")

    n = max(1, counts["writer"])
    out["writer_ns"], out["floor_writer_ns"] = _timing.interleaved(
        [(write_all, (total,), n), (bytes, (big,), n)]
    )
    del big

    if not (isinstance(spin(50), int) and spin(50) > 0):
        raise AssertionError("Spin(50) returned no iterations")
    out["threads_ratio"], out["spin_single_us"] = _timing.thread_ratio(spin, 50, counts["spin"])
    out.update(measure_floor_rows(b, counts["floor_rows"]))
    return out


def _run_probe(mode: str, target: str) -> dict:
    env = dict(os.environ, USEGOLIB_QUIET="1")
    p = subprocess.run(
        [sys.executable, str(HERE / "_probe_ours.py"), mode, target],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=300,
    )
    if p.returncode != 0:
        raise RuntimeError(f"_probe_ours.py {mode} failed: {_tail(p.stderr)}")
    return _last_json(p.stdout)


def measure_ours_imports(n: int) -> dict:
    cached, local = [], []
    for _ in range(n):  # alternate, so drift in machine load hits both alike
        cached.append(_run_probe("cached", MODULE))
        local.append(_run_probe("local", str(FIXTURE)))
    fps = {r["fingerprint"] for r in local}
    if len(fps) != 1:
        raise AssertionError(f"fingerprint changed between runs: {fps}")
    return {
        "import_cached_ms": [r["import_ms"] for r in cached],
        "import_local_ms": [r["import_ms"] for r in local],
        "fingerprint_ms": [r["fingerprint_ms"] for r in local],
        "import_pkg_ms": [r["import_pkg_ms"] for r in cached + local],
        "first_call_ms": [r["first_call_ms"] for r in cached + local],
    }


# ---------------------------------------------------------------------------------------------
# The peer


def _peer_env(zig: str | None = None) -> dict[str, str]:
    drop = {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "USEGOLIB_CACHE_DIR", "USEGOLIB_QUIET"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["USEGOLIB_ARTIFACT_DIR"] = str(PEER_ROOT)
    if zig:
        env["USEGOLIB_ZIG"] = zig
    return env


def _run(cmd: list[str], what: str, *, timeout: float, env: dict[str, str] | None = None):
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise PeerUnavailable(f"{what}: {e}") from None
    if p.returncode != 0:
        raise PeerUnavailable(f"{what} failed (exit {p.returncode}): {_tail(p.stdout + p.stderr)}")
    return p


def setup_peer() -> tuple[str, dict[str, str]]:
    """Creates the peer's virtualenv if needed and builds (or reuses) its artifact of the bench
    fixture with its own CLI. Returns (python, env)."""
    py = PEER_VENV / "bin" / "python"
    probe = "import importlib.metadata as m; print(m.version('usegolib'), m.version('ziglang'))"
    installed = False
    if py.exists():
        p = subprocess.run([str(py), "-c", probe], capture_output=True, text=True, env=_peer_env())
        installed = p.returncode == 0 and p.stdout.split() == ["0.1.0", "0.17.1"]
    if not installed:
        print(f"peer: installing {' '.join(PEER_REQUIREMENTS)} into {PEER_VENV}", flush=True)
        base = shutil.which("python3") or sys.executable
        _run([base, "-m", "venv", str(PEER_VENV)], "python3 -m venv", timeout=300)
        _run(
            [str(py), "-m", "pip", "install", "-q", *PEER_REQUIREMENTS],
            "pip install",
            timeout=900,
            env=_peer_env(),
        )
    zig_dir = _run(
        [str(py), "-c", "import os, ziglang; print(os.path.dirname(ziglang.__file__))"],
        "locating zig",
        timeout=60,
        env=_peer_env(),
    ).stdout.strip()
    zig = os.path.join(zig_dir, "zig")
    if not os.access(zig, os.X_OK):
        raise PeerUnavailable(f"no zig executable at {zig}")
    env = _peer_env(zig)
    leaf = PEER_ROOT / "example.com" / "bench@local"
    if not any(leaf.glob("*/manifest.json")):
        print("peer: building its bridge of the bench fixture (zig + go, ~1-2 min)", flush=True)
    _run(
        [str(PEER_VENV / "bin" / "usegolib"), "build", "--module", str(FIXTURE)]
        + ["--out", str(PEER_ROOT)],
        "peer `usegolib build`",
        timeout=1200,
        env=env,
    )
    return str(py), env


def _peer_driver(py: str, env: dict[str, str], *args: str, timeout: float = 600) -> dict:
    p = _run(
        [py, str(HERE / "peer_driver.py"), *args, "--artifact-dir", str(PEER_ROOT)],
        f"peer_driver.py {args[0]}",
        timeout=timeout,
        env=env,
    )
    return _last_json(p.stdout)


def measure_peer(counts: dict[str, int], n_sub: int) -> tuple[dict, dict[str, str]]:
    """Peer results, and the reason for each part that could not be measured."""
    out: dict = {}
    missing: dict[str, str] = {}
    try:
        t0 = time.perf_counter()
        py, env = setup_peer()
        out["setup_s"] = time.perf_counter() - t0
    except PeerUnavailable as e:
        return out, {"all": str(e)}
    try:
        out.update(_peer_driver(py, env, "calls", "--counts", json.dumps(counts)))
    except (PeerUnavailable, ValueError) as e:
        missing["calls"] = str(e)
    imports, reuses = [], []
    try:
        for _ in range(n_sub):
            imports.append(_peer_driver(py, env, "import", timeout=120))
            reuses.append(_peer_driver(py, env, "reuse", "--module-dir", str(FIXTURE), timeout=300))
    except (PeerUnavailable, ValueError) as e:
        missing["imports"] = str(e)
    if imports:
        out["import_cached_ms"] = [r["import_ms"] for r in imports]
        out["import_pkg_ms"] = [r["import_pkg_ms"] for r in imports]
        out["first_call_ms"] = [r["first_call_ms"] for r in imports]
    if reuses:
        out["reuse_ms"] = [r["reuse_ms"] for r in reuses]
        out["fingerprint_ms"] = [r["fingerprint_ms"] for r in reuses]
        out["reuse_rebuilt"] = any(r["rebuilt"] for r in reuses)
    return out, missing


# ---------------------------------------------------------------------------------------------
# The table


@dataclass
class Row:
    case: str
    unit: str  # ns, us, ms, or x (a ratio)
    ours: float | None
    floor: float | None
    peer: float | None
    target: str = "-"
    met: str = "-"
    peer_none: str = "n/a"  # shown when there is no peer figure
    ratio: float | None = None  # ours/floor as the median of per-round ratios, when measured so


def _fmt(v: float | None, unit: str, none: str = "-") -> str:
    if v is None:
        return none
    if unit == "x":
        return f"{v:.2f}x"
    if unit == "ns" or v >= 100:
        return f"{v:,.0f} {unit}"
    return f"{v:.1f} {unit}" if v >= 10 else f"{v:.2f} {unit}"


def _ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b == 0:
        return "-"
    r = a / b
    return f"{r:,.0f}x" if r >= 100 else f"{r:.2f}x"


def _yes(ok: bool) -> str:
    return "yes" if ok else "NO"


def _within(a: float | None, b: float | None, k: float) -> bool:
    """Whether both were measured and a is at most k times b (a target row's check)."""
    return a is not None and b is not None and a <= k * b


def _round_ratios(d: dict, key: str, floor: str) -> float | None:
    """The median of the per-round ratios of d[key] to d[floor] (measured interleaved)."""
    a, b = d.get(key), d.get(floor)
    if not a or not b:
        return None
    return _timing.median([x / y for x, y in zip(a, b, strict=True)])


def _med(d: dict, key: str, scale: float = 1.0) -> float | None:
    xs = d.get(key)
    return _timing.median(xs) * scale if xs else None


def build_rows(ours: dict, peer: dict) -> list[Row]:
    ns, us = 1.0, 1e-3
    rows = []
    add = _med(ours, "addint_ns")
    floor = _med(ours, "floor_addint_ns")
    aim = _within(add, floor, 1.5)
    rows.append(
        Row(
            "AddInt(1, 2)",
            "ns",
            add,
            floor,
            _med(peer, "addint_ns"),
            "<= 250 ns (aim <= 1.5x floor)",
            f"{_yes(add is not None and add <= 250)} (aim: {_yes(aim)})",
        )
    )
    held = _med(ours, "floor_addint_held_ns")
    rows.append(Row("  same, vs GIL-held floor", "ns", add, held, None, peer_none="-"))
    rows.append(
        Row(
            'raise GoError: ParseInt("x") caught, vs ParseInt("12")',
            "ns",
            _med(ours, "raise_ns"),
            _med(ours, "raise_plain_ns"),
            None,
            peer_none="-",
        )
    )
    for k, _, label in PAYLOAD_SIZES:
        unit, scale = ("ns", ns) if k == "1k" else ("us", us)
        row = Row(
            f"Echo {label}",
            unit,
            _med(ours, f"echo_{k}_ns", scale),
            _med(ours, f"floor_echo_{k}_ns", scale),
            _med(peer, f"echo_{k}_ns", scale),
        )
        if k == "1m":
            row.target, row.met = "<= 150 us", _yes(row.ours is not None and row.ours <= 150)
        rows.append(row)
        if k != "1k":
            # The call's cost in copies of its payload (docs/adr/0027): per round, its time over
            # one memcpy of the payload measured in the same round; the median of those.
            copies = _round_ratios(ours, f"echo_{k}_ns", f"memcpy_{k}_ns")
            rows.append(
                Row(
                    f"  same, in memcpys of {label}",
                    "x",
                    copies,
                    None,
                    None,
                    "<= 6 copies",
                    _yes(copies is not None and copies <= 6),
                    peer_none="-",
                )
            )
    # Sum rows (issue 11 item 2): the median of per-round ratios to sum() over the list.
    for key, label, k in (
        ("sum_ns", "Sum of a list of 1000 ints", 4.0),
        ("sum_array_ns", "Sum of array('q') of 1000 ints", 0.5),
    ):
        per_round = _round_ratios(ours, key, "floor_sum_ns")
        rows.append(
            Row(
                f"{label} (ratio {_fmt(per_round, 'x')})",
                "us",
                _med(ours, key, us),
                _med(ours, "floor_sum_ns", us),
                _med(peer, "sum_ns", us) if key == "sum_ns" else None,
                f"<= {k:g}x sum(list)",
                _yes(per_round is not None and per_round <= k),
            )
        )
    st = _med(ours, "struct_ns", us)
    rows.append(
        Row(
            "EchoPoint: record struct round trip",
            "us",
            st,
            None,
            _med(peer, "struct_ns", us),
            "<= 2 us",
            _yes(st is not None and st <= 2),
        )
    )
    rows.append(
        Row(
            "  same, dict in (class out)",
            "us",
            _med(ours, "struct_dict_ns", us),
            None,
            _med(peer, "struct_ns", us),
        )
    )
    me = _med(ours, "method_ns")
    rows.append(
        Row(
            "Counter.Inc(1): method on a Go object",
            "ns",
            me,
            None,
            _med(peer, "method_ns"),
            "<= 300 ns",
            _yes(me is not None and me <= 300),
        )
    )
    rows.append(
        Row(
            "  same, method looked up on each call",
            "ns",
            _med(ours, "method_lookup_ns"),
            None,
            None,
            peer_none="-",
        )
    )
    rows.append(
        Row(
            "r.Int(): method on a record, vs AddInt",
            "ns",
            _med(ours, "record_method_ns"),
            _med(ours, "record_method_addint_ns"),
            None,
            peer_none="-",
        )
    )
    cb, cb_add = _med(ours, "callback_ns"), _med(ours, "callback_addint_ns")
    rows.append(
        Row(
            "Apply(lambda x: x + 1, 1): callback",
            "ns",
            cb,
            cb_add,
            None,
            "<= 3x AddInt (floor)",
            _yes(_within(cb, cb_add, 3)),
            peer_none="-",
        )
    )
    rows.append(
        Row(
            "  same, against the callback's floor",
            "ns",
            cb,
            _med(ours, "floor_callback_ns"),
            None,
            peer_none="-",
        )
    )
    rows.append(
        Row(
            "  same, a func Go may keep (registered)",
            "ns",
            _med(ours, "callback_kept_ns"),
            cb_add,
            None,
            peer_none="-",
        )
    )
    rows.append(
        Row(
            "  same, general form (named int type)",
            "ns",
            _med(ours, "callback_general_ns"),
            cb_add,
            None,
            peer_none="-",
        )
    )
    rows.append(
        Row(
            "  same, a new lambda each call",
            "ns",
            _med(ours, "callback_fresh_ns"),
            None,
            None,
            peer_none="-",
        )
    )
    rows.append(
        Row(
            "  same, callback on a Go thread",
            "ns",
            _med(ours, "callback_thread_ns"),
            None,
            None,
            peer_none="-",
        )
    )
    wr, wf = _med(ours, "writer_ns", 1e-6), _med(ours, "floor_writer_ns", 1e-6)
    rows.append(
        Row(
            "io.Writer: 100 MiB into io.BytesIO",
            "ms",
            wr,
            wf,
            None,
            "<= 2x one copy (floor)",
            _yes(_within(wr, wf, 2)),
            peer_none="-",
        )
    )
    t = _med(ours, "threads_ratio")
    rows.append(
        Row(
            "Spin(50): 2 threads / 1",
            "x",
            t,
            2.0,
            _med(peer, "threads_ratio"),
            ">= 1.9x",
            _yes(t is not None and t >= 1.9),
        )
    )
    i = _med(ours, "import_cached_ms")
    rows.append(
        Row(
            "first import_, cached artifact",
            "ms",
            i,
            None,
            _med(peer, "import_cached_ms"),
            "<= 20 ms",
            _yes(i is not None and i <= 20),
        )
    )
    r = _med(ours, "import_local_ms")
    rows.append(
        Row(
            "import_(dir), reuse check",
            "ms",
            r,
            None,
            _med(peer, "reuse_ms"),
            "<= 20 ms",
            _yes(r is not None and r <= 20),
        )
    )
    rows.append(
        Row(
            "  fingerprint(dir) alone",
            "ms",
            _med(ours, "fingerprint_ms"),
            None,
            _med(peer, "fingerprint_ms"),
        )
    )
    rows.extend(floor_rows(ours))
    return rows


def floor_rows(ours: dict) -> list[Row]:
    """The rows of measure_floor_rows: statements as users write them against the C-extension
    floor (median of per-round ratios)."""
    rows = []
    for case, key, floor_key, limit, aim in (
        ("pkg.AddInt(1, 2) vs C ext (METH_FASTCALL)", "u_addint", "u_floor", 2.0, 1.5),
        ("  same, vs ctypes", "u_addint", "u_ctypes", 0.5, None),
        ("inc = c.Inc; inc(1) vs C ext", "u_bound", "u_bound_floor", 2.5, None),
        (
            'geo.EchoPoint(geo.Point(X=1.5, Y=-2.0, Tag="p"))',
            "u_record",
            "u_record_floor",
            8.0,
            None,
        ),
        ("  same, bench Point (4 fields, a []string)", "u_record4", "u_record_floor", None, None),
        ("pkg.Apply(f, 1) vs pkg.AddInt(1, 2)", "u_callback", "u_callback_plain", 3.0, None),
    ):
        xkey = "u_addint_ctypes_x" if floor_key == "u_ctypes" else f"{key}_x"
        x = _med(ours, xkey)
        if limit is None:  # a row shown for comparison, with no target
            met, target = "-", "-"
        else:
            met = _yes(x is not None and x <= limit)
            if aim is not None:
                met += f" (aim: {_yes(x is not None and x <= aim)})"
            target = f"<= {limit}x" + (f" (aim {aim}x)" if aim is not None else "")
        rows.append(
            Row(
                case,
                "ns",
                _med(ours, f"{key}_ns"),
                _med(ours, f"{floor_key}_ns"),
                None,
                target,
                met,
                peer_none="-",
                ratio=x,
            )
        )
    # No target in the issue: how much a string argument adds to a plain call.
    rows.append(
        Row(
            "pkg.ParseInt('12345') vs pkg.AddInt(1, 2)",
            "ns",
            _med(ours, "u_string_ns"),
            _med(ours, "u_string_plain_ns"),
            None,
            peer_none="-",
            ratio=_med(ours, "u_string_x"),
        )
    )
    return rows


def print_table(rows: list[Row]) -> None:
    head = ["case", "ours", "floor", "peer", "ours/floor", "peer/ours", "target", "met"]
    body = [
        [
            r.case,
            _fmt(r.ours, r.unit),
            _fmt(r.floor, r.unit),
            _fmt(r.peer, r.unit, r.peer_none),
            _ratio(r.ours, r.floor) if r.ratio is None else f"{r.ratio:.2f}x",
            _ratio(r.peer, r.ours),
            r.target,
            r.met,
        ]
        for r in rows
    ]
    widths = [max(len(x[i]) for x in [head, *body]) for i in range(len(head))]
    left = {0, 6, 7}

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if i in left else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    print(line(head))
    print("  ".join("-" * w for w in widths))
    for cells in body:
        print(line(cells))


def print_notes(ours: dict, peer: dict, missing: dict[str, str], args, counts, pcounts) -> None:
    def ms(d: dict, k: str) -> str:
        v = _med(d, k)
        return "n/a" if v is None else f"{v:.1f} ms"

    notes = [
        "Medians of 5 rounds after warm-up; per-call figures include the Python loop "
        "(`for _ in repeat(None, n): f(args)`, prebound callable, prebuilt arguments, GC off).",
        "Calls per round, ours: "
        + ", ".join(f"{k} {v:,}" for k, v in counts.items())
        + "; peer: "
        + ", ".join(f"{k} {v:,}" for k, v in pcounts.items())
        + ". Spin counts are per thread.",
        "Floors. AddInt: `_native._bench_floor(module, 'addint', detach=True)`, a direct "
        "pyo3 -> cgo call of the same Go AddInt with no envelope and the GIL released, as our "
        "calls do (the next row: the same with the GIL held). Echo: there is no envelope-free "
        "floor function, so the "
        "floor is the one unavoidable copy measured in Python, `bytes(memoryview(payload))` "
        "(a fresh bytes object of the same size); the 'in memcpys' rows divide, round by round, "
        "the Echo time by one memcpy of the payload into an existing buffer "
        "(`dst[:] = view`, measured in the same rounds): the call's cost in copies, target "
        "<= 6 (docs/adr/0027 lists the copies). Raise GoError: a Python function calling "
        'ParseInt("x") (a *strconv.NumError wrapping strconv.ErrSyntax) in `try` and '
        'catching the GoError, against the same function with ParseInt("12") (no error), '
        "measured interleaved: the ratio is what a raised Go error costs over a plain call (its "
        "chain is not asked for; no target). "
        "Sum: Python's own `sum(list)` over the same "
        "1000 ints (no Go at all), measured interleaved with Sum of the list and Sum of an "
        "array('q') of the same ints (a writable buffer: an in/out buffer, sent packed, "
        "docs/abi.md 8.10, read by Go in place since the compiler proves Sum does not keep it, "
        "8.12, and its bytes copied back); the ratio in the case is the median of "
        "per-round ratios. "
        "r.Int(): its floor column is AddInt(1, 2) measured "
        "interleaved with it; r is gjson's Result shape (3 fields), sent by value each call. "
        "Callback: its floor column is AddInt(1, 2) measured "
        "interleaved with it (the target is 3x that); the next row's floor is the sum, measured in "
        "the same rounds, of the detached AddInt floor, one cgo call Go -> C "
        "(`usegolib_floor_gotoc`, n calls of a trivial C function), one GIL release and "
        "re-take (`_native._bench_detach`, n `py.detach(|| ())`) and the Python call "
        "`inc(1)`: what a callback costs with no envelope, no host table and no conversion. "
        "The callable passed in these rows is the same each call, as in a loop over a prebuilt "
        "callable. Apply's f does not escape (the compiler's escape analysis), so the callable "
        "is lent for the call (docs/abi.md 10.9: nothing registered or released), and its "
        "func(int64) int64 takes the scalar form of host calls (10.8, no MessagePack). The "
        "'func Go may keep' row calls ApplyKeeping, the same function storing f while it runs "
        "(f escapes): the callable is registered and keeps its host-object id while Go holds "
        "it (10.4), in the same rounds, against AddInt. The general form row calls ApplyNamed, "
        "the same through a named int type (a general-form call: registered; MessagePack "
        "request and reply), in the same rounds, against AddInt. The row after that passes a "
        "new lambda each call (made by a Python wrapper, `apply(lambda y: y + 1, x)`, whose own "
        "cost is in the figure), lent each time; the Go thread row's f escapes (a goroutine): "
        "registered. The peer has no callbacks. io.Writer: Go "
        "writes 100 MiB in 64 KiB chunks (one write() each, into the BytesIO that holds the "
        "one copy; no chunk is kept), against `bytes(memoryview(100 MiB))`, one copy in "
        "Python. Threads: "
        "2.00x, perfect scaling on 2 cores. The import rows have no floor.",
        "Threads row: both columns are speedups (throughput of 2 threads over 1, each making "
        f"the same number of Spin(50) calls), so there ours/floor < 1 and peer/ours < 1 mean "
        f"less parallel. One thread, us per Spin(50) call: ours "
        f"{_fmt(_med(ours, 'spin_single_us'), 'us', 'n/a')}, peer "
        f"{_fmt(_med(peer, 'spin_single_us'), 'us', 'n/a')}.",
        f"Import rows: medians of {args.subprocesses} fresh processes each, timing only the "
        "call named. Ours: `usegolib.import_('example.com/bench')` (resolved from the cache) "
        "and `usegolib.import_(dir)` (default build='missing': fingerprint of the sources "
        "compared with the artifact's, then load); the fingerprint row times "
        "`usegolib._native.fingerprint(dir)` once, right after that import_. Peer: "
        "`import_('example.com/bench', artifact_dir=ROOT)`; its import_ never looks at the "
        "sources, so its reuse check is the no-op `build_artifact(module=dir, out_dir=ROOT)` "
        "(what `usegolib build` runs: go list, the Go scanner, then the fingerprint), and "
        "its fingerprint row is `fingerprint_local_module_dir(dir)` after that.",
        f"`import usegolib` itself (not in the table): ours {ms(ours, 'import_pkg_ms')}, peer "
        f"{ms(peer, 'import_pkg_ms')}; the first call after import_: ours "
        f"{ms(ours, 'first_call_ms')}, peer {ms(peer, 'first_call_ms')}.",
    ]
    notes.append(
        "Rows 'vs C ext' (issue 11 item 1): statements as users write them, compiled into a "
        "timeit-style loop (`pkg.AddInt(1, 2)` with its attribute lookup; `inc(1)` after "
        '`inc = pkg.NewCounter().Inc`; `geo.EchoPoint(geo.Point(X=1.5, Y=-2.0, Tag="p"))`, '
        "the issue's own record (package geo of the bench fixture: two float64 and a string) "
        "made and sent and the result decoded, and beside it, without a target, the bench "
        "package's Point (four fields, one a []string) in the same rounds (no target); "
        "`pkg.Apply(f, 1)` with `f = lambda x: x + 1`), each measured in the same rounds as "
        "its floor: `floor.addint(1, 2)`, a hand-written "
        "CPython extension (benches/python/floor_ext.c, METH_FASTCALL, built here with cc "
        "against this interpreter's headers) calling the fixture's usegolib_floor_addint export "
        "(Go's AddInt, no envelope) with the GIL released, and `ct_add(1, 2)`, ctypes calling "
        "the same export (CFUNCTYPE, GIL released). The ratio column of these rows is the median "
        "of the per-round ratios; the floor of the callback row and of the ParseInt row is "
        "`pkg.AddInt(1, 2)`, in the same rounds (ParseInt's string goes in the scalar form, "
        "its UTF-8 lent, no MessagePack; no target)."
    )
    if peer.get("reuse_rebuilt"):
        notes.append("WARNING: the peer's no-op build rebuilt its library during the reuse runs.")
    for part, why in missing.items():
        what = "the whole peer column" if part == "all" else f"peer {part}"
        notes.append(f"n/a: {what}: {why}")
    if args.no_peer:
        notes.append("n/a: the peer was skipped (--no-peer).")
    for i, n in enumerate(notes, 1):
        print(f"[{i}] {n}")


def main() -> int:
    ap = argparse.ArgumentParser(description="usegolib Python call benchmark")
    ap.add_argument("--quick", action="store_true", help="fewer calls and processes (smoke run)")
    ap.add_argument("--no-peer", action="store_true", help="skip the peer usegolib 0.1.0")
    ap.add_argument("--json", metavar="FILE", help="also write every round's raw figures here")
    args = ap.parse_args()
    os.environ.setdefault("USEGOLIB_CACHE_DIR", str(CACHE_DIR))
    os.environ.setdefault("USEGOLIB_QUIET", "1")

    div = QUICK_DIVISOR if args.quick else 1
    counts = {k: max(1, v // div) for k, v in OURS_COUNTS.items()}
    pcounts = {k: max(3, v // div) for k, v in PEER_COUNTS.items()}
    args.subprocesses = 3 if args.quick else SUBPROCESSES

    started = time.perf_counter()
    load0 = os.getloadavg()
    print(
        f"usegolib Python call benchmark: CPython {platform.python_version()}, "
        f"{platform.system().lower()}/{platform.machine()}, {os.cpu_count()} CPUs, "
        f"load average {load0[0]:.2f}{' (--quick)' if args.quick else ''}",
        flush=True,
    )

    ours = measure_ours(counts)
    ours.update(measure_ours_imports(args.subprocesses))
    if ours["import_s"] > 1:
        print(f"(built our artifact first: {ours['import_s']:.1f} s, not in the table)")
    peer: dict = {}
    missing: dict[str, str] = {}
    if not args.no_peer:
        peer, missing = measure_peer(pcounts, args.subprocesses)

    elapsed = time.perf_counter() - started
    print()
    print_table(build_rows(ours, peer))
    print()
    print_notes(ours, peer, missing, args, counts, pcounts)
    setup = peer.get("setup_s")
    print(
        f"Run took {elapsed:.0f} s"
        + (f" (of which peer setup and build check {setup:.1f} s)" if setup is not None else "")
        + f"; load average {load0[0]:.2f} at start, {os.getloadavg()[0]:.2f} at end."
    )
    if args.json:
        Path(args.json).write_text(
            json.dumps({"ours": ours, "peer": peer, "peer_missing": missing}, indent=1)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
