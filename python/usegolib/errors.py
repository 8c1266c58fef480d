"""The usegolib exception hierarchy (all defined in the native module).

``UsegolibError`` is the base of everything usegolib raises, except ``TypeError`` and
``OverflowError`` for arguments that do not fit their Go parameters.
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
