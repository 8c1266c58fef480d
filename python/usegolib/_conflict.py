"""Detects the other ``usegolib``: the PyPI project named ``usegolib`` is a different project
(this one is distributed as ``usegolib-py``), and both install a top-level ``usegolib``
package. Installed into the same directory, each overwrites the other's files and uninstalling
either deletes files of both, so ``import usegolib`` refuses to go on when it finds the other
project's files beside its own (docs/adr/0029-go-backed-wheels.md).

Only the other project's own marks count, so that a file this package adds later never trips
the check: names in its ``usegolib/`` directory that this package never ships, and a
``usegolib`` ``.dist-info``/``.egg-info`` in the directory that holds ``usegolib/``."""

from __future__ import annotations

import os

#: Files and directories of the other project's ``usegolib/`` package (its 0.1.0 release) that
#: this package never ships. Keep it so: a module of ours must not take one of these names.
#: (It also ships handle.py and typed.py, left out as names a module of ours might take.)
PEER_MARKERS = (
    "bindgen.py",
    "builder",
    "importer.py",
    "packager",
    "paths.py",
    "runtime",
)


class PackageConflictError(ImportError):
    """The PyPI project ``usegolib`` (a different project) is installed in the same directory
    as this package (``usegolib-py``); the message names what was found and how to fix it."""

    __module__ = "usegolib"


def _peer_metadata(name: str) -> bool:
    """Whether a directory entry is installation metadata of a distribution named exactly
    ``usegolib`` (ours is ``usegolib_py-<version>.dist-info``)."""
    lower = name.lower()
    for suffix in (".dist-info", ".egg-info"):
        if lower.endswith(suffix):
            return lower[: -len(suffix)].split("-", 1)[0] == "usegolib"
    return False


def check(package_dir: str) -> None:
    """Raises PackageConflictError when the other project's files are in ``package_dir`` (this
    package's directory) or its metadata beside it."""
    found = [
        os.path.join(package_dir, m)
        for m in PEER_MARKERS
        if os.path.exists(os.path.join(package_dir, m))
    ]
    site = os.path.dirname(package_dir)
    try:
        entries = os.listdir(site)
    except OSError:
        entries = []
    found += sorted(os.path.join(site, e) for e in entries if _peer_metadata(e))
    if not found:
        return
    raise PackageConflictError(
        "the PyPI project 'usegolib' (a different project from this one, which is distributed "
        f"as 'usegolib-py') is installed in {site}: found {', '.join(found)}. Both install a "
        "top-level 'usegolib' package, so in one directory each overwrites the other's files. "
        "Fix: python -m pip uninstall -y usegolib usegolib-py, then install usegolib-py again "
        "(pip install path/to/usegolib_py-*.whl, or pip install path/to/the/usegolib/checkout); "
        "keep the other project in another virtual environment"
    )


check(os.path.dirname(os.path.abspath(__file__)))
