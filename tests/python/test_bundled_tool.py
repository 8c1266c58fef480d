"""The prebuilt usegolib-build tool the installed package bundles (usegolib/_bin, written by
scripts/setup-venv.sh as a platform wheel ships it; docs/adr/0028): a first build in an empty
cache copies it instead of compiling the tool, USEGOLIB_NO_BUNDLED_TOOL=1 compiles it, and the
copy is the verified tool of the cache afterwards. Child processes, each with its own cache."""

from __future__ import annotations

from pathlib import Path

import pytest
import usegolib
from conftest import FIXTURES, copy_module, run_py

BUNDLE = Path(usegolib.__file__).parent / "_bin"

pytestmark = pytest.mark.skipif(
    not (BUNDLE / "usegolib-build").is_file(),
    reason=f"no bundled tool in {BUNDLE}: scripts/setup-venv.sh writes it",
)


def build_in_fresh_cache(tmp_path: Path, env: dict[str, str] | None = None) -> tuple[str, Path]:
    mod = copy_module(FIXTURES / "other", tmp_path / "other")
    cache = tmp_path / "cache"
    proc = run_py(
        f"""
        import usegolib
        p = usegolib.import_({str(mod)!r}, artifact_dir={str(tmp_path / "root")!r}, quiet=False)
        print(p.AddInt(1, 2))
        """,
        env={"USEGOLIB_CACHE_DIR": str(cache), **(env or {})},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.split() == ["1003"]
    return proc.stderr, cache


def test_a_first_build_copies_the_bundled_tool(tmp_path):
    stderr, cache = build_in_fresh_cache(tmp_path)
    assert "using the usegolib-build tool bundled with usegolib" in stderr
    assert "building the usegolib-build tool" not in stderr
    assert "warning" not in stderr
    (tool,) = cache.glob("tools/*/usegolib-build")
    assert tool.read_bytes() == (BUNDLE / "usegolib-build").read_bytes()
    key = (BUNDLE / "usegolib-build.key").read_text().strip()
    assert tool.parent.name == key, "the bundle was made for this usegolib and this Go"


def test_the_bundled_tool_can_be_turned_off(tmp_path):
    stderr, cache = build_in_fresh_cache(tmp_path, {"USEGOLIB_NO_BUNDLED_TOOL": "1"})
    assert "building the usegolib-build tool" in stderr
    # (the test's own tmp directory name holds "bundled": look for the line, not the word)
    assert "using the usegolib-build tool bundled" not in stderr
    assert list(cache.glob("tools/*/usegolib-build"))
