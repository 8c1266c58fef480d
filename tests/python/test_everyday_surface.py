"""Builds one can see from a notebook or a CI log, and friendlier everyday failures (issue 12
items 3 and 6): phases on a captured stderr, quiet and verbose, the waiting line; relative
targets next to the calling file; exception names; how to name a version or an instantiation;
help(pkg)."""

from __future__ import annotations

import fcntl
import json
import pydoc
import re
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import usegolib
from conftest import FIXTURES, copy_module, run_py
from test_cache_trust import lock_of, spawn_py, wait_for_line

PHASES = ("resolve", "scan", "generate", "compile", "write")


def notebook_import(mod: Path, root: Path, **kw: object) -> subprocess.CompletedProcess[str]:
    """import_ in a child whose stderr is a pipe, as in Jupyter or a CI job (no terminal), with
    USEGOLIB_QUIET unset; also records what the ``usegolib`` logger received."""
    code = f"""
        import json, logging, usegolib
        seen = []
        class Keep(logging.Handler):
            def emit(self, record):
                seen.append(record.getMessage())
        logging.getLogger("usegolib").addHandler(Keep())
        logging.getLogger("usegolib").setLevel(logging.INFO)
        pkg = usegolib.import_({str(mod)!r}, artifact_dir={str(root)!r}, **{kw!r})
        print(json.dumps([pkg.AddInt(1, 2), seen]))
    """
    p = run_py(code, env={"USEGOLIB_QUIET": ""})
    assert p.returncode == 0, p.stderr
    return p


def test_a_build_without_a_terminal_prints_its_phases_with_their_times(tmp_path):
    mod = copy_module(FIXTURES / "other", tmp_path / "other")
    p = notebook_import(mod, tmp_path / "root")
    for phase in PHASES:
        assert f"usegolib: {phase} {mod}\n" in p.stderr, p.stderr
        assert re.search(rf"^usegolib: {phase} done in \d+\.\d s$", p.stderr, re.M), p.stderr
    # The order: each phase ends before the next starts.
    starts = [p.stderr.index(f"usegolib: {ph} {mod}") for ph in PHASES]
    ends = [p.stderr.index(f"usegolib: {ph} done in") for ph in PHASES]
    assert starts[0] < ends[0] < starts[1] < ends[1] < starts[2] < ends[2] < starts[3] < ends[3]
    result, logged = json.loads(p.stdout.splitlines()[-1])
    assert result == 1003
    assert f"build: compile {mod}" in logged, "the logger gets the same lines"


def test_quiet_silences_and_verbose_streams_go_output(tmp_path):
    mod = copy_module(FIXTURES / "other", tmp_path / "other")
    root = tmp_path / "root"
    p = notebook_import(mod, root, quiet=True, build="always")
    assert p.stderr == "", p.stderr
    _result, logged = json.loads(p.stdout.splitlines()[-1])
    assert f"build: compile {mod}" in logged, "quiet keeps the log records"
    p = run_py(
        f"import usegolib; usegolib.import_({str(mod)!r}, artifact_dir={str(root)!r}, "
        "build='always')",
        env={"USEGOLIB_QUIET": "1"},
    )
    assert p.returncode == 0 and p.stderr == "", p.stderr
    src = mod / "other.go"
    src.write_text(src.read_text().replace("a + b + 1000", f"a + b + 1{time.time_ns() % 10**9}"))
    p = notebook_import(mod, root, verbose=True)
    # example.com/other itself is compiled by the scan's go list -export (docs/adr/0028): the
    # build's go build -v names the bridge it compiles.
    assert "usegolib: go: usegolib_bridge\n" in p.stderr, p.stderr


def test_a_build_waiting_for_another_process_says_so(tmp_path):
    mod = copy_module(FIXTURES / "other", tmp_path / "other")
    root = tmp_path / "root"
    art = usegolib._native.build_target(str(mod), None, str(root), False, None, [])[0]
    src = mod / "other.go"
    src.write_text(src.read_text().replace("a + b + 1000", "a + b + 4000"))
    with open(lock_of(root, art), "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # another process is building this artifact
        child = spawn_py(
            f"import usegolib\n"
            f"print(usegolib.import_({str(mod)!r}, artifact_dir={str(root)!r}).AddInt(1, 2))",
            {"USEGOLIB_QUIET": ""},
        )
        seen = wait_for_line(child.stderr, "usegolib: waiting for another process building")
        assert not any("usegolib: compile" in line for line in seen)
    out, err = child.communicate(timeout=300)  # the lock is free: it builds now
    assert child.returncode == 0, err
    assert out.split() == ["4003"] and "usegolib: compile done in" in err


def test_a_relative_target_resolves_next_to_the_calling_file(tmp_path):
    project = tmp_path / "project"
    copy_module(FIXTURES / "other", project / "gomod")
    script = project / "app.py"
    script.write_text(
        textwrap.dedent("""\
        import usegolib
        print(usegolib.import_("./gomod").AddInt(1, 2))
        try:
            usegolib.import_("./nothing")
        except usegolib.ArtifactNotFoundError as e:
            print(e)
        """)
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    p = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, cwd=elsewhere, timeout=300
    )
    assert p.returncode == 0, p.stderr
    first, second = p.stdout.splitlines()
    assert first == "1003"
    assert "no directory './nothing'" in second
    assert f"tried {elsewhere} and {project} (the directory of {script})" in second
    # A relative Path too.
    script.write_text(
        "from pathlib import Path\nimport usegolib\n"
        "print(usegolib.import_(Path('gomod')).AddInt(1, 2))\n"
    )
    p = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, cwd=elsewhere, timeout=300
    )
    assert p.stdout.split() == ["1003"], p.stderr
    # The working directory wins when it has the directory.
    copy_module(FIXTURES / "level1", elsewhere / "gomod")
    code = "import usegolib; print(usegolib.import_('./gomod')._go_module.path)"
    p = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=elsewhere, timeout=300
    )
    assert p.stdout.split() == ["example.com/level1"], p.stderr


def test_exceptions_print_under_the_usegolib_name(tmp_path):
    p = run_py(f"import usegolib; usegolib.load_artifact({str(tmp_path)!r})")
    assert p.returncode == 1
    assert p.stderr.splitlines()[-1].startswith("usegolib.LoadError: "), p.stderr
    assert "_native" not in p.stderr.splitlines()[-1]


def test_ambiguous_artifacts_show_how_to_name_one(tmp_path, level1):
    # Two versions of level1 in a private root: copies of the built local artifact.
    root = tmp_path / "root"
    src = Path(level1._go_module.artifact_dir)
    for v in ("v1.0.0", "v1.1.0"):
        dst = root / "example.com" / f"level1@{v}" / src.name
        shutil.copytree(src, dst)
        m = json.loads((dst / "manifest.json").read_text())
        m["version"] = v
        (dst / "manifest.json").write_text(json.dumps(m))
    p = run_py(f"""
        import usegolib
        try:
            usegolib.import_("example.com/level1", artifact_dir={str(root)!r}, build=False)
        except usegolib.AmbiguousArtifactError as e:
            print(e)
    """)
    message = p.stdout.strip()
    syntax = 'usegolib.import_("example.com/level1@v1.0.0")'
    assert syntax in message and 'usegolib.import_("example.com/level1@v1.1.0")' in message
    # The syntax shown works as written (with the root of this test).
    p = run_py(f"""
        import usegolib
        pkg = usegolib.import_("example.com/level1@v1.0.0", artifact_dir={str(root)!r})
        print(pkg.AddInt(2, 3), pkg._go_module.version)
    """)
    assert p.stdout.split() == ["5", "v1.0.0"], p.stderr


def test_generic_hints_use_the_python_spelling(level1, artifact_root):
    with pytest.raises(usegolib.UnsupportedSignatureError) as info:
        level1.Generic(1)
    assert 'generics=["Generic[T]"]' in str(info.value)
    assert 'e.g. generics=["Generic[int64]"]' in str(info.value)
    # As test_records_objects_generics imports it (one runtime per module per process).
    from conftest import GENERICS

    l3 = usegolib.import_(FIXTURES / "level3", artifact_dir=artifact_root, generics=GENERICS)
    with pytest.raises(usegolib.UnsupportedSignatureError) as info:
        l3.Identity[float]
    assert 'ask for it with generics=["Identity[float64]"]' in str(info.value)


def test_the_hint_works_as_written(tmp_path):
    mod = copy_module(FIXTURES / "level1", tmp_path / "level1")
    p = run_py(f"""
        import usegolib
        pkg = usegolib.import_({str(mod)!r}, artifact_dir={str(tmp_path / "root")!r},
                               generics=["Generic[int64]"])
        print(pkg.Generic(41))
    """)
    assert p.stdout.split() == ["41"], p.stderr


def test_help_lists_the_packages_functions_and_types():
    pkg = usegolib.import_(FIXTURES / "typed")
    text = pydoc.render_doc(pkg, renderer=pydoc.plaintext)
    for line in (
        "Package typed is the fixture",
        "Functions:",
        "Add(a: int, b: int) -> int",
        "NewCounter(start: int) -> Counter",
        "class Counter (Go object)",
        "Inc(self, by: int) -> int",
        "class Point (record)",
        "Tag: str",
        "Variables (read from Go at each access):",
        "Greeting: str",
    ):
        assert line in text, text
