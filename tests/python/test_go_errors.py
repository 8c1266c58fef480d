"""Go errors as Go users use them (docs/adr/0021-go-error-values.md, docs/abi.md section 4.1):
sentinel errors as package attributes matched with errors.Is run in Go, typed errors' concrete
values, the wrapped chain, pickling through a spawn pool, and no leak of the Go values."""

from __future__ import annotations

import gc
import os
import pickle
import resource
import subprocess
import textwrap

import pytest
import usegolib
from conftest import FIXTURES, fixture_prints, run_py

ERRS = FIXTURES / "errs"


@pytest.fixture(scope="module")
def errs(artifact_root):
    return usegolib.import_(ERRS, artifact_dir=artifact_root)


def raised(fn, *args):
    with pytest.raises(usegolib.GoError) as e:
        fn(*args)
    return e.value


def go_prints(tmp_path, body: str) -> str:
    """What a Go program using example.com/errs prints (body runs in main, printing to b)."""
    return fixture_prints(tmp_path, "errs", "errors fmt", body)


NAMES = ["missing", "typed", "code", "joined", "eof", "same", "other"]
SENTINELS = ["ErrNotFound", "ErrPermission", "ErrSameText", "EOF"]


def test_errors_is_matches_go(errs, tmp_path):
    """err.is_(sentinel) for every error and sentinel is what errors.Is prints in Go: through
    %w (twice), errors.Join, a custom Is method, io.EOF, and a sentinel with the same text."""
    got = []
    for name in NAMES:
        err = raised(errs.Find, name)
        row = [name] + [str(err.is_(getattr(errs, s))).lower() for s in SENTINELS]
        got.append(" ".join(row))
    body = f"""
    for _, name := range []string{{{", ".join(f'"{n}"' for n in NAMES)}}} {{
        _, err := errs.Find(name)
        fmt.Fprintln(&b, name, {", ".join(f"errors.Is(err, errs.{s})" for s in SENTINELS)})
    }}
    """
    assert "\n".join(got) + "\n" == go_prints(tmp_path, body)
    # The sentinel returned itself, and read twice: the same Go value.
    assert raised(errs.Sentinel).is_(errs.ErrNotFound)
    assert errs.ErrNotFound.is_(errs.ErrNotFound)
    assert not errs.ErrSameText.is_(errs.ErrNotFound)


def test_sentinels_are_package_attributes(errs):
    s = errs.ErrNotFound
    assert isinstance(s, usegolib.GoError)
    assert (str(s), s.message, s.go_type) == ("not found", "not found", "*errors.errorString")
    assert errs.EOF.message == "EOF"


def test_a_target_that_is_not_a_sentinel_is_a_type_error(errs, level1):
    err = raised(errs.Find, "missing")
    assert err.is_(None) is False  # errors.Is(err, nil): a nil sentinel
    for bad in ["not found", 3, ValueError("x"), errs.Count]:
        with pytest.raises(TypeError, match="is_\\(\\) takes a Go error"):
            err.is_(bad)
    # A GoError from another module's runtime.
    foreign = raised(level1.ParseInt, "x")
    with pytest.raises(TypeError, match="belongs to Go module example.com/level1"):
        err.is_(foreign)
    # A GoError made in Python holds no Go value.
    with pytest.raises(TypeError, match="holds no Go value"):
        err.is_(usegolib.GoError("not found"))


def test_the_chain_is_visible(errs, tmp_path):
    err = raised(errs.Find, "missing")
    assert str(err) == 'find "missing": lookup: not found'
    assert err.go_type == "*fmt.wrapError" and err.function == "example.com/errs.Find"
    inner = err.unwrap()
    assert err.__cause__ is inner and err.wrapped == (inner,)
    assert (inner.message, inner.go_type) == ("lookup: not found", "*fmt.wrapError")
    leaf = inner.unwrap()
    assert (leaf.message, leaf.go_type, leaf.unwrap(), leaf.wrapped) == (
        "not found",
        "*errors.errorString",
        None,
        (),
    )
    assert leaf.is_(errs.ErrNotFound) and not inner.is_(errs.ErrPermission)
    # errors.Join: several wrapped errors, no single unwrap (as errors.Unwrap in Go).
    joined = raised(errs.Find, "joined")
    assert joined.unwrap() is None and joined.__cause__ is joined.wrapped[0]
    assert [(w.message, w.go_type) for w in joined.wrapped] == [
        ("not found", "*errors.errorString"),
        ("open: permission denied", "*fmt.wrapError"),
    ]
    assert joined.wrapped[1].wrapped[0].is_(errs.ErrPermission)
    body = """
    _, err := errs.Find("joined")
    for _, w := range err.(interface{ Unwrap() []error }).Unwrap() {
        fmt.Fprintf(&b, "%q %T\\n", w.Error(), w)
    }
    """
    assert go_prints(tmp_path, body) == "".join(
        f'"{w.message}" {w.go_type}\n' for w in joined.wrapped
    )


def test_the_chain_is_asked_for_when_first_used(errs):
    """A raised GoError holds only its own Go value; its chain comes from Go the first time it
    is used (docs/abi.md section 4.1): through __cause__ as a traceback reads it, through as_,
    through pickling. A cause set in Python is kept."""
    import traceback

    err = raised(errs.Find, "missing")
    assert "_wrapped" not in err.__dict__
    text = "".join(traceback.format_exception(err))
    assert text.count("direct cause") == 2, text
    assert "GoError: not found" in text and "GoError: lookup: not found" in text
    assert err.wrapped[0].wrapped[0].message == "not found"
    # as_ and pickling walk the chain of a fresh error too.
    assert raised(errs.Find, "typed").as_(errs.NotFoundError) is not None
    back = pickle.loads(pickle.dumps(raised(errs.Find, "missing")))
    assert [e.message for e in (back, back.unwrap(), back.unwrap().unwrap())] == [
        'find "missing": lookup: not found',
        "lookup: not found",
        "not found",
    ]
    # A cause given in Python stays; the chain is still Go's.
    mine = ValueError("mine")
    err = raised(errs.Find, "missing")
    err.__cause__ = mine
    assert err.__cause__ is mine and err.unwrap().message == "lookup: not found"
    assert err.__cause__ is mine and err.unwrap().__cause__ is err.unwrap().wrapped[0]
    # An error that wraps nothing: an empty chain, no cause.
    leaf = raised(errs.Find, "other")
    assert leaf.__cause__ is None and leaf.wrapped == () and leaf.unwrap() is None


def test_an_uncaught_error_prints_its_chain(artifact_root):
    """The interpreter's own printer of an uncaught exception (sys.excepthook, and
    threading.excepthook for a thread) shows the chain of a GoError that nothing asked for."""
    r = run_py(
        f"""
        import threading, usegolib
        errs = usegolib.import_({str(ERRS)!r}, artifact_dir={str(artifact_root)!r})
        t = threading.Thread(target=errs.Find, args=("missing",))
        t.start()
        t.join()
        errs.Find("missing")
        """
    )
    assert r.returncode == 1
    assert r.stderr.count("direct cause") == 4, r.stderr
    assert r.stderr.count("GoError: not found") == 2, r.stderr


def test_typed_errors_go_value_and_as(errs):
    err = raised(errs.Find, "typed")
    nf = err.as_(errs.NotFoundError)
    assert isinstance(nf, errs.NotFoundError) and nf.Describe() == "typed/404"
    # errors.As-style access to a typed error's exported fields (issue 10 item 5).
    assert (nf.Name, nf.Code) == ("typed", 404)
    assert err.wrapped[0].go_value is nf and err.go_value is err  # fmt.wrapError: no class
    assert err.as_(errs.CodeError) is None
    # A typed error held by value: a Go object holding a copy, its methods work.
    code = raised(errs.Find, "code").as_(errs.CodeError)
    assert isinstance(code, errs.CodeError) and code.Double() == 14 and code.Code == 7
    assert raised(errs.ByValue, 21).go_value.Double() == 42
    typed = raised(errs.Typed, 5)
    assert typed.go_value.Describe() == "typed/5" and typed.is_(errs.ErrNotFound)
    assert typed.go_value.Code == 5 and typed.go_value.Name == "typed"
    with pytest.raises(TypeError, match="as_\\(\\) takes a Go type's class"):
        err.as_(ValueError)


def test_as_matches_go(errs, tmp_path):
    """err.as_(cls) finds what errors.As finds in Go, for a pointer and a value type."""
    got = []
    for name in NAMES:
        err = raised(errs.Find, name)
        nf, code = err.as_(errs.NotFoundError), err.as_(errs.CodeError)
        got.append(
            f"{name} {nf is not None} {nf.Describe() if nf else '-'} "
            f"{code is not None} {code.Double() if code else '-'}"
        )
    body = f"""
    for _, name := range []string{{{", ".join(f'"{n}"' for n in NAMES)}}} {{
        _, err := errs.Find(name)
        var nf *errs.NotFoundError
        var code errs.CodeError
        okNF, okCode := errors.As(err, &nf), errors.As(err, &code)
        d, c := "-", "-"
        if okNF {{
            d = nf.Describe()
        }}
        if okCode {{
            c = fmt.Sprint(code.Double())
        }}
        fmt.Fprintln(&b, name, okNF, d, okCode, c)
    }}
    """
    want = go_prints(tmp_path, body).replace(" true ", " True ").replace(" false ", " False ")
    assert "\n".join(got) + "\n" == want


def test_error_values_that_are_results(errs):
    err, n = errs.Last("missing")
    assert isinstance(err, usegolib.GoError) and n == 7
    assert err.is_(errs.ErrNotFound) and err.unwrap().message == "lookup: not found"
    assert errs.Last("ok") == (None, 2)


def test_errors_pickle_with_their_chain(errs):
    err = raised(errs.Find, "joined")
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is usegolib.GoError
    assert (back.args, back.message, back.go_type, back.function) == (
        err.args,
        err.message,
        err.go_type,
        err.function,
    )
    assert [(w.message, w.go_type) for w in back.wrapped] == [
        (w.message, w.go_type) for w in err.wrapped
    ]
    assert back.__cause__ is back.wrapped[0]
    assert back.wrapped[1].unwrap().message == "permission denied"
    # Without its Go values: is_ compares type and message along the chain; go_value is None.
    assert back.is_(errs.ErrPermission) and not back.is_(errs.EOF)
    assert back.go_value is None and back.as_(errs.NotFoundError) is None
    with pytest.raises(TypeError, match="holds no Go value"):
        err.is_(back)


def test_every_exception_pickles_with_its_fields(errs, level1):
    """The exceptions of real failures keep their class, args and fields through pickle."""
    failures = [
        (errs.Find, "missing"),
        (level1.PanicError,),
        (level1.Send, None),
        (lambda: usegolib.import_("example.com/bad path@v1.0.0"),),
        (level1._go_module.function, "example.com/level1", "Nope"),
    ]
    seen = set()
    for fn, *args in failures:
        with pytest.raises(usegolib.UsegolibError) as e:
            fn(*args)
        err = e.value
        seen.add(type(err))
        back = pickle.loads(pickle.dumps(err))
        assert type(back) is type(err) and back.args == err.args and str(back) == str(err)
        fields = {k: v for k, v in vars(err).items() if not k.startswith("_")}
        for k, v in fields.items():
            if k != "wrapped":
                assert getattr(back, k) == v, (type(err), k)
    assert len(seen) == len(failures), seen


def test_a_spawn_pool_carries_go_errors_back(tmp_path, artifact_root, errs):
    (tmp_path / "worker.py").write_text(
        textwrap.dedent(f"""
        import usegolib

        def find(name):
            errs = usegolib.import_({str(ERRS)!r}, artifact_dir={str(artifact_root)!r})
            return errs.Find(name)
        """)
    )
    r = run_py(
        f"""
        import multiprocessing, sys
        sys.path.insert(0, {str(tmp_path)!r})
        import usegolib, worker
        errs = usegolib.import_({str(ERRS)!r}, artifact_dir={str(artifact_root)!r})
        if __name__ == "__main__":
            with multiprocessing.get_context("spawn").Pool(2) as pool:
                assert pool.map(worker.find, ["ok"]) == [1]
                try:
                    pool.map(worker.find, ["ok", "missing"])
                except usegolib.GoError as e:
                    chain = []
                    w = e
                    while w is not None:
                        chain.append((w.message, w.go_type))
                        w = w.unwrap()
                    print(type(e).__name__, e.function, chain, e.is_(errs.ErrNotFound),
                          e.is_(errs.ErrPermission))
        """,
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == (
        "GoError example.com/errs.Find "
        "[('find \"missing\": lookup: not found', '*fmt.wrapError'), "
        "('lookup: not found', '*fmt.wrapError'), ('not found', '*errors.errorString')] "
        "True False"
    )


def test_go_values_are_released_with_their_errors(errs):
    """Each GoError holds its Go values only while Python holds it: the handles of dropped
    errors are gone from Go (releasing one again is unknown_handle), and RSS stays flat."""
    err = raised(errs.Find, "missing")
    ids = []
    w = err
    while w is not None:
        ids.append(w._go.go_handle)
        w = w.unwrap()
    del err, w
    gc.collect()  # the traceback holds the frame that raised it: a cycle
    module = errs._go_module
    for i in ids:
        with pytest.raises(usegolib.ObjectClosedError):
            module._release(i)

    def burst(n):
        for _ in range(n):
            try:
                errs.Find("joined")
            except usegolib.GoError as e:
                assert e.is_(errs.ErrNotFound)
                assert e.wrapped[0].go_value is not None

    burst(20_000)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    burst(100_000)
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown < 32 * 1024, f"RSS grew by {grown} KiB over 100,000 errors"


def test_stubs_let_mypy_check_error_handling(errs, artifact_root, tmp_path):
    """The stubs type sentinels as GoError and GoError's methods: mypy accepts errors.Is and
    errors.As written correctly and reports is_ of something that is not an error."""
    import sys
    from pathlib import Path

    bindir = Path(sys.executable).parent
    stubs = tmp_path / "stubs"
    cmd = [str(bindir / "usegolib"), "--artifact-dir", str(artifact_root), "stubs"]
    p = subprocess.run(
        [*cmd, str(ERRS), "--out", str(stubs)], capture_output=True, text=True, timeout=300
    )
    assert p.returncode == 0, p.stderr
    use = tmp_path / "use.py"
    use.write_text(
        textwrap.dedent("""
        import errs
        import usegolib

        try:
            errs.Find("missing")
        except usegolib.GoError as e:
            ok: bool = e.is_(errs.ErrNotFound)
            nf = e.as_(errs.NotFoundError)
            d: str = nf.Describe() if nf is not None else ""
            w: usegolib.GoError | None = e.unwrap()
            e.is_("not found")
        """)
    )
    mypy = [str(bindir / "mypy"), "--follow-imports=silent", "--no-incremental"]
    env = {**os.environ, "MYPYPATH": str(stubs)}
    r = subprocess.run([*mypy, str(use)], capture_output=True, text=True, env=env, timeout=300)
    errors = [line for line in r.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 1 and 'Argument 1 to "is_" of "GoError"' in errors[0], r.stdout
