"""Shared fixtures: real Go fixture modules built once per session with the real toolchain."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "go"

os.environ.setdefault("USEGOLIB_CACHE_DIR", str(REPO / "target" / "usegolib-cache"))
os.environ.setdefault("USEGOLIB_QUIET", "1")

if shutil.which(os.environ.get("USEGOLIB_GO", "go")) is None:
    pytest.exit("the Go toolchain is required for the Python tests (install Go)", returncode=3)

import usegolib  # noqa: E402


@pytest.fixture(scope="session")
def artifact_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("artifacts")


@pytest.fixture(scope="session")
def level1(artifact_root):
    return usegolib.import_(FIXTURES / "level1", artifact_dir=artifact_root)


@pytest.fixture(scope="session")
def sub(artifact_root, level1):
    return usegolib.import_(FIXTURES / "level1" / "sub", artifact_dir=artifact_root)


# The generic instances level3 is built with: every test module imports it with the same ones, so
# that it is built once.
GENERICS = ["Keys[string,int64]", "Identity[int64]", "Identity[example.com/level3.Point]"]


@pytest.fixture(scope="session")
def l3(artifact_root):
    return usegolib.import_(FIXTURES / "level3", artifact_dir=artifact_root, generics=GENERICS)


@pytest.fixture(scope="session")
def cb(artifact_root):
    return usegolib.import_(FIXTURES / "callbacks", artifact_dir=artifact_root)


@pytest.fixture(scope="session")
def cs(artifact_root):
    return usegolib.import_(FIXTURES / "consts", artifact_dir=artifact_root)


def run_py(
    code: str, *, env: dict[str, str] | None = None, timeout: float = 300, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Runs Python code in a child process (for anything that may kill or hang the process,
    and for scenarios that need a fresh registry of loaded modules)."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
        cwd=cwd,
    )


def ok(proc: subprocess.CompletedProcess[str]) -> str:
    """The stdout of a child process that must have exited 0 (its whole output is the failure's
    message otherwise)."""
    assert proc.returncode == 0, (
        f"rc={proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    )
    return proc.stdout


def last_json(proc: subprocess.CompletedProcess[str]) -> object:
    """The JSON value on the last line that a child process printed (it must have exited 0)."""
    return json.loads(ok(proc).strip().splitlines()[-1])


# Child-process code (for run_py) that registers, for every record type named Point, a class
# with its own ``__new__`` (which appends the class name to ``made``) in place of the generated
# one: how a user's own class for a Go type is made the registered class.
OWN_POINT_CLASS = """
import usegolib
from usegolib import _package

made = []
record_class = _package._record_class

def patched(module, key, name, doc):
    cls = record_class(module, key, name, doc)
    if name != "Point":
        return cls

    def __new__(c, *args, **kw):
        made.append(c.__name__)
        return super(own, c).__new__(c)

    own = type(cls)(name, (cls,), {"__new__": __new__, "__qualname__": name})
    return own

_package._record_class = patched
"""


def in_threads(work: Callable[[object], object], args: Iterable[object]) -> list[BaseException]:
    """Runs ``work(a)`` for every ``a`` of ``args``, each on its own thread, all at once; returns
    what they raised (assert it is empty: an exception on a thread fails no test by itself)."""
    errors: list[BaseException] = []

    def run(a: object) -> None:
        try:
            work(a)
        except BaseException as e:  # noqa: BLE001 - returned to the caller
            errors.append(e)

    threads = [threading.Thread(target=run, args=(a,)) for a in args]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def settled_live(cb) -> int:
    """usegolib.host_objects_live() once Go's collections stop releasing anything (``cb`` is
    the callbacks fixture, whose ``GC`` runs one)."""
    last = -1
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        cb.GC()
        time.sleep(0.05)
        n = usegolib.host_objects_live()
        if n == last:
            return n
        last = n
    return last


def copy_module(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def require_module(spec: str) -> None:
    """Fetches a pinned real Go module (``module@version``) into the module cache, or skips the
    test with the go command's reason when it is neither cached nor reachable (offline)."""
    go = os.environ.get("USEGOLIB_GO", "go")
    env = dict(os.environ, GOFLAGS="-mod=mod")
    r = subprocess.run(
        [go, "mod", "download", "-json", spec],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO / "go",
        timeout=600,
    )
    if r.returncode != 0:
        pytest.skip(
            f"cannot fetch {spec} (offline and not in the module cache?): {r.stdout}{r.stderr}"
        )


def go_output(
    tmp_path,
    requires: dict[str, str],
    imports: str,
    body: str,
    stdin: bytes,
    replaces: dict[str, Path] | None = None,
) -> bytes:
    """What a Go program prints: ``body`` runs in main with ``src`` (stdin's bytes) and ``b`` (a
    bytes.Buffer written to stdout at the end), in a temp module requiring ``requires``, with
    ``replaces`` naming local directories for some of them."""
    go = os.environ.get("USEGOLIB_GO", "go")
    mod = tmp_path / "gomain"
    mod.mkdir(exist_ok=True)
    reqs = "".join(f"\t{m} {v}\n" for m, v in requires.items())
    reps = "".join(f"replace {m} => {d}\n" for m, d in (replaces or {}).items())
    (mod / "go.mod").write_text(f"module diff\n\ngo 1.22\n\nrequire (\n{reqs})\n{reps}")
    (mod / "main.go").write_text(
        'package main\n\nimport (\n\t"bytes"\n\t"io"\n\t"os"\n\n'
        + "".join(f'\t"{i}"\n' for i in imports.split())
        + ")\n\nfunc main() {\n\tsrc, _ := io.ReadAll(os.Stdin)\n\tvar b bytes.Buffer\n"
        + textwrap.indent(textwrap.dedent(body), "\t")
        + "\tos.Stdout.Write(b.Bytes())\n}\n"
    )
    env = dict(os.environ, GOFLAGS="-mod=mod", GOSUMDB="off", GOTOOLCHAIN="local")
    r = subprocess.run(
        [shutil.which(go) or go, "run", "."],
        input=stdin,
        capture_output=True,
        cwd=mod,
        env=env,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    return r.stdout


def fixture_prints(tmp_path, fixture: str, imports: str, body: str) -> str:
    """What a Go program importing the fixture module ``example.com/<fixture>`` (replaced by
    its directory) prints: ``body`` runs in main (see go_output) with ``imports``, each of which
    it may leave unused."""
    used = "".join(
        f"_ = {i.rsplit('/', 1)[-1]}.{USES.get(i, '')}\n" for i in imports.split() if i in USES
    )
    out = go_output(
        tmp_path,
        {f"example.com/{fixture}": "v0.0.0"},
        imports + f" example.com/{fixture}",
        "_ = src\n" + used + textwrap.dedent(body),
        b"",
        replaces={f"example.com/{fixture}": FIXTURES / fixture},
    )
    return out.decode()


# A name of each standard package fixture_prints may import, so that its body need not use it.
USES = {"fmt": "Sprint", "math": "Pi", "time": "Second", "errors": "Is"}


def mypy(stubs: Path, *files: Path) -> subprocess.CompletedProcess[str]:
    """Runs the venv's mypy over ``files`` with the stubs directory ``stubs`` on MYPYPATH."""
    bindir = Path(sys.executable).parent
    return subprocess.run(
        [str(bindir / "mypy"), "--follow-imports=silent", "--no-incremental", *map(str, files)],
        capture_output=True,
        text=True,
        env={**os.environ, "MYPYPATH": str(stubs)},
        timeout=300,
    )
