"""The class call of generated record classes through a vectorcall (docs/adr/0033, section
"The class call through a vectorcall"): ``Point(x=1, label="p")`` with no argument tuple and no
keyword dict. Every case is checked against the class call CPython makes without it
(``type(Point).__call__(Point, ...)``, the metaclass's ``tp_call``, i.e. ``type_call``): same
instances, same errors. Over the real built level3 fixture."""

from __future__ import annotations

import copy
import dataclasses
import functools
import pickle

import pytest
from conftest import FIXTURES, GENERICS, ok, run_py
from usegolib import _native, _pickle


def type_call(cls, *args, **kw):
    """The class call without the vectorcall: the metaclass's tp_call (type_call)."""
    return type(cls).__call__(cls, *args, **kw)


def outcome(f):
    """What a call gives: the instance's class and fields, or the error's type and text."""
    try:
        r = f()
    except Exception as e:  # noqa: BLE001 - the error is what is compared
        return ("raised", type(e), str(e))
    return ("made", type(r), vars(r))


def test_generated_record_classes_are_called_through_the_vectorcall(l3):
    Point, Line = l3.Point, l3.Line
    for cls in (Point, Line):
        assert type(cls) is _pickle.RecordMeta is _native.RecordMeta
        assert issubclass(type(cls), _pickle.GoType)  # pickled by identity, as before
        assert _native._record_vectorcall(cls)
    # The metaclass does not show the slot's offset (nor a class's function pointer).
    assert not hasattr(Point, "__vectorcalloffset__")
    assert not _native._record_vectorcall(_native.RecordBase)
    assert not _native._record_vectorcall(object)
    # A subclass keeps type_call: its slot is null.
    Sub = type("Sub", (Point,), {})
    assert type(Sub) is _native.RecordMeta and not _native._record_vectorcall(Sub)


def test_the_vectorcall_constructs_as_type_call(l3):
    Point, Line = l3.Point, l3.Line
    # Equal to a field name, not the interned object (a one-letter str is CPython's cached one).
    key = "".join(["lab", "el"])
    assert key == "label" and key is not "label"  # noqa: F632 - identity is the point
    cases = [
        (Point, (), {}),
        (Point, (), {"x": 1, "y": -2, "tags": ["t"], "label": "p"}),
        (Point, (), {"label": "p", "x": 1}),  # any order
        (Point, (), {key: "p"}),  # the fallback: a keyword name that is not interned
        (Point, (), {key: "p", "x": 1}),
        (Point, (), {"z": 1}),  # unknown keyword
        (Point, (), {"x": 1, "z": 1}),
        (Point, (), {"".join(["zz", "z"]): 1}),
        (Point, (1,), {}),  # a positional argument
        (Point, (1,), {"x": 1}),
        (Point, (), {"x": "not an int"}),  # no check at construction, as a dataclass
        (Line, (), {}),
        (Line, (), {"a": Point(x=1), "color": None}),
    ]
    for cls, args, kw in cases:
        want = outcome(lambda: type_call(cls, *args, **kw))  # noqa: B023 - called at once
        got = outcome(lambda: cls(*args, **kw))  # noqa: B023
        assert got == want, (cls, args, kw)
    assert outcome(lambda: Point(z=1))[2] == (
        "Point.__init__() got an unexpected keyword argument 'z'"
    )
    assert outcome(lambda: Point(1))[2] == (
        "Point.__init__() takes 1 positional argument but 2 were given"
    )
    # Zero values are made per instance, as before.
    assert Point().tags == [] and Point().tags is not Point().tags
    assert Line().a == Point() and Line().a is not Line().a
    # A duplicate keyword never reaches the class: CPython refuses it first, as before.
    with pytest.raises(TypeError, match="got multiple values for keyword argument 'x'"):
        Point(**{"x": 1}, x=2)
    # Values given are the objects passed (no copy), as a dataclass __init__ keeps them.
    tags = ["a"]
    assert Point(tags=tags).tags is tags


def made_by_vector(f):
    """How many instances ``f()`` made through the vector path (the rest: type_call)."""
    before = _native._record_vector_made()
    try:
        f()
    except TypeError:
        pass
    return _native._record_vector_made() - before


def test_which_calls_take_the_vector_path(l3):
    Point, Line = l3.Point, l3.Line
    label = "".join(["lab", "el"])
    d = {"x": 1, "label": "p"}
    taken = [
        lambda: Point(),
        lambda: Point(x=1, y=2, tags=[], label="p"),
        lambda: Point(**d),  # literal keys: the interned names
        lambda: functools.partial(Point, x=1)(label="p"),
        lambda: Line(a=Point()),  # three: a, the Line, and b's zero Point (its class called)
    ]
    assert [made_by_vector(f) for f in taken] == [1, 1, 1, 1, 3]
    not_taken = [
        lambda: Point(1),
        lambda: Point(**{label: "p"}),
        lambda: Point(z=1),
        lambda: Point(x=1, z=1),
        lambda: type("Sub", (Point,), {})(x=1),
        lambda: type_call(Point, x=1),
    ]
    assert [made_by_vector(f) for f in not_taken] == [0] * len(not_taken)


def test_every_call_form_reaches_the_same_constructor(l3):
    Point = l3.Point
    d = {"x": 1, "label": "p"}
    want = Point(x=1, label="p")
    assert Point(**d) == want
    assert functools.partial(Point, x=1)(label="p") == want
    assert functools.partial(Point, label="p", x=1)() == want
    assert list(map(lambda kw: Point(**kw), [d, d])) == [want, want]
    with pytest.raises(TypeError, match="takes 1 positional argument but 2 were given"):
        list(map(Point, [1]))
    assert dataclasses.replace(want, y=5) == Point(x=1, y=5, label="p")
    assert dataclasses.asdict(want) == {"x": 1, "y": 0, "tags": [], "label": "p"}
    assert [f.name for f in dataclasses.fields(Point)] == ["x", "y", "tags", "label"]
    assert copy.copy(want) == want and copy.deepcopy(want) == want
    assert l3.EchoPoint(Point(x=3, label="v")) == Point(x=3, label="v")


def test_subclasses_construct_through_type_call(l3):
    """Both forms of ADR 0033's subclasses (test_records_objects_generics.py runs its own over
    the same classes): a subclass has no vectorcall of its own and is called by type_call."""
    Point = l3.Point

    class S(Point):  # its own __init__, the record's reached through super()
        def __init__(self, **kw):
            super().__init__(**{k: v * 2 for k, v in kw.items()})

    assert vars(S(x=1, label="s")) == {"x": 2, "y": 0, "tags": [], "label": "ss"}
    assert not _native._record_vectorcall(S)
    with pytest.raises(TypeError, match=r"Point.__init__\(\) got an unexpected keyword"):
        S(z=1)

    @dataclasses.dataclass(kw_only=True)
    class P3(Point):
        z: int = 0

    assert vars(P3(x=1, z=2)) == {"x": 1, "y": 0, "tags": [], "label": "", "z": 2}
    Plain = type("Plain", (Point,), {})
    assert vars(Plain(x=2)) == {"x": 2, "y": 0, "tags": [], "label": ""}
    with pytest.raises(TypeError, match="unexpected keyword argument 'w'"):
        Plain(w=1)


def test_classes_and_instances_pickle_as_before(l3):
    Point, Line = l3.Point, l3.Line
    p = Point(x=1, tags=["t"], label="p")
    ln = Line(a=p, color=None)
    for cls in (Point, Line):
        assert pickle.loads(pickle.dumps(cls)) is cls
    for v in (p, ln):
        back = pickle.loads(pickle.dumps(v))
        assert back == v and type(back) is type(v)
    assert pickle.loads(pickle.dumps(_native.RecordMeta)) is _native.RecordMeta


def test_init_or_new_assigned_after_creation_is_honoured(artifact_root):
    """A class whose ``__init__`` or ``__new__`` is assigned later constructs through it (the
    slots are read on each call). In a child process: it changes the module's classes."""
    r = run_py(
        f"""
        import usegolib
        from usegolib import _native
        l3 = usegolib.import_({str(FIXTURES / "level3")!r}, artifact_dir={str(artifact_root)!r},
                              generics={GENERICS!r})
        Point = l3.Point
        assert _native._record_vectorcall(Point)
        before = Point(x=1)
        seen = []
        old_init = Point.__init__
        def init(self, **kw):
            seen.append(sorted(kw))
            old_init(self, **kw)
            self.label = "init"
        Point.__init__ = init
        made = _native._record_vector_made()
        p = Point(x=2)
        assert _native._record_vector_made() == made, "a replaced __init__ takes type_call"
        print(p.x, p.label, seen)
        del Point.__init__
        print(vars(Point(x=3)))
        old_new = Point.__new__
        def new(cls, *a, **kw):
            seen.append("new")
            return old_new(cls)
        Point.__new__ = new
        print(Point(x=4).x, seen[-1])
        assert _native._record_vector_made() == made + 1, "only Point(x=3) took it"
        del Point.__new__
        print(Point(x=5).x, len(seen))
        # CPython leaves tp_new as slot_tp_new once __new__ was assigned, also after the del
        # (it then finds RecordBase.__new__): type_call, same result.
        assert _native._record_vector_made() == made + 1
        # A class that lost its record type: the vector path gives it to type_call.
        Line = l3.Line
        del Line.__usegolib_record__
        try:
            Line()
        except TypeError as e:
            print(e)
        assert _native._record_vector_made() == made + 1
        """
    )
    assert ok(r).splitlines() == [
        "2 init [['x']]",
        "{'x': 3, 'y': 0, 'tags': [], 'label': ''}",
        "4 new",
        "5 2",
        "Line is not a record class: RecordBase is the base of the classes of Go structs",
    ]


def test_a_class_whose_init_calls_it_again_is_a_recursion_error(artifact_root):
    """``Point.__init__ = Point`` recurses through the class call: CPython's RecursionError, as
    for any class, not a C stack overflow (the fallback to type_call makes CPython's recursion
    check). In a child process: it changes the module's classes, and a crash must not take the
    test run with it."""
    r = run_py(
        f"""
        import usegolib
        l3 = usegolib.import_({str(FIXTURES / "level3")!r}, artifact_dir={str(artifact_root)!r},
                              generics={GENERICS!r})
        for attr in ("__init__", "__new__"):
            P = l3.Point
            setattr(P, attr, P)
            try:
                P()
            except RecursionError as e:
                print(attr, "RecursionError")
            finally:
                delattr(P, attr)
        """
    )
    assert ok(r).split("\n")[:2] == ["__init__ RecursionError", "__new__ RecursionError"], r


def test_registering_a_non_class_for_a_record_type_is_a_type_error(l3):
    """A record type's registered class is a class (it makes the decoded records): anything
    else is refused with a TypeError naming the record type, and the class stays."""
    with pytest.raises(TypeError, match=r"record type example.com/level3\.Point must be a class"):
        l3._go_module.register_class("example.com/level3.Point", 5, True)
    assert isinstance(l3.EchoPoint(l3.Point(x=1)), l3.Point)
