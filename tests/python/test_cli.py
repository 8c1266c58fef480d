"""The usegolib command line: every command, and its failures (one line, non-zero exit)."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import FIXTURES, copy_module, run_py


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
    assert p.stderr == "", "USEGOLIB_QUIET=1 (conftest) silences the phases"

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


def test_build_phases_show_whatever_the_terminal(tmp_path):
    """Not a terminal (a CI log, a notebook's captured stderr): the phases are plain lines, each
    with its elapsed time when it ends; -q or USEGOLIB_QUIET=1 silences them."""
    mod = copy_module(FIXTURES / "other", tmp_path / "other")
    p = cli("build", str(mod), "--out", str(tmp_path / "r"), env={"USEGOLIB_QUIET": ""})
    assert p.returncode == 0, p.stderr
    for phase in ("resolve", "scan", "generate", "compile", "write"):
        assert f"usegolib: {phase} {mod}\n" in p.stderr, p.stderr
        assert re.search(rf"^usegolib: {phase} done in \d+\.\d s$", p.stderr, re.M), p.stderr
    assert "\x1b" not in p.stderr and "\r" not in p.stderr, "plain lines"
    for quiet in (["-q"], ["--quiet"]):
        q = cli("build", str(mod), "--out", str(tmp_path / "r"), "--force", *quiet)
        assert q.returncode == 0 and q.stderr == "", q.stderr
    q = cli("build", str(mod), "--out", str(tmp_path / "r"), "--force", env={"USEGOLIB_QUIET": "1"})
    assert q.returncode == 0 and q.stderr == ""


def unseen_change(src: Path) -> None:
    """A change to the `other` fixture's source Go's build cache has not seen: go build -v
    names what it compiles."""
    offset = f"1{time.time_ns() % 10**9}"
    src.write_text(re.sub(r"a \+ b \+ \d+", f"a + b + {offset}", src.read_text()))


def test_package_verbose_streams_gos_own_output(tmp_path):
    mod = copy_module(FIXTURES / "other", tmp_path / "other")
    unseen_change(mod / "other.go")
    p = cli(
        "package",
        str(mod),
        "--version",
        "1.0.0",
        "--out",
        str(tmp_path / "dist"),
        "--artifact-dir",
        str(tmp_path / "r"),
        "-v",
        env={"USEGOLIB_QUIET": ""},
    )
    assert p.returncode == 0, p.stderr
    assert "usegolib: go: usegolib_bridge\n" in p.stderr, p.stderr


def test_a_failed_tool_build_ends_its_phase(tmp_path):
    """The usegolib-build tool's compilation is a phase of its own: when it fails, the phase
    says so (and is not reported done)."""
    real = shutil.which(os.environ.get("USEGOLIB_GO") or "go")
    assert real, "the Go toolchain is on PATH (make test needs it)"
    bindir = tmp_path / "bin"
    bindir.mkdir()
    go = bindir / "go"
    go.write_text(
        "#!/bin/sh\n"
        'case " $* " in\n'
        '  " build "*"./cmd/usegolib-build "*) echo "planted failure" >&2; exit 1;;\n'
        "esac\n"
        f'exec {real} "$@"\n'
    )
    go.chmod(0o755)
    mod = copy_module(FIXTURES / "other", tmp_path / "other")
    env = {
        "USEGOLIB_GO": str(go),
        "USEGOLIB_NO_BUNDLED_TOOL": "1",
        "USEGOLIB_CACHE_DIR": str(tmp_path / "cache"),
        "USEGOLIB_QUIET": "",
    }
    p = cli("build", str(mod), "--out", str(tmp_path / "r"), env=env)
    assert p.returncode == 1, p.stderr
    assert "usegolib: tool (building the usegolib-build tool" in p.stderr, p.stderr
    assert re.search(r"^usegolib: tool failed after \d+\.\d s$", p.stderr, re.M), p.stderr
    assert "tool done in" not in p.stderr and "planted failure" in p.stderr, p.stderr


def test_verbose_streams_gos_own_output(tmp_path):
    mod = copy_module(FIXTURES / "other", tmp_path / "other")
    src = mod / "other.go"
    for opts in (["-v"], ["--verbose"]):
        unseen_change(src)
        p = cli(
            "build",
            str(mod),
            "--out",
            str(tmp_path / "r"),
            *opts,
            env={"USEGOLIB_QUIET": ""},
        )
        assert p.returncode == 0, p.stderr
        # example.com/other itself is compiled by the scan's go list -export (one compilation
        # shared by scan and build, docs/adr/0028): the build names the bridge it compiles.
        assert "usegolib: go: usegolib_bridge\n" in p.stderr, p.stderr
        assert p.stderr.index("usegolib: compile ") < p.stderr.index("usegolib: go: ")
    src.write_text(src.read_text().replace("a + b", "b + a"))
    p = cli("build", str(mod), "--out", str(tmp_path / "r"), env={"USEGOLIB_QUIET": ""})
    assert p.returncode == 0 and "usegolib: compile " in p.stderr
    assert "usegolib: go: " not in p.stderr


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


def test_version_option_and_global_options_before_or_after_the_command(tmp_path):
    p = cli("--version")
    assert p.returncode == 0 and p.stdout.strip() == "usegolib 0.1.0 (ABI 1)", p.stdout
    root = tmp_path / "root"
    mod = copy_module(FIXTURES / "other", tmp_path / "other")
    assert cli("-q", "--artifact-dir", str(root), "build", str(mod)).returncode == 0
    before = cli("--artifact-dir", str(root), "list")
    after = cli("list", "--artifact-dir", str(root))
    assert before.returncode == after.returncode == 0
    assert before.stdout == after.stdout and "example.com/other@local" in after.stdout
    # Given after the command, an option wins over the same one given before it.
    p = cli("--artifact-dir", str(tmp_path / "elsewhere"), "list", "--artifact-dir", str(root))
    assert "example.com/other@local" in p.stdout
    p = cli(
        "build", str(mod), "--artifact-dir", str(root), "--force", "-q", env={"USEGOLIB_QUIET": ""}
    )
    assert p.returncode == 0 and p.stderr == "" and p.stdout.startswith(str(root))


def test_every_argument_has_help():
    import argparse

    from usegolib.cli import parser

    def check(p: argparse.ArgumentParser, where: str) -> None:
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                for choice in action._choices_actions:
                    assert choice.help, f"{where} {choice.dest}"
                for name, sub in action.choices.items():
                    check(sub, f"{where} {name}")
            else:
                assert action.help and action.help != argparse.SUPPRESS, (
                    f"{where}: {action.option_strings or action.dest} has no help"
                )

    check(parser(), "usegolib")
    p = cli("generate", "--help")
    assert p.returncode == 0 and "--out PKGDIR" in p.stdout and "TARGET" in p.stdout


def test_list_shows_sizes_and_rm_all_removes_everything(tmp_path):
    root = tmp_path / "root"
    for name in ("other", "level1"):
        mod = copy_module(FIXTURES / name, tmp_path / name)
        assert cli("build", str(mod), "--out", str(root)).returncode == 0
    p = cli("--artifact-dir", str(root), "list")
    assert p.returncode == 0
    rows = [line for line in p.stdout.splitlines() if "@local" in line]
    assert len(rows) == 2 and all(re.search(r"  \d+\.\d MB  ", r) for r in rows), p.stdout
    assert re.search(r"^2 artifacts, \d+\.\d MB$", p.stdout, re.M), p.stdout
    data = json.loads(cli("--artifact-dir", str(root), "list", "--json").stdout)
    for row in data:
        on_disk = sum(f.stat().st_size for f in Path(row["dir"]).rglob("*") if f.is_file())
        assert row["size"] == on_disk > 100_000
    one_line_error(cli("--artifact-dir", str(root), "rm"), "name a TARGET")
    p = cli("--artifact-dir", str(root), "rm", "--all")
    assert p.returncode == 0 and p.stdout.count("removed ") == 2, p.stdout
    assert "no artifacts under" in cli("--artifact-dir", str(root), "list").stdout


def test_prune_removes_stale_artifacts_and_keeps_the_rest(tmp_path):
    """Stale: built by an older Go version, from a directory that is gone, or (with --days N)
    not loaded for N days, known by the last-used stamp each load touches. Built by another
    builder or a newer Go (a cache another virtualenv shares): only when idle for --days N,
    30 by default (docs/adr/0030)."""
    root = tmp_path / "root"
    arts = {}
    names = ("other", "level1", "variadic", "consts", "errs", "anys", "pynames", "values")
    for name in names:
        mod = copy_module(FIXTURES / name, tmp_path / name)
        p = cli("build", str(mod), "--out", str(root))
        assert p.returncode == 0, p.stderr
        arts[name] = Path(p.stdout.strip())
    # The artifacts' stamps: a load touches it (in a child process: a fresh registry).
    ok = run_py(
        f"import usegolib; usegolib.import_({str(tmp_path / 'errs')!r}, artifact_dir={str(root)!r})"
    )
    assert ok.returncode == 0, ok.stderr
    stamp = arts["errs"] / "usegolib-last-used"
    assert stamp.is_file()

    def set_go(name: str, version: str) -> None:
        manifest = json.loads((arts[name] / "manifest.json").read_text())
        manifest["go_version"] = version
        (arts[name] / "manifest.json").write_text(json.dumps(manifest))

    def idle(path: Path, days: float) -> None:
        old = time.time() - days * 86400
        os.utime(path, (old, old))

    for name in ("other", "anys"):  # another builder: idle 40 days, and in use
        (arts[name] / "usegolib-builder.id").write_text("0123456789abcdef\n")
    idle(arts["other"] / "manifest.json", 40)
    set_go("level1", "go1.1")  # older than any Go that builds this
    set_go("pynames", "go9.99.1")  # newer: another virtualenv's Go, in use
    set_go("values", "go9.99.1")
    idle(arts["values"] / "manifest.json", 40)
    shutil.rmtree(tmp_path / "variadic")
    idle(stamp, 10)

    p = cli("--artifact-dir", str(root), "prune", "--dry-run")
    assert p.returncode == 0, p.stderr
    assert f"would remove {arts['other']}: built by another usegolib builder" in p.stdout
    assert "and not loaded for 40 days" in p.stdout, p.stdout
    assert f"would remove {arts['level1']}: built with go1.1, older than the installed Go go1" in (
        p.stdout
    )
    assert f"would remove {arts['values']}: built with go9.99.1, the installed Go is go1" in (
        p.stdout
    )
    assert f"would remove {arts['variadic']}: its source directory" in p.stdout
    for kept in ("anys", "pynames", "consts", "errs"):
        assert str(arts[kept]) not in p.stdout, p.stdout
    assert all(d.exists() for d in arts.values()), "a dry run removes nothing"
    p = cli("--artifact-dir", str(root), "prune")
    assert p.returncode == 0 and p.stdout.count("removed ") == 4, p.stdout
    assert "; 4 artifacts kept" in p.stdout
    assert all(arts[n].exists() for n in ("consts", "errs", "anys", "pynames"))
    p = cli("--artifact-dir", str(root), "prune", "--days", "30")
    assert p.stdout.count("removed ") == 0 and arts["errs"].exists()
    p = cli("--artifact-dir", str(root), "prune", "--days", "5")
    assert (
        p.stdout == f"removed {arts['errs']}: not loaded for 10 days\n" + p.stdout.split("\n", 1)[1]
    )
    assert not arts["errs"].exists() and arts["consts"].exists()
    # --days also bounds the idle time of another builder's or a newer Go's artifacts.
    for name in ("anys", "pynames"):
        idle(arts[name] / "manifest.json", 3)
    p = cli("--artifact-dir", str(root), "prune", "--days", "2")
    assert p.stdout.count("removed ") == 2, p.stdout
    assert not arts["anys"].exists() and not arts["pynames"].exists()


def test_go_versions_compare_as_releases():
    from usegolib.cli import _go_release

    ordered = ["go1.9", "go1.21rc1", "go1.21.0", "go1.21.2", "go1.22beta1", "go1.22rc2", "go1.22"]
    assert sorted(ordered, key=_go_release) == ordered
    assert _go_release("devel go1.23-abc") is None


def test_doctor(tmp_path):
    root = tmp_path / "root"
    mod = copy_module(FIXTURES / "other", tmp_path / "other")
    assert cli("build", str(mod), "--out", str(root)).returncode == 0
    p = cli("doctor", "--artifact-dir", str(root))
    assert p.returncode == 0, p.stdout + p.stderr
    lines = {line.split()[1]: line for line in p.stdout.splitlines()}
    assert lines["usegolib"].startswith("ok") and "usegolib 0.1.0 (ABI 1)" in lines["usegolib"]
    import usegolib

    assert str(Path(usegolib.__file__).parent) in lines["package"]
    assert "go version go1." in lines["go"]
    assert lines["compiler"].startswith("ok") and "=" in lines["compiler"]
    assert lines["cache"].startswith("ok") and str(root) in lines["cache"]
    assert re.search(r"artifacts +1 cached, \d+\.\d MB", lines["artifacts"]), p.stdout
    root.chmod(0o777)
    try:
        p = cli("doctor", "--artifact-dir", str(root), env={"USEGOLIB_GO": "/nonexistent/go"})
    finally:
        root.chmod(0o700)
    assert p.returncode == 1
    assert re.search(r"^FAIL  go +.*the Go toolchain was not found", p.stdout, re.M), p.stdout
    assert re.search(r"^FAIL  cache .*writable by others \(mode 777\)", p.stdout, re.M)


def test_a_closed_pipe_ends_quietly(tmp_path):
    """usegolib show X | head: the reader goes away; no traceback, the exit status of a
    process ended by SIGPIPE."""
    read, write = os.pipe()
    exe = str(Path(sys.executable).parent / "usegolib")
    child = subprocess.Popen(
        [exe, "--artifact-dir", str(tmp_path), "list"],
        stdout=write,
        stderr=subprocess.PIPE,
        text=True,
    )
    os.close(write)
    os.close(read)  # before the child writes: its first write meets a closed pipe
    _out, err = child.communicate(timeout=120)
    assert child.returncode == 141, err
    assert err == "", err


def test_a_closed_pipe_ends_quietly_when_stdout_is_buffered(tmp_path):
    """Without PYTHONUNBUFFERED, short output stays in stdout's buffer until the command has
    returned: the flush meeting the closed pipe must still end quietly with 141."""
    read, write = os.pipe()
    exe = str(Path(sys.executable).parent / "usegolib")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    child = subprocess.Popen(
        [exe, "version"],
        stdout=write,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    os.close(write)
    os.close(read)
    _out, err = child.communicate(timeout=120)
    assert err == "", err
    assert child.returncode == 141, err


def test_ctrl_c_prints_one_line_and_exits_130(tmp_path):
    from test_cache_trust import slow_go, wait_for_line

    mod = copy_module(FIXTURES / "other", tmp_path / "other")
    exe = str(Path(sys.executable).parent / "usegolib")
    env = {
        **os.environ,
        "USEGOLIB_QUIET": "",
        "PATH": f"{slow_go(tmp_path, 600)}:{os.environ['PATH']}",
    }
    env.pop("USEGOLIB_GO", None)
    env["USEGOLIB_TEST_LOG"] = str(tmp_path / "builds.log")
    child = subprocess.Popen(
        [exe, "build", str(mod), "--out", str(tmp_path / "r")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    wait_for_line(child.stderr, "usegolib: compile")
    os.kill(child.pid, signal.SIGINT)
    out, err = child.communicate(timeout=60)
    assert child.returncode == 130, err
    lines = [line for line in err.splitlines() if not line.startswith("usegolib: compile")]
    assert lines == ["usegolib: interrupted"], err
