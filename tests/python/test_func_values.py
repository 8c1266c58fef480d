"""Func values as Go objects, over the real built funcopts fixture (functional options as in
goldmark and zstd): returned by Go, passed back (also as variadic arguments), called from
Python when their signature is supported, closed like any Go object."""

from __future__ import annotations

import pytest
import usegolib
from conftest import FIXTURES
from usegolib import _stubs


@pytest.fixture(scope="module")
def fo(artifact_root):
    return usegolib.import_(FIXTURES / "funcopts", artifact_dir=artifact_root)


def test_options_configure(fo):
    assert fo.New().Describe() == "default@1", "no options: New() with an empty variadic list"
    enc = fo.New(fo.WithLevel(3), fo.WithName("x"))
    assert enc.Describe() == "x@3"
    assert enc.Config() == fo.Config(Level=3, Name="x")
    assert fo.New(fo.WithName("a"), fo.WithName("b")).Describe() == "b@1", "applied in order"


def test_func_objects_are_go_objects(fo):
    opt = fo.WithLevel(3)
    assert isinstance(opt, fo.Option)
    assert isinstance(opt, usegolib.GoObject)
    assert opt.go_type == "example.com/funcopts.Option"
    assert "handle=" in repr(opt)
    with fo.WithName("w") as w:
        assert fo.New(w).Describe() == "w@1"
    assert w.closed
    with pytest.raises(TypeError, match="made by Go functions"):
        fo.Option()


def test_nil_funcs_are_none(fo):
    assert fo.NoOption() is None
    cfg = fo.Config(Level=0, Name="")
    assert fo.ApplyOne(cfg, None) == cfg, "None is a nil func"
    assert fo.New(None, fo.WithLevel(2)).Describe() == "default@2"
    assert fo.Feed(None) is False


def test_calling_func_objects(fo):
    cfg = fo.Config(Level=0, Name="")
    assert fo.WithLevel(3)(cfg) is None, "Option.__call__(*Config) runs in Go"
    assert fo.ApplyOne(cfg, fo.WithLevel(7)) == fo.Config(Level=7, Name="")
    add = fo.New(fo.WithLevel(2)).Adder(5)
    assert type(add).__name__ == "Func_int__int", "an unnamed func type gets a class"
    assert add(1) == 11
    assert fo.Twice(add, 1) == 21, "an unnamed func object passes back"
    up = fo.Upper()
    assert up("abc") == "ABC"
    assert up.Handle("x") == "X", "a named func type keeps its methods"
    with pytest.raises(usegolib.GoError, match="empty input"):
        up("")
    with pytest.raises(TypeError):
        add("one")


def test_func_values_in_containers(fo):
    add = fo.New(fo.WithLevel(1)).Adder(1)
    double = fo.Twice(add, 0)
    assert double == 2
    inc3 = fo.Compose(add, None, add, add)
    assert inc3(10) == 13, "an unnamed variadic func list, None a nil func"
    assert fo.Compose()(4) == 4
    table = fo.Table()
    assert sorted(table) == ["fast", "none"]
    assert table["none"] is None
    assert isinstance(table["fast"], fo.Option)
    assert fo.New(table["fast"]).Describe() == "default@1"


def test_unbridgeable_signature_has_no_call(fo):
    ch = fo.WithChan()
    assert isinstance(ch, fo.ChanOption)
    assert fo.Feed(ch) is True, "still a Go object that goes back to Go"
    with pytest.raises(TypeError, match="not callable"):
        ch(1)
    skipped = {s.go_name: s.reason for s in fo._go_module.skipped("example.com/funcopts")}
    assert "channels are not supported" in skipped["ChanOption.__call__"], skipped


def test_bad_func_arguments(fo):
    cfg = fo.Config(Level=0, Name="")
    with pytest.raises(TypeError, match="opt"):
        fo.ApplyOne(cfg, fo.Upper())  # a Handler where an Option is expected
    with pytest.raises(TypeError, match="opts"):
        fo.New(fo.WithLevel(1), 5)
    with pytest.raises(TypeError, match="opt.*expected a callable or a Go func object"):
        fo.ApplyOne(cfg, 5)
    seen = []  # a Python callable is a func too (callbacks, test_callbacks.py)
    assert fo.ApplyOne(cfg, seen.append) == cfg
    assert seen == [cfg]
    opt = fo.WithLevel(4)
    opt.close()
    with pytest.raises(usegolib.ObjectClosedError):
        fo.New(opt)
    with pytest.raises(usegolib.ObjectClosedError):
        opt(cfg)


def test_stubs_show_call(fo):
    text = _stubs.render(fo._go_module, "example.com/funcopts")
    assert "class Option(GoObject):" in text
    assert "    def __call__(self, arg0: Config" in text
    assert "class Func_int__int(GoObject):" in text
    assert "def New(*opts: Callable[[Config | None], None] | Option" in text
    assert "# skipped: func (ChanOption) __call__(chan int): calling it:" in text


def test_variables_of_unexported_types_are_opaque_go_objects(fo):
    # goldmark's extension.GFM is a *gfm: the bridge cannot name the type, so the variable is
    # an opaque Go object, passed back wherever Go takes an interface the value implements.
    assert isinstance(fo.Loud, usegolib.GoObject)
    assert fo.Loud.go_type == "example.com/funcopts.loud"
    assert not hasattr(fo.Loud, "Name"), "the methods of an unexported type are not bridged"
    assert fo.WithExtensions(fo.Loud).Describe() == "default@10"
    assert fo.WithExtensions(fo.Loud, fo.Quiet, fo.Loud).Describe() == "quiet@100"
    with pytest.raises(
        TypeError, match=r"argument 1 \(opt Option\): handle \d+ holds a \*funcopts.loud"
    ):
        fo.ApplyOne(fo.Config(Level=0, Name=""), fo.Loud)


def test_unnamed_interface_results_are_opaque_go_objects(fo):
    # goldmark's html.WithUnsafe() returns interface{renderer.Option; Option}.
    s = fo.Shout(2)
    assert isinstance(s, usegolib.GoObject)
    assert s.go_type == "interface{example.com/funcopts.Extender; fmt.Stringer}"
    assert fo.WithExtensions(s, fo.Shout(1)).Describe() == "default!!!@1"
    text = _stubs.render(fo._go_module, fo._go_path)
    assert "def Shout(by: int) -> Interface_Extender_Stringer" in text, text
    assert "Loud: loud" in text and "Quiet: quiet" in text
