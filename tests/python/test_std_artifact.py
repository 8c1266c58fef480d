"""An artifact over standard-library packages (docs/abi.md section 9.1), built by the Go
builder's -std option, loads and is called like any other. It runs in a child process: the
artifact loaded by its directory is module `std`, and would take this process's one
standard-library runtime (docs/adr/0023) from the tests of import_("strings")."""

from __future__ import annotations

import json
import os
import subprocess

from conftest import REPO, run_py


def test_std_artifact_loads_and_calls(tmp_path):
    out = tmp_path / "std"
    go = os.environ.get("USEGOLIB_GO", "go")
    args = ["run", "./cmd/usegolib-build", "-quiet", "-out", str(out)]
    for pkg in ("strings", "strconv", "net/url"):
        args += ["-std", pkg]
    subprocess.run([go, *args], cwd=REPO / "go", check=True, timeout=600)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["module"] == "std"
    assert manifest["version"] == manifest["go_version"]
    assert manifest["local"] is False

    r = run_py(
        f"""
        import usegolib
        out = {str(out)!r}
        strings = usegolib.load_artifact(out, "strings")
        assert strings.ToUpper("go") == "GO"
        assert strings.Repeat("ab", 3) == "ababab"
        assert usegolib.load_artifact(out, "strconv").Quote("hi\\n") == '"hi\\\\n"'
        u = usegolib.load_artifact(out, "net/url").Parse("https://example.com/a?b=1")
        assert u.Hostname() == "example.com"
        # The runtime loaded by directory is the process's standard-library runtime: a
        # package it lacks is a clear error, not a second runtime.
        try:
            usegolib.import_("regexp")
        except usegolib.VersionConflictError as e:
            assert "not in the standard-library runtime loaded in this process" in str(e), e
        else:
            raise AssertionError("regexp imported beside a runtime without it")
        print("ok")
        """
    )
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr
