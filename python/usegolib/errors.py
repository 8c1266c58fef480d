"""The usegolib exception hierarchy. The classes are made by the native module; this module
and ``usegolib`` re-export them, and their ``__module__`` is ``usegolib``: a traceback prints
``usegolib.LoadError``, and they pickle by that name.

``UsegolibError`` is the base of everything usegolib raises, except these, for arguments that
do not fit their Go parameters (each message names the function, the argument and where in it):

- ``TypeError``: a value of the wrong type (and a handle Go does not know, ``bad_argument``);
- ``OverflowError``: a number out of the range of its Go type;
- ``ValueError``: a value nested deeper than the wire's 64 levels (docs/abi.md section 6), or
  one that contains itself (a cycle; the message shows the path that comes back);
- ``RuntimeError``: a list or dict that Python code run by the conversion (a ``__float__``
  method, a property, a time zone) changed in size while it was being converted.

``ObjectClosedError`` is raised for a Go object that was closed, also when another thread
closed it while a call using it was on its way to Go, and when Go no longer holds a released
handle (``unknown_handle``). ``BadResultError`` is raised when Go returns a value the wire
cannot carry (nested deeper than 64 levels, cyclic, or something inside ``any`` with no wire
form). ``VersionConflictError`` is raised when two versions of one module are asked for at once:
one already loaded and another, or ``path@v1`` with ``version="v2"``, or a local directory
(always version ``"local"``) with a version.

``GoError`` is a Go error as Go users use it (docs/adr/0021-go-error-values.md): ``message``,
``go_type`` and ``function``; ``wrapped``, the errors its ``Unwrap`` gives (one for ``%w``,
several for ``errors.Join``), the first also its ``__cause__``; ``is_(sentinel)``, Go's
``errors.Is``; ``go_value``, the concrete Go value; ``as_(cls)``, the first error of the chain
whose concrete type is ``cls``, as ``errors.As`` walks it. It holds its Go value until it is
dropped. Every exception here pickles with its fields; a ``GoError`` carries its chain as
plain data, without Go values (see ``GoError.is_``).
"""

from __future__ import annotations

import sys
import threading
from typing import Any

from usegolib import _native
from usegolib._native import (
    AbiVersionError,
    AmbiguousArtifactError,
    ArtifactNotFoundError,
    BadResultError,
    BuildError,
    CacheError,
    GoError,
    GoPanicError,
    LoadError,
    ObjectClosedError,
    SymbolNotFoundError,
    UnsupportedSignatureError,
    UsegolibError,
    VersionConflictError,
)

__all__ = [
    "AbiVersionError",
    "AmbiguousArtifactError",
    "ArtifactNotFoundError",
    "BadResultError",
    "BuildError",
    "CacheError",
    "GoError",
    "GoPanicError",
    "LoadError",
    "ObjectClosedError",
    "SymbolNotFoundError",
    "UnsupportedSignatureError",
    "UsegolibError",
    "VersionConflictError",
]


# GoError's methods (the class is made by the native module, which gives each instance its
# fields, its chain and, for an error from Go, ``_go``: the Go object holding the error value).
_DEFAULTS: dict[str, Any] = {
    "message": "",
    "go_type": "",
    "function": "",
    "_go": None,
    "_key": "",
}

# The interpreter's own __cause__ slot, which GoError's __cause__ property reads and writes.
_CAUSE: Any = BaseException.__dict__["__cause__"]


def _wrapped(self: Any) -> tuple[Any, ...]:
    """The errors this one wraps (its ``Unwrap``: one for ``%w``, several for ``errors.Join``),
    as ``GoError``s. A raised ``GoError`` asks Go for its chain the first time this (or
    ``__cause__``, ``unwrap()``, ``as_()``, pickling) needs it, so that raising stays cheap."""
    w = self.__dict__.get("_wrapped")
    if w is None:
        if self._go is None:
            return ()
        _native._error_chain(self)
        w = self.__dict__["_wrapped"]
        # The errors of the chain were made now, maybe while an exception is handled (often
        # this very one): the interpreter then set their __context__ to it, a cycle that
        # pickling the causes and contexts (tblib, as Dask does) would follow forever. They
        # were never raised: no context.
        for e in _walk(self)[1:]:
            e.__context__ = None
    return w  # type: ignore[no-any-return]


def _set_wrapped(self: Any, value: Any) -> None:
    self.__dict__["_wrapped"] = tuple(value)


def _cause(self: Any) -> Any:
    """The exception's cause: the first error this one wraps (known once ``wrapped`` is),
    unless a cause was set."""
    c = _CAUSE.__get__(self)
    if c is None and "_wrapped" not in self.__dict__ and self._go is not None:
        try:
            self.wrapped  # noqa: B018 (sets the causes of the chain)
        except UsegolibError:
            return None  # a traceback being printed must not fail (e.g. after a fork)
        c = _CAUSE.__get__(self)
    return c


def _set_cause(self: Any, value: Any) -> None:
    _CAUSE.__set__(self, value)


def _walk(err: Any) -> list[Any]:
    """The chain depth first, the error itself first: the order of errors.Is and errors.As."""
    out, stack = [], [err]
    while stack:
        e = stack.pop()
        out.append(e)
        stack.extend(reversed(e.wrapped))
    return out


def _is(self: Any, target: Any) -> bool:
    """Go's ``errors.Is(err, target)``: whether an error of this chain is ``target`` (a sentinel
    such as ``io.EOF`` or ``pkg.ErrNotFound``), run in Go, so wrapping (``%w``,
    ``errors.Join``) and custom ``Is`` methods behave exactly as in Go.

    ``target`` must be a ``GoError`` from the same Go module (runtime), or None (a nil
    sentinel: False, as errors.Is(err, nil) is for an error): anything else is a TypeError.
    A ``GoError`` that was unpickled holds no Go value; it then compares the Go type and
    message of each error of its chain with the target's (custom ``Is`` methods cannot
    run)."""
    if target is None:
        return False
    if not isinstance(target, GoError):
        raise TypeError(
            f"is_() takes a Go error (a GoError, such as a package's sentinel error), "
            f"got {type(target).__name__}"
        )
    go: Any = target._go  # type: ignore[attr-defined]
    if go is None:
        raise TypeError(
            f"the target error {target.go_type} {str(target)!r} holds no Go value (it was "
            f"unpickled or not made by Go): errors.Is needs the sentinel itself"
        )
    if self._go is None:
        return any(e.go_type == target.go_type and e.message == target.message for e in _walk(self))
    return _native._error_is(self._go, go)


def _go_value(self: Any) -> Any:
    """The concrete Go value of this error: a Go object of its type (``*MyErr`` or ``MyErr``,
    held through a pointer), with its methods and fields, when the type is one of the module's
    Go object types; else this GoError itself. None for an error without a Go value
    (unpickled)."""
    cached = self.__dict__.get("_go_value")
    if cached is not None:
        return cached
    if self._go is None:
        return None
    value = _native._error_value(self._go, self._key) if self._key else None
    if value is None:
        value = self
    self.__dict__["_go_value"] = value
    return value


def _as(self: Any, cls: type) -> Any:
    """Like Go's ``errors.As``: the ``go_value`` of the first error of the chain (the error
    itself, then what it wraps, depth first) whose concrete type is the Go type of ``cls`` (a
    Go object class of a package, such as ``pkg.MyErr``), or None. The concrete type is
    compared, as errors.As does for a concrete target type; custom ``As`` methods are not
    called."""
    key = getattr(cls, "__usegolib_key__", None)
    if not isinstance(cls, type) or key is None:
        raise TypeError(f"as_() takes a Go type's class (such as pkg.MyErr), got {cls!r}")
    for e in _walk(self):
        if e._key == key:
            return e.go_value
    return None


def _unwrap(self: Any) -> Any:
    """Go's ``errors.Unwrap``: the error this one wraps when it wraps exactly one (``%w``),
    else None (``errors.Join`` and several ``%w``: see ``wrapped``)."""
    return self.wrapped[0] if len(self.wrapped) == 1 else None


def _restore(args: tuple[Any, ...], chain: list[tuple[str, str, str, str, int]]) -> Any:
    """Unpickles a GoError pickled by an earlier release (its chain as a flat list)."""
    errs: list[Any] = []
    for message, go_type, key, function, _ in chain:
        e: Any = GoError(*args) if not errs else GoError(message)
        e.message, e.go_type, e._key, e.function = message, go_type, key, function
        errs.append(e)
    for i, e in enumerate(errs):
        e.wrapped = tuple(errs[j] for j, n in enumerate(chain) if n[4] == i)
        if e.wrapped:
            e.__cause__ = e.wrapped[0]
    return errs[0]


def _restore_error(
    args: tuple[Any, ...], fields: tuple[str, str, str, str], wrapped: tuple[Any, ...]
) -> Any:
    """Unpickles a GoError: its fields and the errors it wraps (each unpickled the same way),
    without Go values."""
    e: Any = GoError(*args)
    e.message, e.go_type, e._key, e.function = fields
    e.wrapped = wrapped
    if wrapped:
        e.__cause__ = wrapped[0]
    return e


def _reduce(self: Any) -> tuple[Any, ...]:
    """Pickles the fields and the wrapped errors (as GoErrors: a reduction that also pickles
    ``__cause__``, as tblib's does under Dask, finds the same object in pickle's memo); the Go
    values stay in this process. (Pickles made by ``_restore`` still load.)"""
    fields = (self.message, self.go_type, self._key, self.function)
    return (_restore_error, (self.args, fields, tuple(self.wrapped)))


for _name, _value in {
    **_DEFAULTS,
    "is_": _is,
    "as_": _as,
    "unwrap": _unwrap,
    "go_value": property(_go_value),
    "wrapped": property(_wrapped, _set_wrapped),
    "__cause__": property(_cause, _set_cause),
    "__reduce__": _reduce,
}.items():
    setattr(GoError, _name, _value)


# The interpreter's own printer of an uncaught exception reads the cause slot directly, not the
# __cause__ property (before Python 3.13, which prints through the traceback module): the
# default hooks are wrapped so that the GoErrors about to be printed fill their causes first.
# A hook the program set itself is left alone.
def _fill_causes(exc: Any) -> None:
    seen: set[int] = set()
    stack = [exc]
    while stack:
        e = stack.pop()
        if not isinstance(e, BaseException) or id(e) in seen:
            continue
        seen.add(id(e))
        stack += [e.__cause__, e.__context__, *getattr(e, "exceptions", ())]


def _fill_causes_quietly(exc: Any) -> None:
    try:
        _fill_causes(exc)
    except Exception:  # noqa: BLE001, S110 - printing the exception must go on
        pass


def _excepthook(tp: Any, value: Any, tb: Any) -> None:
    _fill_causes_quietly(value)
    sys.__excepthook__(tp, value, tb)


def _thread_excepthook(args: Any) -> None:
    _fill_causes_quietly(args.exc_value)
    threading.__excepthook__(args)


if sys.version_info < (3, 13):
    if sys.excepthook is sys.__excepthook__:
        sys.excepthook = _excepthook
    if threading.excepthook is threading.__excepthook__:
        threading.excepthook = _thread_excepthook
