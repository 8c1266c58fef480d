"""``usegolib package``: a wheel of a Go module, installed with pip into a fresh virtualenv
that has no Go toolchain, imported and called there; its tag, its reproducibility and its
metadata (and usegolib-py's own, with twine) checked."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest
import tomllib
import usegolib
from conftest import FIXTURES, REPO
from usegolib import _wheel

EPOCH = "1700000000"


def run(*args: str | Path, env: dict[str, str] | None = None, timeout: float = 600, **kw):
    return subprocess.run(
        [str(a) for a in args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env if env is not None else dict(os.environ),
        **kw,
    )


def package(module_dir: Path, art: Path, out: Path, *extra: str) -> Path:
    """Runs `usegolib package` as a user would; returns the one wheel it wrote."""
    env = dict(os.environ, SOURCE_DATE_EPOCH=EPOCH)
    r = run(
        sys.executable,
        "-m",
        "usegolib",
        "--artifact-dir",
        art,
        "package",
        module_dir,
        "--out",
        out,
        *extra,
        env=env,
    )
    assert r.returncode == 0, r.stderr
    wheel = Path(r.stdout.strip())
    assert wheel.parent == out and wheel.is_file(), r.stdout
    return wheel


PACKAGE_ARGS = (
    *("--name", "Go-Level3", "--version", "1.2.0", "--license", "MIT"),
    *("--generic", "Keys[string,int64]"),
)


@pytest.fixture(scope="module")
def packaged(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("packaged")
    return package(FIXTURES / "level3", tmp / "art", tmp / "out", *PACKAGE_ARGS)


@pytest.fixture(scope="module")
def runtime_wheel(tmp_path_factory) -> Path:
    """usegolib-py's own wheel, built by maturin from this checkout (release, as installed)."""
    maturin = Path(sys.executable).parent / "maturin"
    if not maturin.exists():
        pytest.skip(f"maturin is not installed beside {sys.executable} (scripts/setup-venv.sh)")
    out = tmp_path_factory.mktemp("runtime")
    r = run(maturin, "build", "--release", "-q", "-i", sys.executable, "-o", out, cwd=REPO)
    assert r.returncode == 0, r.stderr
    (wheel,) = out.glob("usegolib_py-*.whl")
    return wheel


def glibc_needed_by_readelf(library: Path) -> int:
    """The newest GLIBC_2.N symbol version `readelf -V` lists for the library."""
    readelf = shutil.which("readelf")
    if readelf is None:
        pytest.skip("readelf (binutils) is not installed: no independent reading of the ELF")
    text = run(readelf, "-V", "--wide", library).stdout
    return max(int(m) for m in re.findall(r"Name: GLIBC_2\.(\d+)", text))


def fresh_venv(tmp_path: Path, runtime_wheel: Path, wheel: Path, dist: str):
    """A fresh virtualenv with ``dist`` installed from local files only (pip resolves
    usegolib-py itself from its wheel), and an environment without Go for running it: PATH
    without go, no GOROOT or USEGOLIB_GO, an empty home and cache."""
    venv = tmp_path / "venv"
    r = run(sys.executable, "-m", "venv", venv)
    assert r.returncode == 0, r.stderr
    py = venv / "bin" / "python"
    r = run(
        py,
        "-m",
        "pip",
        "install",
        "-q",
        "--disable-pip-version-check",
        "--no-index",
        "--find-links",
        runtime_wheel.parent,
        "--find-links",
        wheel.parent,
        dist,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    home = tmp_path / "home"
    home.mkdir()
    path = os.pathsep.join(
        d for d in [str(venv / "bin"), "/usr/bin", "/bin"] if not Path(d, "go").exists()
    )
    return py, {"PATH": path, "HOME": str(home), "USEGOLIB_CACHE_DIR": str(home / "cache")}


def test_wheel_installs_and_runs_where_there_is_no_go(packaged, runtime_wheel, tmp_path):
    # The tag: manylinux_2_N with N the newest glibc symbol version the library needs.
    with zipfile.ZipFile(packaged) as zf:
        names = zf.namelist()
        wheel_meta = zf.read("go_level3-1.2.0.dist-info/WHEEL").decode()
        lib_name = next(n for n in names if n.startswith("go_level3/_go/lib"))
        (tmp_path / "lib.so").write_bytes(zf.read(lib_name))
    n = glibc_needed_by_readelf(tmp_path / "lib.so")
    tag = f"py3-none-manylinux_2_{max(n, 5)}_x86_64"
    assert packaged.name == f"go_level3-1.2.0-{tag}.whl"
    assert f"Tag: {tag}\n" in wheel_meta and "Root-Is-Purelib: false\n" in wheel_meta
    for want in ("go_level3/__init__.pyi", "go_level3/geo/__init__.pyi", "go_level3/py.typed"):
        assert want in names

    py, env = fresh_venv(tmp_path, runtime_wheel, packaged, "go-level3")
    home = Path(env["HOME"])
    code = """
        import json, shutil, sys
        import usegolib, go_level3, go_level3.geo as geo
        assert shutil.which("go") is None, shutil.which("go")
        assert usegolib.__file__.startswith(sys.prefix), usegolib.__file__
        assert go_level3.__file__.startswith(sys.prefix), go_level3.__file__
        out = {}
        out["sum"] = go_level3.Sum(1, 2, 3)
        # The module's attributes are the GoPackage's own objects: no wrapper on the call path.
        assert go_level3.Sum is go_level3.go_package.Sum
        out["join"] = go_level3.Join("-", "a", "b")
        p = go_level3.MakePoint(1, 2, ["t"], "l")
        out["point"] = [type(p).__name__, p.x, p.y, p.tags, p.label]
        out["echo"] = go_level3.EchoPoint(p) == p
        out["dist"] = geo.Distance(geo.Coord(lat=0, lon=0), geo.Coord(lat=3, lon=4))
        c = go_level3.Locate(geo.Coord(lat=1, lon=2))
        out["locate"] = [type(c).__name__, c.lat, c.lon]
        with go_level3.NewCounter("n") as ctr:
            ctr.Add(5)
            out["counter"] = [type(ctr).__name__, ctr.Get(), ctr.Both()]
            try:
                ctr.Div(0)
            except usegolib.GoError as e:
                out["error"] = [type(e).__name__, e.go_type, str(e)]
        with go_level3.Plan(2) as grid:
            out["grid"] = [type(grid).__name__, grid.Cells()]
        out["keys"] = sorted(go_level3.Keys[str, int]({"b": 1, "a": 2}))
        out["doc"] = go_level3.__doc__.splitlines()[0]
        out["missing"] = hasattr(go_level3, "NoSuchThing")
        # import_ by module path (as pickling by reference does) finds the loaded runtime.
        out["reimport"] = usegolib.import_("example.com/level3/geo") is geo.go_package
        print(json.dumps(out))
        """
    r = run(py, "-c", textwrap.dedent(code), env=env, cwd=home)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out == {
        "sum": 6,
        "join": "a-b",
        "point": ["Point", 1, 2, ["t"], "l"],
        "echo": True,
        "dist": 5.0,
        "locate": ["Coord", 2.0, 3.0],
        "counter": ["Counter", 5, ["n", 5]],
        "error": ["GoError", "*errors.errorString", out["error"][2]],
        "grid": ["Grid", 4],
        "keys": ["a", "b"],
        "doc": "The Go package example.com/level3 (example.com/level3 local), packaged by usegolib.",
        "missing": False,
        "reimport": True,
    }
    assert "division by zero" in out["error"][2], out
    # Nothing was built or cached: the artifact inside the package was all it needed.
    assert not (home / "cache").exists() and not (home / ".cache").exists()
    # Nor was the installed artifact stamped as a cache entry (import_ found it loaded): a file
    # there would be one its RECORD does not list, left behind by pip uninstall.
    (installed,) = py.parent.parent.glob("lib/python*/site-packages/go_level3/_go")
    assert sorted(p.name for p in installed.iterdir() if not p.name.startswith("lib")) == [
        "manifest.json"
    ]

    # The installed package is typed (py.typed and its .pyi): mypy, pointed at the venv, checks
    # a script against the Go signatures and reports the planted error only.
    script = tmp_path / "uses_it.py"
    script.write_text(
        "import go_level3\n"
        "from go_level3 import geo\n\n"
        "n: int = go_level3.Sum(1, 2)\n"
        "d: float = geo.Distance(geo.Coord(lat=0, lon=0), geo.Coord(lat=3, lon=4))\n"
        "bad: str = go_level3.Join(1, 'a')\n"
    )
    mypy = Path(sys.executable).parent / "mypy"
    r = run(mypy, "--no-incremental", "--python-executable", py, script, cwd=tmp_path)
    errors = [line for line in r.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 1 and "uses_it.py:6:" in errors[0], r.stdout + r.stderr


def test_a_released_module_with_many_packages(runtime_wheel, tmp_path):
    # A real module at a release: the version and name come from it, every package of the
    # module is a Python module at its path, and the wheel renders as import_ does.
    from test_real_modules import GFM_SOURCE, GOLDMARK, real

    goldmark = real(GOLDMARK)
    extension = real(GOLDMARK, "/extension")
    html = real(GOLDMARK, "/renderer/html")
    md = goldmark.New(
        goldmark.WithExtensions(extension.GFM), goldmark.WithRendererOptions(html.WithUnsafe())
    )
    want = io.BytesIO()
    md.Convert(GFM_SOURCE, want)
    r = run(sys.executable, "-m", "usegolib", "package", "@".join(GOLDMARK), "--out", tmp_path)
    assert r.returncode == 0, r.stderr
    wheel = Path(r.stdout.strip())
    assert re.fullmatch(r"goldmark-1\.8\.7-py3-none-manylinux_2_\d+_x86_64\.whl", wheel.name)
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    for sub in ("", "extension/", "renderer/", "renderer/html/", "parser/", "ast/"):
        assert f"goldmark/{sub}__init__.py" in names and f"goldmark/{sub}__init__.pyi" in names
    py, env = fresh_venv(tmp_path, runtime_wheel, wheel, "goldmark")
    code = """
        import io, sys
        import goldmark
        from goldmark import extension
        from goldmark.renderer import html
        md = goldmark.New(
            goldmark.WithExtensions(extension.GFM), goldmark.WithRendererOptions(html.WithUnsafe())
        )
        out = io.BytesIO()
        md.Convert(sys.stdin.buffer.read(), out)
        sys.stdout.buffer.write(out.getvalue())
        """
    r = subprocess.run(
        [py, "-c", textwrap.dedent(code)],
        input=GFM_SOURCE,
        capture_output=True,
        env=env,
        cwd=env["HOME"],
        timeout=600,
    )
    assert r.returncode == 0, r.stderr.decode()
    assert r.stdout == want.getvalue() and b"<table>" in r.stdout


def test_same_sources_give_the_same_wheel_bytes(packaged, tmp_path):
    # Another copy of the module in another directory, a fresh artifact root (a new Go build).
    other = shutil.copytree(FIXTURES / "level3", tmp_path / "elsewhere" / "level3")
    again = package(other, tmp_path / "art", tmp_path / "out", *PACKAGE_ARGS)
    assert again.name == packaged.name
    assert again.read_bytes() == packaged.read_bytes()
    with zipfile.ZipFile(again) as zf:
        infos = zf.infolist()
        names = [i.filename for i in infos]
        dist = [n for n in names if ".dist-info/" in n]
        assert names == sorted(set(names) - set(dist)) + sorted(dist[:-1]) + dist[-1:]
        assert dist[-1] == "go_level3-1.2.0.dist-info/RECORD"
        assert {i.date_time for i in infos} == {(2023, 11, 14, 22, 13, 20)}  # SOURCE_DATE_EPOCH
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in infos}
        assert {m for n, m in modes.items() if "/_go/lib" not in n} == {0o644}
        rows = list(csv.reader(io.StringIO(zf.read(dist[-1]).decode())))
        assert sorted(r[0] for r in rows) == sorted(names)
        for name, digest, size in rows:
            if name == dist[-1]:
                assert digest == size == ""
                continue
            data = zf.read(name)
            want = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            assert (digest, int(size)) == (f"sha256={want.decode()}", len(data)), name
        manifest = json.loads(zf.read("go_level3/_go/manifest.json"))
    # The build machine's directory is not in the wheel.
    assert "source_dir" not in manifest
    assert str(tmp_path) not in again.read_bytes().decode("latin-1")


def test_platform_tag_says_when_it_cannot_prove_manylinux(tmp_path):
    # A real system library that needs more than glibc (libstdc++ needs libgcc_s).
    import ctypes.util

    name = ctypes.util.find_library("stdc++")
    found = [p for p in Path("/usr/lib").rglob(name or "-") if p.is_file()] if name else []
    if not found:
        pytest.skip("libstdc++ is not installed: no library beyond glibc to tag")
    tag, why = _wheel.platform_tag(found[0], "amd64")
    assert tag.startswith("linux_") and why and "libgcc_s.so.1" in why, (tag, why)
    (tmp_path / "not-elf.so").write_bytes(b"MZ not an ELF file")
    with pytest.raises(_wheel.PackageError, match="not a 64-bit little-endian ELF"):
        _wheel.platform_tag(tmp_path / "not-elf.so", "amd64")
    # A truncated library: a typed error, not struct.error or IndexError.
    (tmp_path / "cut.so").write_bytes(found[0].read_bytes()[:200])
    with pytest.raises(_wheel.PackageError, match="damaged ELF library"):
        _wheel.platform_tag(tmp_path / "cut.so", "amd64")


def test_platform_tag_is_never_below_pips_manylinux_floor(tmp_path):
    """A library needing only GLIBC_2.2.5 (strlen) is tagged manylinux_2_5 on x86_64, the
    oldest manylinux pip installs there (manylinux_2_2 would be a wheel pip refuses)."""
    import platform

    cc = shutil.which("cc")
    if cc is None or platform.machine() != "x86_64":
        pytest.skip("needs a C compiler on x86_64 to make a library needing only GLIBC_2.2.5")
    (tmp_path / "x.c").write_text(
        "#include <string.h>\nint n(const char *s) { return (int)strlen(s); }\n"
    )
    lib = tmp_path / "libx.so"
    r = run(cc, "-shared", "-fPIC", "-O2", "-fno-stack-protector", tmp_path / "x.c", "-o", lib)
    assert r.returncode == 0, r.stderr
    if glibc_needed_by_readelf(lib) >= 5:
        pytest.skip("this C library's strlen is versioned above GLIBC_2.5: nothing below the floor")
    assert _wheel.platform_tag(lib, "amd64") == ("manylinux_2_5_x86_64", None)


@pytest.mark.parametrize(
    "args, message",
    [
        ((), "a local module has no version: pass --version"),
        (("--version", "1.0-beta"), "is no Python version (PEP 440)"),
        (("--version", "1.0", "--name", "usegolib"), "would shadow usegolib itself"),
        (("--version", "1.0", "--name", "bad name!"), "is no distribution name"),
        (("--version", "1.0", "--license", "MIT\nName: x"), "is no SPDX expression"),
    ],
)
def test_bad_package_arguments_are_one_line_errors(tmp_path, args, message):
    r = run(
        sys.executable,
        "-m",
        "usegolib",
        "--artifact-dir",
        tmp_path / "art",
        "package",
        FIXTURES / "level1",
        "--out",
        tmp_path / "out",
        "-q",
        *args,
    )
    assert r.returncode == 1 and message in r.stderr, r.stderr
    assert r.stderr.startswith("usegolib: error: ") and "Traceback" not in r.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def metadata_problems(wheel: Path) -> list[str]:
    """What PyPI or a user would find wrong in a wheel's metadata beyond what twine checks:
    the license expression, placeholder hosts in URLs, unknown or legacy license classifiers."""
    from packaging.licenses import canonicalize_license_expression
    from trove_classifiers import classifiers as known

    with zipfile.ZipFile(wheel) as zf:
        (meta,) = [n for n in zf.namelist() if n.endswith(".dist-info/METADATA")]
        text = zf.read(meta).decode()
    head = text.split("\n\n", 1)[0]
    fields = [line.split(": ", 1) for line in head.splitlines() if ": " in line]
    problems = []
    for key, value in fields:
        if key == "License-Expression" and canonicalize_license_expression(value) != value:
            problems.append(f"license expression {value!r} is not canonical")
        if key == "License":
            problems.append("a free-text License field instead of License-Expression")
        if key == "Classifier" and (value not in known or value.startswith("License ::")):
            problems.append(f"classifier {value!r}")
        if key in ("Project-URL", "Home-page") and re.search(
            r"://([^/]*\.)?(invalid|example|test|localhost|example\.(com|org|net))([:/]|$)",
            value,
        ):
            problems.append(f"placeholder URL {value!r}")
    if not any(k == "Classifier" for k, _ in fields):
        problems.append("no classifiers")
    return problems


def test_wheel_metadata_passes_twine_check(packaged, runtime_wheel):
    twine = Path(sys.executable).parent / "twine"
    if not twine.exists():
        pytest.skip("twine is not installed in this venv (scripts/dev-requirements.txt)")
    r = run(twine, "check", "--strict", packaged, runtime_wheel)
    assert r.returncode == 0, r.stdout + r.stderr
    assert metadata_problems(runtime_wheel) == []
    assert metadata_problems(packaged) == []
    with zipfile.ZipFile(runtime_wheel) as zf:
        meta = zf.read("usegolib_py-0.1.0.dist-info/METADATA").decode()
    assert "License-Expression: MIT OR Apache-2.0\n" in meta
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    # The packaged wheel asks for what usegolib-py asks for, and for a usegolib-py that reads
    # its manifest and ABI versions.
    assert _wheel.requires_python() == project["requires-python"]
    with zipfile.ZipFile(packaged) as zf:
        meta = zf.read("go_level3-1.2.0.dist-info/METADATA").decode()
    assert f"Requires-Dist: usegolib-py>={usegolib.__version__},<0.2\n" in meta
    assert "License-Expression: MIT\n" in meta


def test_versions_and_names():
    assert _wheel.dist_version(None, "v1.2.3") == "1.2.3"
    assert _wheel.dist_version("2.0.1", "v1.2.3") == "2.0.1"
    for bad in ("v0.0.0-20240101000000-abcdefabcdef", "v1.2.3-beta.1"):
        with pytest.raises(_wheel.PackageError, match="is no Python version .PEP 440.: pass"):
            _wheel.dist_version(None, bad)
    assert _wheel.default_name("example.com/calc/v2") == "calc"
    assert _wheel.default_name("gopkg.in/yaml.v3") == "yaml.v3"


def test_a_name_never_shadows_the_standard_library_or_an_installed_package():
    # github.com/google/uuid would be `import uuid`: refused, chosen or by default.
    for chosen in (True, False):
        with pytest.raises(_wheel.PackageError, match="shadow the standard library.*--name"):
            _wheel._check_name(_wheel.default_name("github.com/google/uuid"), chosen=chosen)
    # A default name another installed distribution provides (pytest here) needs --name; the
    # same name chosen with --name is the user's decision.
    with pytest.raises(_wheel.PackageError, match="installed distribution pytest provides"):
        _wheel._check_name(_wheel.default_name("example.com/x/pytest"), chosen=False)
    assert _wheel._check_name("pytest", chosen=True) == "pytest"
    assert _wheel._check_name("go-level3", chosen=False) == "go_level3"
    assert _wheel.python_name("go-calc") == "go_calc"
    assert _wheel.python_name("if") == "if_"
    assert _wheel.python_name("2d") == "_2d"
    # One rule for `usegolib generate`'s module names too (a Go package directory 2d).
    from usegolib import _stubs

    assert _stubs._module_name("example.com/m/2d") == "_2d"


def test_rust_crates_for_embedders_use_caret_requirements():
    deps = tomllib.loads((REPO / "Cargo.toml").read_text())["workspace"]["dependencies"]
    for crate in ("usegolib-abi", "usegolib-loader"):
        assert not deps[crate]["version"].startswith("="), deps[crate]
