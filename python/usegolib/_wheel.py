"""``usegolib package``: a platform wheel that installs a Go module as a normal Python package.

The wheel holds the built artifact (the c-shared library and its manifest), one generated
Python module per Go package of the module (``import mymod``, ``import mymod.sub``), its
``.pyi`` stubs and ``py.typed``. The installed package loads its bundled artifact with
``usegolib.load_artifact`` (the manifest's library SHA-256, ABI and schema checked as for a
cached artifact; no Go toolchain needed). Its platform tag comes from the glibc symbol versions
the library needs (docs/adr/0029-go-backed-wheels.md); the zip is written here, byte for byte
reproducible (sorted entries, fixed timestamps from ``SOURCE_DATE_EPOCH``, fixed modes).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import re
import stat
import struct
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Imported for its check: a packaged module in an environment where the other PyPI `usegolib`
# replaced our __init__.py gets PackageConflictError, not a puzzling missing name.
from usegolib import _conflict, _native  # noqa: F401
from usegolib._stubs import docstring_text, own_packages, python_name

#: The directory of the bundled artifact inside the installed package.
ARTIFACT_DIR = "_go"
#: The distribution that carries the ``usegolib`` import package (not ``usegolib`` on PyPI).
RUNTIME_DIST = "usegolib-py"


def requires_python() -> str:
    """What the generated package requires of Python: what the installed usegolib-py requires
    (pyproject.toml), else usegolib-py 0.1.0's floor when it runs from a source tree."""
    from importlib.metadata import PackageNotFoundError, metadata

    try:
        return metadata(RUNTIME_DIST)["Requires-Python"] or ">=3.10"
    except PackageNotFoundError:
        return ">=3.10"


# glibc's own libraries: a library that needs only these (at GLIBC_2.N symbol versions) runs on
# every Linux whose glibc is 2.N or newer, which is what a manylinux_2_N tag promises (PEP 600).
_GLIBC_LIBS = frozenset(
    {
        "libc.so.6",
        "libm.so.6",
        "libdl.so.2",
        "librt.so.1",
        "libpthread.so.0",
        "libutil.so.1",
        "libresolv.so.2",
        "libnsl.so.1",
        "ld-linux-x86-64.so.2",
        "ld-linux-aarch64.so.1",
    }
)
_ELF_MACHINES = {62: "x86_64", 183: "aarch64"}
_GOARCH = {"amd64": "x86_64", "arm64": "aarch64"}


class PackageError(ValueError):
    """``usegolib package`` cannot make the wheel asked for; the message says what to change."""


# --- what the library needs: DT_NEEDED and the GNU version-needed section ----------------------


@dataclass
class ElfNeeds:
    machine: str | None
    #: DT_NEEDED entries.
    libraries: list[str]
    #: Symbol versions needed, by library file (GLIBC_2.34, ...).
    versions: dict[str, list[str]]


def _cstr(data: bytes, off: int) -> str:
    end = data.index(b"\0", off)
    return data[off:end].decode("ascii", "replace")


def elf_needs(path: str | os.PathLike[str]) -> ElfNeeds:
    """The machine, needed libraries and needed symbol versions of a 64-bit little-endian ELF
    shared library, from its section headers (``.dynamic`` and ``.gnu.version_r``)."""
    data = Path(path).read_bytes()
    if data[:4] != b"\x7fELF" or data[4:6] != b"\x02\x01":
        raise PackageError(f"{path} is not a 64-bit little-endian ELF library")
    try:
        return _elf_needs(data)
    except (struct.error, IndexError, ValueError) as e:
        # An offset or count past the end of the file: a truncated or damaged library.
        raise PackageError(
            f"{path} is a damaged ELF library ({e}): rebuild it (usegolib package --force)"
        ) from None


def _elf_needs(data: bytes) -> ElfNeeds:
    (machine,) = struct.unpack_from("<H", data, 18)
    (shoff,) = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = [
        struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)
    ]

    def strtab(index: int) -> int:
        return sections[index][4]  # sh_offset of the linked string table

    libraries: list[str] = []
    versions: dict[str, list[str]] = {}
    for _name, sh_type, _fl, _addr, offset, size, link, info, _al, entsize in sections:
        if sh_type == 6:  # SHT_DYNAMIC: (d_tag, d_val) pairs; DT_NEEDED = 1
            for off in range(offset, offset + size, entsize or 16):
                tag, val = struct.unpack_from("<qQ", data, off)
                if tag == 0:
                    break
                if tag == 1:
                    libraries.append(_cstr(data, strtab(link) + val))
        elif sh_type == 0x6FFFFFFE:  # SHT_GNU_verneed: info entries, each with its aux list
            off = offset
            for _ in range(info):
                _ver, cnt, file, aux, nxt = struct.unpack_from("<HHIII", data, off)
                names = versions.setdefault(_cstr(data, strtab(link) + file), [])
                a = off + aux
                for _ in range(cnt):
                    _hash, _flags, _other, name, anext = struct.unpack_from("<IHHII", data, a)
                    names.append(_cstr(data, strtab(link) + name))
                    a += anext
                off += nxt
    return ElfNeeds(_ELF_MACHINES.get(machine), libraries, versions)


def platform_tag(library: str | os.PathLike[str], goarch: str) -> tuple[str, str | None]:
    """The wheel platform tag of a Linux library and, when it is not a manylinux tag, why.

    ``manylinux_2_N_<arch>`` when the library needs only glibc's own libraries, at GLIBC_2.x
    symbol versions whose newest is 2.N; else ``linux_<arch>`` (pip installs it only on this
    kind of machine, honestly: nothing proves which Linux systems can load it)."""
    needs = elf_needs(library)
    arch = needs.machine or _GOARCH.get(goarch)
    if arch is None:
        raise PackageError(f"no wheel platform tag for GOARCH={goarch} (x86_64 and aarch64 only)")
    others = sorted(set(needs.libraries) - _GLIBC_LIBS)
    if others:
        return f"linux_{arch}", f"the library needs {', '.join(others)} beyond glibc"
    newest = (2, 0)
    for lib, names in sorted(needs.versions.items()):
        for name in names:
            m = re.fullmatch(r"GLIBC_(\d+)\.(\d+)(?:\.\d+)?", name)
            if m is None:
                return f"linux_{arch}", f"the library needs {name} of {lib}"
            newest = max(newest, (int(m[1]), int(m[2])))
    if newest[0] != 2 or not needs.versions:
        return f"linux_{arch}", "no glibc symbol versions found in the library"
    # pip knows no manylinux tag older than the first glibc of the architecture's manylinux
    # (manylinux1 = glibc 2.5 on x86_64, manylinux2014 = 2.17 on aarch64): a library needing
    # only older symbols is tagged with that floor, which every such system has.
    return f"manylinux_2_{max(newest[1], _MANYLINUX_FLOOR[arch])}_{arch}", None


_MANYLINUX_FLOOR = {"x86_64": 5, "aarch64": 17}


# --- names and versions -------------------------------------------------------------------------

_PEP440 = re.compile(
    r"(\d+!)?\d+(\.\d+)*((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?(\+[a-z0-9]+(\.[a-z0-9]+)*)?"
)
_DIST_NAME = re.compile(r"[a-z0-9]([a-z0-9._-]*[a-z0-9])?", re.IGNORECASE)


def default_name(module: str) -> str:
    """The distribution name of a module by default: its last path element that is not a major
    version suffix (``example.com/calc/v2`` -> ``calc``)."""
    parts = module.split("/")
    while len(parts) > 1 and re.fullmatch(r"v\d+", parts[-1]):
        parts.pop()
    return parts[-1]


def _check_name(name: str, chosen: bool = True) -> str:
    """The import name of a distribution name, or PackageError: never a standard library
    module's, and, for a default name (``chosen`` false), none another installed distribution
    provides (a wheel of the same name that usegolib made is the one being rebuilt)."""
    if not _DIST_NAME.fullmatch(name):
        raise PackageError(f"--name {name!r} is no distribution name (letters, digits, . _ -)")
    import_name = python_name(re.sub(r"[-_.]+", "_", name).lower())
    if import_name == "usegolib":
        raise PackageError("--name usegolib would shadow usegolib itself: choose another name")
    if import_name in sys.stdlib_module_names:
        raise PackageError(
            f"the name {name!r} would install the package {import_name}, which would shadow the "
            "standard library module of that name: choose another with --name"
        )
    if not chosen:
        from importlib import metadata

        owners = metadata.packages_distributions().get(import_name, [])
        others = sorted({d for d in owners if not _rebuilt_by_usegolib(d, name)})
        if others:
            raise PackageError(
                f"the default name {name!r} would install the package {import_name}, which the "
                f"installed distribution {', '.join(others)} provides: choose a name with --name"
            )
    return import_name


def _rebuilt_by_usegolib(dist: str, name: str) -> bool:
    """Whether the installed distribution ``dist`` is a wheel usegolib made, named ``name``."""
    from importlib import metadata

    def norm(n: str) -> str:
        return re.sub(r"[-_.]+", "-", n).lower()

    if norm(dist) != norm(name):
        return False
    try:
        wheel = metadata.distribution(dist).read_text("WHEEL") or ""
    except metadata.PackageNotFoundError:
        return False
    return "\nGenerator: usegolib " in "\n" + wheel


def dist_version(version: str | None, module_version: str) -> str:
    """The wheel's version: ``--version``, else the module's release version without its ``v``.
    A local module, a pseudo-version or a pre-release Go spells otherwise needs ``--version``."""
    if version is None:
        if module_version == "local":
            raise PackageError("a local module has no version: pass --version (e.g. 0.1.0)")
        version = module_version.removeprefix("v")
        if not _PEP440.fullmatch(version):
            raise PackageError(
                f"the module version {module_version} is no Python version (PEP 440): "
                "pass --version"
            )
    if not _PEP440.fullmatch(version):
        raise PackageError(f"--version {version!r} is no Python version (PEP 440), e.g. 1.2.0")
    return version


def runtime_requirement() -> str:
    """The usegolib-py releases that load what this one builds: the same manifest and ABI
    versions, which change only with a new minor release while the major is 0, a new major
    after (docs/adr/0029)."""
    parts = [int(p) for p in re.findall(r"\d+", _native.__version__)[:3]]
    major, minor = parts[0], parts[1]
    upper = f"{major}.{minor + 1}" if major == 0 else f"{major + 1}"
    return f"{RUNTIME_DIST}>={_native.__version__},<{upper}"


# --- the generated package ----------------------------------------------------------------------


def bind(ns: dict[str, Any], go_path: str, depth: int) -> None:
    """Fills a generated module's namespace with the Go package ``go_path`` of the artifact
    bundled ``depth`` directories above it: its functions, classes, constants and generic
    functions as attributes, package variables read on access (module ``__getattr__``)."""
    from usegolib import load_artifact
    from usegolib._stubs import fill_namespace

    here = Path(ns["__file__"]).parent
    for _ in range(depth):
        here = here.parent
    pkg = load_artifact(here / ARTIFACT_DIR, go_path)
    fill_namespace(ns, pkg, {"package": pkg.package, "go_package": pkg})


def _module_text(go_path: str | None, module: Any, depth: int) -> str:
    if go_path is None:
        return (
            f'"""Packages of the Go module {module.path}, packaged by usegolib."""\n'
            "# Generated by `usegolib package`. Do not edit.\n"
        )
    doc = docstring_text(module.package_doc(go_path) or "")
    head = f"The Go package {go_path} ({module.path} {module.version}), packaged by usegolib."
    return (f'"""{head}\n\n{doc}\n"""\n' if doc else f'"""{head}"""\n') + (
        "# Generated by `usegolib package`. Do not edit.\n"
        "from usegolib._wheel import bind as _bind\n\n"
        f"_bind(globals(), {go_path!r}, {depth})\n"
    )


def _stub_text(go_path: str, module: Any) -> str:
    from usegolib._stubs import render

    extra = (
        "\nfrom usegolib import GoPackage\n\n"
        "go_package: GoPackage\n"
        "def package(path: str) -> GoPackage: ...\n"
    )
    return render(module, go_path).rstrip() + "\n" + extra


def package_files(module: Any, import_name: str) -> dict[str, bytes]:
    """The Python files of the package: one ``__init__.py`` (and ``.pyi``) per Go package of
    the module, placed by its path inside the module; directories between them are plain
    packages."""
    files: dict[str, bytes] = {f"{import_name}/py.typed": b""}
    mine = own_packages(module)
    dirs: dict[tuple[str, ...], str | None] = {(): None}
    for p in mine:
        rel = tuple(python_name(x) for x in p[len(module.path) :].split("/") if x)
        for i in range(len(rel)):
            dirs.setdefault(rel[:i], None)
        if rel[:1] == (ARTIFACT_DIR,):
            raise PackageError(f"the Go package {p} would take the place of the artifact")
        if dirs.get(rel) is not None:
            raise PackageError(f"two Go packages map to the Python module {'.'.join(rel)}")
        dirs[rel] = p
    for rel, go_path in sorted(dirs.items()):
        base = "/".join((import_name, *rel))
        files[f"{base}/__init__.py"] = _module_text(go_path, module, len(rel)).encode()
        if go_path is not None:
            files[f"{base}/__init__.pyi"] = _stub_text(go_path, module).encode()
    return files


# --- the wheel ----------------------------------------------------------------------------------


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return f"sha256={digest.decode()}"


def _metadata(
    name: str,
    version: str,
    module: Any,
    manifest: dict[str, Any],
    import_name: str,
    license: str | None,
) -> str:
    packages = own_packages(module)
    lines = [
        "Metadata-Version: 2.4",
        f"Name: {name}",
        f"Version: {version}",
        f"Summary: The Go module {module.path} as a Python package, built with usegolib",
        "Classifier: Operating System :: POSIX :: Linux",
        "Classifier: Programming Language :: Go",
        "Classifier: Programming Language :: Python :: 3",
        "Classifier: Typing :: Typed",
    ]
    if license:
        lines.append(f"License-Expression: {license}")
    lines += [
        f"Requires-Python: {requires_python()}",
        f"Requires-Dist: {runtime_requirement()}",
        "Description-Content-Type: text/markdown",
        "",
        f"# {name}",
        "",
        f"The Go module `{module.path}` ({module.version}, built with {manifest['go_version']}) "
        f"packaged by usegolib {_native.__version__} (`usegolib package`). It needs no Go "
        f"toolchain: the Go code is a c-shared library inside the package, called in-process "
        f"through `{RUNTIME_DIST}`.",
        "",
        "```python",
        f"import {import_name}",
        "```",
        "",
        "Go packages: " + ", ".join(f"`{p}`" for p in packages) + ".",
        "",
    ]
    return "\n".join(lines)


def _epoch() -> int:
    """Timestamps of the entries: ``SOURCE_DATE_EPOCH``, else 1980-01-01 (zip's first day)."""
    raw = os.environ.get("SOURCE_DATE_EPOCH")
    if raw is None:
        return 315532800
    try:
        return max(int(raw), 315532800)
    except ValueError:
        raise PackageError(f"SOURCE_DATE_EPOCH={raw!r} is not a number of seconds") from None


def write_wheel(path: Path, files: dict[str, tuple[bytes, int]], dist_info: str) -> None:
    """Writes the zip: package files sorted, then the .dist-info files with RECORD last, every
    entry with the same timestamp, a fixed mode and deflate compression."""
    date_time = time.gmtime(_epoch())[:6]
    record = [f"{n},{_record_hash(d)},{len(d)}" for n, (d, _m) in sorted(files.items())]
    record.append(f"{dist_info}/RECORD,,")
    entries = sorted(files.items(), key=lambda kv: (kv[0].startswith(dist_info + "/"), kv[0]))
    entries.append((f"{dist_info}/RECORD", (("\n".join(record) + "\n").encode(), 0o644)))
    tmp = path.with_name(path.name + ".part")
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name, (data, mode) in entries:
                info = zipfile.ZipInfo(name, date_time)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.create_system = 3  # Unix, so that the mode below counts
                info.external_attr = (stat.S_IFREG | mode) << 16
                zf.writestr(info, data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def build_wheel(
    target: str,
    *,
    name: str | None = None,
    version: str | None = None,
    out: str | os.PathLike[str] = ".",
    module_version: str | None = None,
    generics: list[str] | tuple[str, ...] = (),
    also: list[str] | tuple[str, ...] = (),
    license: str | None = None,
    artifact_dir: str | os.PathLike[str] | None = None,
    force: bool = False,
    progress: Any = None,
    warn: Any = None,
    verbose: bool = False,
) -> Path:
    """Builds (or reuses) the artifact of ``target`` and writes its wheel into ``out``; returns
    the wheel's path. ``warn(text)`` is told when the wheel cannot be tagged manylinux."""
    target, module_version = _native.split_version(target, module_version)
    # What can be refused before building is refused before building.
    if license is not None and not re.fullmatch(r"[A-Za-z0-9.+:() -]+", license):
        raise PackageError(
            f"--license {license!r} is no SPDX expression (e.g. 'MIT OR Apache-2.0')"
        )
    if name is not None:
        _check_name(name)
    if version is not None or os.path.isdir(target):
        dist_version(version, "local")
    if os.path.isdir(target):
        target = os.path.abspath(target)
    root = os.fspath(artifact_dir) if artifact_dir is not None else None
    directory, _package = _native.build_target(
        target, module_version, root, force, progress, list(generics), list(also), verbose
    )
    module = _native.load_artifact(directory)
    manifest = json.loads(module.manifest_json())
    if manifest["goos"] != "linux":
        raise PackageError(f"wheels are made for Linux libraries only, not GOOS={manifest['goos']}")
    if module.path == "std" or not own_packages(module):
        raise PackageError(
            f"the artifact of {module.path} holds none of the module's own packages "
            "(the standard library is not packaged: import_ builds it where Go is installed)"
        )
    chosen = name is not None
    name = name or default_name(module.path)
    import_name = _check_name(name, chosen=chosen)
    version = dist_version(version, module.version)
    library = Path(directory) / manifest["library"]["file"]
    tag, why = platform_tag(library, manifest["goarch"])
    if why is not None and warn is not None:
        warn(f"tagged {tag}, not manylinux: {why}")
    # The build machine's directory is no part of the installed artifact (nor of its bytes).
    manifest.pop("source_dir", None)
    art = f"{import_name}/{ARTIFACT_DIR}"
    files: dict[str, tuple[bytes, int]] = {
        f"{art}/manifest.json": ((json.dumps(manifest, indent=2) + "\n").encode(), 0o644),
        f"{art}/{library.name}": (library.read_bytes(), 0o755),
    }
    for fname, data in package_files(module, import_name).items():
        files[fname] = (data, 0o644)
    escaped = re.sub(r"[-_.]+", "_", name).lower()
    dist_info = f"{escaped}-{version}.dist-info"
    wheel_meta = (
        "Wheel-Version: 1.0\n"
        f"Generator: usegolib {_native.__version__}\n"
        "Root-Is-Purelib: false\n"
        f"Tag: py3-none-{tag}\n"
    )
    files[f"{dist_info}/METADATA"] = (
        _metadata(name, version, module, manifest, import_name, license).encode(),
        0o644,
    )
    files[f"{dist_info}/WHEEL"] = (wheel_meta.encode(), 0o644)
    files[f"{dist_info}/top_level.txt"] = (f"{import_name}\n".encode(), 0o644)
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{escaped}-{version}-py3-none-{tag}.whl"
    write_wheel(path, files, dist_info)
    return path


# --- the command --------------------------------------------------------------------------------


def cmd_package(args: argparse.Namespace) -> int:
    from usegolib import _progress_printer
    from usegolib.cli import _verbose

    def warn(text: str) -> None:
        print(f"usegolib: warning: {text}", file=sys.stderr)

    path = build_wheel(
        args.target,
        name=args.name,
        version=args.version,
        out=args.out,
        generics=args.generic,
        also=args.also,
        license=args.license,
        artifact_dir=args.artifact_dir,
        force=args.force,
        progress=_progress_printer(args.quiet or None),
        warn=warn,
        verbose=_verbose(args),
    )
    print(path)
    return 0
