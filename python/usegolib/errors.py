"""The usegolib exception hierarchy (all defined in the native module).

``UsegolibError`` is the base of everything usegolib raises, except these, for arguments that
do not fit their Go parameters (each message names the function, the argument and where in it):

- ``TypeError``: a value of the wrong type (and a handle Go does not know, ``bad_argument``);
- ``OverflowError``: a number out of the range of its Go type;
- ``ValueError``: a value nested deeper than the wire's 64 levels (docs/abi.md section 6), or
  one that contains itself (a cycle; the message shows the path that comes back);
- ``RuntimeError``: a list or dict that Python code run by the conversion (a ``__float__``
  method, a property, a time zone) changed in size while it was being converted.

``ObjectClosedError`` is raised for a Go object that was closed, also when another thread
closed it while a call using it was on its way to Go.
"""

from usegolib._native import (
    AbiVersionError,
    AmbiguousArtifactError,
    ArtifactNotFoundError,
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
