"""`usegolib generate`: an importable, typed Python module per Go package. It imports from any
working directory, mypy and pyright accept code that uses it correctly and report the planted
errors by line, and bound methods have signatures (issue 12 item 2)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import FIXTURES, copy_module
from goproxy import add_module, remote_files

BIN = Path(sys.executable).parent

# Uses the generated module as a user would; run, then checked by mypy and pyright.
GOOD = """\
import inspect

from mygo import typed

total: int = typed.Add(1, 2)
p = typed.Scale(typed.Point(X=1.5, Y=-2.0, Tag="p"), 2.0)
x: float = p.X
with typed.NewCounter(5) as c:
    n: int = c.Inc(2)
    label: str = c.Label("n=")
greeting: str = typed.Greeting
inc = c.Inc
print(total, x, p.Tag, n, label, greeting)
print(inspect.signature(inc), inspect.signature(typed.Add))
print(inspect.signature(typed.Counter.Inc))
"""

# Each line marked "# error" must be reported by both checkers, and no other line.
BAD = """\
from mygo import typed

typed.Add(1, "two")  # error: a str for an int
p = typed.Scale(typed.Point(X=1.5), 2.0)
p.Z  # error: no such field
with typed.NewCounter(5) as c:
    s: str = c.Inc(2)  # error: Inc returns int, and `with` typed c as Counter
typed.Nope()  # error: no such function
typed.Point(X="x")  # error: X is a float
"""


def planted(text: str) -> set[int]:
    return {i for i, line in enumerate(text.splitlines(), 1) if "# error" in line}


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    """The typed fixture copied, generated into <tmp>/proj/mygo (the artifact in the session's
    cache), and the scripts beside it."""
    tmp = tmp_path_factory.mktemp("generate")
    mod = copy_module(FIXTURES / "typed", tmp / "typed")
    proj = tmp / "proj"
    proj.mkdir()
    p = subprocess.run(
        [str(BIN / "usegolib"), "generate", str(mod), "--out", str(proj / "mygo")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == [
        str(proj / "mygo" / name) for name in ("__init__.py", "py.typed", "typed.py", "typed.pyi")
    ]
    (proj / "good.py").write_text(GOOD)
    (proj / "bad.py").write_text(BAD)
    return proj


def test_the_generated_module_imports_from_anywhere(generated, tmp_path):
    # From another working directory (the target is recorded as an absolute directory), with
    # the package on sys.path as any installed package would be.
    env = {**os.environ, "PYTHONPATH": str(generated)}
    p = subprocess.run(
        [sys.executable, str(generated / "good.py")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=300,
    )
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0] == "3 3.0 p 7 n=7 hello"
    # Bound methods have the method's signature without self (Jupyter's pop-ups).
    assert lines[1] == "(by: int) -> int (a: int, b: int) -> int"
    assert lines[2] == "(self, by: int) -> int"
    text = (generated / "mygo" / "typed.py").read_text()
    assert f"{str(FIXTURES.parent)}" not in text, "the copy's directory, not the fixture's"
    assert "Greeting" in text, "a package variable is read from Go at each access"


def test_a_module_without_variables_is_cached_by_cpython(tmp_path):
    """A generated package without Go variables has no module __getattr__, so CPython
    specialises `other.AddInt` as for a Python module (docs/adr/0025); unknown names still
    raise AttributeError."""
    mod = copy_module(FIXTURES / "other", tmp_path / "other")
    p = subprocess.run(
        [str(BIN / "usegolib"), "-q", "generate", str(mod), "--out", str(tmp_path / "mygo")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert p.returncode == 0, p.stderr
    script = textwrap.dedent("""\
        import dis
        from mygo import other
        def call(n):
            for _ in range(n):
                other.AddInt(1, 2)
        call(200)
        ops = {i.opname for i in dis.get_instructions(call, adaptive=True)}
        print(other.AddInt(1, 2), "__getattr__" in vars(other),
              bool(ops & {"LOAD_METHOD_MODULE", "LOAD_ATTR_MODULE"}))
        try:
            other.Nope
        except AttributeError:
            print("AttributeError")
        """)
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    r = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.split("\n")[:2] == ["1003 False True", "AttributeError"], r.stdout


def test_a_package_variable_is_read_at_each_access(generated):
    code = textwrap.dedent("""\
        from mygo import typed
        import usegolib
        print(typed.Greeting, "Greeting" in dir(typed), typed.__getattr__("Add")(2, 3))
        """)
    p = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=generated,
        timeout=300,
    )
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["hello", "True", "5"]


def test_a_remote_module_is_recorded_with_its_version(tmp_path):
    """From a module@version (through an offline file:// proxy), the generated module names
    the package with the version built and the artifact root given: it resolves from
    anywhere, whatever else is cached."""
    proxy = tmp_path / "proxy"
    for v in ("v1.0.0", "v1.2.0"):
        add_module(proxy, "example.com/remote", v, remote_files(v))
    env = {
        **os.environ,
        "GOPROXY": f"file://{proxy}",
        "GOSUMDB": "off",
        "GOFLAGS": "-mod=mod",
        "GOMODCACHE": str(tmp_path / "modcache"),
    }
    root = tmp_path / "root"
    p = subprocess.run(
        [str(BIN / "usegolib"), "generate", "example.com/remote@v1.0.0", "--all"]
        + ["--also", "unicode/utf8"]
        + ["--out", str(tmp_path / "proj" / "remotego"), "--artifact-dir", str(root)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert p.returncode == 0, p.stderr
    # --all is the module's own packages: one bridged with --also is no module of it.
    assert sorted(Path(f).name for f in p.stdout.split()) == [
        "__init__.py",
        "py.typed",
        "remote.py",
        "remote.pyi",
        "util.py",
        "util.pyi",
    ]
    text = (tmp_path / "proj" / "remotego" / "util.py").read_text()
    assert f"'example.com/remote/util',\n    'v1.0.0',\n    artifact_dir={str(root)!r}," in text
    # v1.2.0 cached too: the generated module still loads v1.0.0.
    subprocess.run(
        [str(BIN / "usegolib"), "-q", "build", "example.com/remote@v1.2.0", "--out", str(root)],
        check=True,
        env=env,
        timeout=600,
    )
    code = "from remotego import remote, util; print(remote.Version(), util.Shout('hi'))"
    p = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path / "proj",
        env=env,
        timeout=300,
    )
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["v1.0.0", "hi!"]


def mypy_errors(proj: Path, script: str) -> set[int]:
    p = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", "--show-error-codes", script],
        capture_output=True,
        text=True,
        cwd=proj,
        env={**os.environ, "MYPYPATH": str(proj)},
        timeout=600,
    )
    lines = {int(m.group(1)) for m in re.finditer(rf"^{script}:(\d+): error:", p.stdout, re.M)}
    assert p.returncode == (1 if lines else 0), p.stdout + p.stderr
    return lines


def test_mypy_accepts_correct_code_and_reports_each_planted_error(generated):
    assert mypy_errors(generated, "good.py") == set()
    assert mypy_errors(generated, "bad.py") == planted(BAD)


def pyright_errors(proj: Path, script: str) -> set[int]:
    exe = BIN / "pyright"
    if not exe.exists():
        pytest.skip("pyright is not installed in the venv (scripts/dev-requirements.txt pins it)")
    if shutil.which("node") is None:
        pytest.skip("pyright needs Node.js (node on PATH): not found")
    # The PyPI wrapper runs the pyright it bundles with the system's node: no download.
    env = {
        **os.environ,
        "PYRIGHT_PYTHON_GLOBAL_NODE": "1",
        "PYRIGHT_PYTHON_USE_BUNDLED_PYRIGHT": "1",
    }
    p = subprocess.run(
        [str(exe), "--outputjson", "--pythonpath", sys.executable, script],
        capture_output=True,
        text=True,
        cwd=proj,
        env=env,
        timeout=600,
    )
    try:
        report = json.loads(p.stdout)
    except ValueError:
        pytest.fail(f"pyright did not run: {p.stdout}{p.stderr}")
    errors = [d for d in report["generalDiagnostics"] if d["severity"] == "error"]
    return {d["range"]["start"]["line"] + 1 for d in errors}


def test_pyright_accepts_correct_code_and_reports_each_planted_error(generated):
    assert pyright_errors(generated, "good.py") == set()
    assert pyright_errors(generated, "bad.py") == planted(BAD)
