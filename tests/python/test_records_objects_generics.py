"""Go's richer types from Python, both ways, over the real built level3 fixture: maps, records,
classes, Go objects and methods, package variables, everyday Go types, variadics, generics, and
the schema views (kinds, parameters, fields, types) the package is assembled from."""

from __future__ import annotations

import copy
import dataclasses
import gc
import inspect
import json
import pickle
import textwrap
from datetime import datetime, timedelta, timezone

import pytest
import usegolib
from conftest import FIXTURES, GENERICS, OWN_POINT_CLASS, go_output, mypy, run_py


@pytest.fixture(scope="module")
def geo(artifact_root, l3):
    return usegolib.import_(FIXTURES / "level3" / "geo", artifact_dir=artifact_root)


# Level 2: maps.


def test_maps(l3):
    assert l3.CountWords(["a", "b", "a"]) == {"a": 2, "b": 1}
    assert l3.NilMap() == {}
    assert l3.MapLen({"x": [1, 2], "y": []}) == (2, False)
    assert l3.MapLen(None) == (0, True), "None is a nil map"
    assert l3.MapLen({}) == (0, False)
    with pytest.raises(TypeError, match="map keys must be str, got int"):
        l3.MapLen({1: [1]})
    with pytest.raises(TypeError, match="expected dict, got list"):
        l3.MapLen([1])


# Level 3, phase A and B: records as classes or dicts.


def test_record_classes(l3):
    Point = l3.Point
    assert dataclasses.is_dataclass(Point)
    assert [f.name for f in dataclasses.fields(Point)] == ["x", "y", "tags", "label"]
    p = Point(x=1, y=2, tags=["a"], label="p")
    assert l3.EchoPoint(p) == p
    assert type(l3.EchoPoint(p)) is Point
    assert repr(p) == "Point(x=1, y=2, tags=['a'], label='p')"
    assert Point(x=1, y=2, tags=[]) == Point(x=1, y=2, tags=[], label="")
    # Go's T{...} literal: every field left out is its zero value (docs/abi.md section 8.2).
    assert Point(x=1) == Point(x=1, y=0, tags=[], label="") == l3.EchoPoint({"x": 1})
    with pytest.raises(TypeError, match="unexpected keyword argument 'z'"):
        Point(x=1, z=2)


def test_record_tags_omitempty_and_dash(l3):
    p = l3.MakePoint(3, 4, ["t"], "")
    assert p == l3.Point(x=3, y=4, tags=["t"])
    assert not hasattr(p, "Skip") and not hasattr(p, "hidden")
    assert l3.EchoPoint({"x": 1, "y": 2, "tags": None}) == l3.Point(x=1, y=2, tags=[])
    assert l3.EchoPoint({"X": 1, "Y": 2, "Tags": ["go names work too"]}).tags == [
        "go names work too"
    ]


def test_record_dict_validation(l3):
    assert l3.EchoPoint({"x": 1, "tags": []}) == l3.Point(x=1, y=0, tags=[])
    with pytest.raises(TypeError, match=r'struct Point: unknown field "z"'):
        l3.EchoPoint({"x": 1, "y": 2, "tags": [], "z": 3})
    with pytest.raises(TypeError, match=r"struct Point: field x \(X int\): expected int, got str"):
        l3.EchoPoint({"x": "1", "y": 2, "tags": []})
    with pytest.raises(OverflowError, match="struct Point: field y"):
        l3.EchoPoint({"x": 1, "y": 2**70, "tags": []})
    with pytest.raises(TypeError, match=r"expected Point or dict, got int"):
        l3.EchoPoint(5)


def test_embedding_is_flattened_like_encoding_json(l3):
    fields = [f.name for f in dataclasses.fields(l3.Item)]
    assert "id" in fields and "version" in fields and "note" in fields and "price" in fields
    assert "Name" not in fields, "Base.Name and Meta.Name cancel out"
    assert "Kind" in fields, "the tagged Kind wins over the plain one"
    it = l3.EchoItem({"id": 7, "version": 2, "Kind": "k", "price": 1.5, "note": "n"})
    assert (it.id, it.version, it.Kind, it.price, it.note) == (7, 2, "k", 1.5, "n")
    assert l3.ItemNote({"id": 1, "version": 0, "Kind": "", "price": 0.0, "note": "hi"}) == "hi"
    assert l3.ItemNote({"id": 1, "version": 0, "Kind": "", "price": 0.0}) == "<nil>"


def test_nested_records_slices_maps_pointers(l3, geo):
    a, b = l3.Point(x=0, y=0, tags=[]), l3.Point(x=1, y=1, tags=["b"])
    line = l3.MakeLine(a, b)
    assert (line.a, line.b, line.color) == (a, b, None)
    poly = l3.Polygon(points=[a, b], by_name={"b": b}, center=None)
    back = l3.EchoPolygon(poly)
    assert back.points == [a, b] and back.by_name == {"b": b} and back.center is None
    assert l3.Points(2) == [l3.Point(x=0, y=0, tags=[]), l3.Point(x=1, y=-1, tags=[])]
    assert l3.PointsByName([l3.Point(x=1, y=1, tags=[], label="one")])["one"].x == 1
    assert l3.MaybePoint(False) is None
    assert l3.MaybePoint(True) == l3.Point(x=1, y=2, tags=["p"])
    assert l3.PointX(None) == -1 and l3.PointX(a) == 0
    assert l3.ListSum(l3.MakeList(4)) == 10
    assert l3.MakeList(2) == l3.Node(value=2, next=l3.Node(value=1, next=None))
    assert l3.Locate(geo.Coord(lat=1.0, lon=2.0)) == geo.Coord(lat=2.0, lon=3.0)
    assert geo.Distance({"lat": 0.0, "lon": 0.0}, {"lat": 3.0, "lon": 4.0}) == 5.0


# Everyday Go types.


def test_named_types_arrays_pointers(l3):
    assert l3.Warm(15.5) == 25.5
    assert l3.MakeIDs(2) == ["id0", "id1"] and l3.FirstID(["z"]) == "z"
    assert l3.Hash(bytes(16)) == bytes([1] * 16)
    with pytest.raises(TypeError, match="expected exactly 16 bytes, got 3"):
        l3.Hash(b"abc")
    assert l3.SumTriple([1, 2, 3]) == 6 and l3.Triple(2) == [2, 4, 6]
    with pytest.raises(TypeError, match="expected 3 elements, got 2"):
        l3.SumTriple([1, 2])
    assert l3.Deref(None) == -1 and l3.Deref(5) == 5
    assert l3.Ptr(0) is None and l3.Ptr(7) == 7
    assert l3.ByColor(
        {"red": l3.Point(x=1, y=1, tags=[]), "blue": {"x": 2, "y": 2, "tags": []}}
    ) == [
        "blue",
        "red",
    ]


def test_any_values(l3):
    assert l3.Describe(1) == "int", "ints arrive as int, as any(1) in Go (docs/abi.md 8.9)"
    assert l3.Describe(2**63) == "uint64"
    assert l3.Describe(-(2**63)) == "int"
    assert l3.Describe(1.5) == "float64"
    assert l3.Describe("s") == "string" and l3.Describe(b"b") == "[]uint8"
    assert l3.Describe(True) == "bool" and l3.Describe(None) == "<nil>"
    assert l3.Describe([1, "a"]) == "[]interface {}"
    assert l3.Describe({"k": 1}) == "map[string]interface {}"
    v = {"a": [1, 2.5, "x", None, True, b"y", {"n": -1}]}
    assert l3.EchoAny(v) == v and l3.EchoIface(v) == v
    with pytest.raises(TypeError, match="map keys must be str"):
        l3.EchoAny({1: 2})
    with pytest.raises(TypeError):
        l3.EchoAny(object())
    with pytest.raises(usegolib.UsegolibError):
        l3.AnyChan()


def test_time_and_duration(l3):
    t = datetime(2026, 11, 25, 3, 14, 15, 123456, tzinfo=timezone(timedelta(hours=1)))
    later = l3.AddHour(t)
    assert isinstance(later, datetime) and isinstance(later, usegolib.GoTime)
    assert later == t + timedelta(hours=1)
    assert later.utcoffset() == timedelta(hours=1)
    assert l3.Zone(t) == 3600
    u = l3.Unix(1_700_000_000)
    assert u == datetime(2023, 11, 14, 22, 13, 20, tzinfo=timezone.utc)
    with pytest.raises(TypeError, match="naive datetime"):
        l3.AddHour(datetime(2026, 1, 1))
    d = l3.Double(timedelta(seconds=1, microseconds=5))
    assert d == timedelta(seconds=2, microseconds=10) and isinstance(d, usegolib.GoDuration)
    assert d.nanoseconds == 2_000_010_000
    assert l3.Double(timedelta(days=-1)) == timedelta(days=-2)
    with pytest.raises(TypeError, match="expected timedelta"):
        l3.Double(5)


def test_nanoseconds_round_trip_through_python(l3):
    # A Go time with nanoseconds survives a trip through Python unchanged.
    d = l3.Double(usegolib._types.duration_from_wire(1_500))
    assert d.nanoseconds == 3_000
    t = usegolib._types.time_from_wire(1_700_000_000, 123_456_789, 0)
    assert l3.AddHour(t).nanosecond == 789


def test_error_values(l3):
    errs = l3.Errors()
    assert errs[0] is None
    assert isinstance(errs[1], usegolib.GoError) and str(errs[1]) == "boom"
    assert errs[1].go_type == "*errors.errorString"
    err, n = l3.ErrAndInt(True)
    assert str(err) == "not found" and n == 1
    assert l3.ErrAndInt(False) == (None, 0)


# Go objects: handles and methods.


def test_objects_and_methods(l3):
    c = l3.NewCounter("c")
    assert isinstance(c, l3.Counter) and isinstance(c, usegolib.GoObject)
    assert c.Add(2) == 2 and c.Add(3) == 5
    assert c.Get() == 5, "value receiver"
    assert c.Both() == ("c", 5), "several results from a method"
    assert c.Div(2) == 2
    with pytest.raises(usegolib.GoError, match="division by zero"):
        c.Div(0)
    assert c.AddAll(1, 2, 3) == 11, "variadic method"
    assert c.Inc().Inc().Get() == 13, "fluent methods return Go objects"
    c.Reset()  # promoted from the embedded Stats
    snap = c.Snapshot()
    assert (snap.name, snap.count, snap.calls) == ("c", 13, 0)
    assert isinstance(snap, l3.Counter.Fields)
    assert l3.TakeCounter(c) == 13, "a Go object is accepted as an argument"
    assert l3.TakeCounter(None) == -1
    assert "Add" in dir(c) and c.Add.__doc__.startswith("Add adds n")
    assert list(inspect.signature(l3.Counter.Add).parameters) == ["self", "n"]
    assert repr(c).startswith("<go *level3.Counter handle=") and repr(c).endswith("alive>")
    c.close()
    assert repr(c).endswith("closed>")


def test_use_after_close_and_context_manager(l3):
    c = l3.NewCounter("x")
    c.close()
    c.close()  # closing twice is fine
    with pytest.raises(usegolib.ObjectClosedError, match="was closed"):
        c.Add(1)
    with pytest.raises(usegolib.ObjectClosedError):
        l3.TakeCounter(c)
    with l3.NewCounter("w") as w:
        assert w.Add(1) == 1
    assert w.closed
    with pytest.raises(usegolib.ObjectClosedError):
        w.Get()


def test_objects_are_released_when_collected_or_closed(l3):
    module = l3._go_module
    c = l3.NewCounter("tmp")
    hid = c.go_handle
    del c
    gc.collect()
    with pytest.raises(usegolib.UsegolibError, match="unknown_handle"):
        module._release(hid)  # Go no longer knows it: it was released when collected
    d = l3.NewCounter("closed")
    d.close()
    with pytest.raises(usegolib.UsegolibError, match="unknown_handle"):
        module._release(d.go_handle)
    live = l3.NewCounter("live")
    module._release(live.go_handle)  # a live id is known to Go
    ids = [l3.NewCounter("n").go_handle for _ in range(100)]
    assert ids == sorted(set(ids)), "ids increase and are never reused"


def test_wrong_object_type_is_refused_by_go(l3):
    sq = l3.NewSquare(2.0)
    with pytest.raises(TypeError):
        l3.TakeCounter(sq)


def test_interfaces_and_opaque(l3):
    sq, ci = l3.NewSquare(2.0), l3.NewCircle(1.0)
    assert sq.Area() == 4.0 and sq.Kind() == "square"
    assert ci.Area() == 3.0 and ci.Kind() == "circle"
    assert isinstance(sq, l3.Shape)
    assert l3.NoShape() is None
    assert l3.TotalArea(sq, ci) == 7.0 and l3.TotalArea() == 0.0
    op = l3.NewOpaque(42)
    assert op.Secret() == 42
    tok = l3.NewToken(7)  # opaque, without methods: still a Go object
    assert isinstance(tok, l3.Token) and l3.TokenID(tok) == 7


def test_constructing_go_objects_from_python(l3):
    c = l3.Counter(name="made", count=5)
    assert c.Get() == 5 and c.Both() == ("made", 5)
    assert l3.Counter().Get() == 0


def test_package_variables(l3):
    d = l3.Default
    start = d.Add(0)
    assert d.Add(5) == start + 5
    assert l3.Default.Add(0) == start + 5, "methods act on the real variable"
    assert l3.Default is l3.Default
    lim = l3.Limits
    lim.SetMax(99)
    assert l3.Limits.GetMax() == 99
    assert l3.Version == "3.0"
    assert l3.Origin == l3.Point(x=0, y=0, tags=[])
    assert str(l3.ErrNotFound) == "not found"
    assert l3.UnitSquare.Area() == 1.0
    assert "Default" in dir(l3) and "Version" in dir(l3)


def test_handles_from_another_module_are_refused(l3, level1):
    # level1 has no Go objects; a Go object of level3 passed to a level1 function is refused.
    c = l3.NewCounter("c")
    with pytest.raises(TypeError):
        level1.EchoInt(c)


# Variadic and generic functions.


def test_variadic(l3):
    assert l3.Sum() == 0 and l3.Sum(1, 2, 3) == 6
    xs = [4, 5, 6]
    assert l3.Sum(*xs) == 15
    assert l3.Join("-", "a", "b") == "a-b" and l3.Join(",") == ""
    with pytest.raises(TypeError, match="variadic argument 1"):
        l3.Sum(1, "2")
    with pytest.raises(TypeError, match="at least 1 argument"):
        l3.Join()
    params = inspect.signature(l3.Sum).parameters
    assert params["xs"].kind is inspect.Parameter.VAR_POSITIONAL


def test_generics(l3):
    assert l3.Keys[str, int]({"b": 1, "a": 2}) == ["a", "b"]
    assert l3.Keys["string", "int64"]({"x": 1}) == ["x"]
    assert l3.Identity[int](5) == 5
    p = l3.Point(x=1, y=1, tags=[])
    assert l3.Identity[l3.Point](p) == p
    assert l3.Identity["level3.Point"](p) == p
    with pytest.raises(usegolib.UnsupportedSignatureError, match="was not instantiated"):
        l3.Identity[str]
    with pytest.raises(usegolib.UnsupportedSignatureError, match="instantiation"):
        l3.Swap(1, 2)


def test_show_and_stubs(l3, artifact_root, tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    exe = str(Path(sys.executable).parent / "usegolib")
    gen = [a for g in GENERICS for a in ("--generic", g)]
    p = subprocess.run(
        [exe, "--artifact-dir", str(artifact_root), "show", str(FIXTURES / "level3"), *gen],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert p.returncode == 0, p.stderr
    assert "struct Point {x int, y int, tags []string, label string}" in p.stdout
    assert "object Counter" in p.stdout and "func (*Counter) Add(n int64) int64" in p.stdout
    assert "var Default *Acc" in p.stdout
    assert "Swap" in p.stdout and "no instantiation" in p.stdout
    skipped = p.stdout.split("skipped:", 1)[1] if "skipped:" in p.stdout else ""
    assert "Sum" not in skipped and "EchoPoint" not in skipped, "nothing supported is skipped"
    p = subprocess.run(
        [
            exe,
            "--artifact-dir",
            str(artifact_root),
            "stubs",
            str(FIXTURES / "level3"),
            "--out",
            str(tmp_path),
            *gen,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert p.returncode == 0, p.stderr
    stub = (tmp_path / "level3.pyi").read_text()
    assert "class Point:" in stub and "class Counter(GoObject):" in stub
    assert "def Add(self, n: int) -> int:" in stub
    assert "def Sum(*xs: int) -> int:" in stub
    compile(stub, "level3.pyi", "exec")


def test_peer_scenarios_in_a_fresh_process(artifact_root):
    """The peer's own scenarios (records with tags, omitempty and embedding; objects with methods;
    package variables with fluent methods; several results from methods; generics), end to end
    in a new interpreter."""
    proc = run_py(f"""
        import usegolib
        l3 = usegolib.import_({str(FIXTURES / "level3")!r}, artifact_dir={str(artifact_root)!r},
                              generics={GENERICS!r})
        p = l3.EchoPoint({{"x": 1, "y": 2, "tags": ["a"]}})
        assert p.label == "" and p.tags == ["a"], p
        c = l3.NewCounter("n")
        assert c.Inc().Inc().Both() == ("n", 2)
        assert l3.Default.Add(1) >= 1
        assert l3.Identity[int](3) == 3
        print("ok")
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"


def test_stubs_give_mypy_the_real_signatures(l3, artifact_root, tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    bindir = Path(sys.executable).parent
    gen = [a for g in GENERICS for a in ("--generic", g)]
    stubs = tmp_path / "stubs"
    cmd = [str(bindir / "usegolib"), "--artifact-dir", str(artifact_root), "stubs"]
    p = subprocess.run(
        [*cmd, str(FIXTURES / "level3"), "--out", str(stubs), *gen],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert p.returncode == 0, p.stderr
    use = tmp_path / "use.py"
    use.write_text(
        "import level3\n"
        "total: int = level3.Sum(1, 2, 3)\n"
        "p = level3.Point(x=1, y=2, tags=['a'])\n"
        "q: level3.Point = level3.EchoPoint(p)\n"
        "n: int = level3.NewCounter('n').Add(2)\n"
        "level3.Sum('a')\n"
        "bad: str = level3.AddHour\n"
    )
    stub_check = mypy(stubs, stubs / "level3.pyi")
    assert stub_check.returncode == 0, stub_check.stdout
    r = mypy(stubs, use)
    errors = [line for line in r.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 2, r.stdout
    assert (
        'use.py:6: error: Argument 1 to "Sum" has incompatible type "str"; expected "int"'
        in errors[0]
    )
    assert "use.py:7: error: Incompatible types in assignment" in errors[1]


def test_schema_views(l3):
    """The binding hands the package frozen views with named attributes; every function says
    what it is (its kind), and annotations and stub text come computed."""
    mod, path = l3._go_module, l3._go_path
    kinds = {fn.go_name: fn.kind for fn in mod.functions(path)}
    assert kinds["EchoPoint"] == "function"
    assert kinds["Counter.Add"] == "method"
    assert kinds["Config.__new__"] == "constructor"
    assert kinds["Version"] == "var"
    assert kinds["Keys[string,int64]"] == "generic"
    join = next(fn for fn in mod.functions(path) if fn.go_name == "Join")
    sep, parts = join.params
    assert (sep.name, sep.go_name, sep.go_type, sep.wire) == ("sep", "sep", "string", "string")
    assert not sep.variadic and parts.variadic
    assert parts.annotation is str and parts.stub == "str", "a variadic's element"
    echo = next(fn for fn in mod.functions(path) if fn.go_name == "EchoPoint")
    (p,) = echo.params
    assert p.annotation is l3.Point and p.stub == "Point | Mapping[str, Any]"
    assert echo.results[0].stub == "Point" and echo.return_annotation is l3.Point
    with pytest.raises(AttributeError):
        p.name = "other"
    types = {t.name: t for t in mod.types(path)}
    assert types["Point"].kind == "record" and types["Point"].constructor is None
    assert types["Config"].kind == "handle" and types["Config"].constructor is not None
    fields = {f.name: f for f in mod.fields(types["Point"].key)}
    assert fields["tags"].stub == "list[str]" and fields["tags"].stub_arg == "Sequence[str]"
    assert fields["tags"].annotation == list[str] and not fields["x"].required
    assert fields["label"].has_default and fields["label"].default == ""


def test_methods_of_types_from_packages_not_imported(artifact_root, l3):
    # Only the root package is imported in a fresh process: the Go object returned by Plan is
    # a geo.Grid, and its methods are there although geo was never imported (cel's Eval
    # returning a ref.Val is the real case).
    r = run_py(
        f"""
        import usegolib
        l3 = usegolib.import_({str(FIXTURES / "level3")!r}, artifact_dir={str(artifact_root)!r},
                              generics={GENERICS!r})
        g = l3.Plan(3)
        print(type(g).__name__, g.Cells())
        """
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["Grid", "6"]


# Record classes are built by their Rust base type (docs/adr/0033): the class call fills the
# instance in one C call, with what a kw_only dataclass __init__ would do.

RECORDS_GO = """
_ = src
q := func(ss []string) string {
	out := "["
	for i, s := range ss {
		if i > 0 {
			out += " "
		}
		out += strconv.Quote(s)
	}
	return out + "]"
}
pt := func(p level3.Point) { fmt.Fprintf(&b, "point %d %d %s %q\\n", p.X, p.Y, q(p.Tags), p.Label) }
pt(level3.EchoPoint(level3.Point{X: 1, Y: -2, Label: "p"}))
pt(level3.EchoPoint(level3.Point{}))
pt(level3.MakePoint(3, 4, []string{"a", "é"}, ""))
for _, p := range level3.Points(3) {
	pt(p)
}
l := level3.MakeLine(level3.Point{X: 5}, level3.Point{Y: 6, Tags: []string{"t"}})
pt(l.A)
pt(l.B)
fmt.Fprintf(&b, "color nil %v\\n", l.Color == nil)
it := level3.EchoItem(level3.Item{Base: level3.Base{ID: 7}, Meta: level3.Meta{Version: 2},
	Extra: &level3.Extra{Note: "n"}, Tagged: level3.Tagged{Kind: "k"}, Price: 1.5})
fmt.Fprintf(&b, "item %d %d %q %q %g %q\\n", it.ID, it.Version, it.Note, it.Tagged.Kind, it.Price, it.Owner)
for n := level3.MakeList(3); n != nil; n = n.Next {
	fmt.Fprintf(&b, "node %d\\n", n.Value)
}
poly := level3.EchoPolygon(level3.Polygon{Points: []level3.Point{{X: 1}},
	ByName: map[string]level3.Point{"b": {Y: 2}}, Center: &level3.Point{X: 9}})
pt(poly.Points[0])
pt(poly.ByName["b"])
pt(*poly.Center)
fmt.Fprintf(&b, "extras %d\\n", len(poly.Extras))
"""


def test_records_built_by_the_class_match_go(l3, tmp_path):
    """Records made by the class call (every field kind of the fixture: ints, strings, a list,
    nested records by value, pointer, slice and map, a nil pointer, embedded fields) and decoded
    from Go's replies print what a Go program prints for the same values."""
    want = go_output(
        tmp_path,
        {"example.com/level3": "v0.0.0"},
        "fmt strconv example.com/level3",
        RECORDS_GO,
        b"",
        replaces={"example.com/level3": FIXTURES / "level3"},
    )
    lines = []

    def q(ss):
        return "[" + " ".join(json.dumps(s, ensure_ascii=False) for s in ss) + "]"

    def pt(p):
        lines.append(f"point {p.x} {p.y} {q(p.tags)} {json.dumps(p.label)}")

    P = l3.Point
    pt(l3.EchoPoint(P(x=1, y=-2, label="p")))
    pt(l3.EchoPoint(P()))
    pt(l3.MakePoint(3, 4, ["a", "é"], ""))
    for p in l3.Points(3):
        pt(p)
    line = l3.MakeLine(P(x=5), P(y=6, tags=["t"]))
    pt(line.a)
    pt(line.b)
    lines.append(f"color nil {str(line.color is None).lower()}")
    it = l3.EchoItem(l3.Item(id=7, version=2, note="n", Kind="k", price=1.5))
    lines.append(
        f"item {it.id} {it.version} {json.dumps(it.note)} {json.dumps(it.Kind)} "
        f"{it.price:g} {json.dumps(it.owner)}"
    )
    n = l3.MakeList(3)
    while n is not None:
        lines.append(f"node {n.value}")
        n = n.next
    poly = l3.EchoPolygon(l3.Polygon(points=[P(x=1)], by_name={"b": P(y=2)}, center=P(x=9)))
    pt(poly.points[0])
    pt(poly.by_name["b"])
    pt(poly.center)
    lines.append(f"extras {len(poly.extras)}")
    assert "\n".join(lines) + "\n" == want.decode()


def test_record_instances_without_init_behave_as_dataclasses(l3):
    Point, Line = l3.Point, l3.Line
    assert isinstance(Point(), usegolib._native.RecordBase)
    assert "__init__" not in vars(Point), "no dataclass __init__: the base type constructs"
    made = Point(x=1, y=-2, label="p")
    back = l3.EchoPoint(made)  # made by object's tp_new and filled by the reply
    for p in (made, back):
        assert vars(p) == {"x": 1, "y": -2, "tags": [], "label": "p"}
        assert repr(p) == "Point(x=1, y=-2, tags=[], label='p')"
        assert p == made and p != Point(x=1)
        assert dataclasses.asdict(p) == {"x": 1, "y": -2, "tags": [], "label": "p"}
        assert dataclasses.replace(p, y=5) == Point(x=1, y=5, label="p")
        assert copy.copy(p) == p and copy.deepcopy(p) == p
        assert pickle.loads(pickle.dumps(p)) == p and type(pickle.loads(pickle.dumps(p))) is Point
    # Zero values: a new list per instance, a zero record for a struct field, None for a pointer.
    assert Point().tags == [] and Point().tags is not Point().tags
    assert Line() == Line(a=Point(), b=Point(), color=None)
    assert Line().a is not Line().a
    # What a kw_only dataclass __init__ refuses, with its messages.
    with pytest.raises(
        TypeError, match=r"Point.__init__\(\) got an unexpected keyword argument 'z'"
    ):
        Point(x=1, z=2)
    with pytest.raises(TypeError, match=r"takes 1 positional argument but 2 were given"):
        Point(1)
    with pytest.raises(TypeError, match="is not a record class"):
        usegolib._native.RecordBase()
    # The signature shows the fields, keyword-only, with their zero values.
    sig = inspect.signature(Point)
    assert list(sig.parameters) == ["x", "y", "tags", "label"]
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in sig.parameters.values())
    assert sig.parameters["x"].default == 0 and sig.parameters["label"].default == ""
    # A subclass constructs the same way and passes to Go as the record.
    Sub = type("Sub", (Point,), {})
    s = Sub(x=3)
    assert isinstance(s, Point) and l3.EchoPoint(s) == Point(x=3)
    # A dict is still accepted as is, with the same errors.
    assert l3.EchoPoint({"x": 1, "label": "p"}) == Point(x=1, label="p")
    with pytest.raises(TypeError, match=r'struct Point: unknown field "z"'):
        l3.EchoPoint({"z": 1})
    with pytest.raises(TypeError, match=r"struct Point: field x \(X int\): expected int, got str"):
        l3.EchoPoint(Point(x="1"))


def test_subclasses_of_record_classes_construct_as_dataclass_subclasses(l3):
    """A subclass of a record class is constructed as it was when record classes were plain
    kw_only dataclasses (docs/adr/0033): by its own ``__init__`` when it defines one, the record
    class's ``__init__`` (RecordBase's tp_init) reachable through ``super()``; and
    ``p.__init__(...)`` sets every field again."""
    Point = l3.Point

    class S(Point):
        def __init__(self, **kw):
            self.seen = sorted(kw)
            super().__init__(**kw)

    s = S(x=1, label="s")
    assert (s.x, s.y, s.tags, s.label, s.seen) == (1, 0, [], "s", ["label", "x"])
    assert l3.EchoPoint(s) == Point(x=1, label="s")
    with pytest.raises(
        TypeError, match=r"Point.__init__\(\) got an unexpected keyword argument 'z'"
    ):
        S(z=1)

    @dataclasses.dataclass(kw_only=True)
    class P3(Point):
        z: int = 0

    p3 = P3(x=1, z=2)
    assert vars(p3) == {"x": 1, "y": 0, "tags": [], "label": "", "z": 2}
    assert repr(p3).endswith("P3(x=1, y=0, tags=[], label='', z=2)")
    assert [f.name for f in dataclasses.fields(p3)] == ["x", "y", "tags", "label", "z"]
    assert P3().tags == [] and P3().tags is not P3().tags
    assert p3 == P3(x=1, z=2) and p3 != Point(x=1)  # a dataclass compares same-class only
    assert l3.EchoPoint(p3) == Point(x=1)  # the record's fields go to Go
    assert dataclasses.replace(p3, z=3) == P3(x=1, z=3)
    with pytest.raises(TypeError, match="unexpected keyword argument 'w'"):
        P3(w=1)

    # __init__ again resets every field, as a dataclass __init__ did.
    p = Point(x=1, y=2, tags=["t"], label="p")
    assert p.__init__(x=5) is None
    assert vars(p) == {"x": 5, "y": 0, "tags": [], "label": ""}
    with pytest.raises(TypeError, match=r"takes 1 positional argument but 2 were given"):
        p.__init__(1)
    # __new__ alone makes the instance and sets no field (pickling restores the state).
    assert vars(Point.__new__(Point)) == {}
    assert vars(Point.__new__(Point, x=1)) == {}
    with pytest.raises(TypeError, match="RecordBase is not a record class"):
        usegolib._native.RecordBase.__new__(usegolib._native.RecordBase)


def test_replies_decode_through_a_registered_class_own_new(artifact_root):
    """A registered record class whose instances are not made by RecordBase's tp_new (here one
    with its own ``__new__``) gets decoded instances from ``cls.__new__(cls)``: the binding
    calls object's tp_new directly only for RecordBase's own subclasses."""
    r = run_py(
        OWN_POINT_CLASS
        + textwrap.dedent(
            f"""
        l3 = usegolib.import_({str(FIXTURES / "level3")!r}, artifact_dir={str(artifact_root)!r},
                              generics={GENERICS!r})
        p = l3.EchoPoint({{"x": 4}})
        print(type(p).__name__, p.x, p.tags, made)
        """
        )
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["Point", "4", "[]", "['Point']"]
