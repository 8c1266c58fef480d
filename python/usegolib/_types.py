"""Python values for Go's time.Time and time.Duration, which keep Go's nanoseconds, and
``Ref``, the box for Go's out-parameters.

``GoTime`` is an aware ``datetime`` and ``GoDuration`` a ``timedelta``: they behave as those, and
remember the nanoseconds below the microsecond that Python's types cannot hold, so that a value
from Go goes back to Go unchanged. Plain aware datetimes and timedeltas are accepted as input.

The binding's ``time`` and ``duration`` converters call the ``*_to_wire`` and ``*_from_wire``
functions of this module (looked up once, by name).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Generic, SupportsIndex, TypeVar

# The user-facing value classes: exported by the package and imported by generated stubs.
__all__ = ["GoDuration", "GoTime", "Ref"]

T = TypeVar("T")


class Ref(Generic[T]):
    """A box for a Go out-parameter, passed where Go takes ``any`` or a pointer ``*T`` (T a
    record or a scalar, as ``&v`` in Go; docs/abi.md section 8.6).

    Go receives a pointer to a fresh value made from the box's content, and after the call
    ``value`` holds what Go left there (also when the Go function returned an error)::

        doc = usegolib.Ref()              # Go gets *any
        yaml.Unmarshal(data, doc)
        doc.value                         # {'name': ...}

    ``Ref()`` or ``Ref(None)`` gives Go ``*any``; ``Ref({})`` ``*map[string]any``; ``Ref([])``
    ``*[]any``; ``Ref(False)``, ``Ref(0)``, ``Ref(0.0)``, ``Ref("")``, ``Ref(b"")`` ``*bool``,
    ``*int``, ``*float64``, ``*string``, ``*[]byte``; ``Ref(pkg.Config)`` (a record class of the
    module: its zero value) or ``Ref(pkg.Config(...))`` ``*Config``. The content is the initial
    value Go sees. Anything else is a TypeError naming the parameter, before Go is called.
    """

    __slots__ = ("value",)

    def __init__(self, value: T | type[T] | None = None) -> None:
        self.value: T = value  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Ref({self.value!r})"


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_EPOCH_NAIVE = datetime(1970, 1, 1)


class GoTime(datetime):
    """An aware datetime from Go, with ``nanosecond`` (0-999) below its microsecond."""

    def __reduce_ex__(self, protocol: SupportsIndex) -> tuple[Any, ...]:
        # datetime's own reduction leaves the instance dict (the nanoseconds) out.
        return (*super().__reduce_ex__(protocol)[:2], dict(self.__dict__))  # type: ignore[misc]

    @property
    def nanosecond(self) -> int:
        ns = self.__dict__.get("_go_nanos")
        if ns is not None and ns // 1000 == self.microsecond:
            return ns % 1000
        return 0


def _trunc_us(ns: int) -> int:
    """Nanoseconds to microseconds, truncated toward zero as Go's Duration.Microseconds does."""
    q = abs(ns) // 1000
    return q if ns >= 0 else -q


class GoDuration(timedelta):
    """A timedelta from Go, with the exact ``nanoseconds`` of the time.Duration."""

    def __reduce_ex__(self, protocol: SupportsIndex) -> tuple[Any, ...]:
        return (*super().__reduce_ex__(protocol)[:2], dict(self.__dict__))  # type: ignore[misc]

    @property
    def nanoseconds(self) -> int:
        ns = self.__dict__.get("_go_ns")
        us = (self.days * 86_400 + self.seconds) * 1_000_000 + self.microseconds
        if ns is not None and _trunc_us(ns) == us:
            return ns
        return us * 1000


def time_to_wire(dt: object) -> tuple[int, int, int]:
    if not isinstance(dt, datetime):
        raise TypeError(f"expected datetime, got {type(dt).__name__}")
    off = dt.utcoffset()
    if off is None:
        raise TypeError("naive datetime: give it a tzinfo (for example timezone.utc)")
    if off.microseconds:
        raise ValueError("the UTC offset must be a whole number of seconds")
    delta = dt - _EPOCH
    total_us = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    sec, us = divmod(total_us, 1_000_000)
    ns = us * 1000
    if isinstance(dt, GoTime):
        ns += dt.nanosecond
    return sec, ns, off.days * 86_400 + off.seconds


def time_from_wire(sec: int, ns: int, offset: int) -> GoTime:
    tz = timezone.utc if offset == 0 else timezone(timedelta(seconds=offset))
    # The wall time in the value's own zone, reached without passing through UTC: that may be
    # outside datetime's years 1..9999 when the local time is not (year 1 east of Greenwich).
    try:
        dt = _EPOCH_NAIVE + timedelta(seconds=sec + offset, microseconds=ns // 1000)
    except OverflowError:
        raise OverflowError(
            f"the Go time {sec} s after 1970-01-01 UTC (UTC offset {offset} s) is outside the "
            "years 1..9999 that a Python datetime can hold"
        ) from None
    t = GoTime(dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second, dt.microsecond, tzinfo=tz)
    t.__dict__["_go_nanos"] = ns
    return t


def duration_to_wire(td: object) -> int:
    if isinstance(td, GoDuration):
        return td.nanoseconds
    if isinstance(td, timedelta):
        return ((td.days * 86_400 + td.seconds) * 1_000_000 + td.microseconds) * 1000
    raise TypeError(f"expected timedelta, got {type(td).__name__}")


def duration_from_wire(ns: int) -> GoDuration:
    d = GoDuration(microseconds=_trunc_us(ns))
    d.__dict__["_go_ns"] = ns
    return d
