"""Out-parameters (docs/abi.md section 8.6) over the real built outparams fixture and real
modules: usegolib.Ref for Go `any` parameters (json, YAML and TOML decode through it), and
mutable buffers (bytearray, writable memoryview, array.array) for `[]byte` parameters seeing
Go's writes."""

from __future__ import annotations

import array
import ast
import inspect
import typing

import pytest
import usegolib
from conftest import FIXTURES
from usegolib import _stubs


@pytest.fixture(scope="module")
def op(artifact_root):
    return usegolib.import_(FIXTURES / "outparams", artifact_dir=artifact_root)


def test_ref_of_nothing_is_a_pointer_to_any(op):
    doc = usegolib.Ref()
    assert op.Decode(b'{"a": [1, "x", null, true], "b": {"c": 2.5}}', doc) is None
    assert doc.value == {"a": [1.0, "x", None, True], "b": {"c": 2.5}}
    assert op.Describe(usegolib.Ref()) == "*interface {}"


@pytest.mark.parametrize(
    "data",
    [
        b'{"a": 1, "b": [1, 2.5, "s", null, false, {"x": {}}]}',
        b"[]",
        b'"text \\u00e9"',
        b"12345678901234567890",
        b"null",
        b'{"nested": [[[[1]]]], "e": 1e-7}',
    ],
)
def test_ref_value_is_what_go_json_unmarshal_gives(op, data):
    # Differential: Go decodes into an any on its own (GoSyntax) and through a Ref whose value
    # crosses to Python and back (Format); both print the same Go value.
    doc = usegolib.Ref()
    op.Decode(data, doc)
    assert op.Format(doc.value) == op.GoSyntax(data)


def test_ref_of_dict_and_list_are_typed_pointers(op):
    m = usegolib.Ref({})
    assert op.Describe(m) == "*map[string]interface {}"
    op.Decode(b'{"k": "v"}', m)
    assert m.value == {"k": "v"}
    kept = usegolib.Ref({"old": 1})
    op.Decode(b'{"new": 2}', kept)
    assert kept.value == {"old": 1, "new": 2.0}, "json.Unmarshal merges into the given map"
    lst = usegolib.Ref([])
    assert op.Describe(lst) == "*[]interface {}"
    op.Decode(b'[1, "two"]', lst)
    assert lst.value == [1.0, "two"]


@pytest.mark.parametrize(
    ("initial", "go_type", "after"),
    [
        (False, "*bool", True),
        (1.5, "*float64", 3.0),
        ("hi", "*string", "hi!"),
        (b"ab", "*[]uint8", b"ab!"),
        ([1], "*[]interface {}", [1, "appended"]),
        ({}, "*map[string]interface {}", {"added": True}),
    ],
)
def test_ref_of_scalars(op, initial, go_type, after):
    r = usegolib.Ref(initial)
    assert op.Describe(usegolib.Ref(initial)) == go_type
    op.Scalars(r)
    assert r.value == after


def test_ref_of_int_is_a_pointer_to_int(op):
    n = usegolib.Ref(41)
    assert op.Describe(n) == "*int"
    op.Increment(n)
    assert n.value == 42
    op.Decode(b"7", n)
    assert n.value == 7


def test_ref_of_a_record_class_or_instance(op):
    cfg = usegolib.Ref(op.Config)
    assert op.Describe(cfg) == "*outparams.Config"
    op.Decode(b'{"name": "svc", "port": 8080, "tags": ["a"]}', cfg)
    assert isinstance(cfg.value, op.Config)
    assert cfg.value == op.Config(name="svc", port=8080, tags=["a"])
    start = usegolib.Ref(op.Config(name="x", port=1, tags=["t"]))
    op.SetConfig(start, "y", 2)
    assert start.value == op.Config(name="y", port=2, tags=["t", "set"])
    zero = usegolib.Ref(op.Config)
    op.SetConfig(zero, "z", 3)
    assert zero.value == op.Config(name="z", port=3, tags=["set"])


def test_ref_holds_what_go_left_when_it_returns_an_error(op):
    r = usegolib.Ref()
    with pytest.raises(usegolib.GoError, match="failed after writing"):
        op.Partial(r)
    assert r.value == "partial"
    cfg = usegolib.Ref(op.Config)
    with pytest.raises(usegolib.GoError, match="cannot unmarshal string"):
        op.Decode(b'{"name": "n", "port": "not a number"}', cfg)
    assert cfg.value.name == "n", "json.Unmarshal keeps going after a type error, as in Go"


def test_ref_of_the_wrong_record_type_is_go_s_error(op):
    with pytest.raises(usegolib.GoError, match=r"wants a \*Config, got \*outparams.Other"):
        op.SetConfig(usegolib.Ref(op.Other), "n", 1)
    with pytest.raises(usegolib.GoError, match="cannot unmarshal"):
        op.Decode(b'{"x": "s"}', usegolib.Ref(op.Other))


@pytest.mark.parametrize(
    "bad", [lambda: 1, object(), {1, 2}, 1 + 2j], ids=["lambda", "object", "set", "complex"]
)
def test_ref_of_an_unsupported_value_is_a_type_error_naming_the_parameter(op, bad):
    with pytest.raises(TypeError, match=r"Decode\(\) argument 'v' .*usegolib.Ref holding"):
        op.Decode(b"1", usegolib.Ref(bad))


def test_ref_elsewhere_is_a_clear_type_error(op):
    with pytest.raises(TypeError, match="whole argument"):
        op.Decode(b"1", [usegolib.Ref()])
    with pytest.raises(TypeError, match=r"argument 'v'.*holding a Ref"):
        op.Decode(b"1", usegolib.Ref(usegolib.Ref()))
    with pytest.raises(TypeError, match=r"argument 'data'"):
        op.Decode(usegolib.Ref(), usegolib.Ref())


def test_ref_repr_and_generic():
    assert repr(usegolib.Ref(1)) == "Ref(1)"
    assert usegolib.Ref[int] is not None
    assert "Ref" in usegolib.__all__


def test_an_any_parameter_s_annotation_admits_ref(op):
    assert inspect.signature(op.Decode).parameters["v"].annotation is typing.Any
    stub = _stubs.render(op._go_module, "example.com/outparams")
    ast.parse(stub)
    imports = next(line for line in stub.splitlines() if line.startswith("from usegolib import"))
    assert "Ref" in imports.split("import", 1)[1].replace(",", " ").split()
    assert "def Decode(data: bytes | bytearray | memoryview, v: Any) -> None:" in stub


# Records no function mentions, and Refs for *T parameters.


def test_a_record_no_function_mentions_can_be_decoded_into(op):
    # Settings and Inner are declared in the package but used by no bridged function: they are
    # in the schema, with a class on the package, and a Ref of them decodes as in Go.
    data = b'{"theme": "dark", "limits": {"a": 1}, "nested": {"depth": 3}, "enabled": true}'
    cfg = usegolib.Ref(op.Settings)
    assert op.Describe(cfg) == "*outparams.Settings"
    op.Decode(data, cfg)
    assert cfg.value == op.Settings(
        theme="dark", limits={"a": 1}, nested=op.Inner(depth=3), enabled=True
    )
    assert isinstance(cfg.value.nested, op.Inner)
    # Differential: Go encodes what it decoded back to the same JSON document.
    assert op.Encode(cfg).decode() == (
        '{"theme":"dark","limits":{"a":1},"nested":{"depth":3},"enabled":true}'
    )


def test_declared_records_are_in_show_and_the_stubs_and_unbridgeable_ones_are_not(op):
    names = {t.name: t.kind for t in op._go_module.types("example.com/outparams")}
    assert names["Settings"] == "record" and names["Inner"] == "record"
    assert "Unbridgeable" not in names, "a struct whose fields cannot travel stays out"
    assert not hasattr(op, "Unbridgeable")
    stub = _stubs.render(op._go_module, "example.com/outparams")
    ast.parse(stub)
    assert "class Settings" in stub and "class Inner" in stub


def test_a_ref_for_a_pointer_parameter_sees_go_s_writes(op):
    start = op.Config(name="a", port=1, tags=["t"])
    r = usegolib.Ref(op.Config(name="a", port=1, tags=["t"]))
    assert op.FillConfig(r) is None
    assert isinstance(r.value, op.Config)
    # Differential: what a Go caller passing &c sees in c.
    assert r.value == op.FilledLocally(start)
    assert r.value == op.Config(name="afilled", port=2, tags=["t", "filled"])
    zero = op.FilledLocally(op.Config(name="", port=0))
    for empty in (usegolib.Ref(op.Config), usegolib.Ref()):
        op.FillConfig(empty)
        assert empty.value == zero
    d = usegolib.Ref({"name": "d", "port": 7})
    op.FillConfig(d)
    assert d.value == op.Config(name="dfilled", port=8, tags=["filled"])


def test_a_plain_record_for_a_pointer_parameter_is_a_copy(op):
    c = op.Config(name="a", port=1)
    assert op.FillConfig(c) is None
    assert c == op.Config(name="a", port=1)


def test_a_pointer_ref_holds_what_go_left_when_it_returns_an_error(op):
    r = usegolib.Ref(op.Config)
    with pytest.raises(usegolib.GoError, match="failed after writing the config"):
        op.FillConfigThenFail(r)
    assert r.value.name == "written"


def test_refs_of_scalars_for_pointer_parameters(op):
    n = usegolib.Ref(41)
    op.Bump(n)
    assert n.value == 42
    fresh = usegolib.Ref()
    op.Bump(fresh)
    assert fresh.value == 1
    small = usegolib.Ref(21)
    assert op.BumpSmall(small) is False
    assert small.value == 42
    assert op.BumpSmall(None) is True
    assert op.BumpSmall(5) is False, "a plain int is a copy"
    s, b = usegolib.Ref("hi"), usegolib.Ref(False)
    op.Shout(s, b)
    assert (s.value, b.value) == ("hi!", True)


def test_a_ref_of_the_wrong_type_for_a_pointer_parameter_is_an_error_before_go(op):
    other = usegolib.Ref(op.Other)
    with pytest.raises(TypeError, match=r"FillConfig\(\) argument 'c' .*the class Other.*\*Config"):
        op.FillConfig(other)
    assert other.value is op.Other
    with pytest.raises(TypeError, match=r"argument 'c' .*expected Config or dict, got Other"):
        op.FillConfig(usegolib.Ref(op.Other(x=1)))
    with pytest.raises(TypeError, match=r"argument 'n' .*Ref"):
        op.Bump(usegolib.Ref("s"))
    big = usegolib.Ref(2**40)
    with pytest.raises(OverflowError, match=r"argument 'n'"):
        op.BumpSmall(big)
    assert big.value == 2**40
    with pytest.raises(TypeError, match=r"argument 'c'"):
        op.FillConfig([usegolib.Ref(op.Config)])


# Mutable buffers for []byte parameters.


@pytest.mark.parametrize(
    "make",
    [bytearray, lambda n: memoryview(bytearray(n)), lambda n: array.array("B", bytes(n))],
    ids=["bytearray", "memoryview", "array"],
)
def test_mutable_buffers_see_go_s_writes(op, make):
    buf = make(8)
    assert op.Fill(buf) == 8
    assert bytes(buf) == bytes(range(8))


def test_immutable_bytes_and_readonly_views_are_unchanged(op):
    data = bytes(4)
    assert op.Fill(data) == 4
    assert data == bytes(4)
    ro = memoryview(bytes(4))
    assert op.Fill(ro) == 4
    assert bytes(ro) == bytes(4)


def test_a_slice_view_writes_into_its_part_only(op):
    whole = bytearray(b"abcdefgh")
    op.Fill(memoryview(whole)[2:5])
    assert whole == b"ab\x00\x01\x02fgh"


def test_appends_beyond_the_buffer_are_not_seen_as_in_go(op):
    buf = bytearray(3)
    assert op.FillAppend(buf) == b"xxxmore"
    assert buf == b"xxx", "Go cannot grow the caller's buffer"


def test_copy_into_a_buffer_and_writes_before_an_error(op):
    dst = bytearray(5)
    assert op.Copy(dst, b"hello world") == 5
    assert dst == b"hello"
    buf = bytearray(3)
    with pytest.raises(usegolib.GoError, match="failed after filling"):
        op.FillThenFail(buf)
    assert buf == b"\xff\xff\xff"


def test_a_bytearray_cannot_be_resized_during_the_call_and_after_it_can(op):
    buf = bytearray(2)
    op.Fill(buf)
    buf.extend(b"zz")
    assert buf == b"\x00\x01zz"


def test_a_wider_array_is_written_as_its_bytes(op):
    a = array.array("H", [0, 0])
    op.Fill(a)
    assert bytes(a) == bytes(range(4))


# Slices of fixed-width numbers: array.array and writable memoryviews of the same item type.


def test_numeric_arrays_see_go_s_writes(op):
    f = array.array("d", [1.0, 2.5, -3.0])
    op.Scale(f, 2.0)
    assert f.tolist() == [2.0, 5.0, -6.0]
    i = array.array("i", [1, -2, 3])
    assert op.Negate(i) == 2
    assert i.tolist() == [-1, 2, -3]
    u = array.array("H", [0] * 4)
    op.Count(u)
    assert u.tolist() == [1, 2, 3, 4]
    h = array.array("f", [1.0, 3.0])
    op.Halve(h)
    assert h.tolist() == [0.5, 1.5]
    view = memoryview(array.array("i", [5, 6, 7, 8]))[1:3]
    op.Negate(view)
    assert view.obj.tolist() == [5, -6, -7, 8]


def test_lists_and_mismatched_arrays_are_copies_or_errors(op):
    lst = [1.0, 2.0]
    op.Scale(lst, 3.0)
    assert lst == [1.0, 2.0], "a list is converted, as before"
    with pytest.raises(TypeError, match=r"Negate\(\) argument 'v'"):
        op.Negate(array.array("d", [1.0]))
    with pytest.raises(TypeError, match=r"Negate\(\) argument 'v'"):
        op.Negate(array.array("q", [1]))  # 64-bit items for a []int32


# Real modules: YAML and TOML decode through Ref.


def _real(artifact_root, target):
    try:
        return usegolib.import_(target, artifact_dir=artifact_root)
    except usegolib.BuildError as e:
        if "download" in str(e):
            pytest.skip(f"{target} cannot be fetched (offline and not in the module cache): {e}")
        raise


def test_yaml_unmarshal_through_ref(artifact_root):
    yaml = _real(artifact_root, "gopkg.in/yaml.v3@v3.0.1")
    doc = usegolib.Ref()
    yaml.Unmarshal(b"name: svc\nports: [80, 443]\nnested: {a: true}\n", doc)
    assert doc.value == {"name": "svc", "ports": [80, 443], "nested": {"a": True}}
    m = usegolib.Ref({})
    yaml.Unmarshal(b"k: v\n", m)
    assert m.value == {"k": "v"}
    bad = usegolib.Ref()
    with pytest.raises(usegolib.GoError, match="yaml"):
        yaml.Unmarshal(b"a: [unclosed\n", bad)


def test_toml_unmarshal_through_ref(artifact_root):
    toml = _real(artifact_root, "github.com/BurntSushi/toml@v1.6.0")
    doc = usegolib.Ref({})
    toml.Unmarshal(b'title = "x"\n[owner]\nname = "n"\nn = 3\n', doc)
    assert doc.value == {"title": "x", "owner": {"name": "n", "n": 3}}
    with pytest.raises(usegolib.GoError, match="toml"):
        toml.Unmarshal(b"= broken", usegolib.Ref({}))
