"""Finding, building, reusing and loading artifacts; each scenario runs in a child process so that
it starts with an empty registry of loaded modules."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import usegolib
from conftest import FIXTURES, copy_module, last_json, ok, run_py
from goproxy import add_module, remote_files


def test_import_of_the_same_package_returns_the_same_namespace(level1, artifact_root):
    again = usegolib.import_(FIXTURES / "level1", artifact_dir=artifact_root)
    assert again is level1


def test_version_conflict_and_ambiguity(artifact_root, level1, tmp_path):
    # Two "versions" of level1 in a private root: copies of the built local artifact.
    root = tmp_path / "root"
    src = Path(level1._go_module.artifact_dir)
    plat = src.name
    for v in ("v1.0.0", "v1.1.0"):
        dst = root / "example.com" / f"level1@{v}" / plat
        shutil.copytree(src, dst)
        m = json.loads((dst / "manifest.json").read_text())
        m["version"] = v
        (dst / "manifest.json").write_text(json.dumps(m))
    proc = run_py(f"""
        import json, usegolib
        out = {{}}
        try:
            usegolib.import_("example.com/level1", artifact_dir={str(root)!r}, build=False)
        except usegolib.AmbiguousArtifactError as e:
            out["ambiguous"] = str(e)
        p = usegolib.import_("example.com/level1", "v1.0.0", artifact_dir={str(root)!r}, build=False)
        out["add"] = p.AddInt(2, 3)
        out["follow"] = usegolib.import_("example.com/level1/sub", artifact_dir={str(root)!r}).Hello("x")
        try:
            usegolib.import_("example.com/level1@v1.1.0", artifact_dir={str(root)!r}, build=False)
        except usegolib.VersionConflictError as e:
            out["conflict"] = str(e)
        print(json.dumps(out))
    """)
    out = last_json(proc)
    assert "v1.0.0" in out["ambiguous"] and "v1.1.0" in out["ambiguous"]
    assert out["add"] == 5
    assert out["follow"] == "hello, x", "version=None follows the loaded version"
    assert "v1.0.0" in out["conflict"] and "v1.1.0" in out["conflict"]


def test_missing_artifact_without_build(tmp_path):
    proc = run_py(f"""
        import usegolib
        try:
            usegolib.import_("example.com/level1", artifact_dir={str(tmp_path)!r}, build=False)
        except usegolib.ArtifactNotFoundError as e:
            print("notfound:", e)
    """)
    assert "notfound: no artifact for example.com/level1" in ok(proc)


def test_build_if_missing_then_reuse_then_rebuild_after_a_change(tmp_path):
    mod = copy_module(FIXTURES / "other", tmp_path / "other")
    root = tmp_path / "artifacts"
    code = f"""
        import json, time, usegolib
        t = time.perf_counter()
        p = usegolib.import_({str(mod)!r}, artifact_dir={str(root)!r})
        print(json.dumps([p.AddInt(1, 2), p.Name(), time.perf_counter() - t]))
    """
    first = last_json(run_py(code))
    assert first[:2] == [1003, "other"]
    lib = next(root.rglob("libusegolib.so"))
    stamp = lib.stat().st_mtime_ns
    second = last_json(run_py(code, env={"USEGOLIB_GO": "/nonexistent/go"}))
    assert second[:2] == [1003, "other"], "reused without running go"
    assert lib.stat().st_mtime_ns == stamp
    (mod / "other.go").write_text(
        (mod / "other.go").read_text().replace("a + b + 1000", "a + b + 2000")
    )
    third = last_json(run_py(code))
    assert third[:2] == [2003, "other"], "a changed module is rebuilt"


def test_four_processes_build_a_missing_module_once(tmp_path):
    mod = copy_module(FIXTURES / "other", tmp_path / "other")
    root = tmp_path / "artifacts"
    code = f"""
        import usegolib
        p = usegolib.import_({str(mod)!r}, artifact_dir={str(root)!r})
        assert p.AddInt(2, 2) == 1004
        print("ok")
    """
    env = dict(os.environ, USEGOLIB_QUIET="1")
    import textwrap

    procs = [
        subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(code)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        assert out.strip() == "ok"
    libs = list(root.rglob("libusegolib.so"))
    assert len(libs) == 1
    leftovers = [p for p in root.rglob("*") if ".tmp" in p.name]
    assert leftovers == [], leftovers


def test_tampered_library_raises_load_error(tmp_path, level1, artifact_root):
    dst = tmp_path / Path(level1._go_module.artifact_dir).relative_to(artifact_root)
    shutil.copytree(level1._go_module.artifact_dir, dst)
    lib = dst / "libusegolib.so"
    data = bytearray(lib.read_bytes())
    data[len(data) // 2] ^= 1
    lib.write_bytes(bytes(data))
    proc = run_py(f"""
        import usegolib
        try:
            usegolib.import_("example.com/level1", artifact_dir={str(tmp_path)!r}, build=False)
        except usegolib.LoadError as e:
            print("load:", e)
    """)
    out = ok(proc)
    assert "load:" in out and str(lib) in out and "rebuild" in out


def test_abi_mismatch_raises_abi_version_error(tmp_path, level1, artifact_root):
    dst = tmp_path / Path(level1._go_module.artifact_dir).relative_to(artifact_root)
    shutil.copytree(level1._go_module.artifact_dir, dst)
    m = json.loads((dst / "manifest.json").read_text())
    m["abi_version"] = 99
    (dst / "manifest.json").write_text(json.dumps(m))
    proc = run_py(f"""
        import usegolib
        try:
            usegolib.import_("example.com/level1", artifact_dir={str(tmp_path)!r}, build=False)
        except usegolib.AbiVersionError as e:
            print("abi:", isinstance(e, usegolib.LoadError), e)
    """)
    out = ok(proc)
    assert "abi: True" in out and "ABI 99" in out and "rebuild" in out


def test_build_error_carries_the_compiler_output(tmp_path):
    mod = tmp_path / "broken"
    mod.mkdir()
    (mod / "go.mod").write_text("module example.com/broken\n\ngo 1.22\n")
    (mod / "b.go").write_text('package broken\n\nfunc F() int { return "x" }\n')
    proc = run_py(f"""
        import usegolib
        try:
            usegolib.import_({str(mod)!r}, artifact_dir={str(tmp_path / "a")!r})
        except usegolib.BuildError as e:
            print("phase:", e.phase)
            print("output:", e.output)
    """)
    out = ok(proc)
    assert "b.go:3" in out and "cannot use" in out


def test_missing_go_gives_a_hint(tmp_path):
    mod = copy_module(FIXTURES / "other", tmp_path / "other")
    proc = run_py(
        f"""
        import usegolib
        try:
            usegolib.import_({str(mod)!r}, artifact_dir={str(tmp_path / "a")!r})
        except usegolib.BuildError as e:
            print("build:", e)
    """,
        env={"USEGOLIB_GO": "/nonexistent/go"},
    )
    out = ok(proc)
    assert "Go toolchain was not found" in out and "install Go" in out


@pytest.fixture(scope="module")
def proxy(tmp_path_factory):
    root = tmp_path_factory.mktemp("goproxy")
    for v in ("v1.0.0", "v1.2.0"):
        add_module(root, "example.com/remote", v, remote_files(v))
    return root


def proxy_env(proxy: Path, tmp_path: Path) -> dict[str, str]:
    return {
        "GOPROXY": f"file://{proxy}",
        "GOSUMDB": "off",
        "GOFLAGS": "-mod=mod",
        "GOMODCACHE": str(tmp_path / "modcache"),
    }


def test_remote_module_through_a_file_proxy(proxy, tmp_path):
    root = tmp_path / "artifacts"
    env = proxy_env(proxy, tmp_path)
    out = last_json(
        run_py(
            f"""
        import json, usegolib
        r = usegolib.import_("example.com/remote@v1.0.0", artifact_dir={str(root)!r})
        u = usegolib.import_("example.com/remote/util", artifact_dir={str(root)!r})
        print(json.dumps([r.Version(), r.Mul(6, 7), u.Shout("hi"), r._go_module.version]))
    """,
            env=env,
        )
    )
    assert out == ["v1.0.0", 42, "hi!", "v1.0.0"]
    # @latest when nothing is cached for the requested module; a package path resolves its module.
    out = last_json(
        run_py(
            f"""
        import json, usegolib
        u = usegolib.import_("example.com/remote/util", artifact_dir={str(tmp_path / "latest")!r})
        print(json.dumps([u.Shout("a"), u._go_module.version]))
    """,
            env=env,
        )
    )
    assert out == ["a!", "v1.2.0"]
    # Both versions cached, none named: ambiguous.
    ok(
        run_py(
            f"""
        import usegolib
        usegolib.import_("example.com/remote@v1.2.0", artifact_dir={str(root)!r})
    """,
            env=env,
        )
    )
    proc = run_py(
        f"""
        import usegolib
        try:
            usegolib.import_("example.com/remote", artifact_dir={str(root)!r})
        except usegolib.AmbiguousArtifactError as e:
            print("ambiguous:", e.versions)
    """,
        env=env,
    )
    assert "ambiguous: ['v1.0.0', 'v1.2.0']" in ok(proc)


def test_a_cached_module_version_built_by_another_usegolib_is_rebuilt(proxy, tmp_path):
    # A cached module@version artifact records the builder that made it; after an upgrade of
    # usegolib (another generator, runtime or schema) it is rebuilt, not loaded as it is.
    root = tmp_path / "artifacts"
    env = proxy_env(proxy, tmp_path)
    script = f"""
        import json, logging, usegolib
        logging.basicConfig(level=logging.INFO)
        r = usegolib.import_("example.com/remote@v1.0.0", artifact_dir={str(root)!r})
        print(json.dumps([r.Mul(6, 7), r._go_module.artifact_dir]))
    """
    product, art = last_json(run_py(script, env=env))
    assert product == 42
    id_file = Path(art) / "usegolib-builder.id"
    ours = id_file.read_text()
    id_file.write_text("an-older-usegolib\n")
    proc = run_py(script, env=env)
    assert last_json(proc) == [42, art]
    assert "built by another usegolib version; rebuilding example.com/remote@v1.0.0" in proc.stderr
    assert id_file.read_text() == ours
    # Named without a version, the one cached version is rebuilt, not whatever @latest is now
    # (the proxy has v1.2.0).
    id_file.write_text("an-older-usegolib\n")
    unversioned = script.replace("example.com/remote@v1.0.0", "example.com/remote")
    unversioned = unversioned.replace("r.Mul(6, 7)", "r._go_module.version")
    proc = run_py(unversioned, env=env)
    assert last_json(proc) == ["v1.0.0", art]
    assert id_file.read_text() == ours


def test_first_import_of_a_cached_artifact_is_fast(level1, artifact_root):
    """Not a timing assertion: prints the figure so that the test log shows it."""
    code = f"""
        import time, usegolib
        t = time.perf_counter()
        usegolib.import_("example.com/level1", artifact_dir={str(artifact_root)!r}, build=False)
        print((time.perf_counter() - t) * 1000)
    """
    ms = float(ok(run_py(code)).strip())
    print(f"first import_ of a cached artifact: {ms:.1f} ms")
    assert ms > 0


@pytest.mark.parametrize("fn", ["PanicInGoroutine", "Exit"])
def test_process_killers_only_kill_the_child(tmp_path, fn):
    root = tmp_path / "a"
    ok(
        run_py(
            f"import usegolib; usegolib.import_({str(FIXTURES / 'crashy')!r}, artifact_dir={str(root)!r})"
        )
    )
    proc = run_py(
        f"""
        import usegolib
        c = usegolib.import_({str(FIXTURES / "crashy")!r}, artifact_dir={str(root)!r})
        c.{fn}(*([3] if "{fn}" == "Exit" else []))
        print("survived")
    """,
        timeout=60,
    )
    assert "survived" not in proc.stdout
    if fn == "Exit":
        assert proc.returncode == 3
    else:
        assert proc.returncode != 0 and "bg boom" in proc.stderr


def test_ctrl_c_during_a_long_call_takes_effect_when_it_returns(tmp_path):
    root = tmp_path / "a"
    proc = run_py(f"""
        import os, signal, threading, time, usegolib
        c = usegolib.import_({str(FIXTURES / "crashy")!r}, artifact_dir={str(root)!r})
        threading.Timer(0.2, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
        t = time.perf_counter()
        try:
            c.Sleep(1000)
            print("no interrupt")
        except KeyboardInterrupt:
            print("interrupted after", time.perf_counter() - t)
    """)
    out = ok(proc)
    # The call was not cut short: the interrupt took effect once Sleep(1000) had returned.
    assert "interrupted after" in out, out
    assert float(out.split("interrupted after")[1].split()[0]) >= 1.0, out


def test_a_forked_child_gets_an_error_instead_of_a_hang(artifact_root, level1):
    proc = run_py(
        f"""
        import os, usegolib
        p = usegolib.import_({str(FIXTURES / "level1")!r}, artifact_dir={str(artifact_root)!r})
        assert p.AddInt(1, 2) == 3
        pid = os.fork()
        if pid == 0:
            try:
                p.AddInt(1, 2)
                os._exit(3)
            except usegolib.UsegolibError as e:
                os._exit(0 if "fork" in str(e) and "spawn" in str(e) else 4)
        _, status = os.waitpid(pid, 0)
        print("child", os.waitstatus_to_exitcode(status))
        print("parent", p.AddInt(2, 2))
        """,
        timeout=60,
    )
    assert ok(proc).split() == ["child", "0", "parent", "4"]


def test_artifact_dir_from_the_environment(tmp_path):
    mod = copy_module(FIXTURES / "other", tmp_path / "other")
    root = tmp_path / "env-root"
    out = ok(
        run_py(
            f"""
        import usegolib
        print(usegolib.default_artifact_dir())
        print(usegolib.import_({str(mod)!r}).AddInt(1, 1))
        """,
            env={"USEGOLIB_ARTIFACT_DIR": str(root)},
        )
    )
    assert out.split() == [str(root), "1002"]
    assert list(root.rglob("manifest.json"))


def test_faulthandler_enabled_after_loading_keeps_go_panics_recoverable(artifact_root, level1):
    proc = run_py(
        f"""
        import faulthandler, usegolib
        p = usegolib.import_({str(FIXTURES / "level1")!r}, artifact_dir={str(artifact_root)!r})
        faulthandler.enable()  # after the Go runtime started: would replace its fault handlers
        try:
            p.PanicNilDeref()
        except usegolib.GoPanicError as e:
            print("recovered:", e.value)
        print(p.AddInt(1, 2))
        """,
        timeout=60,
    )
    out = ok(proc)
    assert "recovered: runtime error: invalid memory address or nil pointer dereference" in out
    assert out.split()[-1] == "3"


def test_a_build_held_by_another_process_times_out_with_a_clear_error(tmp_path):
    import fcntl

    mod = copy_module(FIXTURES / "other", tmp_path / "other")
    root = tmp_path / "artifacts"
    art = Path(usegolib._native.build_target(str(mod), None, str(root), True, None, [])[0])
    (mod / "other.go").write_text((mod / "other.go").read_text().replace("1000", "4000"))
    # The lock of an artifact: <root>/.locks/<its path below the root, '/' as '%'>.lock.
    lock = root / ".locks" / ("%".join(art.relative_to(root).parts) + ".lock")
    with open(lock, "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # as a build hung in another process would
        proc = run_py(
            f"""
            import usegolib
            try:
                usegolib.import_({str(mod)!r}, artifact_dir={str(root)!r})
            except usegolib.BuildError as e:
                print("phase:", e.phase)
                print(e.output)
            """,
            env={"USEGOLIB_LOCK_TIMEOUT": "1"},
            timeout=60,
        )
    out = ok(proc)
    assert "phase: lock" in out and "another process has been building" in out


def test_a_package_path_resolves_to_its_module_when_direct_is_unreachable(proxy, tmp_path):
    # The proxy has no module example.com/remote/util (only example.com/remote), and its direct
    # fallback cannot be reached (a dead HTTPS proxy): the package path still resolves.
    env = {
        **proxy_env(proxy, tmp_path),
        "GOPROXY": f"file://{proxy},direct",
        "HTTPS_PROXY": "http://127.0.0.1:1",
        "HTTP_PROXY": "http://127.0.0.1:1",
        "NO_PROXY": "",
    }
    out = last_json(
        run_py(
            f"""
        import json, usegolib
        u = usegolib.import_("example.com/remote/util@v1.0.0", artifact_dir={str(tmp_path / "a")!r})
        print(json.dumps([u.Shout("x"), u._go_module.path, u._go_module.version]))
    """,
            env=env,
        )
    )
    assert out == ["x!", "example.com/remote", "v1.0.0"]


def test_a_mistyped_module_is_a_build_error_naming_the_request_and_each_answer(proxy, tmp_path):
    proc = run_py(
        f"""
        import usegolib
        try:
            usegolib.import_("example.com/nosuch/pkg@v1.0.0", artifact_dir={str(tmp_path)!r})
        except usegolib.BuildError as e:
            print("build:", e.phase)
            print(str(e))
    """,
        env=proxy_env(proxy, tmp_path),
    )
    out = ok(proc)
    assert "build: download" in out
    assert "no module found for example.com/nosuch/pkg@v1.0.0; tried:" in out
    tried = [line.strip().split(":")[0] for line in out.splitlines() if line.startswith("  ")]
    assert tried == ["example.com/nosuch/pkg@v1.0.0", "example.com/nosuch@v1.0.0"], out
    assert "no such file" in out
    assert "network" not in out, "no network hint when the proxy answered"
