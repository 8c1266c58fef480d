"""The ``usegolib`` command line: build, list, rm, prune, show, stubs, generate, package, doctor,
version.

Every failure prints one line (``usegolib: error: ...``) and exits non-zero; build output from the
Go toolchain follows that line when there is any. Ctrl-C prints one line and exits 130; a closed
pipe (``usegolib show X | head``) ends quietly with 141, as a process killed by SIGPIPE. The
global options (``--artifact-dir``, ``-q``, ``-v``) are accepted before or after the subcommand.

The rules of targets, versions, go.mod files, the artifact layout and the Go toolchain are the
loader's (usegolib-loader, through ``_native``): this module only parses arguments and prints.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

from usegolib import (
    LAST_USED_FILE,
    _env_flag,
    _native,
    _progress_printer,
    default_artifact_dir,
    import_,
)
from usegolib.errors import BuildError, UsegolibError


class CliError(Exception):
    """A user-facing failure: printed as one line, exit status 1."""


def _root(args: argparse.Namespace) -> str:
    return args.artifact_dir or default_artifact_dir()


def cmd_build(args: argparse.Namespace) -> int:
    target, version = _native.split_version(args.target, args.version)
    if os.path.isdir(target):
        target = os.path.abspath(target)
    directory, package = _native.build_target(
        target,
        version,
        args.out or args.artifact_dir,
        args.force,
        _progress_printer(args.quiet or None),
        args.generic,
        args.also,
        _verbose(args),
    )
    print(directory)
    return 0


def _verbose(args: argparse.Namespace) -> bool:
    return bool(args.verbose) or _env_flag("USEGOLIB_VERBOSE")


def _import(args: argparse.Namespace, **kw: object):
    """The target's package, built when missing (phases shown unless -q)."""
    return import_(
        args.target,
        args.version,
        artifact_dir=args.artifact_dir,
        quiet=args.quiet or None,
        verbose=_verbose(args),
        generics=args.generic,
        also=args.also,
        **kw,  # type: ignore[arg-type]
    )


def _size(directory: str) -> int:
    """The bytes of the files under a directory."""
    total = 0
    for dirpath, _dirs, files in os.walk(directory):
        for f in files:
            try:
                total += os.lstat(os.path.join(dirpath, f)).st_size
            except OSError:
                pass
    return total


def _human(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"


def _last_used(directory: str) -> float:
    """When the artifact was last loaded (its stamp), else built (its manifest), as a time."""
    for name in (LAST_USED_FILE, "manifest.json"):
        try:
            return os.stat(os.path.join(directory, name)).st_mtime
        except OSError:
            continue
    return 0.0


def _artifacts(root: str) -> list[tuple[str, dict]]:
    out = []
    for directory, text in _native.list_artifacts(root):
        out.append((directory, json.loads(text) if text else {}))
    return out


def cmd_list(args: argparse.Namespace) -> int:
    rows = _artifacts(_root(args))
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "dir": d,
                        **{
                            k: m.get(k)
                            for k in (
                                "module",
                                "version",
                                "source_dir",
                                "goos",
                                "goarch",
                                "go_version",
                            )
                        },
                        "size": _size(d),
                        "last_used": _last_used(d),
                    }
                    for d, m in rows
                ],
                indent=2,
            )
        )
        return 0
    if not rows:
        print(f"no artifacts under {_root(args)}")
        return 0
    total = 0
    for d, m in rows:
        plat = f"{m.get('goos', '?')}/{m.get('goarch', '?')}"
        name = f"{m.get('module', '?')}@{m.get('version', '?')}"
        source = f"  from {m['source_dir']}" if m.get("source_dir") else ""
        size = _size(d)
        total += size
        print(f"{name}  {plat}  {m.get('go_version', '?')}  {_human(size)}  {d}{source}")
    print(f"{len(rows)} artifact{'s' if len(rows) != 1 else ''}, {_human(total)}")
    return 0


def _remove(root: str, directory: str) -> None:
    # In Rust: only a directory inside the root is removed, under the artifact's build lock.
    _native.remove_artifact(root, directory)
    print(f"removed {directory}")


def cmd_rm(args: argparse.Namespace) -> int:
    if args.all:
        if args.target is not None:
            raise CliError("rm: give a TARGET or --all, not both")
        for d, _m in _artifacts(_root(args)):
            _remove(_root(args), d)
        return 0
    if args.target is None:
        raise CliError("rm: name a TARGET (MODULE, MODULE@VERSION or a directory) or pass --all")
    target, version = _native.split_version(args.target, args.version)
    source_dir = None
    if os.path.isdir(target):
        module, source_dir = _native.local_module(target)
        version = version or "local"
    else:
        module = target
    matches = _native.artifacts_of(_root(args), module, version, source_dir)
    if not matches and source_dir is None and "." not in module.split("/")[0]:
        # A standard-library package (strings, net/url): the artifacts of module std.
        module = "std"
        matches = _native.artifacts_of(_root(args), module, version, source_dir)
    if not matches:
        raise CliError(
            f"no artifact of {module}{'@' + version if version else ''} under {_root(args)}"
        )
    labels = sorted({label for label, _d in matches})
    if len(labels) > 1 and not args.all_versions:
        raise CliError(
            f"{module} has several cached builds ({', '.join(labels)}): "
            "name one (TARGET@VERSION, or the module's directory for a local build) "
            "or pass --all-versions"
        )
    for _label, d in matches:
        _remove(_root(args), d)
    return 0


def _go_version() -> str | None:
    """The installed Go's version (``go1.26.8``), None when it cannot be run."""
    try:
        line = _native.go_toolchain()[2]
    except BuildError:
        return None
    words = line.split()
    return words[2] if len(words) > 2 and words[2].startswith("go") else None


# An artifact of another builder, or of a newer Go, may be another virtualenv's (a cache shared
# by several): removed only when idle this many days (or --days N), docs/adr/0030.
_FOREIGN_IDLE_DAYS = 30.0


def _go_release(version: str) -> tuple[int, ...] | None:
    """``go1.22.3`` -> (1, 22, 3, 1); a pre-release sorts before its release (``go1.23rc1`` ->
    (1, 23, 0, 0, 1)); None for what is no release version (``devel ...``)."""
    m = re.fullmatch(r"go(\d+)\.(\d+)(?:\.(\d+))?(?:(rc|beta)(\d+))?", version)
    if m is None:
        return None
    major, minor, patch = int(m[1]), int(m[2]), int(m[3] or 0)
    if m[4]:
        return (major, minor, patch, 0, (0 if m[4] == "beta" else 1000) + int(m[5]))
    return (major, minor, patch, 1)


def _stale(directory: str, manifest: dict, go: str | None, days: float | None) -> str | None:
    """Why ``prune`` removes an artifact, or None to keep it (docs/adr/0030)."""
    builder, id_file = _native.builder_id()
    idle = (time.time() - _last_used(directory)) / 86400
    foreign_days = days if days is not None else _FOREIGN_IDLE_DAYS
    try:
        built_by = Path(directory, id_file).read_text().split("\n", 1)[0].strip()
    except OSError:
        built_by = None  # copied from elsewhere: not said to be stale, as the loader says
    if built_by is not None and built_by != builder:
        if idle > foreign_days:
            return (
                f"built by another usegolib builder ({built_by}, this one is {builder}) and "
                f"not loaded for {idle:.0f} days"
            )
        return None
    built_with = manifest.get("go_version")
    if go is not None and built_with and built_with != go:
        have, built = _go_release(go), _go_release(built_with)
        if have is not None and built is not None and built < have:
            return f"built with {built_with}, older than the installed Go {go}"
        if idle > foreign_days:
            return (
                f"built with {built_with}, the installed Go is {go}; not loaded for {idle:.0f} days"
            )
        return None
    source = manifest.get("source_dir")
    if source and not os.path.isfile(os.path.join(source, "go.mod")):
        return f"its source directory {source} is gone"
    if days is not None and idle > days:
        return f"not loaded for {idle:.0f} days"
    return None


def cmd_prune(args: argparse.Namespace) -> int:
    root = _root(args)
    go = _go_version()
    if go is None:
        print("usegolib: the Go toolchain cannot be run: artifacts are kept whatever Go built them")
    freed = kept = 0
    for d, m in _artifacts(root):
        why = _stale(d, m, go, args.days)
        if why is None:
            kept += 1
            continue
        size = _size(d)
        if args.dry_run:
            print(f"would remove {d}: {why}")
        else:
            _native.remove_artifact(root, d)
            print(f"removed {d}: {why}")
        freed += size
    verb = "would free" if args.dry_run else "freed"
    print(f"{verb} {_human(freed)}; {kept} artifact{'s' if kept != 1 else ''} kept")
    return 0


def _context_note(fn: _native.GoFunction) -> str:
    """For a function with context.Context parameters: they may be left out, and the keyword
    of the call's timeout."""
    if fn.timeout_keyword is None:
        return ""
    names = ", ".join(p.name for p in fn.params if p.optional)
    return f"  [{names} may be left out (None); {fn.timeout_keyword}=seconds]"


def cmd_show(args: argparse.Namespace) -> int:
    from usegolib._stubs import _shown, _signatures

    pkg = _import(args, build="never" if args.no_build else "missing")
    module = pkg._go_module
    print(f"module {module.path} {module.version}  ({module.artifact_dir})")
    paths = module.packages() if args.all else [pkg._go_path]
    for path in paths:
        print(f"\npackage {path}")
        funcs = module.functions(path)
        for t in module.types(path):
            fields = ", ".join(f"{f.key} {f.go_type}" for f in module.fields(t.key))
            if t.kind == "record":
                print(f"  struct {t.name} {{{fields}}}")
            elif t.kind == "value":
                what = "enum " if t.is_enum else ""
                print(f"  type {t.name}  [{what}value: travels as {t.wire}]")
                for fn in funcs:
                    if fn.kind == "method" and fn.receiver == t.key:
                        print(f"    {fn.go_signature}{_context_note(fn)}")
            else:
                made = f"  (construct: {t.name}({fields}))" if t.constructor is not None else ""
                print(f"  object {t.name}{made}")
                for fn in funcs:
                    if fn.kind == "method" and fn.receiver == t.key:
                        if fn.py_name == "__get__":  # a field accessor: show the field once
                            print(
                                f"    field {fn.go_name.rsplit('.', 2)[1]} {fn.results[0].go_type}"
                            )
                        elif fn.py_name != "__set__":
                            print(f"    {fn.go_signature}{_context_note(fn)}")
        for fn in funcs:
            if fn.kind == "var":
                ret = fn.results[0].go_type if fn.results else "?"
                print(f"  var {fn.var} {ret}")
            elif fn.kind == "generic":
                print(f"  {fn.go_signature}  [instantiated as {fn.go_name}]")
            elif fn.kind == "function":
                print(f"  {fn.go_signature}{_context_note(fn)}")
                if any("Callable[" in p.stub for p in fn.params):
                    print(f"    python: {fn.py_name}{_signatures(fn)[0]}")
        for c in module.consts(path):
            print(f"  const {c.go_name} {c.go_type} = {_shown(c)}")
        skipped = module.skipped(path)
        if skipped:
            print("  skipped:")
            for s in skipped:
                print(f"    {s.signature or s.go_name}\n      {s.reason}")
    if args.all:
        manifest = json.loads(module.manifest_json())
        for sp in manifest["schema"].get("skipped_packages", []):
            print(f"\nskipped package {sp['path']}: {sp['reason']}")
    return 0


def cmd_stubs(args: argparse.Namespace) -> int:
    from usegolib._stubs import write_stubs

    pkg = _import(args)
    module = pkg._go_module
    packages = module.packages() if args.all else [pkg._go_path]
    for path in write_stubs(module, packages, args.out):
        print(path)
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    from usegolib._stubs import generate, own_packages

    pkg = _import(args)
    module = pkg._go_module
    # --all: the module's packages; those bridged with --also are imported through their own.
    packages = own_packages(module) if args.all else [pkg._go_path]
    root = os.path.abspath(args.artifact_dir) if args.artifact_dir else None
    for path in generate(module, packages, args.out, args.generic, args.also, root):
        print(path)
    return 0


def _cmd_package(args: argparse.Namespace) -> int:
    from usegolib._wheel import cmd_package

    return cmd_package(args)


def _version_line() -> str:
    return f"usegolib {_native.__version__} (ABI {_native.ABI_VERSION})"


def cmd_version(args: argparse.Namespace) -> int:
    print(_version_line())
    try:
        go, toolchain, line = _native.go_toolchain()
        print(f"{line}  ({go}, GOTOOLCHAIN={toolchain})")
    except BuildError as e:
        print(f"{' '.join(str(e).split())}")
    return 0


class _Doctor:
    """Prints one line per check (``ok``, ``warn`` or ``FAIL``); a FAIL makes the exit status 1."""

    def __init__(self) -> None:
        self.failed = False

    def line(self, status: str, what: str, detail: str) -> None:
        self.failed |= status == "FAIL"
        print(f"{status:<4}  {what:<9} {detail}")


def _installed_package(doc: _Doctor) -> None:
    """Whether ``import usegolib`` is this project's package (the distribution usegolib-py),
    and whether another distribution installs files into ``usegolib`` too."""
    import importlib.metadata as md

    import usegolib

    here = os.path.dirname(os.path.abspath(usegolib.__file__ or ""))
    owners = md.packages_distributions().get("usegolib", [])
    ours = "usegolib-py"
    others = sorted({o for o in owners if o.replace("_", "-").lower() != ours})
    detail = f"{here} (distribution {', '.join(owners) or 'none: run from a source tree'})"
    doc.line("ok" if not others else "FAIL", "package", detail)
    if others:
        doc.line(
            "FAIL",
            "package",
            f"another distribution also installs `usegolib`: {', '.join(others)} (a different "
            f"project on PyPI); `pip uninstall {' '.join(others)}` and reinstall {ours}",
        )


def _compiler(doc: _Doctor, go: str, toolchain: str) -> None:
    import shutil
    import subprocess

    env = {**os.environ, "GOTOOLCHAIN": toolchain}  # as builds run go: never a download
    try:
        r = subprocess.run(
            [go, "env", "CC", "CGO_ENABLED"], capture_output=True, text=True, timeout=60, env=env
        )
    except OSError as e:
        doc.line("FAIL", "compiler", f"cannot ask go for its C compiler: {e}")
        return
    lines = r.stdout.split("\n")
    cc, cgo = (lines + ["", ""])[:2]
    if cgo.strip() != "1":
        doc.line(
            "warn", "cgo", "CGO_ENABLED is not 1 in go env (builds set it to 1 for the bridge)"
        )
    exe = shutil.which(cc.split()[0]) if cc.strip() else None
    if exe is None:
        doc.line("FAIL", "compiler", f"the C compiler {cc.strip() or '(none)'} is not on PATH")
        return
    try:
        v = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=60)
        first = (v.stdout.strip().split("\n") or [""])[0]
    except OSError as e:
        first = f"(cannot run it: {e})"
    doc.line("ok", "compiler", f"{cc.strip()} = {exe}: {first}")


def _cache(doc: _Doctor, root: str) -> None:
    import stat

    path = Path(root)
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not path.exists():
        ok = os.access(probe, os.W_OK)
        doc.line(
            "ok" if ok else "FAIL",
            "cache",
            f"{root} (not created yet; {probe} is {'' if ok else 'not '}writable)",
        )
        return
    st = path.stat()
    mode = stat.S_IMODE(st.st_mode)
    problems = []
    if st.st_uid != os.getuid():
        problems.append(f"owned by uid {st.st_uid}, not you ({os.getuid()})")
    if mode & 0o022:
        problems.append(f"writable by others (mode {mode:o})")
    if not os.access(path, os.W_OK):
        problems.append("not writable")
    detail = f"{root} (mode {mode:o})"
    if problems:
        doc.line("FAIL", "cache", f"{detail}: {'; '.join(problems)} (docs/adr/0002)")
    else:
        doc.line("ok", "cache", detail)
    rows = _artifacts(root)
    go = _go_version()
    stale = [d for d, m in rows if _stale(d, m, go, None) is not None]
    size = sum(_size(d) for d, _m in rows)
    more = f"; {len(stale)} stale (usegolib prune removes them)" if stale else ""
    doc.line("ok", "artifacts", f"{len(rows)} cached, {_human(size)}{more}")


def cmd_doctor(args: argparse.Namespace) -> int:
    doc = _Doctor()
    doc.line("ok", "usegolib", f"{_version_line()}, Python {sys.version.split()[0]}")
    _installed_package(doc)
    try:
        go, toolchain, line = _native.go_toolchain()
        doc.line("ok", "go", f"{line} ({go}, GOTOOLCHAIN={toolchain})")
        _compiler(doc, go, toolchain)
    except BuildError as e:
        doc.line("FAIL", "go", " ".join(str(e).split()))
    _cache(doc, _root(args))
    return 1 if doc.failed else 0


_TARGET_HELP = (
    "what to import: a local directory (module root or package inside it), a module or "
    "package path, a standard-library package, or PATH@VERSION"
)


def _target_args(p: argparse.ArgumentParser, *, version: bool = True) -> None:
    """The arguments that name what to build or import (``--version`` the module's version
    unless ``version`` is false)."""
    p.add_argument("target", metavar="TARGET", help=_TARGET_HELP)
    if version:
        p.add_argument(
            "--version",
            help="the module version (vX.Y.Z, a branch or commit Go accepts; default: the single "
            "cached one, else latest)",
        )
    p.add_argument(
        "--generic",
        action="append",
        default=[],
        metavar="NAME[T,...]",
        help="also build this instantiation of a generic function, e.g. 'Max[int64]' (repeatable)",
    )
    p.add_argument(
        "--also",
        action="append",
        default=[],
        metavar="PKG",
        help="also bridge this standard-library or dependency package into the target's runtime"
        " (repeatable; docs/adr/0023)",
    )


def _global_args(p: argparse.ArgumentParser, *, sub: bool) -> None:
    """The options every command takes, before or after its name: given after, they override
    (a subcommand's copies default to SUPPRESS, so that they leave the main parser's alone)."""
    default = argparse.SUPPRESS if sub else None
    p.add_argument(
        "--artifact-dir",
        metavar="DIR",
        default=default,
        help="artifact root (default: the usegolib cache, $USEGOLIB_CACHE_DIR/artifacts)",
    )
    for short, long, help in (
        ("-q", "--quiet", "do not print build phases (also USEGOLIB_QUIET=1)"),
        ("-v", "--verbose", "also print Go's own build output, go build -v (USEGOLIB_VERBOSE=1)"),
    ):
        flag_default = argparse.SUPPRESS if sub else False
        p.add_argument(short, long, action="store_true", default=flag_default, help=help)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="usegolib",
        description="Call Go libraries from Python: build, inspect and manage artifacts.",
        epilog="Build phases go to stderr as plain lines; results to stdout.",
    )
    p.add_argument("--version", action="version", version=_version_line())
    _global_args(p, sub=False)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help: str) -> argparse.ArgumentParser:
        c = sub.add_parser(name, help=help, description=help)
        _global_args(c, sub=True)
        return c

    b = command("build", "build the artifact of a Go module or local directory")
    _target_args(b)
    b.add_argument(
        "--out", metavar="DIR", help="artifact root to build into (default: --artifact-dir)"
    )
    b.add_argument("--force", action="store_true", help="rebuild even if up to date")
    b.set_defaults(func=cmd_build)

    ls = command("list", "list cached artifacts with their sizes")
    ls.add_argument("--json", action="store_true", help="print JSON (sizes in bytes)")
    ls.set_defaults(func=cmd_list)

    rm = command("rm", "remove cached artifacts of a module, or all of them")
    rm.add_argument(
        "target", metavar="TARGET", nargs="?", help="MODULE, MODULE@VERSION or a local directory"
    )
    rm.add_argument("--version", help="the version whose artifact to remove")
    rm.add_argument(
        "--all-versions", action="store_true", help="remove every cached version of TARGET"
    )
    rm.add_argument("--all", action="store_true", help="remove every artifact under the root")
    rm.set_defaults(func=cmd_rm)

    pr = command(
        "prune",
        "remove stale artifacts: built by an older Go, whose local source is gone, or (with "
        "--days) not loaded for N days; another builder's or a newer Go's only when not "
        "loaded for --days N (default 30) days, as another virtualenv may use them",
    )
    pr.add_argument(
        "--days",
        type=float,
        metavar="N",
        help="also remove artifacts not loaded for N days (their last-used stamp)",
    )
    pr.add_argument(
        "--dry-run", action="store_true", help="only print what would be removed, and why"
    )
    pr.set_defaults(func=cmd_prune)

    sh = command("show", "show packages, functions, types and skipped symbols")
    _target_args(sh)
    sh.add_argument("--all", action="store_true", help="every package of the module")
    sh.add_argument("--no-build", action="store_true", help="fail instead of building")
    sh.set_defaults(func=cmd_show)

    st = command("stubs", "write .pyi stubs for IDEs and type checkers")
    _target_args(st)
    st.add_argument(
        "--out", metavar="DIR", default=".", help="directory to write PACKAGE.pyi files into"
    )
    st.add_argument("--all", action="store_true", help="every package of the module")
    st.set_defaults(func=cmd_stubs)

    g = command(
        "generate",
        "write an importable, typed Python package: PKGDIR/NAME.py loads the Go package "
        "(building it when missing), PKGDIR/NAME.pyi gives its signatures",
    )
    _target_args(g)
    g.add_argument(
        "--out",
        metavar="PKGDIR",
        required=True,
        help="the Python package directory to write into (created; e.g. mygo for "
        "`from mygo import calc`)",
    )
    g.add_argument("--all", action="store_true", help="every package of the module")
    g.set_defaults(func=cmd_generate)

    pk = command(
        "package",
        "write a platform wheel (py3-none-<platform>) that installs TARGET as a normal Python "
        "package, importable with no Go toolchain",
    )
    _target_args(pk, version=False)
    pk.add_argument("--name", help="distribution name (default: the module's last path element)")
    pk.add_argument(
        "--version",
        help="the wheel's version (default: the module's version; required for a local module)",
    )
    pk.add_argument(
        "--out", metavar="DIR", default=".", help="directory to write the wheel into (default: .)"
    )
    pk.add_argument("--license", metavar="EXPR", help="SPDX license expression of the module")
    pk.add_argument("--force", action="store_true", help="rebuild the artifact even if up to date")
    pk.set_defaults(func=_cmd_package)

    d = command(
        "doctor",
        "check the set-up: Go, the C compiler, the cache and its permissions, cached artifacts, "
        "which usegolib package is installed",
    )
    d.set_defaults(func=cmd_doctor)

    v = command("version", "print the versions of usegolib, its ABI and Go")
    v.set_defaults(func=cmd_version)
    return p


def _closed_pipe() -> int:
    """stdout's reader went away (``| head``): no traceback, and none at exit either."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    return 141


def main(argv: list[str] | None = None) -> int:
    try:
        args = parser().parse_args(argv)
        status = int(args.func(args))
        # Short output sits in a pipe's buffer until exit: flush it here, where a reader that
        # went away is still a quiet exit 141 (outside, the interpreter prints a traceback).
        sys.stdout.flush()
        return status
    except BrokenPipeError:
        return _closed_pipe()
    except KeyboardInterrupt:
        print("usegolib: interrupted", file=sys.stderr)
        return 130
    except BuildError as e:
        print(f"usegolib: error: {str(e).splitlines()[0]}", file=sys.stderr)
        output = getattr(e, "output", "")
        if output:
            print(output.rstrip(), file=sys.stderr)
        return 1
    except (UsegolibError, CliError, OSError, ValueError) as e:
        print(f"usegolib: error: {' '.join(str(e).split())}", file=sys.stderr)
        return 1
