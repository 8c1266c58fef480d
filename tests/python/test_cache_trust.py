"""A cache that cannot be turned against its user, and Ctrl-C during builds (issue 7).

Every scenario runs in child processes with the real Go toolchain; a slow build is a wrapper
`go` (first on PATH) that logs and sleeps before running the real one.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import stat
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest
import usegolib
from conftest import FIXTURES, copy_module, ok, run_py
from usegolib import _native

REAL_GO = shutil.which(os.environ.get("USEGOLIB_GO") or "go")


def lock_of(root: Path, artifact: str | Path) -> Path:
    """The documented lock of an artifact directory: <root>/.locks/<relative path, / as %>.lock."""
    rel = Path(artifact).relative_to(root)
    return root / ".locks" / ("%".join(rel.parts) + ".lock")


def slow_go(tmp: Path, sleep: float) -> Path:
    """A bin directory whose `go` logs `start`/`end` around c-shared builds (to
    $USEGOLIB_TEST_LOG) and sleeps `sleep` seconds before running the real go. Only `go build`:
    the scan's `go list` carries -buildmode=c-shared too (docs/adr/0028)."""
    bindir = tmp / "slowbin"
    bindir.mkdir()
    go = bindir / "go"
    go.write_text(
        textwrap.dedent(f"""\
        #!/bin/sh
        case " $* " in
        " build "*"-buildmode=c-shared "*)
            echo "start $$" >> "$USEGOLIB_TEST_LOG"
            sleep {sleep}
            {REAL_GO} "$@"
            rc=$?
            echo "end $$" >> "$USEGOLIB_TEST_LOG"
            exit $rc;;
        esac
        exec {REAL_GO} "$@"
        """)
    )
    go.chmod(0o755)
    return bindir


def spawn_py(code: str, env: dict[str, str]) -> subprocess.Popen[str]:
    full = {k: v for k, v in os.environ.items() if k != "USEGOLIB_GO"}
    full.update(env)
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=full,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_line(stream, needle: str) -> list[str]:
    """Reads lines from a child's stream until one contains `needle` (or the stream ends)."""
    seen = []
    for line in stream:
        seen.append(line)
        if needle in line:
            return seen
    raise AssertionError(f"{needle!r} never came; got {''.join(seen)}")


def add_in_child(mod: Path, root: Path, env: dict[str, str] | None = None) -> list[str]:
    """Imports the `other` fixture (maybe changed) in a child process; its AddInt(1, 2)."""
    code = f"import usegolib; print(usegolib.import_({str(mod)!r}, artifact_dir={str(root)!r})"
    return ok(run_py(code + ".AddInt(1, 2))", env=env)).split()


def import_catching_ctrl_c(mod: Path, root: Path) -> str:
    """Child code: import (building, with progress) and say whether Ctrl-C interrupted it."""
    return f"""
        import usegolib
        try:
            usegolib.import_({str(mod)!r}, artifact_dir={str(root)!r}, quiet=False)
            print("imported")
        except KeyboardInterrupt:
            print("KeyboardInterrupt")
    """


def start_slow_build(tmp_path: Path, mod: Path, root: Path) -> tuple[subprocess.Popen[str], str]:
    """Starts a child whose import builds with a `go` that sleeps 600 s in the compile phase;
    returns once that go runs, with the child and the marker in its processes' environment."""
    marker = uuid.uuid4().hex
    log = tmp_path / "builds.log"
    child = spawn_py(
        import_catching_ctrl_c(mod, root),
        {
            "PATH": f"{slow_go(tmp_path, 600)}:{os.environ['PATH']}",
            "USEGOLIB_TEST_LOG": str(log),
            "USEGOLIB_TEST_MARK": marker,
        },
    )
    wait_for_line(child.stderr, "usegolib: compile")
    while not log.exists():
        time.sleep(0.05)
    return child, marker


def processes_with(marker: str) -> list[int]:
    """The pids of live processes whose environment holds `marker`."""
    found = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit() or int(d.name) == os.getpid():
            continue
        try:
            if marker.encode() in (d / "environ").read_bytes():
                status = (d / "status").read_text()
                if "\nState:\tZ" not in status:
                    found.append(int(d.name))
        except OSError:
            continue
    return found


def change(mod: Path, offset: int) -> None:
    """Changes the `other` fixture's AddInt to add `offset` instead of 1000."""
    src = mod / "other.go"
    src.write_text(src.read_text().replace("a + b + 1000", f"a + b + {offset}"))


# -- 1. Module paths -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path,rule", [("../../escape", "double dot"), ("/abs/dir", "leading slash")]
)
def test_a_module_path_that_would_leave_the_cache_is_refused_before_any_write(tmp_path, path, rule):
    mod = tmp_path / "mod"
    mod.mkdir()
    (mod / "go.mod").write_text(f"module {path}\n\ngo 1.22\n")
    (mod / "x.go").write_text("package x\n\nfunc F() int { return 1 }\n")
    root = tmp_path / "deep" / "er" / "root"
    with pytest.raises(usegolib.BuildError) as e:
        usegolib.import_(mod, artifact_dir=root)
    assert "malformed module path" in str(e.value) and rule in str(e.value)
    assert path in str(e.value)
    assert e.value.phase == "resolve"
    assert not (tmp_path / "deep").exists(), "nothing was written"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mod"]


def test_a_malformed_remote_path_is_refused(tmp_path):
    with pytest.raises(usegolib.BuildError, match="double dot"):
        usegolib.import_("example.com/../../x", artifact_dir=tmp_path / "r", build="never")
    assert not (tmp_path / "r").exists()


# -- 2 and 3. The tool, permissions ----------------------------------------------------------


@pytest.fixture(scope="module")
def umask0_cache(tmp_path_factory):
    """A fresh cache and artifact root built by a child process running with umask 000."""
    base = tmp_path_factory.mktemp("umask0")
    cache, root = base / "cache", base / "root"
    mod = copy_module(FIXTURES / "other", base / "other")
    proc = run_py(
        f"""
        import os, usegolib
        os.umask(0)
        p = usegolib.import_({str(mod)!r}, artifact_dir={str(root)!r})
        print(p.AddInt(1, 2))
        """,
        env={"USEGOLIB_CACHE_DIR": str(cache)},
    )
    assert ok(proc).split() == ["1003"]
    return base, cache, root, mod


def test_with_umask_000_everything_in_the_cache_is_private(umask0_cache):
    _base, cache, root, _mod = umask0_cache
    seen = {"dir": 0, "file": 0}
    for top in (cache, root):
        for p in [top, *top.rglob("*")]:
            mode = stat.S_IMODE(p.lstat().st_mode)
            kind = "dir" if p.is_dir() else "file"
            seen[kind] += 1
            assert mode & 0o077 == 0, f"{p}: {mode:o}"
            if p.name == "usegolib-build" or kind == "dir":
                assert mode == 0o700, f"{p}: {mode:o}"
            else:
                assert mode == 0o600, f"{p}: {mode:o}"
    assert seen["file"] >= 6 and seen["dir"] >= 6, seen
    assert list(cache.glob("tools/*/usegolib-build"))
    assert list(root.rglob("libusegolib.so"))


def test_a_replaced_build_tool_is_rebuilt_instead_of_run(umask0_cache):
    base, cache, root, mod = umask0_cache
    (tool,) = cache.glob("tools/*/usegolib-build")
    marker = base / "tool-ran"
    tool.write_text(f"#!/bin/sh\ntouch {marker}\nexit 0\n")
    tool.chmod(0o700)
    change(mod, 3000)
    proc = run_py(
        f"""
        import usegolib
        p = usegolib.import_({str(mod)!r}, artifact_dir={str(root)!r}, quiet=False)
        print(p.AddInt(1, 2))
        """,
        env={"USEGOLIB_CACHE_DIR": str(cache)},
    )
    assert ok(proc).split() == ["3003"], "the build succeeded with a rebuilt tool"
    assert not marker.exists(), "the replaced tool was run"
    assert "warning: not running the cached usegolib-build tool" in proc.stderr
    assert "was recorded when it was built; rebuilding it" in proc.stderr
    assert tool.read_bytes()[:4] == b"\x7fELF", "the tool was rebuilt in place"


def test_a_cache_root_others_can_write_is_refused(tmp_path):
    mod = copy_module(FIXTURES / "other", tmp_path / "other")
    root = tmp_path / "root"
    root.mkdir()
    root.chmod(0o777)
    with pytest.raises(usegolib.CacheError) as e:
        usegolib.import_(mod, artifact_dir=root)
    msg = str(e.value)
    assert str(root) in msg and "other users can write it" in msg and "chmod go-w" in msg
    assert "USEGOLIB_CACHE_DIR" in msg
    assert list(root.iterdir()) == [], "nothing was written into it"
    # The same for the cache directory (where the build tool lives).
    cache = tmp_path / "cache"
    cache.mkdir()
    cache.chmod(0o777)
    proc = run_py(
        f"""
        import usegolib
        try:
            usegolib.import_({str(mod)!r}, artifact_dir={str(tmp_path / "root2")!r})
        except usegolib.CacheError as e:
            print("refused:", e)
        """,
        env={"USEGOLIB_CACHE_DIR": str(cache)},
    )
    out = ok(proc)
    assert f"refused: refusing to use {cache}" in out and "chmod go-w" in out
    assert list(cache.iterdir()) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a directory to another user")
def test_a_directory_of_another_user_in_the_cache_is_refused(tmp_path, level1, artifact_root):
    root = tmp_path / "root"
    shutil.copytree(artifact_root, root)
    (art,) = [Path(d) for d, _ in _native.list_artifacts(str(root)) if "level1" in d]
    os.chown(art.parent, 4242, 4242)
    proc = run_py(
        f"""
        import usegolib
        try:
            usegolib.import_("example.com/level1", artifact_dir={str(root)!r}, build="never")
        except usegolib.CacheError as e:
            print("refused:", e)
        """
    )
    out = ok(proc)
    assert f"refused: refusing to use {art.parent}" in out
    assert "belongs to another user (uid 4242" in out


# -- 4. Damaged libraries --------------------------------------------------------------------


@pytest.mark.parametrize("damage", ["truncate", "delete"])
def test_a_damaged_or_missing_library_is_rebuilt_under_missing(tmp_path, damage):
    mod = copy_module(FIXTURES / "other", tmp_path / "other")
    root = tmp_path / "root"
    code = f"""
        import usegolib
        try:
            p = usegolib.import_({str(mod)!r}, artifact_dir={str(root)!r}, build=BUILD,
                                 quiet=False)
            print("ok", p.AddInt(1, 2))
        except usegolib.LoadError as e:
            print("loaderror:", e)
    """
    assert ok(run_py(code.replace("BUILD", "'missing'"))).split() == ["ok", "1003"]
    (lib,) = root.rglob("libusegolib.so")
    if damage == "truncate":
        lib.write_bytes(lib.read_bytes()[:1000])
    else:
        lib.unlink()
    never = ok(run_py(code.replace("BUILD", "'never'")))
    if damage == "truncate":
        assert "loaderror:" in never and "does not match its manifest" in never, never
    else:
        assert "loaderror:" in never and "is missing" in never and "rebuild" in never, never
    proc = run_py(code.replace("BUILD", "'missing'"))
    assert ok(proc).split() == ["ok", "1003"]
    assert "missing or does not match its manifest; rebuilding it" in proc.stderr
    assert proc.stderr.count("rebuilding it") == 1, proc.stderr


# -- 5. No HOME ------------------------------------------------------------------------------


def test_without_home_the_cache_is_the_users_own(tmp_path):
    import pwd

    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("HOME", "USEGOLIB_CACHE_DIR", "XDG_CACHE_HOME", "USEGOLIB_ARTIFACT_DIR")
    }
    proc = subprocess.run(
        [sys.executable, "-c", "import usegolib; print(usegolib.default_artifact_dir())"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    out = ok(proc).strip()
    home = pwd.getpwuid(os.geteuid()).pw_dir
    assert out == os.path.join(home, ".cache/usegolib/artifacts"), out
    assert not out.startswith("/tmp/.cache")


# -- 6. One lock per artifact ----------------------------------------------------------------


def test_always_and_missing_builds_of_one_artifact_take_turns(tmp_path):
    mod = copy_module(FIXTURES / "other", tmp_path / "other")
    root = tmp_path / "root"
    assert add_in_child(mod, root) == ["1003"]
    change(mod, 5000)
    log = tmp_path / "builds.log"
    env = {
        "PATH": f"{slow_go(tmp_path, 2)}:{os.environ['PATH']}",
        "USEGOLIB_TEST_LOG": str(log),
    }
    code = """
        import usegolib
        p = usegolib.import_({mod!r}, artifact_dir={root!r}, build={build!r})
        print(p.AddInt(1, 2))
    """
    procs = [
        spawn_py(code.format(mod=str(mod), root=str(root), build=b), env)
        for b in ("always", "missing")
    ]
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        assert out.split() == ["5003"]
    events = [line.split()[0] for line in log.read_text().splitlines()]
    assert events and events[0] == "start", events
    assert events == ["start", "end"] * (len(events) // 2), f"builds overlapped: {events}"


# -- 7. Leftovers ----------------------------------------------------------------------------


def test_the_leftovers_of_a_killed_build_are_removed_by_the_next_one(tmp_path):
    mod = copy_module(FIXTURES / "other", tmp_path / "other")
    root = tmp_path / "root"
    cache = Path(os.environ["USEGOLIB_CACHE_DIR"])
    art = Path(_native.build_target(str(mod), None, str(root), False, None, [])[0])
    change(mod, 6000)
    child, marker = start_slow_build(tmp_path, mod, root)
    try:
        work_dirs = [p for p in (cache / "work").iterdir() if p.is_dir()]
        pids = processes_with(marker)
        # Kill the Python process and the build's process group, as an OOM killer might.
        os.kill(child.pid, signal.SIGKILL)
        groups = {os.getpgid(pid) for pid in pids if pid != child.pid} - {os.getpgid(0)}
        assert groups, "the build runs in its own process group"
        for group in groups:
            os.killpg(group, signal.SIGKILL)
    finally:
        child.kill()
        child.communicate(timeout=60)
    ours = [d for d in work_dirs if d.name.split("-")[0] == str(child.pid)]
    assert ours and all(d.exists() for d in ours), "the killed build left its work directory"
    # What a killed atomic write and an old failed tool build leave.
    (art.parent / f".{art.name}.tmp-123").mkdir()
    (art.parent / f".{art.name}.old-456").mkdir()
    (cache / "tools" / "0000-go0.tmp-789").mkdir()
    assert add_in_child(mod, root) == ["6003"]
    assert not any(d.exists() for d in ours), "stale work directories are removed"
    assert not list(art.parent.glob(f".{art.name}.*"))
    assert not (cache / "tools" / "0000-go0.tmp-789").exists()


def test_a_build_dies_with_the_python_process_that_started_it(tmp_path):
    """The build tool runs in its own process group (so Ctrl-C reaches only Python), so the
    kernel must end it when Python is killed outright: no build may outlive its lock and write
    an artifact afterwards."""
    mod = copy_module(FIXTURES / "other", tmp_path / "other")
    root = tmp_path / "root"
    child, marker = start_slow_build(tmp_path, mod, root)
    try:
        tools = [pid for pid in processes_with(marker) if argv0(pid) == "usegolib-build"]
        assert tools, "the build tool runs"
        os.kill(child.pid, signal.SIGKILL)  # Python only: the tool's group is left alone
        child.communicate(timeout=60)
        for _ in range(600):  # a hang guard, not a timing check: the kernel acts at once
            if not any(pid in processes_with(marker) for pid in tools):
                break
            time.sleep(0.05)
        assert not any(pid in processes_with(marker) for pid in tools), "the tool outlived Python"
    finally:
        for pid in processes_with(marker):
            try:
                os.killpg(os.getpgid(pid), signal.SIGKILL)
            except OSError:
                pass
    assert not list(root.rglob("manifest.json")), "no artifact was written"


def argv0(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode()
    except OSError:
        return ""


# -- 8. Ctrl-C -------------------------------------------------------------------------------


def test_ctrl_c_while_waiting_for_another_processs_build_lock(tmp_path):
    mod = copy_module(FIXTURES / "other", tmp_path / "other")
    root = tmp_path / "root"
    art = _native.build_target(str(mod), None, str(root), False, None, [])[0]
    change(mod, 7000)
    with open(lock_of(root, art), "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # another process is building this artifact
        child = spawn_py(
            import_catching_ctrl_c(mod, root),
            {},
        )
        wait_for_line(child.stderr, "waiting for another process building")
        os.kill(child.pid, signal.SIGINT)
        out, err = child.communicate(timeout=30)
    assert out.split() == ["KeyboardInterrupt"], out + err
    assert add_in_child(mod, root) == ["7003"], "the lock is free and the next import builds"


def test_ctrl_c_during_a_build_kills_it_and_leaves_the_cache_consistent(tmp_path):
    mod = copy_module(FIXTURES / "other", tmp_path / "other")
    root = tmp_path / "root"
    cache = Path(os.environ["USEGOLIB_CACHE_DIR"])
    child, marker = start_slow_build(tmp_path, mod, root)
    assert processes_with(marker), "the build runs"
    os.kill(child.pid, signal.SIGINT)  # to the Python process only, not its build
    out, err = child.communicate(timeout=30)
    assert out.split() == ["KeyboardInterrupt"], out + err
    assert processes_with(marker) == [], "every go process of the build was killed"
    assert not list(root.rglob("manifest.json")), "no artifact"
    assert not [p for p in root.rglob("*") if ".tmp-" in p.name or ".old-" in p.name]
    assert not [d for d in (cache / "work").iterdir() if d.name.startswith(f"{child.pid}-")]
    (lock,) = (root / ".locks").iterdir()
    with open(lock, "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)  # released
    assert add_in_child(mod, root) == ["1003"], "the next import builds"


# -- usegolib rm ------------------------------------------------------------------------------


def test_rm_removes_only_inside_the_root(tmp_path):
    mod = copy_module(FIXTURES / "other", tmp_path / "other")
    root = tmp_path / "root"
    art = Path(_native.build_target(str(mod), None, str(root), False, None, [])[0])
    outside = tmp_path / "outside"
    shutil.copytree(art, outside)
    with pytest.raises(usegolib.CacheError, match="not inside the cache root"):
        _native.remove_artifact(str(root), str(outside))
    (root / "example.com" / "link").symlink_to(outside)
    with pytest.raises(usegolib.CacheError, match="not inside the cache root"):
        _native.remove_artifact(str(root), str(root / "example.com" / "link"))
    assert (outside / "manifest.json").is_file()
    _native.remove_artifact(str(root), str(art))
    assert not art.exists() and not art.parent.exists()
    assert (root / "example.com").is_dir(), "the symlink still lives there"


def test_rm_waits_for_a_build_lock_as_a_build_does(tmp_path):
    """`usegolib rm` of an artifact another process is building waits at most
    USEGOLIB_LOCK_TIMEOUT seconds, then says so (it never hangs), and removes nothing."""
    mod = copy_module(FIXTURES / "other", tmp_path / "other")
    root = tmp_path / "root"
    art = Path(_native.build_target(str(mod), None, str(root), False, None, [])[0])
    with open(lock_of(root, art), "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # a build in another process
        proc = run_py(
            f"""
            import usegolib
            from usegolib import _native
            try:
                _native.remove_artifact({str(root)!r}, {str(art)!r})
            except usegolib.BuildError as e:
                print("refused:", e.phase, e)
            """,
            env={"USEGOLIB_LOCK_TIMEOUT": "1"},
        )
    out = ok(proc)
    assert out.startswith("refused: lock") and "USEGOLIB_LOCK_TIMEOUT" in out, out
    assert (art / "manifest.json").is_file(), "nothing was removed"
