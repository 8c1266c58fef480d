"""The usegolib command line: every command, and its failures (one line, non-zero exit)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import FIXTURES, copy_module


def cli(
    *args: str, env: dict[str, str] | None = None, module: bool = False
) -> subprocess.CompletedProcess[str]:
    exe = (
        [sys.executable, "-m", "usegolib"]
        if module
        else [str(Path(sys.executable).parent / "usegolib")]
    )
    return subprocess.run(
        [*exe, *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


def one_line_error(proc: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert proc.returncode != 0
    first = proc.stderr.splitlines()[0]
    assert first.startswith("usegolib: error: "), proc.stderr
    assert "Traceback" not in proc.stderr
    for n in needles:
        assert n in proc.stderr, proc.stderr


def test_version(tmp_path):
    for module in (False, True):
        p = cli("version", module=module)
        assert p.returncode == 0
        assert p.stdout.startswith("usegolib 0.1.0 (ABI 1)")
        assert "go version go1." in p.stdout
        assert "GOTOOLCHAIN=local" in p.stdout


def test_version_asks_the_loader_for_the_toolchain():
    # USEGOLIB_GO has one owner, the loader: an empty value means unset there too.
    go = shutil.which("go")
    assert go is not None
    p = cli("version", env={"USEGOLIB_GO": go})
    assert p.returncode == 0 and f"({go}, GOTOOLCHAIN=local)" in p.stdout, p.stdout
    p = cli("version", env={"USEGOLIB_GO": ""})
    assert p.returncode == 0 and "(go, GOTOOLCHAIN=local)" in p.stdout, p.stdout
    p = cli("version", env={"USEGOLIB_GO": "/nonexistent/go"})
    assert p.returncode == 0 and "usegolib 0.1.0 (ABI 1)" in p.stdout
    assert "the Go toolchain was not found" in p.stdout and "/nonexistent/go" in p.stdout


def test_rm_reads_targets_and_go_mod_as_the_loader_does(tmp_path):
    """The rules where the CLI's own copies differed from the loader's (which builds and
    imports): Go's block form of the module line, a go.mod without a module line (the CLI
    used to take the enclosing module's instead), a module path that would leave the cache, and
    the version split."""
    root = str(tmp_path / "root")
    block = tmp_path / "block"
    block.mkdir()
    (block / "go.mod").write_text("module (\n\texample.com/block // the path\n)\n\ngo 1.22\n")
    one_line_error(
        cli("--artifact-dir", root, "rm", str(block)), "no artifact of example.com/block@local"
    )
    outer = tmp_path / "outer"
    (outer / "inner").mkdir(parents=True)
    (outer / "go.mod").write_text("module example.com/outer\n")
    (outer / "inner" / "go.mod").write_text("go 1.22\n")
    p = cli("--artifact-dir", root, "rm", str(outer / "inner"))
    one_line_error(p, "has no module line")
    assert "example.com/outer" not in p.stderr
    escape = tmp_path / "escape"
    escape.mkdir()
    (escape / "go.mod").write_text("module ../escape\n")
    one_line_error(cli("--artifact-dir", root, "rm", str(escape)), "malformed module path")
    one_line_error(
        cli("--artifact-dir", root, "rm", "example.com/m@v1.0.0", "--version", "v1.1.0"),
        "names version v1.0.0 but version v1.1.0 was given",
    )
    # A version never contains "/": this is a module path, not m@"v1/x".
    one_line_error(
        cli("--artifact-dir", root, "rm", "example.com/m@v1/x"),
        "no artifact of example.com/m@v1/x under",
    )


def test_build_list_show_rm(tmp_path):
    root = tmp_path / "root"
    mod = copy_module(FIXTURES / "level1", tmp_path / "level1")
    p = cli("build", str(mod), "--out", str(root))
    assert p.returncode == 0, p.stderr
    art = Path(p.stdout.strip())
    assert (art / "manifest.json").is_file() and (art / "libusegolib.so").is_file()
    assert p.stderr == "", "quiet when not on a terminal"

    p = cli("--artifact-dir", str(root), "list")
    assert p.returncode == 0
    assert "example.com/level1@local" in p.stdout and str(art) in p.stdout
    p = cli("--artifact-dir", str(root), "list", "--json")
    rows = json.loads(p.stdout)
    assert rows[0]["module"] == "example.com/level1" and rows[0]["version"] == "local"

    p = cli("--artifact-dir", str(root), "show", str(mod), "--all")
    assert p.returncode == 0, p.stderr
    assert "func AddInt(a int, b int) int" in p.stdout
    assert "package example.com/level1/sub" in p.stdout
    assert "parameter ch has type chan int: channels are not supported" in p.stdout
    assert "skipped package example.com/level1/internal/hidden" in p.stdout

    p = cli("--artifact-dir", str(root), "rm", "example.com/level1@local")
    assert p.returncode == 0 and "removed" in p.stdout
    assert not art.exists()
    one_line_error(cli("--artifact-dir", str(root), "rm", "example.com/level1"), "no artifact")


def test_build_progress_can_be_forced_on(tmp_path):
    mod = copy_module(FIXTURES / "other", tmp_path / "other")
    p = cli("build", str(mod), "--out", str(tmp_path / "r"), env={"USEGOLIB_QUIET": ""})
    assert p.returncode == 0
    # Not a terminal: no progress lines even without USEGOLIB_QUIET.
    assert "usegolib: " not in p.stderr


def test_build_phases_show_on_a_terminal(tmp_path):
    import pty

    mod = copy_module(FIXTURES / "other", tmp_path / "other")
    exe = str(Path(sys.executable).parent / "usegolib")
    primary, secondary = pty.openpty()
    env = {**os.environ, "USEGOLIB_QUIET": ""}
    p = subprocess.Popen(
        [exe, "build", str(mod), "--out", str(tmp_path / "r"), "--force"],
        stdout=subprocess.DEVNULL,
        stderr=secondary,
        env=env,
    )
    os.close(secondary)
    chunks = []
    while True:
        try:
            data = os.read(primary, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    p.wait(timeout=300)
    os.close(primary)
    shown = b"".join(chunks).decode()
    assert p.returncode == 0
    for phase in ("scan", "generate", "compile"):
        assert f"usegolib: {phase}" in shown, shown
    q = subprocess.run(
        [exe, "build", str(mod), "--out", str(tmp_path / "r"), "--force", "-q"],
        capture_output=True,
        env=env,
        timeout=300,
    )
    assert q.returncode == 0 and q.stderr == b""


def test_failures_print_one_line(tmp_path):
    one_line_error(
        cli("--artifact-dir", str(tmp_path), "show", "example.com/nothing", "--no-build"),
        "no artifact for example.com/nothing",
    )
    one_line_error(cli("build", str(tmp_path / "missing-dir") + "/"), "missing-dir")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "go.mod").write_text("module example.com/broken\n\ngo 1.22\n")
    (broken / "b.go").write_text("package broken\n\nfunc F( {\n")
    p = cli("build", str(broken), "--out", str(tmp_path / "r"))
    one_line_error(p, "building", "b.go:3")
    one_line_error(
        cli(
            "build",
            str(FIXTURES / "other"),
            "--out",
            str(tmp_path / "r2"),
            env={"USEGOLIB_GO": "/nonexistent/go"},
        ),
        "Go toolchain was not found",
    )
    p = cli("nosuchcommand")
    assert p.returncode == 2 and "invalid choice" in p.stderr
