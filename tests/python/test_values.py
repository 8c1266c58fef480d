"""Go values as Go users know them (issue 10, items 1 and 3; docs/adr/0019) over the real built
values fixture, compared with what a Go program using the same package prints: records keep
their methods, structs with hidden state are Go objects holding the whole value, exported
fields of Go objects are attributes, and records follow Go's T{...} literal (zero values)."""

from __future__ import annotations

import pytest
import usegolib
from conftest import FIXTURES, fixture_prints, go_output, require_module

DOC = '{"name": {"first": "Tom", "last": "Anderson"}, "age": 37, "kids": ["Sara", "Alex"], "ok": true}'


@pytest.fixture(scope="module")
def v(artifact_root):
    return usegolib.import_(FIXTURES / "values", artifact_dir=artifact_root)


def go_prints(tmp_path, body: str) -> str:
    """What a Go program that imports the values fixture prints (body runs in main, with fmt)."""
    return fixture_prints(tmp_path, "values", "fmt", body)


# Records keep their methods.


def test_record_methods_as_go_prints_them(v, tmp_path):
    paths = ["name.last", "name.first", "age", "kids", "ok", "missing", "name"]
    got = []
    for p in paths:
        r = v.Get(DOC, p)
        got.append(f"{r.String()}|{r.Int()}|{str(r.Exists()).lower()}")
    got.append(v.Get(DOC, "name").Get("last").String())
    got.append(",".join(e.String() for e in v.Get(DOC, "kids").Array()))
    want = go_prints(
        tmp_path,
        f"""
        doc := {DOC!r}
        for _, p := range []string{{{", ".join(f'"{p}"' for p in paths)}}} {{
            r := values.Get(doc, p)
            fmt.Printf("%s|%d|%t\\n", r.String(), r.Int(), r.Exists())
        }}
        fmt.Println(values.Get(doc, "name").Get("last").String())
        s := ""
        for i, e := range values.Get(doc, "kids").Array() {{
            if i > 0 {{
                s += ","
            }}
            s += e.String()
        }}
        fmt.Println(s)
        """.replace("'", "`"),
    )
    assert "\n".join(got) + "\n" == want


def test_a_record_with_methods_is_still_a_record(v):
    r = v.Get(DOC, "name.last")
    assert type(r) is v.Result.Fields
    assert (r.Type, r.Str, r.Raw, r.Index) == (3, "Anderson", '"Anderson"', DOC.index('"Anderson"'))
    # A record built in Python has the methods too, and travels by value.
    mine = v.Result.Fields(Type=2, Raw="42", Num=42.0)
    assert mine.Int() == 42 and mine.String() == "42"
    assert v.Result.Fields.Int(mine) == 42
    assert "Int returns the value as an integer." in v.Result.Fields.Int.__doc__


def test_pointer_receiver_methods_work_on_a_copy(v):
    r = v.Get(DOC, "name.last")
    assert r.Upper() == "ANDERSON"
    assert r.Str == "Anderson", "Go changed a copy, not the record"
    assert "copy" in v.Result.Fields.Upper.__doc__


# Structs with hidden state are Go objects holding the whole value.


def test_decimal_values_are_go_objects(v, tmp_path):
    d = v.NewFromString("1.5")
    assert isinstance(d, usegolib.GoObject) and isinstance(d, v.Decimal)
    got = [
        d.Add(v.New(25, -2)).String(),
        d.Mul(d).String(),
        str(d.Exponent()),
        v.Sum([d, v.New(3125, -3), d]).String(),
        ",".join(f"{k}={x.String()}" for k, x in sorted(v.Prices().items())),
        v.Describe(d),
        v.Describe(None),  # nil for a value: its zero value
    ]
    want = go_prints(
        tmp_path,
        """
        d, _ := values.NewFromString("1.5")
        fmt.Println(d.Add(values.New(25, -2)).String())
        fmt.Println(d.Mul(d).String())
        fmt.Println(d.Exponent())
        fmt.Println(values.Sum([]values.Decimal{d, values.New(3125, -3), d}).String())
        p := values.Prices()
        fmt.Printf("cake=%s,tea=%s\\n", p["cake"].String(), p["tea"].String())
        fmt.Println(values.Describe(d))
        fmt.Println(values.Describe(values.Decimal{}))
        """,
    )
    assert "\n".join(got) + "\n" == want
    assert v.Count([d, None], [d, d]) == 3  # []*Decimal beside []Decimal
    with pytest.raises(usegolib.GoError, match="can't convert x to decimal"):
        v.NewFromString("x")


def test_hidden_state_round_trips_unchanged(v, tmp_path):
    a, b = "the quick brown fox", "the slow brown cat"
    patches = v.MakePatches(a, b)
    assert [type(p) for p in patches] == [v.Patch, v.Patch]
    assert [p.Start for p in patches] == [4, 16]  # exported fields are attributes
    assert [v.Hunks(p) for p in patches] == [1, 1], "the hidden hunks survived"
    text, ok = v.Apply(patches, a)
    assert (text, ok) == ("the slow brown cat", [True, True])
    shown = [p.String() for p in patches]
    want = go_prints(
        tmp_path,
        """
        ps := values.MakePatches("the quick brown fox", "the slow brown cat")
        for _, p := range ps {
            fmt.Println(p.String())
        }
        text, ok := values.Apply(ps, "the quick brown fox")
        fmt.Println(text, ok)
        """,
    )
    assert "\n".join(shown) + f"\n{text} [true true]\n" == want


def test_value_semantics(v):
    p = v.MakePatches("a b", "a c")[0]
    # A pointer method changes the object Python holds, as it would a Go variable ...
    p.Shift(2)
    assert p.Start == 4 and p.String() == '@@ 4,1 @@ -"b" +"c"'
    # ... and a function taking the value gets a copy: Apply moves nothing of p.
    assert v.Apply([p], "a b") == ("a b", [False])
    assert p.Start == 4 and v.Hunks(p) == 1
    # Each result is its own object.
    d1, d2 = v.Sum([]), v.Sum([])
    assert d1.go_handle != d2.go_handle


def test_record_with_a_go_object_field(v):
    line = v.Line(Item="tea", Price=v.New(25, -1), Qty=3)
    assert v.Total(line).String() == "7.5"
    assert v.Total(v.Line(Item="free")).String() == "0", "a left-out Go object is its zero value"
    assert v.Line().Price is None


def test_go_object_parameters_refuse_python_values(v):
    with pytest.raises(TypeError, match=r"argument 'd' \(Go Decimal\): expected a Go object"):
        v.Describe({"value": 1, "exp": 0})
    with pytest.raises(TypeError, match=r"expected a Go object \(values.Decimal\), got int"):
        v.Describe(15)
    with pytest.raises(TypeError, match="expected a Go object"):
        v.Apply([{"Start": 0, "Length": 1}], "x")


# Exported fields of Go objects are attributes.


def test_fields_of_go_objects_read_and_set(v):
    m = v.Find("hello world", "world")
    assert (m.Index, m.Text, m.Groups, m.Where, m.Unit) == (6, "world", ["world"], None, 0)
    assert isinstance(m.Price, v.Decimal) and m.Price.String() == "0"
    m.Index, m.Groups, m.Unit = 3, ["a", "b"], 7
    m.Meta = {"Loader": 2}
    assert m.Describe() == "world@3 groups=2 unit=7 loader=2"
    m.Where = None  # a *Result, Result having methods, is a Go object (None: nil)
    assert m.Where is None
    m.Price = v.New(5, 0)
    assert m.Price.String() == "5"
    assert m.Seen() == 1 and m.Seen() == 2, "hidden state kept between calls"
    assert "Go field: (*values.Match) Unit Unit" in type(m).Unit.__doc__
    assert "Unit is the unit of the match." in type(m).Unit.__doc__


def test_setting_a_field_of_the_wrong_type_names_the_field(v):
    m = v.Find("ab", "b")
    with pytest.raises(TypeError, match="field Index: .*expected int, got str"):
        m.Index = "x"
    with pytest.raises(TypeError, match="field Price: .*expected a Go object"):
        m.Price = 1.5
    with pytest.raises(OverflowError, match="field Index"):
        m.Index = 2**70
    with pytest.raises(AttributeError):
        m.Nope = 1
    assert m.Index == 1


# Records follow Go's T{...} literal: zero values for what is left out.


def test_option_structs_take_zero_values(v, tmp_path):
    got = [
        v.Transform("src", v.Options(Loader=2)),
        v.Transform("src", {"Loader": 1}),
        v.Transform("src", {}),
        v.Transform("src", v.Options(Banner="hi", Inner=v.Inner(Depth=2), Amount=v.New(5, -1))),
    ]
    want = go_prints(
        tmp_path,
        """
        fmt.Println(values.Transform("src", values.Options{Loader: values.LoaderTS}))
        fmt.Println(values.Transform("src", values.Options{Loader: values.LoaderJS}))
        fmt.Println(values.Transform("src", values.Options{}))
        banner := "hi"
        fmt.Println(values.Transform("src", values.Options{Banner: &banner, Inner: values.Inner{Depth: 2}, Amount: values.New(5, -1)}))
        """,
    )
    assert "\n".join(got) + "\n" == want
    o = v.Options()
    assert (o.Loader, o.Sourcefile, o.Minify, o.Target) == (0, "", False, 0.0)
    assert (o.Defines, o.Plugins, o.Inner) == ({}, [], v.Inner(Depth=0, Name=""))
    assert (o.Banner, o.Amount, o.Match) == (None, None, None)
    assert v.Options().Plugins is not v.Options().Plugins


def test_option_struct_errors(v):
    with pytest.raises(TypeError, match=r'struct Options: unknown field "Nope"'):
        v.Transform("x", {"Nope": 1})
    with pytest.raises(TypeError, match="unexpected keyword argument 'Nope'"):
        v.Options(Nope=1)
    with pytest.raises(
        TypeError, match=r"struct Options: field Minify \(Minify bool\): expected bool"
    ):
        v.Transform("x", {"Minify": "yes"})
    with pytest.raises(TypeError, match=r"field Loader \(Loader Loader\)"):
        v.Transform("x", v.Options(Loader="ts"))


def test_stubs_and_show_list_fields_and_record_methods(v, artifact_root, capsys):
    from usegolib import _stubs, cli

    text = _stubs.render(v._go_module, "example.com/values")
    match = text.split("class Match(GoObject):")[1].split("\nclass ")[0]
    assert "    Index: int\n" in match and "    Price: Decimal\n" in match
    assert "__get__" not in text and "__set__" not in text
    result = text.split("class Result(GoObject):")[1].split("\nclass ")[0]
    assert "def Int(self) -> int" in result
    root = str(artifact_root)
    assert cli.main(["--artifact-dir", root, "show", str(FIXTURES / "values"), "--no-build"]) == 0
    shown = capsys.readouterr().out
    assert "    field Index int\n" in shown and "Index.__get__" not in shown


# The real libraries the issue names, as their READMEs use them, compared with Go.

GJSON = ("github.com/tidwall/gjson", "v1.18.0")
DECIMAL = ("github.com/shopspring/decimal", "v1.4.0")
GJSON_DOC = (
    b'{"name": {"first": "Tom", "last": "Anderson"}, "age": 37, '
    b'"children": ["Sara", "Alex", "Jack"], "fav.movie": "Deer Hunter", '
    b'"friends": [{"first": "Dale", "age": 44}, {"first": "Roger", "age": 68}]}'
)


def real(module: tuple[str, str]):
    path, version = module
    require_module(f"{path}@{version}")
    return usegolib.import_(f"{path}@{version}")


def test_gjson_results_keep_their_methods(tmp_path):
    gjson = real(GJSON)
    doc = GJSON_DOC.decode()
    paths = ["name.last", "age", "children", "children.#", "children.1", "friends.#.first", "x"]
    got = []
    for p in paths:
        r = gjson.Get(doc, p)
        got.append(f"{r.String()}|{r.Int()}|{str(r.Exists()).lower()}|{r.Type}")
    got.append(gjson.Get(doc, "name").Get("first").String())
    got.append(",".join(x.String() for x in gjson.Get(doc, "children").Array()))
    want = go_output(
        tmp_path,
        dict([GJSON]),
        "fmt github.com/tidwall/gjson",
        f"""\
        doc := string(src)
        for _, p := range []string{{{", ".join(f'"{p}"' for p in paths)}}} {{
        \tr := gjson.Get(doc, p)
        \tfmt.Fprintf(&b, "%s|%d|%t|%d\\n", r.String(), r.Int(), r.Exists(), int(r.Type))
        }}
        fmt.Fprintln(&b, gjson.Get(doc, "name").Get("first").String())
        s := ""
        for i, x := range gjson.Get(doc, "children").Array() {{
        \tif i > 0 {{
        \t\ts += ","
        \t}}
        \ts += x.String()
        }}
        fmt.Fprintln(&b, s)
        """,
        GJSON_DOC,
    )
    assert "\n".join(got) + "\n" == want.decode()


def test_shopspring_decimal_values_are_go_objects(tmp_path):
    decimal = real(DECIMAL)
    price = decimal.NewFromString("136.02")
    qty = decimal.NewFromInt(3)
    fee = decimal.NewFromString(".035")
    total = price.Mul(qty).Add(fee)
    got = [total.String(), total.StringFixed(2), str(total.Exponent()), price.Cmp(qty)]
    want = go_output(
        tmp_path,
        dict([DECIMAL]),
        "fmt github.com/shopspring/decimal",
        """\
        _ = src
        price, _ := decimal.NewFromString("136.02")
        qty := decimal.NewFromInt(3)
        fee, _ := decimal.NewFromString(".035")
        total := price.Mul(qty).Add(fee)
        fmt.Fprintf(&b, "%s %s %d %d", total.String(), total.StringFixed(2), total.Exponent(), price.Cmp(qty))
        """,
        b"",
    )
    assert " ".join(str(x) for x in got) == want.decode()
    assert isinstance(total, usegolib.GoObject)


def test_fields_that_travel_are_attributes_when_others_do_not(v):
    job = v.NewJob("build")
    assert job.Name == "build"
    job.Name = "test"
    assert job.Title() == "[test]"
    assert not hasattr(job, "Done") and not hasattr(job, "Err")
