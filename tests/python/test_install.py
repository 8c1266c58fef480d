"""Honest installation: `import usegolib` refuses to run beside the other project that PyPI
names `usegolib` (its files planted into a copy of this package's directory, as pip leaves
them when both are installed into one environment)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import usegolib
from conftest import run_py

CODE = """
    import sys
    try:
        import usegolib
    except ImportError as e:
        print(type(e).__name__, type(e).__mro__[1].__name__)
        print(e)
        sys.exit(3)
    print("imported", usegolib.__file__)
    """


@pytest.fixture
def site(tmp_path) -> Path:
    """A site directory holding a copy of this usegolib package (with its native module) and
    this distribution's own metadata."""
    site = tmp_path / "site"
    shutil.copytree(
        Path(usegolib.__file__).parent,
        site / "usegolib",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    (site / "usegolib_py-0.1.0.dist-info").mkdir()
    (site / "usegolib_py-0.1.0.dist-info" / "METADATA").write_text("Name: usegolib-py\n")
    return site


def test_a_clean_copy_imports(site):
    r = run_py(CODE, env={"PYTHONPATH": str(site)})
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"imported {site / 'usegolib' / '__init__.py'}"


@pytest.mark.parametrize("markers", [["paths.py"], ["builder/__init__.py", "importer.py"]])
def test_the_other_projects_modules_in_our_directory_are_refused(site, markers):
    for m in markers:
        (site / "usegolib" / m).parent.mkdir(parents=True, exist_ok=True)
        (site / "usegolib" / m).write_text("# the other project's module\n")
    r = run_py(CODE, env={"PYTHONPATH": str(site)})
    assert r.returncode == 3, r.stdout + r.stderr
    kind, message = r.stdout.split("\n", 1)
    assert kind == "PackageConflictError ImportError"
    assert "the PyPI project 'usegolib' (a different project" in message
    assert str(site / "usegolib" / markers[0].split("/")[0]) in message
    assert "pip uninstall -y usegolib usegolib-py" in message


def test_the_other_projects_metadata_beside_ours_is_refused(site):
    peer = site / "usegolib-0.1.0.dist-info"
    peer.mkdir()
    (peer / "METADATA").write_text("Metadata-Version: 2.1\nName: usegolib\nVersion: 0.1.0\n")
    r = run_py(CODE, env={"PYTHONPATH": str(site)})
    assert r.returncode == 3, r.stdout + r.stderr
    assert f"found {peer}." in r.stdout, r.stdout


def test_a_packaged_module_refuses_when_the_other_project_replaced_our_init(site):
    # Installed after us, the other project's __init__.py replaced ours: `import usegolib` is
    # its, but what a packaged module imports (usegolib._wheel) still finds it out.
    (site / "usegolib" / "__init__.py").write_text("def import_(target): ...\n")
    (site / "usegolib" / "paths.py").write_text("# the other project's module\n")
    r = run_py(
        "import usegolib\nassert not hasattr(usegolib, 'load_artifact')\nimport usegolib._wheel",
        env={"PYTHONPATH": str(site)},
    )
    assert r.returncode == 1, r.stdout + r.stderr
    assert "usegolib.PackageConflictError: the PyPI project 'usegolib'" in r.stderr, r.stderr
