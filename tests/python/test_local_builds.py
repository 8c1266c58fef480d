"""Local builds that use the toolchain the user chose and know every input of the build: each
scenario runs in child processes (a fresh registry of loaded modules, a new process per
import as a user would see it)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from conftest import FIXTURES, copy_module, last_json, ok, run_py
from test_cli import cli

NO_GO = {"USEGOLIB_GO": "/nonexistent/go"}


def call(module_dir: Path, root: Path, expr: str, env: dict[str, str] | None = None):
    """Imports module_dir in a new process and prints expr (over the imported package p)."""
    return run_py(
        f"""
        import json, usegolib
        p = usegolib.import_({str(module_dir)!r}, artifact_dir={str(root)!r})
        print(json.dumps({expr}))
        """,
        env=env,
    )


def test_usegolib_go_is_the_only_go(tmp_path):
    """With no go on PATH at all, $USEGOLIB_GO builds and the module works."""
    go = shutil.which(os.environ.get("USEGOLIB_GO", "go"))
    assert go is not None
    path = [
        d
        for d in os.environ["PATH"].split(os.pathsep)
        if d and not os.access(os.path.join(d, "go"), os.X_OK)
    ]
    env = {"PATH": os.pathsep.join(path), "USEGOLIB_GO": os.path.abspath(go)}
    assert shutil.which("go", path=env["PATH"]) is None
    mod = copy_module(FIXTURES / "other", tmp_path / "other")
    out = last_json(call(mod, tmp_path / "root", "[p.AddInt(1, 2), p.Name()]", env=env))
    assert out == [1003, "other"]


def test_a_monorepo_module_with_replace_builds(tmp_path):
    """a requires example.com/mono/b through `replace ... => ../b`, as `go build` in a does."""
    src = tmp_path / "mono"
    shutil.copytree(FIXTURES / "mono", src)
    proc = run_py(f"""
        import json, usegolib
        a = usegolib.import_({str(src / "a")!r}, artifact_dir={str(tmp_path / "root")!r})
        c = usegolib.import_({str(src / "a" / "cpart")!r}, artifact_dir={str(tmp_path / "root")!r})
        print(json.dumps([a.Greeting(), c.Value()]))
    """)
    assert last_json(proc) == ["hello from b", 7]


def test_every_input_of_the_build_counts(tmp_path):
    """An embedded file, a C file of a cgo package, and a .go file of the module a replace
    directive names: each change is rebuilt; no change is reused without running go."""
    src = tmp_path / "mono"
    shutil.copytree(FIXTURES / "mono", src)
    a, root = src / "a", tmp_path / "root"
    expr = "[p.Greeting(), usegolib.import_(p._go_path + '/cpart').Value()]"

    def now(env=None):
        return last_json(call(a, root, expr, env=env))

    def library_sha256():
        (manifest,) = root.rglob("manifest.json")
        return json.loads(manifest.read_text())["library"]["sha256"]

    assert now() == ["hello from b", 7]
    assert now(NO_GO) == ["hello from b", 7], "unchanged: reused without go"

    (a / "data" / "greeting.txt").write_text("bonjour\n")
    assert now() == ["bonjour from b", 7], "an embedded file changed"
    (a / "cpart" / "cpart.c").write_text("int cpart_value(void) { return 8; }\n")
    assert now() == ["bonjour from b", 8], "a C file of a cgo package changed"
    b_go = src / "b" / "b.go"
    b_go.write_text(b_go.read_text().replace('"from b"', '"from the new b"'))
    assert now() == ["bonjour from the new b", 8], "a replaced module's .go file changed"
    before = library_sha256()
    (a / "data" / "more.txt").write_text("new\n")
    assert now() == ["bonjour from the new b", 8]
    assert library_sha256() != before, "a new file in an embedded directory is rebuilt"
    assert now(NO_GO) == ["bonjour from the new b", 8]


def test_two_directories_with_one_module_path(tmp_path):
    """Each directory keeps its own artifact (switching rebuilds nothing, neither loads the
    other); one process refuses the second directory, naming both; the module path alone is
    ambiguous and says which directories are cached."""
    a = copy_module(FIXTURES / "other", tmp_path / "a" / "other")
    b = copy_module(FIXTURES / "other", tmp_path / "b" / "other")
    (b / "other.go").write_text((b / "other.go").read_text().replace("+ 1000", "+ 2000"))
    root = tmp_path / "root"
    assert last_json(call(a, root, "p.AddInt(1, 2)")) == 1003
    assert last_json(call(b, root, "p.AddInt(1, 2)")) == 2003
    assert last_json(call(a, root, "p.AddInt(1, 2)", env=NO_GO)) == 1003
    assert last_json(call(b, root, "p.AddInt(1, 2)", env=NO_GO)) == 2003

    out = last_json(
        run_py(f"""
        import json, usegolib
        out = {{"a": usegolib.import_({str(a)!r}, artifact_dir={str(root)!r}).AddInt(1, 2)}}
        try:
            usegolib.import_({str(b)!r}, artifact_dir={str(root)!r})
        except usegolib.VersionConflictError as e:
            out["conflict"] = str(e)
        print(json.dumps(out))
    """)
    )
    assert out["a"] == 1003
    assert str(a.resolve()) in out["conflict"] and str(b.resolve()) in out["conflict"]

    out = last_json(
        run_py(f"""
        import json, usegolib
        try:
            usegolib.import_("example.com/other", artifact_dir={str(root)!r}, build="never")
        except usegolib.AmbiguousArtifactError as e:
            print(json.dumps(str(e)))
    """)
    )
    assert str(a.resolve()) in out and str(b.resolve()) in out

    listed = json.loads(ok(cli("--artifact-dir", str(root), "list", "--json")))
    assert sorted(r["source_dir"] for r in listed) == sorted([str(a.resolve()), str(b.resolve())])
    p = cli("--artifact-dir", str(root), "rm", "example.com/other")
    assert p.returncode != 0 and "several cached builds" in p.stderr
    assert str(a.resolve()) in p.stderr
    assert "removed" in ok(cli("--artifact-dir", str(root), "rm", str(b)))
    listed = json.loads(ok(cli("--artifact-dir", str(root), "list", "--json")))
    assert [r["source_dir"] for r in listed] == [str(a.resolve())]
    assert last_json(call(a, root, "p.AddInt(1, 2)", env=NO_GO)) == 1003
