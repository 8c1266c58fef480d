"""Writes an offline Go module proxy (a file:// GOPROXY tree) for the remote-module tests."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path


def escape(path: str) -> str:
    return "".join("!" + c.lower() if c.isupper() else c for c in path)


def add_module(root: Path, module: str, version: str, files: dict[str, str]) -> None:
    """Adds module@version with the given files (relative path -> text) to the proxy at root."""
    d = root / escape(module) / "@v"
    d.mkdir(parents=True, exist_ok=True)
    gomod = files.get("go.mod", f"module {module}\n\ngo 1.22\n")
    files = {**files, "go.mod": gomod}
    (d / f"{version}.mod").write_text(gomod)
    (d / f"{version}.info").write_text(
        json.dumps({"Version": version, "Time": "2026-01-02T03:04:05Z"})
    )
    with zipfile.ZipFile(d / f"{version}.zip", "w") as z:
        for rel, text in sorted(files.items()):
            z.writestr(f"{module}@{version}/{rel}", text)
    versions = set((d / "list").read_text().split()) if (d / "list").exists() else set()
    versions.add(version)
    (d / "list").write_text("\n".join(sorted(versions)) + "\n")


def remote_files(version: str) -> dict[str, str]:
    return {
        "remote.go": (
            "// Package remote is served by a file:// proxy in the tests.\npackage remote\n\n"
            f'// Version reports the module version.\nfunc Version() string {{ return "{version}" }}\n\n'
            "// Mul returns a*b.\nfunc Mul(a, b int64) int64 { return a * b }\n"
        ),
        "util/util.go": (
            'package util\n\n// Shout adds "!".\nfunc Shout(s string) string { return s + "!" }\n'
        ),
    }
