"""The usegolib exception hierarchy. The classes are made by the native module, but this is
their home: their ``__module__`` is ``usegolib.errors``, so they pickle and print by this name.

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
"""

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
