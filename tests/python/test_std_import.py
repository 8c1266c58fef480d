"""The Go standard library by name (issue 10 item 6, docs/adr/0023): import_("strings") with no
network, one runtime for every standard package of the process, built once per Go version;
standard-library and dependency packages bridged into a module's own runtime."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import usegolib
from conftest import FIXTURES, go_output, mypy, run_py
from goproxy import add_module

GO = os.environ.get("USEGOLIB_GO", "go")


def go_version() -> str:
    env = dict(os.environ, GOTOOLCHAIN="local")
    return subprocess.check_output([GO, "env", "GOVERSION"], text=True, env=env).strip()


def test_std_packages_by_name_match_go(tmp_path):
    strings = usegolib.import_("strings")
    base64 = usegolib.import_("encoding/base64")
    regexp = usegolib.import_("regexp")
    url = usegolib.import_("net/url")
    sha256 = usegolib.import_("crypto/sha256")
    hexenc = usegolib.import_("encoding/hex")
    filepath = usegolib.import_("path/filepath")
    gotime = usegolib.import_("time")
    big = usegolib.import_("math/big")

    u = url.Parse("https://user@example.com:8080/p/a%20b?x=1&y=2&x=3#frag")
    q = u.Query()
    n, ok = big.NewInt(0).SetString("123456789012345678901234567890", 10)
    assert ok
    got = [
        strings.ToUpper("héllo, go"),
        strings.Join(strings.Fields(" a  b\tc "), ","),
        base64.StdEncoding.EncodeToString(b"hello, world"),
        base64.URLEncoding.EncodeToString(b"\xfb\xff\xfe"),
        ",".join(regexp.MustCompile("a+b*").FindAllString("aab ab b aaa", -1)),
        regexp.MustCompile(r"(\w+)@(\w+)").ReplaceAllString("me@home you@work", "$2:$1"),
        " ".join([u.Hostname(), u.Port(), u.EscapedPath(), ",".join(q["x"]), q["y"][0]]),
        hexenc.EncodeToString(bytes(sha256.Sum256(b"abc"))),
        filepath.Join("a", "b", "../c", "d.txt"),
        filepath.Ext("archive.tar.gz"),
        str(gotime.ParseDuration("1h2m3.5s").nanoseconds),
        n.Mul(n, n).String(),
    ]
    want = go_output(
        tmp_path,
        {},
        "encoding/base64 encoding/hex math/big net/url path/filepath regexp strings "
        "crypto/sha256 time fmt",
        r"""
        _ = src
        u, _ := url.Parse("https://user@example.com:8080/p/a%20b?x=1&y=2&x=3#frag")
        q := u.Query()
        n, _ := new(big.Int).SetString("123456789012345678901234567890", 10)
        s := sha256.Sum256([]byte("abc"))
        d, _ := time.ParseDuration("1h2m3.5s")
        for _, line := range []string{
            strings.ToUpper("héllo, go"),
            strings.Join(strings.Fields(" a  b\tc "), ","),
            base64.StdEncoding.EncodeToString([]byte("hello, world")),
            base64.URLEncoding.EncodeToString([]byte("\xfb\xff\xfe")),
            strings.Join(regexp.MustCompile("a+b*").FindAllString("aab ab b aaa", -1), ","),
            regexp.MustCompile(`(\w+)@(\w+)`).ReplaceAllString("me@home you@work", "$2:$1"),
            strings.Join([]string{u.Hostname(), u.Port(), u.EscapedPath(), strings.Join(q["x"], ","), q.Get("y")}, " "),
            hex.EncodeToString(s[:]),
            filepath.Join("a", "b", "../c", "d.txt"),
            filepath.Ext("archive.tar.gz"),
            fmt.Sprint(d.Nanoseconds()),
            n.Mul(n, n).String(),
        } {
            b.WriteString(line + "\n")
        }
        """,
        b"",
    )
    assert "\n".join(got) + "\n" == want.decode()
    now = gotime.Now()
    assert abs(now - datetime.datetime.now(datetime.timezone.utc)) < datetime.timedelta(seconds=5)
    # Duration constants are timedeltas like every time.Duration (and go back to Go as such).
    assert isinstance(gotime.Second, datetime.timedelta) and gotime.Second == datetime.timedelta(
        seconds=1
    )
    assert gotime.ParseDuration("1.5s") == gotime.Second * 1.5
    gotime.Sleep(gotime.Millisecond)


def test_os_results_have_their_io_fs_methods(tmp_path):
    # io/fs is in the default set: os.Stat's fs.FileInfo and os.ReadDir's fs.DirEntry have methods.
    (tmp_path / "f.txt").write_bytes(b"abc")
    os_ = usegolib.import_("os")
    info = os_.Stat(str(tmp_path / "f.txt"))
    assert (info.Name(), info.Size(), info.IsDir()) == ("f.txt", 3, False)
    assert [e.Name() for e in os_.ReadDir(str(tmp_path))] == ["f.txt"]
    fs = usegolib.import_("io/fs")
    assert fs.ValidPath("a/b") and not fs.ValidPath("/a")


def test_every_std_package_shares_one_runtime():
    strings = usegolib.import_("strings")
    module = strings._go_module
    assert module.path == "std"
    assert module.version == go_version()
    for path in ("bytes", "net/url", "time", "math/big", "encoding/json"):
        other = usegolib.import_(path)._go_module
        assert (other.path, other.artifact_dir) == ("std", module.artifact_dir)
    assert set(usegolib.DEFAULT_STD_PACKAGES) <= set(module.packages())
    # Keyed by the Go version and the set: <root>/std@<go version>/default/<goos>-<goarch>.
    parts = Path(module.artifact_dir).parts
    assert parts[-3:-1] == (f"std@{go_version()}", "default"), parts
    # A Go object of one standard package goes to the functions of another: one runtime.
    bytes_ = usegolib.import_("bytes")
    buf = bytes_.NewBufferString("a,b")
    assert usegolib.import_("strings").Split(buf.String(), ",") == ["a", "b"]
    assert usegolib.import_("bufio").NewReader(buf).ReadString(ord(",")) == "a,"
    # pickle-style round trip of a package: import_ by its path and version.
    assert usegolib.import_("strings", module.version) is strings


def test_no_network_a_package_outside_the_default_set_joins_it(tmp_path):
    """With GOPROXY=off, a first standard import outside the default set builds the default set
    plus it (printing progress); later packages outside that set are a clear error; names that
    are not standard packages are refused before any build."""
    r = run_py(
        f"""
        import usegolib
        root = {str(tmp_path / "art")!r}
        index = "slices.Index[[]string,string]"
        doc = usegolib.import_("go/doc", artifact_dir=root, quiet=False, generics=[index])
        assert doc.Synopsis("Package x does things. More.") == "Package x does things."
        m = doc._go_module
        assert set(m.packages()) == set(usegolib.DEFAULT_STD_PACKAGES) | {{"go/doc"}}
        print(m.artifact_dir)
        assert usegolib.import_("strings", artifact_dir=root).ToLower("A") == "a"
        slices = usegolib.import_("slices", artifact_dir=root, generics=[index])
        assert slices.Index["[]string", "string"](["a", "b"], "b") == 1
        try:
            usegolib.import_("slices", artifact_dir=root, generics=["slices.Max[[]int,int]"])
        except usegolib.VersionConflictError as e:
            assert "slices.Max[[]int,int] is not in the standard-library runtime" in str(e), e
        else:
            raise AssertionError("an instantiation the loaded runtime lacks")
        try:
            usegolib.import_("encoding/xml", artifact_dir=root)
        except usegolib.VersionConflictError as e:
            msg = str(e)
            assert "encoding/xml is not in the standard-library runtime" in msg, msg
            assert "go/doc" in msg and "import it first" in msg and "also=" in msg, msg
        else:
            raise AssertionError("encoding/xml loaded beside a runtime without it")
        for bad, why in [("strngs", "not a package of the Go standard library"),
                         ("internal/abi", "internal to the standard library"),
                         ("cmd/go", "part of the Go command")]:
            try:
                usegolib.import_(bad, artifact_dir=root)
            except usegolib.SymbolNotFoundError as e:
                assert why in str(e), e
            else:
                raise AssertionError(bad)
        """,
        env={"GOPROXY": "off", "GOFLAGS": "-mod=mod", "USEGOLIB_QUIET": ""},
        timeout=900,
    )
    assert r.returncode == 0, r.stderr
    art = Path(r.stdout.strip())
    assert art.parts[-3] == f"std@{go_version()}" and len(art.parts[-2]) == 16, art
    assert "building the standard library for go" in r.stderr, r.stderr
    assert "usegolib: compile" in r.stderr, r.stderr
    assert "download" not in r.stderr, r.stderr
    manifest = json.loads((art / "manifest.json").read_text())
    assert (manifest["module"], manifest["version"]) == ("std", go_version())
    # The CLI lists it as std and removes it by a standard package's name.
    cli = [sys.executable, "-m", "usegolib", "--artifact-dir", str(tmp_path / "art")]
    listed = subprocess.run([*cli, "list"], capture_output=True, text=True, timeout=60)
    assert f"std@{go_version()}" in listed.stdout, listed
    rm = subprocess.run([*cli, "rm", "strings"], capture_output=True, text=True, timeout=60)
    assert rm.returncode == 0 and rm.stdout.strip() == f"removed {art}", rm
    assert not art.exists()


def test_the_artifact_is_keyed_by_the_go_version(tmp_path):
    """Another Go version is another artifact: with a toolchain that reports go1.99.0 and
    building off, the go1.99.0 artifact is looked for (and not found), not the current one."""
    fake = tmp_path / "go"
    real = subprocess.check_output(["sh", "-c", f"command -v {GO}"], text=True).strip()
    fake.write_text(
        '#!/bin/sh\nif [ "$1 $2" = "env GOVERSION" ]; then echo go1.99.0; exit 0; fi\n'
        f'exec {real} "$@"\n'
    )
    fake.chmod(0o755)
    r = run_py(
        """
        import usegolib
        try:
            usegolib.import_("strings", build="never")
        except usegolib.ArtifactNotFoundError as e:
            print(e)
        """,
        env={"USEGOLIB_GO": str(fake)},
    )
    assert r.returncode == 0, r.stderr
    assert "std (" in r.stdout and "go1.99.0" in r.stdout, r.stdout


def test_cli_accepts_std_names(tmp_path):
    usegolib.import_("strings")  # built (once) in the default cache
    cli = [sys.executable, "-m", "usegolib"]
    show = subprocess.run([*cli, "show", "strings"], capture_output=True, text=True, timeout=300)
    assert show.returncode == 0, show.stderr
    assert show.stdout.startswith(f"module std {go_version()}"), show.stdout[:200]
    assert "func ToUpper(s string) string" in show.stdout
    assert "object Builder" in show.stdout
    built = subprocess.run([*cli, "build", "net/url"], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    assert Path(built.stdout.strip()).parts[-3] == f"std@{go_version()}"
    stubs = subprocess.run(
        [*cli, "stubs", "strings", "--out", str(tmp_path)], capture_output=True, text=True
    )
    assert stubs.returncode == 0, stubs.stderr
    text = Path(stubs.stdout.strip().splitlines()[0]).read_text()
    assert "def ToUpper(s: str) -> str" in text, text[:500]


def test_std_and_dependency_types_in_a_module_api(artifact_root):
    """*bytes.Buffer, *regexp.Regexp and a dependency's *stddep.Node in a module's API: the
    packages declaring them are bridged into the module's artifact, reachable through the
    module (pkg.package), and share its runtime; also= adds more."""
    mod = usegolib.import_(FIXTURES / "stdtypes", artifact_dir=artifact_root, also=["unicode/utf8"])
    assert set(mod._go_module.packages()) == {
        "bytes",
        "example.com/stddep",
        "example.com/stdtypes",
        "regexp",
        "unicode/utf8",
    }
    buf = mod.package("bytes").NewBufferString("> ")
    mod.WriteGreeting(buf, "go")
    assert buf.String() == "> hello, go"
    word = mod.package("regexp").MustCompile("[a-z]+")
    assert mod.Matches(word, "ab 12 cd") == ["ab", "cd"]
    assert mod.Digits().FindAllString("a1b22", -1) == ["1", "22"]
    dep = mod.package("example.com/stddep")
    root, body = dep.NewNode("html"), dep.NewNode("body")
    root.Append(body).Append(dep.NewNode("p"))
    body.Append(dep.NewNode("p"))
    assert mod.Tags(root) == ["html", "body", "p", "p"]
    assert [n.Tag() for n in mod.Select(root, "p")] == ["p", "p"]
    assert mod.package("unicode/utf8").RuneCountInString("héllo") == 5
    # The standard-library runtime's Buffer is another runtime's object: refused, not crossed.
    other = usegolib.import_("bytes").NewBufferString("x")
    with pytest.raises(TypeError, match="belongs to module std, not example.com/stdtypes"):
        mod.WriteGreeting(other, "go")
    with pytest.raises(usegolib.SymbolNotFoundError, match="not bridged into the runtime"):
        mod.package("encoding/xml")
    # Asking for more once the module is loaded: a clear error (its runtime cannot grow).
    with pytest.raises(usegolib.SymbolNotFoundError, match="not bridged into example.com/stdtypes"):
        usegolib.import_(FIXTURES / "stdtypes", artifact_dir=artifact_root, also=["html"])


def test_first_std_import_time_is_reported():
    """Not a limit, a record: how long loading the cached standard-library runtime takes."""
    r = run_py(
        """
        import time, usegolib
        t = time.perf_counter()
        usegolib.import_("strings")
        print(time.perf_counter() - t)
        """
    )
    assert r.returncode == 0, r.stderr
    assert float(r.stdout) < 30


def test_std_stubs_give_mypy_the_real_signatures(tmp_path):
    usegolib.import_("strings")  # built (once) in the default cache
    bindir = Path(sys.executable).parent
    stubs = tmp_path / "stubs"
    for pkg in ("strings", "regexp"):
        p = subprocess.run(
            [str(bindir / "usegolib"), "stubs", pkg, "--out", str(stubs)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert p.returncode == 0, p.stderr
    use = tmp_path / "use.py"
    use.write_text(
        "import regexp\n"
        "import strings\n"
        'up: str = strings.ToUpper("go")\n'
        'words: list[str] = regexp.MustCompile("[a-z]+").FindAllString("ab cd", -1)\n'
        "n: int = strings.Builder().Len()\n"
        "strings.ToUpper(1)\n"
    )
    checked = mypy(stubs, stubs / "strings.pyi", stubs / "regexp.pyi")
    assert checked.returncode == 0, checked.stdout
    r = mypy(stubs, use)
    errors = [line for line in r.stdout.splitlines() if ": error:" in line]
    want = 'use.py:6: error: Argument 1 to "ToUpper" has incompatible type "int"; expected "str"'
    assert len(errors) == 1 and want in errors[0], r.stdout


def test_a_downloaded_module_shares_its_runtime_with_its_dependency(tmp_path):
    """A selector library (example.com/sel) built on a tree library (example.com/tree), both
    served by a file:// proxy: the tree package is bridged into sel's artifact, so nodes made
    through sel.package("example.com/tree") go to sel.Select. Asking later for more with also
    rebuilds the cached artifact that lacks them."""
    proxy = tmp_path / "proxy"
    tree = (FIXTURES / "stddep" / "stddep.go").read_text().replace("package stddep", "package tree")
    add_module(proxy, "example.com/tree", "v1.0.0", {"tree.go": tree})
    sel = (
        (FIXTURES / "stdtypes" / "stdtypes.go")
        .read_text()
        .replace("package stdtypes", "package sel")
        .replace('"example.com/stddep"', 'tree "example.com/tree"')
        .replace("stddep.", "tree.")
    )
    gomod = "module example.com/sel\n\ngo 1.22\n\nrequire example.com/tree v1.0.0\n"
    add_module(proxy, "example.com/sel", "v1.0.0", {"sel.go": sel, "go.mod": gomod})
    env = {
        "GOPROXY": f"file://{proxy}",
        "GOSUMDB": "off",
        "GOFLAGS": "-mod=mod",
        "GOMODCACHE": str(tmp_path / "modcache"),
        "USEGOLIB_QUIET": "",
    }
    root = str(tmp_path / "art")
    r = run_py(
        f"""
        import usegolib
        sel = usegolib.import_("example.com/sel@v1.0.0", artifact_dir={root!r}, quiet=False)
        tree = sel.package("example.com/tree")
        root = tree.NewNode("html").Append(tree.NewNode("p")).Append(tree.NewNode("p"))
        assert [n.Tag() for n in sel.Select(root, "p")] == ["p", "p"]
        assert sel.Tags(root) == ["html", "p", "p"]
        assert sorted(sel._go_module.packages()) == [
            "bytes", "example.com/sel", "example.com/tree", "regexp"]
        """,
        env=env,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr
    r = run_py(
        f"""
        import usegolib
        sel = usegolib.import_("example.com/sel", artifact_dir={root!r}, quiet=False,
                               also=["unicode/utf8"])
        assert sel.package("unicode/utf8").RuneCountInString("héllo") == 5
        """,
        env=env,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr
    assert "lacks packages asked for with also; rebuilding example.com/sel@v1.0.0" in r.stderr
