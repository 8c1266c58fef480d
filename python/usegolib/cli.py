"""The ``usegolib`` command line: build, list, rm, show, stubs, package, version.

Every failure prints one line (``usegolib: error: ...``) and exits non-zero; build output from the
Go toolchain follows that line when there is any.

The rules of targets, versions, go.mod files, the artifact layout and the Go toolchain are the
loader's (usegolib-loader, through ``_native``): this module only parses arguments and prints.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from usegolib import _native, _progress_printer, default_artifact_dir, import_
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
    )
    print(directory)
    return 0


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
    for d, m in rows:
        plat = f"{m.get('goos', '?')}/{m.get('goarch', '?')}"
        name = f"{m.get('module', '?')}@{m.get('version', '?')}"
        source = f"  from {m['source_dir']}" if m.get("source_dir") else ""
        print(f"{name}  {plat}  {m.get('go_version', '?')}  {d}{source}")
    return 0


def cmd_rm(args: argparse.Namespace) -> int:
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
        # In Rust: only a directory inside the root is removed, under the artifact's build lock.
        _native.remove_artifact(_root(args), d)
        print(f"removed {d}")
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

    pkg = import_(
        args.target,
        args.version,
        artifact_dir=args.artifact_dir,
        build="never" if args.no_build else "missing",
        quiet=args.quiet or None,
        generics=args.generic,
        also=args.also,
    )
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

    pkg = import_(
        args.target,
        args.version,
        artifact_dir=args.artifact_dir,
        quiet=args.quiet or None,
        generics=args.generic,
        also=args.also,
    )
    module = pkg._go_module
    packages = module.packages() if args.all else [pkg._go_path]
    for path in write_stubs(module, packages, args.out):
        print(path)
    return 0


def _cmd_package(args: argparse.Namespace) -> int:
    from usegolib._wheel import cmd_package

    return cmd_package(args)


def cmd_version(args: argparse.Namespace) -> int:
    print(f"usegolib {_native.__version__} (ABI {_native.ABI_VERSION})")
    try:
        go, toolchain, line = _native.go_toolchain()
        print(f"{line}  ({go}, GOTOOLCHAIN={toolchain})")
    except BuildError as e:
        print(f"{' '.join(str(e).split())}")
    return 0


def _target_args(
    p: argparse.ArgumentParser, help: str | None = None, *, version: bool = True
) -> None:
    """The arguments that name what to build or import (``--version`` the module's version
    unless ``version`` is false)."""
    p.add_argument(
        "--generic",
        action="append",
        default=[],
        metavar="NAME[T,...]",
        help="also build this instantiation of a generic function (repeatable)",
    )
    p.add_argument(
        "--also",
        action="append",
        default=[],
        metavar="PKG",
        help="also bridge this standard-library or dependency package into the target's runtime"
        " (repeatable; docs/adr/0023)",
    )
    p.add_argument("target", help=help)
    if version:
        p.add_argument("--version")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="usegolib", description="Call Go libraries from Python.")
    p.add_argument("--artifact-dir", help="artifact root (default: the usegolib cache)")
    sub = p.add_subparsers(dest="command", required=True)

    b = sub.add_parser("build", help="build the artifact of a Go module or local directory")
    _target_args(b, help="DIR, MODULE, PACKAGE or MODULE@VERSION")
    b.add_argument("--out", help="artifact root to build into (default: the usegolib cache)")
    b.add_argument("--force", action="store_true", help="rebuild even if up to date")
    b.add_argument("-q", "--quiet", action="store_true", help="do not show build phases")
    b.set_defaults(func=cmd_build)

    ls = sub.add_parser("list", help="list cached artifacts")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=cmd_list)

    rm = sub.add_parser("rm", help="remove cached artifacts of a module")
    rm.add_argument("target", help="MODULE, MODULE@VERSION or a local directory")
    rm.add_argument("--version")
    rm.add_argument("--all-versions", action="store_true")
    rm.set_defaults(func=cmd_rm)

    sh = sub.add_parser("show", help="show packages, functions and skipped symbols")
    _target_args(sh)
    sh.add_argument("--all", action="store_true", help="every package of the module")
    sh.add_argument("--no-build", action="store_true", help="fail instead of building")
    sh.add_argument("-q", "--quiet", action="store_true")
    sh.set_defaults(func=cmd_show)

    st = sub.add_parser("stubs", help="write .pyi stubs for IDEs and type checkers")
    _target_args(st)
    st.add_argument("--out", default=".", help="directory to write PACKAGE.pyi files into")
    st.add_argument("--all", action="store_true", help="every package of the module")
    st.add_argument("-q", "--quiet", action="store_true")
    st.set_defaults(func=cmd_stubs)

    pk = sub.add_parser(
        "package",
        help="write a platform wheel that installs a Go module as a Python package",
        description="Build the artifact of TARGET and write a wheel (py3-none-<platform>) that "
        "installs it as a normal Python package, importable with no Go toolchain.",
    )
    _target_args(pk, help="DIR, MODULE, PACKAGE or MODULE@VERSION", version=False)
    pk.add_argument("--name", help="distribution name (default: the module's last path element)")
    pk.add_argument(
        "--version",
        help="the wheel's version (default: the module's version; required for a local module)",
    )
    pk.add_argument("--out", default=".", help="directory to write the wheel into (default: .)")
    pk.add_argument("--license", metavar="EXPR", help="SPDX license expression of the module")
    pk.add_argument("--force", action="store_true", help="rebuild the artifact even if up to date")
    pk.add_argument("-q", "--quiet", action="store_true", help="do not show build phases")
    pk.set_defaults(func=_cmd_package)

    v = sub.add_parser("version", help="print versions")
    v.set_defaults(func=cmd_version)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except BuildError as e:
        print(f"usegolib: error: {str(e).splitlines()[0]}", file=sys.stderr)
        output = getattr(e, "output", "")
        if output:
            print(output.rstrip(), file=sys.stderr)
        return 1
    except (UsegolibError, CliError, OSError, ValueError) as e:
        print(f"usegolib: error: {' '.join(str(e).split())}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("usegolib: interrupted", file=sys.stderr)
        return 130
