"""An artifact over standard-library packages (docs/abi.md section 9.1), built by the Go
builder's -std option, loads and is called like any other; importing it by name is issue 10."""

from __future__ import annotations

import json
import os
import subprocess

import usegolib
from conftest import REPO


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

    strings = usegolib.load_artifact(out, "strings")
    assert strings.ToUpper("go") == "GO"
    assert strings.Repeat("ab", 3) == "ababab"
    assert usegolib.load_artifact(out, "strconv").Quote("hi\n") == '"hi\\n"'
    u = usegolib.load_artifact(out, "net/url").Parse("https://example.com/a?b=1")
    assert u.Hostname() == "example.com"
