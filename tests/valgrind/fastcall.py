"""The binding's raw CPython FFI (usegolib-py/src/fast.rs) exercised for valgrind (`make
sanitize`, scripts/sanitize.sh): every slot of GoCallable (vectorcall, tp_call, __get__,
getattro/setattro, repr, __doc__, __class__, __reduce__, GC traverse/clear, dealloc) with good
and bad arguments, many times; record classes' vectorcall (RecordMeta) and its fallbacks;
strings and records in the scalar form; bytes results; callbacks re-attached with their
call's thread state, and callables lent to a call (nested past the 64 a thread lends); then a
collection. It checks its own results; valgrind checks the memory."""

from __future__ import annotations

import dataclasses
import gc
import inspect
import pickle
import sys

import usegolib
from usegolib import _native

b = usegolib.load_artifact(sys.argv[1])
f = b.AddInt
for i in range(2000):
    assert f(i, 1) == i + 1
    assert b.AddInt(a=i, b=2) == i + 2  # kwnames
    assert f(i, b=3) == i + 3
    assert type(f).__call__(f, i, b=4) == i + 4  # tp_call (tuple and dict)
    assert f(*(i, 5), **{}) == i + 5
for bad in [(1,), (1, 2, 3), ("x", 1)]:
    try:
        f(*bad)
    except TypeError:
        pass
    else:
        raise AssertionError(f"AddInt{bad} did not raise")
try:
    f(1, c=2)
except TypeError as e:
    assert "unexpected keyword argument 'c'" in str(e)
else:
    raise AssertionError("AddInt(1, c=2) did not raise")
try:
    f(1, a=2)
except TypeError as e:
    assert "multiple values" in str(e)
else:
    raise AssertionError("AddInt(1, a=2) did not raise")
assert isinstance(f, _native.GoFunction) and f.__name__ == "AddInt"
assert "AddInt" in repr(f) and "Go:" in f.__doc__
assert list(inspect.signature(f).parameters) == ["a", "b"]
f.__doc__ = f.__doc__  # setattro / set_doc
try:
    f.no_such_attribute  # noqa: B018
except AttributeError:
    pass
try:
    pickle.dumps(f)
except (TypeError, pickle.PicklingError):
    pass

# Bound methods: __get__ makes a GoCallable bound to the object, called through vectorcall.
c = b.NewCounter()
for _ in range(2000):
    inc = c.Inc
    inc(1)
    c.Inc(d=1)
assert c.Inc(0) == 4000
m = c.Inc
assert isinstance(m, _native.GoMethod) and m.__self__ is c and "Inc" in repr(m)
assert type(c).__dict__["Inc"].__get__(None, type(c)) is type(c).__dict__["Inc"]

# Records: EchoPoint, and a method on a record kept in a cycle the GC must break.
p = b.Point(x=1, y=-2, label="p")
for _ in range(500):
    assert b.EchoPoint(p) == p
# Record classes are made by RecordBase's tp_new and filled by its tp_init (fast.rs, ADR
# 0033): keywords, zero values, a dataclass's errors, cls.__new__ as pickling calls it, a
# subclass.
for _ in range(500):
    assert b.Point(x=1, y=-2, label="p") == p and b.Point().tags == []
for bad in ((1,), ()):
    try:
        b.Point(*bad, z=1)
        raise AssertionError("Point accepted a bad call")
    except TypeError:
        pass
try:
    _native.RecordBase()
    raise AssertionError("RecordBase made an instance")
except TypeError:
    pass
assert vars(b.Point.__new__(b.Point)) == {}
assert b.EchoPoint(type("Sub", (b.Point,), {})(x=1)) == b.Point(x=1)
try:
    _native.RecordBase.__new__(_native.RecordBase)
    raise AssertionError("RecordBase.__new__ made a RecordBase")
except TypeError:
    pass
# The class call through the record classes' vectorcall (fast.rs record_vectorcall, ADR 0033):
# keywords from a call and from a dict, a keyword name that is not interned (the fallback
# builds the tuple and dict for type_call), a positional argument and an unknown keyword (both
# type_call), a replaced __init__ (type_call, then the vectorcall again once it is deleted).
assert _native._record_vectorcall(b.Point)
label = "".join(["lab", "el"])
for _ in range(300):
    assert b.Point(**{"x": 1, "y": -2, "label": "p"}) == p
    assert b.Point(x=1, y=-2, **{label: "p"}) == p
    for bad in ((1,), ()):
        try:
            b.Point(*bad, **{label: "p", "zz": 1})
            raise AssertionError("Point accepted a bad call")
        except TypeError:
            pass
_init = b.Point.__init__
b.Point.__init__ = lambda self, **kw: _init(self, **kw)
assert b.Point(x=1, y=-2, label="p") == p
del b.Point.__init__
assert b.Point(x=1, y=-2, label="p") == p
# tp_init on its own: __init__ again, a subclass's super().__init__, a dataclass subclass.
q = b.Point(x=1, y=2, tags=["t"])
for _ in range(200):
    q.__init__(x=5)
assert q == b.Point(x=5)


class _Sub(b.Point):
    def __init__(self, **kw):
        super().__init__(**kw)


@dataclasses.dataclass(kw_only=True)
class _Sub3(b.Point):
    z: int = 0


for _ in range(200):
    assert b.EchoPoint(_Sub(x=2)) == b.EchoPoint(_Sub3(x=2, z=1)) == b.Point(x=2)


# Strings and flat records in the scalar form (docs/abi.md section 8.13, fast.rs str_utf8,
# generic_getattr/setattr, decode_utf8): a str lent as its UTF-8 (ASCII, non-ASCII, lone
# surrogates going the general way, a subclass), a record result with a string field (GetNum),
# a record argument read field by field (Int on its record form), and results made with and
# without a `__setattr__` hook on their class.
class _Text(str):
    pass


for i in range(300):
    assert b.ParseInt(str(i)) == i
    for bad in (f"é{i}", f"\udcff{i}", _Text(f"x{i}")):
        try:
            b.ParseInt(bad)
            raise AssertionError(f"ParseInt({bad!r}) did not raise")
        except usegolib.GoError:
            pass
    g = b.GetNum()
    assert g.raw == "42" and g.Int() == 42
    g.raw = f"{i}é"
    assert g.Int() == 42
Fields = type(b.GetNum())
Fields.__setattr__ = lambda self, k, v: object.__setattr__(self, k, v)
for _ in range(100):
    assert b.GetNum().Int() == 42
del Fields.__setattr__
r = b.GetNum()
r.keep = r.Int  # r -> bound GoCallable -> r
assert r.keep() == 42
del r, m, inc
# Callbacks across the fast entry; each callable is called through PyObject_Vectorcall
# (fast.rs call_vector): the scalar form (Apply), the general form (ApplyNamed), a callable
# that raises, and new callables each time.
assert b.Apply(lambda x: x + 1, 1) == 2
inc1 = lambda x: x + 1  # noqa: E731 - the same callable each call (it keeps its id)
for i in range(200):
    assert b.Apply(inc1, i) == i + 1
    assert b.ApplyNamed(inc1, i) == i + 1
    assert b.Apply(lambda x, i=i: x + i, 1) == i + 1


# Apply's f does not escape: its callable is lent for the call (fast.rs detach_for_go,
# attach_lent; docs/abi.md 10.9). Nested past the 64 a thread lends, the deeper ones are
# registered instead; ApplyOnGoThread's f escapes (registered, called from a Go thread). (A
# callback on a Go thread that calls Go again is left out: memcheck then reports Go's runtime
# reading and writing its own stacks, with or without lending, in frames it cannot name.)


def down(n):
    return 0 if n == 0 else b.Apply(down, n - 1) + 1


for _ in range(3):
    assert b.Apply(down, 70) == 70
    assert b.ApplyOnGoThread(lambda x: x * 2, 21) == 42


# Bytes results made by fast.rs new_bytes (one copy, or 2 KiB pieces when the placement asks),
# at sizes around the pieces.
for n in (0, 1, 2047, 2049, 65536, 70001):
    data = bytes(i & 0xFF for i in range(n))
    for _ in range(5):
        assert b.Echo(data) == data


def boom(x):
    raise ValueError(f"no {x}")


for fn in (b.Apply, b.ApplyNamed):
    try:
        fn(boom, 7)
    except ValueError as e:
        assert str(e) == "no 7"
    else:
        raise AssertionError(f"{fn} did not raise")
gc.collect()
del f, c, p
gc.collect()
print("fastcall under valgrind: ok")
