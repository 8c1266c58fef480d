"""After fork(), only the Go runtimes loaded before the fork are refused; a library the system
cannot load says why (dlerror). Everything runs in child processes."""

from __future__ import annotations

import ctypes
import hashlib
import json
import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES, ok, run_py


@pytest.fixture(scope="module")
def other_root(tmp_path_factory) -> Path:
    """An artifact root holding the built `other` fixture module, built in a child process so
    that this process never loads it (other tests load their own copies of it)."""
    root = tmp_path_factory.mktemp("other-artifacts")
    ok(
        run_py(
            f"""
            import usegolib
            p = usegolib.import_({str(FIXTURES / "other")!r}, artifact_dir={str(root)!r})
            assert p.AddInt(1, 2) == 1003
            """
        )
    )
    return root


@pytest.fixture(scope="module")
def other_dir(other_root) -> Path:
    """The artifact directory of `other` in `other_root`."""
    for manifest in other_root.rglob("manifest.json"):
        if json.loads(manifest.read_text()).get("module") == "example.com/other":
            return manifest.parent
    raise AssertionError(f"no artifact of example.com/other under {other_root}")


def test_a_module_imported_in_a_forked_child_works_there(artifact_root, level1, other_root):
    proc = run_py(
        f"""
        import os, usegolib
        root = {str(artifact_root)!r}
        a = usegolib.import_({str(FIXTURES / "level1")!r}, artifact_dir=root)
        assert a.AddInt(1, 2) == 3

        def refused(f):
            try:
                f()
            except usegolib.UsegolibError as e:
                return "fork" in str(e) and "spawn" in str(e)
            return False

        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                b = usegolib.import_({str(FIXTURES / "other")!r}, artifact_dir={str(other_root)!r})
                if b.AddInt(1, 2) != 1003:  # B's own runtime starts and answers in the child
                    code |= 1
                if not refused(lambda: a.AddInt(1, 2)):  # A's runtime stayed in the parent
                    code |= 2
                # A fork of the child: now B was loaded before the fork, and is refused too.
                pid2 = os.fork()
                if pid2 == 0:
                    os._exit(0 if refused(lambda: b.AddInt(1, 2)) else 1)
                _, st = os.waitpid(pid2, 0)
                if os.waitstatus_to_exitcode(st) != 0:
                    code |= 4
                if b.AddInt(2, 2) != 1004:  # ... but still works in the child itself
                    code |= 8
            except BaseException as e:
                print("child failed:", repr(e), flush=True)
                code |= 16
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        print("child", os.waitstatus_to_exitcode(status))
        print("parent", a.AddInt(2, 2))
        """,
        timeout=120,
    )
    assert ok(proc).split() == ["child", "0", "parent", "4"]


def artifact_copy(src: Path, dst: Path, library: bytes) -> Path:
    """A copy of an artifact whose library is `library`, with the manifest's hash updated to
    match, so that every check before dlopen passes."""
    shutil.copytree(src, dst)
    lib = dst / "libusegolib.so"
    lib.write_bytes(library)
    manifest = json.loads((dst / "manifest.json").read_text())
    manifest["library"]["sha256"] = hashlib.sha256(library).hexdigest()
    (dst / "manifest.json").write_text(json.dumps(manifest))
    return lib


def load_error(artifact: Path) -> str:
    proc = run_py(
        f"""
        import usegolib
        try:
            usegolib.load_artifact({str(artifact)!r})
            print("loaded")
        except usegolib.LoadError as e:
            print(e)
        """,
        timeout=60,
    )
    return ok(proc)


def test_a_library_the_system_cannot_load_reports_the_system_s_reason(other_dir, tmp_path):
    lib = artifact_copy(other_dir, tmp_path / "garbage", b"not an ELF file\n" * 256)
    # What the system's dynamic loader itself says about this file.
    with pytest.raises(OSError) as system:
        ctypes.CDLL(str(lib))
    reason = str(system.value)
    assert reason.startswith(str(lib)), reason
    out = load_error(tmp_path / "garbage")
    assert out.startswith(f"cannot load {lib}: "), out
    assert reason in out, out
    assert "/proc/self/fd" not in out, out


def test_a_truncated_library_is_refused_instead_of_crashing_the_loader(other_dir, tmp_path):
    # glibc's dlopen maps a truncated ELF file and then dies of SIGBUS touching the missing
    # pages: the loader checks the segments first (this runs in a child process all the same).
    whole = (other_dir / "libusegolib.so").read_bytes()
    lib = artifact_copy(other_dir, tmp_path / "cut", whole[: len(whole) // 2])
    out = load_error(tmp_path / "cut")
    assert out.startswith(f"cannot load {lib}: the ELF file is truncated"), out
    assert "rebuild" in out, out
