"""Fuzz of the Python binding (issue 7): random values of random wire types, converted by the
binding (argument encoding and typed reply decoding), through real Go echo functions of real
built libraries, and back.

    .venv/bin/python tests/python/fuzz_binding.py --examples 300         # fixed, derandomized
    FUZZ_SECONDS=600 .venv/bin/python tests/python/fuzz_binding.py       # a long run (make fuzz)

Every echo function of the fixtures level1 and level3 (tests/fixtures/go/level3/fuzz_echo.go
adds the composite ones) is a target: its parameters' wire types (docs/abi.md sections 2 and 8)
drive the generation. An example is either valid, and must come back exactly (the same values
and the same Python types), or broken at exactly one place by a value its wire type cannot take,
and must raise an ordinary typed exception (TypeError, OverflowError, ValueError or a usegolib
error): never pyo3's PanicException, never a crash. REGRESSIONS holds every input that ever
failed; they run first, every time.

tests/python/test_fuzz_binding.py runs this in a child process, so a crash is a failed test.
Prints one line `fuzz_binding: N examples (V valid, I invalid) in S s, 0 failures` at the end;
exits 1 with the (shrunk) falsifying example on the first failure.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import struct
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "go"
os.environ.setdefault("USEGOLIB_CACHE_DIR", str(REPO / "target" / "usegolib-cache"))
os.environ.setdefault("USEGOLIB_QUIET", "1")

import usegolib  # noqa: E402
from usegolib import _native, _package, _types  # noqa: E402

# What an invalid value may raise: the binding's argument errors, and usegolib's own.
ALLOWED = (TypeError, OverflowError, ValueError, usegolib.UsegolibError)

INT_RANGES = {
    f"{'u' if u else ''}int{b}": ((0, 2**b - 1) if u else (-(2 ** (b - 1)), 2 ** (b - 1) - 1))
    for b in (8, 16, 32, 64)
    for u in (False, True)
}
MAX_F32 = struct.unpack("<f", bytes.fromhex("ffff7f7f"))[0]
MAX_NS = 2**63 - 1
SHAPES = ("square", "circle")


# Wire types, parsed.


def parse(wire: str) -> tuple:
    """A wire type (docs/abi.md sections 5 and 8.1) as a tuple tree."""
    if wire.startswith("[]"):
        return ("list", parse(wire[2:]))
    if wire.startswith("map[string]"):
        return ("map", parse(wire[len("map[string]") :]))
    if wire.startswith("bytes["):
        return ("bytesN", int(wire[6:-1]))
    if wire.startswith("["):
        n, rest = wire[1:].split("]", 1)
        return ("array", int(n), parse(rest))
    if wire.startswith("*"):
        return ("ptr", parse(wire[1:]))
    if wire.startswith("@"):
        return ("record", wire[1:])
    if wire.startswith("&"):
        return ("handle", wire[1:])
    if wire in INT_RANGES:
        return ("int", wire)
    if wire in ("float32", "float64", "bool", "string", "bytes", "any", "time", "duration"):
        return (wire,)
    raise ValueError(f"no generator for wire type {wire}")


# What a value must come back as, where == is not the whole story.


@dataclass
class Float:
    value: float


@dataclass
class Handle:
    key: str
    state: tuple


@dataclass
class Time:
    value: datetime
    nanosecond: int


@dataclass
class Duration:
    ns: int


@dataclass
class Record:
    cls: type
    values: dict[str, Any]


def mismatch(want: Any, got: Any, where: str = "result") -> str | None:
    """Why `got` is not the value `want` describes, or None."""
    if isinstance(want, Float):
        if type(got) is not float:
            return f"{where}: {got!r} is a {type(got).__name__}, not a float"
        if math.isnan(want.value) and math.isnan(got):
            return None
        if want.value != got or math.copysign(1, want.value) != math.copysign(1, got):
            return f"{where}: {got!r} != {want.value!r}"
        return None
    if isinstance(want, Handle):
        if not isinstance(got, usegolib.GoObject) or got.go_type != want.key:
            return f"{where}: {got!r} is not a Go object of type {want.key}"
        state = handle_state(got)
        return None if state == want.state else f"{where}: Go object state {state} != {want.state}"
    if isinstance(want, Time):
        if type(got) is not _types.GoTime:
            return f"{where}: {got!r} is not a GoTime"
        if got != want.value or got.utcoffset() != want.value.utcoffset():
            return f"{where}: {got!r} != {want.value!r}"
        if got.nanosecond != want.nanosecond:
            return f"{where}: nanosecond {got.nanosecond} != {want.nanosecond}"
        return None
    if isinstance(want, Duration):
        if type(got) is not _types.GoDuration or got.nanoseconds != want.ns:
            return f"{where}: {got!r} is not GoDuration({want.ns} ns)"
        return None
    if isinstance(want, Record):
        if type(got) is not want.cls:
            return f"{where}: {got!r} is not a {want.cls.__name__}"
        for f in fields(got):
            problem = mismatch(want.values[f.name], getattr(got, f.name), f"{where}.{f.name}")
            if problem:
                return problem
        return None
    if type(got) is not type(want):
        return f"{where}: {got!r} is a {type(got).__name__}, want {type(want).__name__} {want!r}"
    if isinstance(want, list | tuple):
        if len(got) != len(want):
            return f"{where}: {len(got)} elements, want {len(want)}"
        for i, (w, g) in enumerate(zip(want, got, strict=True)):
            problem = mismatch(w, g, f"{where}[{i}]")
            if problem:
                return problem
        return None
    if isinstance(want, dict):
        if set(got) != set(want):
            return f"{where}: keys {sorted(got)} != {sorted(want)}"
        for k in want:
            problem = mismatch(want[k], got[k], f"{where}[{k!r}]")
            if problem:
                return problem
        return None
    return None if got == want else f"{where}: {got!r} != {want!r}"


def handle_state(obj: Any) -> tuple:
    if obj.go_type.endswith(".Counter"):
        return ("counter", *obj.Both())
    return ("shape", obj.Kind(), obj.Area())


# The fixtures.


@dataclass
class Env:
    """The loaded fixtures, and what generating their values needs."""

    targets: dict[str, Any]
    l3: Any
    records: dict[str, list[dict]] = field(default_factory=dict)
    classes: dict[str, type] = field(default_factory=dict)
    # Go objects made for the current example, closed after it.
    made: list = field(default_factory=list)

    def counter(self, name: str, count: int) -> Any:
        c = self.l3.NewCounter(name)
        c.Add(count)
        self.made.append(c)
        return c

    def shape(self, kind: str, size: float) -> Any:
        s = self.l3.NewSquare(size) if kind == "square" else self.l3.NewCircle(size)
        self.made.append(s)
        return s

    def cleanup(self, *values: Any) -> None:
        for v in [*self.made, *values]:
            for obj in walk_objects(v):
                obj.close()
        self.made.clear()


def walk_objects(v: Any):
    if isinstance(v, usegolib.GoObject):
        yield v
    elif isinstance(v, list | tuple):
        for x in v:
            yield from walk_objects(x)
    elif isinstance(v, dict):
        for x in v.values():
            yield from walk_objects(x)
    elif is_dataclass(v) and not isinstance(v, type):
        for f in fields(v):
            yield from walk_objects(getattr(v, f.name))


def load(artifacts: str | None = None, generics: list[str] | None = None) -> Env:
    kw = {"artifact_dir": artifacts} if artifacts else {}
    l1 = usegolib.import_(FIXTURES / "level1", **kw)
    l3 = usegolib.import_(FIXTURES / "level3", generics=generics or [], **kw)
    targets = {}
    for pkg in (l1, l3):
        short = pkg._go_path.rsplit("/", 1)[-1]
        for name in dir(pkg):
            fn = getattr(pkg, name)
            if not name.startswith("Echo") or not isinstance(fn, _native.GoFunction):
                continue
            try:
                [parse(p.wire) for p in fn.params]
            except ValueError:
                continue
            targets[f"{short}.{name}"] = fn
    env = Env(targets=targets, l3=l3)
    schema = json.loads(l3._go_module.manifest_json())["schema"]
    for key, t in schema["types"].items():
        if t["kind"] == "record":
            env.records[key] = t["fields"]
            names = {f.key: f.name for f in l3._go_module.fields(key)}
            for f in env.records[key]:
                f["py"] = names[f["key"]]
            env.classes[key] = _package._module_classes(l3._go_module)[key]
    return env


# Values.

KEYS = st.text(max_size=6) | st.binary(max_size=4).map(
    lambda b: b.decode("utf-8", "surrogateescape")
)


class IntSub(int):
    pass


class FloatSub(float):
    pass


class StrSub(str):
    pass


def gen_int(draw, wire: str) -> tuple[Any, Any]:
    lo, hi = INT_RANGES[wire]
    v = draw(st.sampled_from([lo, hi, 0, -1 if lo else 1]) | st.integers(lo, hi))
    return (IntSub(v) if draw(st.integers(0, 9)) == 0 else v), v


def gen_float(draw, bits: int) -> tuple[Any, Any]:
    if draw(st.integers(0, 4)) == 0:
        v = draw(st.integers(-(2**70), 2**70))
        back = float(v)
    else:
        v = draw(st.floats(width=bits))
        back = v
        if draw(st.integers(0, 9)) == 0:
            v = FloatSub(v)
    if bits == 32:
        back = struct.unpack("<f", struct.pack("<f", back))[0]
    return v, Float(back)


def gen_str(draw) -> tuple[Any, Any]:
    s = draw(
        st.text(max_size=12)
        | st.binary(max_size=8).map(lambda b: b.decode("utf-8", "surrogateescape"))
    )
    return (StrSub(s) if draw(st.integers(0, 9)) == 0 else s), s


def gen_bytes(draw, n: int | None) -> tuple[Any, Any]:
    b = draw(st.binary(min_size=n or 0, max_size=n if n is not None else 12))
    kind = draw(st.sampled_from(["bytes", "bytes", "bytearray", "memoryview"]))
    v = {"bytes": b, "bytearray": bytearray(b), "memoryview": memoryview(b)}[kind]
    return v, b


ANY_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats()
    | st.text(max_size=8)
    | st.binary(max_size=8)
)


def any_expect(v: Any) -> Any:
    if isinstance(v, float):
        return Float(v)
    if isinstance(v, list | tuple):
        return [any_expect(x) for x in v]
    if isinstance(v, dict):
        return {k: any_expect(x) for k, x in v.items()}
    return v


def gen_any(draw) -> tuple[Any, Any]:
    v = draw(
        st.recursive(
            ANY_LEAVES,
            lambda inner: (
                st.lists(inner, max_size=4)
                | st.lists(inner, max_size=3).map(tuple)
                | st.dictionaries(KEYS, inner, max_size=3)
            ),
            max_leaves=12,
        )
    )
    return v, any_expect(v)


def gen_time(draw) -> tuple[Any, Any]:
    offset = draw(
        st.sampled_from([0, 3600, -18000, 19800, 86399, -86399]) | st.integers(-86399, 86399)
    )
    tz = (
        timezone.utc if offset == 0 and draw(st.booleans()) else timezone(timedelta(seconds=offset))
    )
    ends = [datetime.min, datetime.max, datetime(1970, 1, 1), datetime(1969, 12, 31, 23, 59, 59)]
    dt = draw(st.sampled_from(ends) | st.datetimes())
    dt = dt.replace(tzinfo=tz)
    if draw(st.booleans()):
        # A GoTime carries nanoseconds below the microsecond.
        sec, ns, off = _types.time_to_wire(dt)
        ns += draw(st.integers(0, 999))
        got = _types.time_from_wire(sec, ns, off)
        return got, Time(got, ns % 1000)
    return dt, Time(dt, 0)


def gen_duration(draw) -> tuple[Any, Any]:
    if draw(st.booleans()):
        ns = draw(
            st.sampled_from([-MAX_NS - 1, MAX_NS, 0, 1, -1]) | st.integers(-MAX_NS - 1, MAX_NS)
        )
        return _types.duration_from_wire(ns), Duration(ns)
    us = draw(st.integers(-(MAX_NS // 1000), MAX_NS // 1000))
    return timedelta(microseconds=us), Duration(us * 1000)


def gen_record(draw, env: Env, key: str, mode: str) -> tuple[Any, Any]:
    cls = env.classes[key]
    flds = env.records[key]
    # A field left out comes back as its Go zero value; those whose zero default_for does not
    # model (a record, an array, a time) are always given.
    present = [
        f
        for f in flds
        if f["required"] or parse(f["type"])[0] in UNMODELLED_ZEROS or draw(st.booleans())
    ]
    broken = None
    if mode == "invalid":
        broken = draw(
            st.sampled_from(["field", "field", "field", "unknown", "missing", "type", "cycle"])
        )
        loops = [f for f in flds if f["type"] == "*@" + key]
        if broken == "cycle" and not loops:
            broken = "field"
        if broken == "missing" and not any(f["required"] for f in flds):
            broken = "unknown"
        if broken == "field" and not present:
            broken = "unknown"
    bad_field = draw(st.sampled_from(present)) if broken == "field" else None
    as_dict = draw(st.booleans())
    given, want = {}, {}
    for f in flds:
        ty = parse(f["type"])
        if f in present:
            v, w = gen(draw, env, ty, "invalid" if f is bad_field else "valid")
            while f is bad_field and v is None and not (as_dict or f["required"]):
                # An attribute left None means "not given" for an optional field.
                v, w = gen(draw, env, ty, "invalid")
            name = draw(st.sampled_from([f["key"], f["name"], f["py"]])) if as_dict else f["py"]
            given[name] = v
            want[f["py"]] = default_for(f, ty) if f["omitempty"] and is_empty(w) else w
        else:
            want[f["py"]] = default_for(f, ty)
    if broken == "missing":
        required = [f for f in flds if f["required"]]
        drop = draw(st.sampled_from(required))
        for name in (drop["key"], drop["name"], drop["py"]):
            given.pop(name, None)
        as_dict = True
    if broken == "unknown":
        given["no_such_field_"] = 1
        as_dict = True
    if broken == "type":
        return draw(st.sampled_from([1, "record", [1], 2.5])), None
    if broken == "cycle":
        # The record refers to itself (a Node whose next is itself), at some depth.
        loop = draw(st.sampled_from(loops))
        obj = given if as_dict else cls(**given)
        last = obj
        for _ in range(draw(st.integers(0, 3))):
            nxt = dict(given) if as_dict else cls(**given)
            set_field(last, loop, nxt, as_dict)
            last = nxt
        set_field(last, loop, obj, as_dict)
        return obj, None
    if as_dict:
        return given, Record(cls, want)
    return cls(**given), Record(cls, want)


def set_field(obj: Any, f: dict, value: Any, as_dict: bool) -> None:
    if as_dict:
        for name in (f["key"], f["name"], f["py"]):
            obj.pop(name, None)
        obj[f["key"]] = value
    else:
        setattr(obj, f["py"], value)


def is_empty(w: Any) -> bool:
    """Go's omitempty test, on the value that comes back."""
    if isinstance(w, Float):
        return w.value == 0
    if isinstance(w, Duration):
        return w.ns == 0
    return w in (0, "", False, None, b"") or (isinstance(w, list | dict) and not w)


UNMODELLED_ZEROS = ("record", "array", "bytesN", "time", "duration")
ZEROS = {"int": 0, "string": "", "bool": False, "float32": Float(0.0), "float64": Float(0.0)}


def default_for(f: dict, ty: tuple) -> Any:
    """What a field that did not travel comes back as: its Go zero value (an empty list or dict
    for a slice or map), or the class's default for an omitempty one (None where not a zero)."""
    if f["omitempty"]:
        return ZEROS.get(ty[0])
    return {**ZEROS, "list": [], "map": {}, "bytes": b""}.get(ty[0])


def gen(draw, env: Env, ty: tuple, mode: str = "valid") -> tuple[Any, Any]:
    """(value, what must come back); in mode "invalid", a value broken at exactly one place."""
    kind = ty[0]
    if mode == "invalid":
        return gen_invalid(draw, env, ty)
    if kind == "int":
        return gen_int(draw, ty[1])
    if kind in ("float32", "float64"):
        return gen_float(draw, int(kind[5:]))
    if kind == "bool":
        b = draw(st.booleans())
        return b, b
    if kind == "string":
        return gen_str(draw)
    if kind == "bytes":
        if draw(st.integers(0, 9)) == 0:
            return None, b""
        return gen_bytes(draw, None)
    if kind == "bytesN":
        return gen_bytes(draw, ty[1])
    if kind in ("list", "array"):
        elem = ty[-1]
        if kind == "list" and draw(st.integers(0, 9)) == 0:
            return None, []
        n = ty[1] if kind == "array" else draw(st.integers(0, 5))
        pairs = [gen(draw, env, elem) for _ in range(n)]
        values = [p[0] for p in pairs]
        return (tuple(values) if draw(st.integers(0, 4)) == 0 else values), [p[1] for p in pairs]
    if kind == "map":
        if draw(st.integers(0, 9)) == 0:
            return None, {}
        keys = draw(st.lists(KEYS, max_size=4, unique=True))
        pairs = {k: gen(draw, env, ty[1]) for k in keys}
        return {k: p[0] for k, p in pairs.items()}, {k: p[1] for k, p in pairs.items()}
    if kind == "ptr":
        if draw(st.integers(0, 3)) == 0:
            return None, None
        return gen(draw, env, ty[1])
    if kind == "record":
        return gen_record(draw, env, ty[1], mode)
    if kind == "handle":
        if draw(st.integers(0, 5)) == 0:
            return None, None
        if ty[1].endswith(".Counter"):
            name, count = draw(st.text(max_size=4)), draw(st.integers(-5, 5))
            c = env.counter(name, count)
            return c, Handle(ty[1], ("counter", name, count))
        shape, size = draw(st.sampled_from(SHAPES)), draw(st.integers(0, 4))
        s = env.shape(shape, float(size))
        return s, Handle(ty[1], ("shape", shape, s.Area()))
    if kind == "any":
        return gen_any(draw)
    if kind == "time":
        return gen_time(draw)
    if kind == "duration":
        return gen_duration(draw)
    raise AssertionError(f"no generator for {ty}")


class Opaque:
    """No wire type takes it."""

    def __repr__(self) -> str:
        return "Opaque()"


def gen_invalid(draw, env: Env, ty: tuple) -> tuple[Any, Any]:
    """A value of wire type `ty` broken at exactly one place."""
    kind = ty[0]
    alien = st.sampled_from([Opaque(), {1, 2}, 1j, date(2020, 1, 1)])
    if kind == "int":
        lo, hi = INT_RANGES[ty[1]]
        v = draw(
            st.integers(hi + 1, hi + 2**70)
            | st.integers(lo - 2**70, lo - 1)
            | st.floats()
            | st.booleans()
            | st.text(max_size=3)
            | st.none()
            | alien
        )
    elif kind in ("float32", "float64"):
        big = (
            st.floats(min_value=3.5e38, allow_infinity=False) if kind == "float32" else st.nothing()
        )
        v = draw(big | st.just(2**1024) | st.booleans() | st.text(max_size=3) | st.none() | alien)
    elif kind == "bool":
        v = draw(st.integers() | st.none() | st.text(max_size=3) | st.floats() | alien)
    elif kind == "string":
        # A lone surrogate outside surrogateescape's U+DC80..U+DCFF cannot become bytes.
        v = draw(st.binary(max_size=3) | st.integers() | st.none() | st.just("a\ud800") | alien)
    elif kind == "bytes":
        v = draw(
            st.text(max_size=3) | st.integers() | st.lists(st.integers(0, 255), max_size=3) | alien
        )
    elif kind == "bytesN":
        n = ty[1]
        v = draw(st.binary(max_size=n + 2).filter(lambda b: len(b) != n) | st.none() | alien)
    elif kind in ("list", "array"):
        v = draw(st.just("mode:elem") | st.sampled_from([{"a": 1}, 5, "list", Opaque()]))
        if kind == "array":
            n = ty[1]
            v = draw(st.just("mode:elem") | st.just("mode:len") | st.just(None))
            if v == "mode:len":
                wrong = draw(st.integers(0, n + 2).filter(lambda k: k != n))
                v = [gen(draw, env, ty[2])[0] for _ in range(wrong)]
        if v == "mode:elem":
            n = ty[1] if kind == "array" else draw(st.integers(1, 4))
            at = draw(st.integers(0, n - 1))
            v = [gen(draw, env, ty[-1], "invalid" if i == at else "valid")[0] for i in range(n)]
    elif kind == "map":
        how = draw(st.sampled_from(["value", "value", "key", "type"]))
        if how == "type":
            v = draw(st.sampled_from([[1], 5, "map", Opaque()]))
        else:
            good = {
                k: gen(draw, env, ty[1])[0] for k in draw(st.lists(KEYS, max_size=3, unique=True))
            }
            if how == "key":
                good[draw(st.integers() | st.binary(max_size=2) | st.none())] = gen(
                    draw, env, ty[1]
                )[0]
            else:
                good[draw(KEYS.filter(lambda k: k not in good))] = gen(draw, env, ty[1], "invalid")[
                    0
                ]
            v = good
    elif kind == "ptr":
        v = None
        while v is None:  # None is a nil pointer: valid
            v, _ = gen(draw, env, ty[1], "invalid")
    elif kind == "record":
        return gen_record(draw, env, ty[1], "invalid")
    elif kind == "handle":
        how = draw(st.sampled_from(["type", "closed", "other"]))
        if how == "type":
            v = draw(st.sampled_from([1, "handle", {"name": "x"}, Opaque()]))
        elif how == "closed":
            v = env.counter("c", 1) if ty[1].endswith(".Counter") else env.shape("square", 1.0)
            v.close()
        else:
            v = env.shape("square", 1.0) if ty[1].endswith(".Counter") else env.counter("c", 1)
    elif kind == "any":
        bad = st.integers(2**64, 2**70) | st.integers(-(2**70), -(2**63) - 1) | alien
        v = draw(bad | st.dictionaries(st.integers(), st.none(), min_size=1, max_size=1))
        how = draw(st.sampled_from(["value", "value", "cycle", "deep"]))
        if how == "cycle":
            # A list or dict that contains itself.
            v = draw(st.sampled_from([[1], {"k": 1}]))
            inner = v
            for _ in range(draw(st.integers(0, 3))):
                inner = [inner] if draw(st.booleans()) else {"k": inner}
            v.append(inner) if isinstance(v, list) else v.update(k=inner)
        elif how == "deep":
            # Deeper than the wire's 64 levels.
            for _ in range(draw(st.integers(63, 300))):
                v = draw(st.sampled_from([[v], (v,), {"k": v}]))
        for _ in range(draw(st.integers(0, 3))):
            v = draw(st.sampled_from([[v], (v,), {"k": v}]))
    elif kind == "time":
        v = draw(st.datetimes(max_value=datetime(9999, 1, 1)) | st.integers() | st.none() | alien)
    elif kind == "duration":
        days = st.integers(106_752, 999_999_999).map(lambda d: timedelta(days=d))
        v = draw(days | days.map(lambda d: -d) | st.integers() | st.floats() | st.none() | alien)
    else:
        raise AssertionError(f"no invalid generator for {ty}")
    return v, None


# One example.


@dataclass
class Case:
    target: str
    args: list
    kwargs: dict
    want: Any
    mode: str

    def __repr__(self) -> str:
        args = ", ".join([*map(repr, self.args), *(f"{k}={v!r}" for k, v in self.kwargs.items())])
        return f"<{self.mode}: {self.target}({args})>"


def cases(env: Env) -> st.SearchStrategy[Case]:
    names = sorted(env.targets)

    @st.composite
    def case(draw) -> Case:
        name = draw(st.sampled_from(names))
        fn = env.targets[name]
        mode = draw(st.sampled_from(["valid", "valid", "valid", "invalid"]))
        tys = [parse(p.wire) for p in fn.params]
        if fn.variadic:
            # The variadic elements are the arguments: one more of the element type each.
            n = draw(st.integers(0, 4))
            tys = tys[:-1] + [tys[-1][1]] * n
            if mode == "invalid" and not tys:
                mode = "valid"
        broken = draw(st.integers(0, len(tys) - 1)) if mode == "invalid" else -1
        pairs = [
            gen(draw, env, ty, "invalid" if i == broken else "valid") for i, ty in enumerate(tys)
        ]
        args, kwargs = [p[0] for p in pairs], {}
        if not fn.variadic and draw(st.booleans()):
            kwargs = {p.name: a for p, a in zip(fn.params, args, strict=True)}
            args = []
        wants = [p[1] for p in pairs]
        if fn.variadic:
            want = wants
        elif len(fn.results) == 1:
            want = wants[0]
        else:
            want = tuple(wants)
        return Case(name, args, kwargs, want, mode)

    return case()


class Stats:
    examples = valid = invalid = 0


def check(env: Env, case: Case) -> None:
    """Calls the target; raises AssertionError when the binding misbehaved."""
    Stats.examples += 1
    fn = env.targets[case.target]
    got = None
    try:
        got = fn(*case.args, **case.kwargs)
    except BaseException as e:  # noqa: BLE001 - a panic is a BaseException: that is the point
        if not isinstance(e, Exception) or type(e).__name__ == "PanicException":
            raise AssertionError(f"{case!r} raised a non-Exception {type(e).__mro__}: {e}") from e
        if "panicked" in str(e):
            raise AssertionError(f"{case!r} raised a Rust panic message: {e}") from e
        if case.mode == "valid":
            raise AssertionError(f"{case!r}: a valid value was refused: {e!r}") from e
        if not isinstance(e, ALLOWED):
            raise AssertionError(
                f"{case!r} raised {type(e).__name__}, not a typed error: {e}"
            ) from e
        if not str(e):
            raise AssertionError(f"{case!r} raised {type(e).__name__} with no message") from e
        Stats.invalid += 1
        return
    finally:
        env.cleanup()
    try:
        if case.mode == "invalid":
            raise AssertionError(f"{case!r}: an invalid value was accepted, giving {got!r}")
        problem = mismatch(case.want, got)
        if problem:
            raise AssertionError(f"{case!r} did not come back: {problem}")
        Stats.valid += 1
    finally:
        env.cleanup(got)


# Every input that ever failed, as a function of the loaded fixtures. They run first.


def _edge_times(env: Env) -> Case:
    # Found by this fuzz: a time in year 1 east of Greenwich (or 9999 west) is in range locally
    # but not in UTC, and decoding it went through UTC (OverflowError).
    east, west = timezone(timedelta(hours=1)), timezone(timedelta(seconds=-86399))
    times = [datetime.min.replace(tzinfo=east), datetime.max.replace(tzinfo=west)]
    return Case("level3.EchoTimes", [times], {}, [Time(t, 0) for t in times], "valid")


def _nil_in_pointer_list(env: Env) -> Case:
    # Found by this fuzz (a generator bug): None inside []*int32 is a nil pointer, valid.
    return Case("level3.EchoI32Ptrs", [[None, 1]], {}, [None, 1], "valid")


REGRESSIONS: list[Callable[[Env], Case]] = [_edge_times, _nil_in_pointer_list]


def run(env: Env, examples: int, derandomize: bool, rng_seed: int | None = None) -> None:
    @settings(
        max_examples=examples,
        derandomize=derandomize,
        database=None,
        deadline=None,
        phases=[Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )
    @given(cases(env))
    def fuzz(case: Case) -> None:
        check(env, case)

    if rng_seed is not None:
        fuzz = seed(rng_seed)(fuzz)
    fuzz()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--examples", type=int, help="a fixed, derandomized number of examples")
    ap.add_argument("--seconds", type=float, default=float(os.environ.get("FUZZ_SECONDS", 60)))
    ap.add_argument("--artifacts", help="artifact root to build into (default: the cache)")
    ap.add_argument(
        "--generic", action="append", help="an instantiation to build level3 with (repeatable)"
    )
    opts = ap.parse_args()
    env = load(opts.artifacts, opts.generic)
    start = time.monotonic()
    try:
        for make in REGRESSIONS:
            check(env, make(env))
        if opts.examples is not None:
            run(env, opts.examples, derandomize=True)
        else:
            batch = 0
            while time.monotonic() - start < opts.seconds:
                batch += 1
                run(env, 200, derandomize=False, rng_seed=int(time.time() * 1000) + batch)
    except Exception:  # noqa: BLE001 - report the failure, whatever it is
        traceback.print_exc()
        print(f"fuzz_binding: FAILED after {Stats.examples} examples", flush=True)
        return 1
    took = time.monotonic() - start
    print(
        f"fuzz_binding: {Stats.examples} examples ({Stats.valid} valid, {Stats.invalid} invalid)"
        f" over {len(env.targets)} echo functions in {took:.0f} s, 0 failures",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
