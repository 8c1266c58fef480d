"""Pickling by identity (docs/adr/0031): records, value types, times, exceptions, Go functions,
generic instances, methods and packages round-trip, in this process and in fresh ones; Go objects
refuse; process pools (spawn, forkserver, ProcessPoolExecutor) carry results and Go errors back;
a fork after Go loaded carries the "use spawn" error back; a Dask LocalCluster maps Go functions
with each worker loading the cached artifact once."""

from __future__ import annotations

import concurrent.futures
import copy
import copyreg
import io
import json
import multiprocessing
import os
import pickle
import shutil
import types
from datetime import timedelta
from pathlib import Path

import pytest
import usegolib
import usegolib.errors
from conftest import FIXTURES, GENERICS, ok, run_py
from usegolib._types import duration_from_wire, time_from_wire


@pytest.fixture(scope="module")
def errs(artifact_root):
    return usegolib.import_(FIXTURES / "errs", artifact_dir=artifact_root)


def round_trip(v):
    return pickle.loads(pickle.dumps(v))


def go_error(fn, *args) -> usegolib.GoError:
    with pytest.raises(usegolib.GoError) as e:
        fn(*args)
    return e.value


def error_fields(e: usegolib.GoError) -> tuple:
    return (type(e), e.args, e.message, e.go_type, e.function)


# --- In this process. -----------------------------------------------------------------------


def test_records_round_trip_as_their_classes(l3):
    p = l3.MakePoint(1, 2, ["a"], "x")
    line = l3.MakeLine(p, l3.Point(x=3, y=4))
    for v in (p, line, [p, {"k": line}]):
        assert round_trip(v) == v
    back = round_trip(line)
    assert type(back) is l3.Line and type(back.a) is l3.Point
    assert l3.EchoPoint(round_trip(p)) == p, "an unpickled record goes back to Go"
    # The fields record of a Go object type pickles as that record, not as the Go object.
    fields = l3.Counter.Fields(name="c", count=3)
    assert type(round_trip(fields)) is l3.Counter.Fields and round_trip(fields) == fields


def test_functions_pickle_by_reference(l3):
    for fn in (
        l3.EchoPoint,  # a function
        l3.Keys[str, int],  # a generic instance
        l3.Identity["example.com/level3.Point"],
        l3.Counter.Add,  # a method, from its class
    ):
        assert round_trip(fn) is fn, fn
    assert round_trip(l3.Identity) is l3.Identity, "the generic function"
    for cls in (l3.Point, l3.Counter, l3.Counter.Fields):
        assert round_trip(cls) is cls, "the classes, as classes pickle: by reference"
    assert round_trip(l3) is l3, "the package"
    data = pickle.dumps(l3.EchoPoint)
    assert len(data) < 400 and b"usegolib._pickle" in data, "a name, not the function's state"


def test_go_objects_refuse_naming_their_type(l3):
    c = l3.NewCounter("c")
    for v in (c, [c], {"k": c}, c.Add):
        with pytest.raises(TypeError, match=r"Go object of type example\.com/level3\.Counter"):
            pickle.dumps(v)
    with pytest.raises(TypeError, match="handle to a value in this process's Go runtime"):
        copy.copy(c)
    c.close()


def test_value_types_round_trip_as_their_classes(cs):
    for v in (cs.Blue, cs.Mix(7, 7), cs.Ints([1, 2]), cs.MakeHeader("k", "v"), cs.Me, cs.Boiling):
        back = round_trip(v)
        assert back == v and type(back) is type(v), v
    assert round_trip(cs.Blue) is cs.Blue, "an enum member is the member"
    assert round_trip(cs.Color) is cs.Color and round_trip(cs.Ints) is cs.Ints
    assert round_trip(cs.Ints([3, 1])).Sorted() == [1, 3], "with its Go methods"


def test_go_times_and_durations_keep_their_nanoseconds():
    t = time_from_wire(1_700_000_000, 123_456_789, 3600)
    d = duration_from_wire(1_234_567_891)
    bt, bd = round_trip(t), round_trip(d)
    assert (type(bt), bt, bt.nanosecond, bt.utcoffset()) == (
        type(t),
        t,
        789,
        timedelta(hours=1),
    )
    assert (type(bd), bd, bd.nanoseconds) == (type(d), d, 1_234_567_891)


def test_a_chain_asked_for_while_its_error_is_handled_has_no_context_cycle(errs):
    """The chain's errors are made (not raised) when first asked for; made inside the handler of
    the error itself, the interpreter would give them that error as __context__: a cycle that
    pickling causes and contexts (tblib, used by Dask) followed forever."""
    try:
        errs.Find("missing")
    except usegolib.GoError as e:
        chain = [e, *e.wrapped, *e.wrapped[0].wrapped]
        assert [w.__context__ for w in chain[1:]] == [None, None]
        assert error_fields(round_trip(e)) == error_fields(e)
    else:
        pytest.fail("Find of a missing key returned instead of raising")


# Every exception the package exports, with the fields it documents (python/usegolib/_native.pyi).
FIELDS: dict[str, dict[str, object]] = {
    "AbiVersionError": {},
    "AmbiguousArtifactError": {"versions": ["v1.0.0", "v1.1.0"]},
    "ArtifactNotFoundError": {},
    "BadResultError": {"function": "m.F", "index": 1, "reason": "too deep"},
    "BuildError": {"output": "go: error", "phase": "compile"},
    "CacheError": {},
    "GoError": {"message": "boom", "go_type": "*errors.errorString", "function": "m.F"},
    "GoPanicError": {"value": "oops", "go_type": "string", "stack": "goroutine 1", "function": "f"},
    "LoadError": {},
    "ObjectClosedError": {},
    "SymbolNotFoundError": {},
    "UnsupportedSignatureError": {"reason": "chan", "function": "m.G"},
    "UsegolibError": {},
    "VersionConflictError": {},
}


def test_every_exported_exception_pickles_with_its_fields():
    assert set(FIELDS) == set(usegolib.errors.__all__), "a new exception class: list its fields"
    for name in usegolib.errors.__all__:
        cls = getattr(usegolib.errors, name)
        e = cls(f"{name} happened")
        for k, v in FIELDS[name].items():
            setattr(e, k, v)
        back = round_trip(e)
        assert type(back) is cls and back.args == e.args and str(back) == str(e), name
        for k, v in FIELDS[name].items():
            assert getattr(back, k) == v, (name, k)


# --- In fresh processes. --------------------------------------------------------------------


def test_a_fresh_process_reimports_by_identity(tmp_path, l3, errs, cs):
    """Everything pickled here is unpickled by a process that imported nothing: it loads the
    artifacts by identity and calls the functions with the records."""
    p = l3.MakePoint(1, 2, ["a"], "x")
    err = go_error(errs.Find, "missing")
    items = {
        "point": p,
        "echo": l3.EchoPoint,
        "ident": l3.Identity["example.com/level3.Point"],
        "add": l3.Counter.Add,
        "new": l3.NewCounter,
        "pkg": l3,
        "color": cs.Mix(7, 7),
        "blue": cs.Blue,
        "err": err,
    }
    (tmp_path / "in.pickle").write_bytes(pickle.dumps(items))
    out = ok(
        run_py(f"""
        import pickle, sys
        d = pickle.loads(open({str(tmp_path / "in.pickle")!r}, "rb").read())
        assert "usegolib" in sys.modules
        p = d["point"]
        assert d["echo"](p) == p and d["ident"](p) == p and type(p).__name__ == "Point"
        c = d["new"]("c")
        assert d["add"](c, 5) == 5 and c.Add(1) == 6
        assert d["pkg"].EchoPoint is d["echo"]
        assert repr(d["color"]) == "Color(7)" and repr(d["blue"]) == "<Color.Blue: 2>"
        e = d["err"]
        print(type(e).__name__, e.message, e.go_type, e.function, [w.message for w in e.wrapped])
        # And back: what this process pickles, the parent unpickles.
        sys.stdout.flush()
        open({str(tmp_path / "out.pickle")!r}, "wb").write(pickle.dumps([d["echo"](p), e]))
        """)
    )
    assert out.split()[:2] == ["GoError", err.message.split()[0]]
    back_p, back_e = pickle.loads((tmp_path / "out.pickle").read_bytes())
    assert back_p == p and type(back_p) is l3.Point
    assert error_fields(back_e) == error_fields(err)


def test_a_cache_moved_elsewhere_is_found_through_usegolib_cache_dir(tmp_path, artifact_root, l3):
    """The sender's artifact directory does not exist where the pickle is loaded (another
    machine, a shared cache mounted elsewhere): the receiver imports the same target into its
    own cache (USEGOLIB_CACHE_DIR), finding the artifact there without a build."""
    src = Path(l3._go_module.artifact_dir)
    a = tmp_path / "a" / "artifacts"
    shutil.copytree(src, a / src.relative_to(artifact_root))
    ok(
        run_py(f"""
        import pickle, usegolib
        l3 = usegolib.import_({str(FIXTURES / "level3")!r}, artifact_dir={str(a)!r}, build=False)
        open({str(tmp_path / "f.pickle")!r}, "wb").write(
            pickle.dumps((l3.EchoPoint, l3.Point(x=5))))
        """)
    )
    (tmp_path / "a").rename(tmp_path / "b")
    env = {**os.environ, "USEGOLIB_CACHE_DIR": str(tmp_path / "b")}
    out = ok(
        run_py(
            f"""
            import pickle, usegolib._pickle as up
            fn, p = pickle.loads(open({str(tmp_path / "f.pickle")!r}, "rb").read())
            assert fn(p).x == 5
            m = fn.go_module
            print(m.artifact_dir, up.loads)
            """,
            env=env,
        )
    )
    assert out.startswith(str(tmp_path / "b" / "artifacts")), out
    assert "{'example.com/level3': 1}" in out


def test_another_copy_of_the_module_loaded_refuses_the_value(tmp_path, artifact_root, l3):
    """A process that has the same module path loaded from another directory (or at another
    version) refuses what names this one: a VersionConflictError naming both."""
    copy_dir = tmp_path / "level3"
    shutil.copytree(FIXTURES / "level3", copy_dir)
    (tmp_path / "f.pickle").write_bytes(pickle.dumps([l3.EchoPoint, l3.Point(x=1)]))
    out = ok(
        run_py(f"""
        import pickle, usegolib
        usegolib.import_({str(copy_dir)!r}, artifact_dir={str(tmp_path / "art")!r})
        try:
            pickle.loads(open({str(tmp_path / "f.pickle")!r}, "rb").read())
        except usegolib.VersionConflictError as e:
            print(e)
        """)
    )
    assert f"example.com/level3 local from {FIXTURES / 'level3'}" in out, out
    assert f"has example.com/level3 local from {copy_dir} loaded" in out, out


def test_what_is_loaded_for_a_pickle_is_checked_against_it(l3):
    """The module loaded for a pickle (from its artifact directory, or imported by its target)
    must be the one it names: else VersionConflictError, never another version used silently;
    a local module whose directory is not recorded is not fetched by its path (its latest)."""
    art = l3._go_module.artifact_dir
    out = ok(
        run_py(f"""
        import usegolib, usegolib._pickle as up
        for ref in [
            ("example.com/level3", "local", "example.com/level3", "/nonexistent/art"),
            ("example.com/level3", "v1.0.0", "example.com/level3", {art!r}),
            ("example.com/level3", "local", "/elsewhere/level3", {art!r}),
        ]:
            try:
                up._find(ref, "example.com/level3", None)
                print("loaded", ref[1], ref[2])
            except usegolib.VersionConflictError as e:
                print("conflict:", e)
        """)
    )
    lines = out.splitlines()
    assert len(lines) == 3 and all(x.startswith("conflict: ") for x in lines), out
    assert "is not fetched by its path" in lines[0], out
    # Loaded from the artifact directory the pickle names, which holds another version.
    assert f"has example.com/level3 local from {FIXTURES / 'level3'} loaded" in lines[1], out
    assert "example.com/level3 v1.0.0:" in lines[1], out
    assert "example.com/level3 local from /elsewhere/level3:" in lines[2], out


def test_standard_library_functions_pickle_by_reference(tmp_path):
    strings = usegolib.import_("strings")
    (tmp_path / "f.pickle").write_bytes(pickle.dumps([strings.ToUpper, strings]))
    assert round_trip(strings.ToUpper) is strings.ToUpper
    out = ok(
        run_py(f"""
        import pickle
        upper, strings = pickle.loads(open({str(tmp_path / "f.pickle")!r}, "rb").read())
        print(upper("go"), strings.Repeat("ab", 2), upper.go_module.path)
        """)
    )
    assert out.split() == ["GO", "abab", "std"]


# --- Process pools. -------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_pools_run_go_functions_and_carry_records_and_errors_back(method, l3, errs):
    points = [l3.MakePoint(i, -i, [str(i)], "") for i in range(6)]
    want = error_fields(go_error(errs.Find, "missing"))
    ctx = multiprocessing.get_context(method)
    with ctx.Pool(2) as pool:
        assert pool.map(l3.EchoPoint, points) == points
        with pytest.raises(usegolib.GoError) as e:
            pool.map(errs.Find, ["ok", "missing"])
        assert error_fields(e.value) == want
        assert e.value.is_(errs.ErrNotFound), "its chain, compared by type and message"
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=ctx) as ex:
        assert list(ex.map(l3.EchoPoint, points)) == points
        assert [type(p) for p in ex.map(l3.EchoPoint, points)] == [l3.Point] * 6
        with pytest.raises(usegolib.GoError) as e:
            ex.submit(errs.Find, "missing").result()
        assert error_fields(e.value) == want


def test_a_fork_after_go_loaded_brings_the_use_spawn_error_back(artifact_root):
    out = ok(
        run_py(f"""
        import multiprocessing, usegolib
        l3 = usegolib.import_({str(FIXTURES / "level3")!r}, artifact_dir={str(artifact_root)!r},
                              generics={GENERICS!r})
        assert l3.EchoPoint(l3.Point(x=1)).x == 1
        with multiprocessing.get_context("fork").Pool(1) as pool:
            try:
                pool.map(l3.EchoPoint, [l3.Point(x=2)])
            except usegolib.UsegolibError as e:
                print(type(e).__module__, type(e).__name__, "|", e)
            else:
                print("no error")
        """)
    )
    # The exception classes' __module__ is usegolib (docs/adr/0030, item 5).
    assert out.startswith("usegolib UsegolibError | "), out
    assert "fork" in out and "spawn" in out, out


# --- Dask. ----------------------------------------------------------------------------------


def test_go_errors_pickle_under_tblib_as_dask_pickles_them(errs):
    """Dask pickles exceptions with tblib's reduction (cause, context and traceback too), inside
    the handler: the chain is made there, and the cause is the same object as wrapped[0]."""
    tblib = pytest.importorskip(
        "tblib.pickling_support", reason="tblib (a dependency of distributed) is not installed"
    )
    buf = io.BytesIO()
    try:
        errs.Find("joined")
    except usegolib.GoError as e:
        err = e
        p = pickle.Pickler(buf)
        p.dispatch_table = {
            **copyreg.dispatch_table,
            usegolib.GoError: tblib.pickle_exception,
            types.TracebackType: tblib.pickle_traceback,
        }
        p.dump(e)
    back = pickle.loads(buf.getvalue())
    assert error_fields(back) == error_fields(err)
    assert [w.message for w in back.wrapped] == [w.message for w in err.wrapped]
    assert back.__cause__ is back.wrapped[0]


def test_a_dask_cluster_maps_go_functions_loading_each_artifact_once(artifact_root, l3, errs):
    """In a child process (distributed changes how every exception pickles, process-wide): a
    LocalCluster of two worker processes maps Go functions, runs a dask.bag pipeline of them and
    brings a GoError back; each worker loads each artifact once, and no build happens."""
    pytest.importorskip("dask", reason="dask is not installed (scripts/dev-requirements.txt)")
    pytest.importorskip(
        "distributed", reason="dask.distributed is not installed (scripts/dev-requirements.txt)"
    )
    lib = next(Path(l3._go_module.artifact_dir).glob("*.so"))
    mtime = lib.stat().st_mtime_ns
    want = error_fields(go_error(errs.Find, "missing"))[1:]
    out = ok(
        run_py(
            f"""
            import json, logging
            import dask.bag as db
            import distributed
            import usegolib

            root = {str(artifact_root)!r}
            l3 = usegolib.import_({str(FIXTURES / "level3")!r}, artifact_dir=root,
                                  generics={GENERICS!r})
            errs = usegolib.import_({str(FIXTURES / "errs")!r}, artifact_dir=root)
            if __name__ == "__main__":
                with (
                    distributed.LocalCluster(
                        processes=True, n_workers=2, threads_per_worker=1,
                        dashboard_address=None, silence_logs=logging.CRITICAL,
                    ) as cluster,
                    distributed.Client(cluster) as client,
                ):
                    futures = client.map(l3.MakePoint, range(20), range(20), [[]] * 20, ["p"] * 20)
                    points = client.gather(futures)
                    assert points == [l3.MakePoint(i, i, [], "p") for i in range(20)]
                    assert all(type(p) is l3.Point for p in points)
                    bag = db.from_sequence(points, npartitions=4).map(l3.EchoPoint).map(l3.PointX)
                    assert bag.sum().compute() == sum(range(20))
                    try:
                        client.submit(errs.Find, "missing").result()
                    except usegolib.GoError as e:
                        err = [e.args[0], e.message, e.go_type, e.function]
                        assert e.__cause__ is e.wrapped[0]
                    loads = client.run(
                        lambda: dict(__import__("usegolib._pickle").__dict__["_pickle"].loads)
                    )
                print(json.dumps({{"err": err, "loads": loads}}))
            """,
            timeout=600,
        )
    )
    got = json.loads(out.strip().splitlines()[-1])
    assert tuple(got["err"]) == (want[0][0], *want[1:]), got["err"]
    loads = got["loads"]
    assert len(loads) == 2, loads
    for worker, counts in loads.items():
        assert set(counts.values()) <= {1}, (worker, counts)
    assert sum(c.get("example.com/level3", 0) for c in loads.values()) >= 1, loads
    assert lib.stat().st_mtime_ns == mtime, "the cached artifact was loaded, not rebuilt"
