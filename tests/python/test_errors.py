"""The exception hierarchy: where the classes live, pickling, and which error each failure
raises (every error kind of docs/abi.md section 4 that reaches Python has its class)."""

from __future__ import annotations

import json
import pickle

import pytest
import usegolib
import usegolib.errors
from conftest import FIXTURES, run_py

CLASSES = [getattr(usegolib.errors, name) for name in usegolib.errors.__all__]


def test_exceptions_live_in_usegolib_errors():
    assert len(CLASSES) >= 14
    for cls in CLASSES:
        # A traceback prints usegolib.LoadError (issue 12 item 6), and pickle finds it there.
        assert cls.__module__ == "usegolib", cls
        assert getattr(usegolib, cls.__name__) is cls, "usegolib re-exports it"
        assert issubclass(cls, usegolib.UsegolibError)
    assert issubclass(usegolib.BadResultError, usegolib.UsegolibError)
    assert repr(usegolib.UsegolibError("x")) == "UsegolibError('x')"


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_exceptions_pickle(cls):
    e = cls("x")
    back = pickle.loads(pickle.dumps(e))
    assert type(back) is cls and back.args == ("x",)


def test_attributes_survive_pickling():
    e = usegolib.GoError("boom")
    e.go_type = "*errors.errorString"
    back = pickle.loads(pickle.dumps(e))
    assert type(back) is usegolib.GoError and back.go_type == "*errors.errorString"


def test_two_versions_named_at_once_are_a_version_conflict(tmp_path):
    # Both are refused before anything is built or loaded.
    with pytest.raises(usegolib.VersionConflictError, match="names version v1.0.0 but version"):
        usegolib.import_("example.com/level1@v1.0.0", "v1.1.0", artifact_dir=tmp_path)
    with pytest.raises(usegolib.VersionConflictError, match='version is "local", not v1.0.0'):
        usegolib.import_(FIXTURES / "level1", "v1.0.0", artifact_dir=tmp_path)


def test_bad_result_and_unknown_handle_have_their_classes(artifact_root):
    proc = run_py(f"""
        import json, usegolib
        l3 = usegolib.import_({str(FIXTURES / "level3")!r}, artifact_dir={str(artifact_root)!r},
                              generics=["Keys[string,int64]", "Identity[int64]",
                                        "Identity[example.com/level3.Point]"])
        out = {{}}
        try:
            l3.AnyChan()
        except usegolib.BadResultError as e:
            out["bad_result"] = [e.function, e.index, e.reason, str(e)]
        c = l3.NewCounter("x")
        c.close()
        try:
            l3._go_module._release(c.go_handle)
        except usegolib.ObjectClosedError as e:
            out["unknown_handle"] = str(e)
        print(json.dumps(out))
    """)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.splitlines()[-1])
    function, index, reason, message = out["bad_result"]
    assert function == "example.com/level3.AnyChan" and index == 0
    assert reason == "cannot encode chan int inside any"
    assert "(bad_result)" in message, message
    assert "(unknown_handle)" in out["unknown_handle"], out
