"""usegolib: call Go libraries from Python, in-process.

>>> import usegolib
>>> calc = usegolib.import_("./examples/gocalc")      # a local Go module, built on first use
>>> calc.AddInt(1, 2)
3

``import_`` scans the module's exported API with Go's type checker, generates and builds a
c-shared bridge once (cached), loads it, and returns the package as a namespace. One Go runtime
per Go module per process; calls cross a versioned MessagePack ABI (docs/abi.md).
"""

from __future__ import annotations

import atexit
import faulthandler
import logging
import os
import sys
from pathlib import Path
from typing import Literal

from usegolib import _native
from usegolib._conflict import PackageConflictError  # raises it if the other usegolib is here
from usegolib._native import GoObject
from usegolib._package import GenericFunction, GoPackage, SkippedFunction, package_for
from usegolib._types import GoDuration, GoTime, Ref
from usegolib.errors import (
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

__version__: str = _native.__version__
ABI_VERSION: int = _native.ABI_VERSION
#: The standard-library packages every standard-library runtime holds (docs/adr/0023).
DEFAULT_STD_PACKAGES: tuple[str, ...] = _native.DEFAULT_STD_PACKAGES

__all__ = [
    "ABI_VERSION",
    "AbiVersionError",
    "AmbiguousArtifactError",
    "ArtifactNotFoundError",
    "BadResultError",
    "BuildError",
    "CacheError",
    "DEFAULT_STD_PACKAGES",
    "GenericFunction",
    "GoDuration",
    "GoError",
    "GoObject",
    "GoPackage",
    "GoTime",
    "GoPanicError",
    "LoadError",
    "ObjectClosedError",
    "PackageConflictError",
    "Ref",
    "SkippedFunction",
    "SymbolNotFoundError",
    "UnsupportedSignatureError",
    "UsegolibError",
    "VersionConflictError",
    "__version__",
    "default_artifact_dir",
    "host_objects_live",
    "import_",
    "load_artifact",
]

logger = logging.getLogger("usegolib")
logger.addHandler(logging.NullHandler())


def _keep_go_fault_handlers() -> None:
    """`faulthandler.enable()` after a Go library is loaded would replace the Go runtime's fault
    handlers, and a nil dereference in Go (a recoverable Go panic) would then kill the process.
    Wrap it so that the Go handlers go back on top afterwards."""
    original = faulthandler.enable
    if getattr(original, "__usegolib__", False):
        return

    def enable(*args: object, **kwargs: object) -> None:
        original(*args, **kwargs)  # type: ignore[arg-type]
        _native.restore_go_signal_handlers()

    enable.__doc__ = original.__doc__
    enable.__usegolib__ = True  # type: ignore[attr-defined]
    faulthandler.enable = enable


_keep_go_fault_handlers()

# At interpreter exit, Go goroutines that still call Python callables get an error (or zero
# values) instead of entering a finalizing interpreter (docs/abi.md section 10).
atexit.register(_native.host_close)


def host_objects_live() -> int:
    """How many Python callables (host objects) Go holds now: passed for func parameters and
    not yet released. Go releases them when its collector finds their wrappers unreachable."""
    return _native.host_objects_live()


BuildMode = Literal["never", "missing", "always"]


def _build_mode(build: bool | str) -> str:
    if build is True:
        return "missing"
    if build is False:
        return "never"
    if build in ("never", "missing", "always"):
        return build
    raise ValueError(f"build must be True, False, 'never', 'missing' or 'always', not {build!r}")


def _env_flag(name: str) -> bool:
    """Whether an environment switch is on: set, and not empty, "0", "false" or "no"."""
    return os.environ.get(name, "").strip().lower() not in ("", "0", "false", "no")


def _progress_printer(quiet: bool | None = None):
    """A callback that logs build phases (logger ``usegolib``) and prints them to stderr as
    plain lines (``usegolib: compile ...``), whatever stderr is (a terminal, a CI log, a
    notebook), unless ``quiet`` (None: ``USEGOLIB_QUIET``)."""
    if quiet is None:
        quiet = _env_flag("USEGOLIB_QUIET")

    def progress(line: str) -> None:
        logger.info("build: %s", line)
        if not quiet:
            print(f"usegolib: {line}", file=sys.stderr, flush=True)

    return progress


#: The file an artifact directory's last load touches: ``usegolib prune --days N`` removes
#: artifacts not loaded for N days (docs/adr/0030).
LAST_USED_FILE = "usegolib-last-used"
# Written by every build into its artifact directory (usegolib-loader builder.rs BUILDER_ID_FILE).
_BUILDER_ID_FILE = "usegolib-builder.id"
_STAMPED: set[str] = set()


def _stamp_used(artifact_dir: str) -> None:
    """Touches the artifact's last-used stamp, once per artifact and process; an artifact
    directory that cannot be written (a read-only install) is left as it is. Only a directory
    a build wrote (it has the builder's id file) is stamped: an artifact installed with a
    wheel is no cache entry, and a stamp there would be a file its RECORD does not list."""
    if artifact_dir in _STAMPED:
        return
    _STAMPED.add(artifact_dir)
    if not os.path.isfile(os.path.join(artifact_dir, _BUILDER_ID_FILE)):
        return
    try:
        # Private as everything in the cache, whatever the umask, and never through a link
        # (docs/adr/0002).
        fd = os.open(
            os.path.join(artifact_dir, LAST_USED_FILE),
            os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC,
            0o600,
        )
        try:
            os.utime(fd)
        finally:
            os.close(fd)
    except OSError:
        pass


def _resolve_relative(target: str | os.PathLike[str], depth: int) -> str:
    """A relative directory target (``./x``, ``../x``, ``.``, ``..``, or a relative ``Path``):
    the working directory's, else the one next to the file of the code that called ``import_``
    (``depth`` frames up). A target found in neither raises ``ArtifactNotFoundError`` naming
    both directories. Anything else is returned as it is."""
    t = os.fspath(target)
    relative = isinstance(target, os.PathLike) or t.startswith(("./", "../")) or t in (".", "..")
    if os.path.isabs(t) or not relative:
        return t
    cwd = os.getcwd()
    if os.path.isdir(os.path.join(cwd, t)):
        return os.path.abspath(t)
    tried = [cwd]
    try:
        caller = sys._getframe(depth + 1).f_globals.get("__file__")
    except ValueError:
        caller = None
    if isinstance(caller, str):
        here = os.path.dirname(os.path.abspath(caller))
        if os.path.isdir(os.path.join(here, t)):
            return os.path.normpath(os.path.join(here, t))
        tried.append(f"{here} (the directory of {caller})")
    raise ArtifactNotFoundError(
        f"no directory {t!r}: a relative target is looked up in the working directory, then "
        f"next to the calling file; tried {' and '.join(tried)}"
    )


def default_artifact_dir() -> str:
    """The default artifact root: ``$USEGOLIB_CACHE_DIR/artifacts``, else the platform's cache
    directory (``$XDG_CACHE_HOME/usegolib/artifacts`` or ``~/.cache/usegolib/artifacts`` on
    Linux)."""
    return _native.default_artifact_root()


def import_(
    target: str | os.PathLike[str],
    version: str | None = None,
    *,
    artifact_dir: str | os.PathLike[str] | None = None,
    build: bool | BuildMode = "missing",
    quiet: bool | None = None,
    verbose: bool | None = None,
    generics: list[str] | tuple[str, ...] = (),
    also: list[str] | tuple[str, ...] = (),
) -> GoPackage:
    """Import a Go package and return it as a namespace of its exported functions.

    ``target`` is a local directory (a module root or a package directory inside it), a module
    path, a package path inside a module, or ``path@version``. With ``version=None`` the version
    already loaded in this process is used, else the single cached one, else (for a remote
    module) ``@latest``; two cached candidates raise AmbiguousArtifactError.

    ``build``: ``"missing"`` (default, also ``True``) builds when there is no artifact, or when a
    local module's sources changed; ``"never"`` (``False``) only loads; ``"always"`` rebuilds.
    Remote modules are fetched with ``go mod download``, honouring GOPROXY, GOPRIVATE, GONOSUMDB
    and GOFLAGS.

    ``generics`` lists instantiations of generic functions to build, as ``"Keys[string,int64]"``
    (or ``"import/path.Keys[string,int64]"``); a local module's ``usegolib.json``
    (``{"generics": [...]}``) adds its own. Call them as ``pkg.Keys[str, int](...)``.

    A path whose first element has no dot (``"strings"``, ``"net/url"``) is a package of the Go
    standard library: no download, built once per installed Go version, and every standard
    package imported in this process shares one Go runtime. That runtime holds a default set of
    about fifty packages (``usegolib.DEFAULT_STD_PACKAGES``) plus the one asked for; a standard
    package outside it asked for after the first standard import raises VersionConflictError
    (name it with ``also=`` at the first import instead).

    ``also`` lists more packages to bridge into the target's runtime: for a standard package,
    more standard packages; for a module, standard-library and dependency packages whose types
    its API uses (``also=["bytes", "regexp"]``), then reachable as ``pkg.package("bytes")``, so
    that their Go objects and the module's share one runtime.

    A build prints its phases to stderr as plain lines, each phase when it starts and when it
    ends with its elapsed time (``usegolib: compile done in 12.3 s``), and a line when it waits
    for another process building the same artifact; ``quiet=True`` (or ``USEGOLIB_QUIET=1``)
    silences them; ``verbose=True`` (or ``USEGOLIB_VERBOSE=1``) also shows Go's own output
    (``go build -v``). The lines also go to the ``usegolib`` logger.

    A relative directory (``"./gocalc"``, ``"../go/calc"``) is looked up in the working
    directory, then next to the file of the code calling ``import_``.

    Ctrl-C while a build runs or waits for another process building the same artifact raises
    ``KeyboardInterrupt`` at once: the build's ``go`` processes are killed and the cache is left
    as it was. An untrustworthy cache directory raises ``CacheError``.
    """
    return _import(target, version, artifact_dir, build, quiet, verbose, generics, also, depth=1)


def _import(
    target: str | os.PathLike[str],
    version: str | None,
    artifact_dir: str | os.PathLike[str] | None,
    build: bool | BuildMode,
    quiet: bool | None,
    verbose: bool | None,
    generics: list[str] | tuple[str, ...],
    also: list[str] | tuple[str, ...],
    *,
    depth: int,
) -> GoPackage:
    """``import_``, the caller of a relative target ``depth`` frames above this one."""
    t = _resolve_relative(target, depth + 1)
    if isinstance(target, Path) or (os.path.isdir(t) and not t.startswith(("/", "."))):
        t = os.path.abspath(t)
    root = os.fspath(artifact_dir) if artifact_dir is not None else None
    if verbose is None:
        verbose = _env_flag("USEGOLIB_VERBOSE")
    module, package = _native.import_module(
        t,
        version,
        root,
        _build_mode(build),
        _progress_printer(quiet),
        list(generics),
        list(also),
        verbose,
    )
    _native.restore_go_signal_handlers()
    _stamp_used(module.artifact_dir)
    return package_for(module, package)


def load_artifact(path: str | os.PathLike[str], package: str | None = None) -> GoPackage:
    """Load a built artifact directory (or its manifest.json) and return one of its packages
    (by default the module's root package, else its first package)."""
    module = _native.load_artifact(os.fspath(path))
    pkgs = module.packages()
    if package is None:
        package = module.path if module.path in pkgs else (pkgs[0] if pkgs else module.path)
    return package_for(module, package)
