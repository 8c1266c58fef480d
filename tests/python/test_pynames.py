"""Go names that are Python keywords: one rule (a trailing underscore) for parameters, fields,
functions, methods, variables; the package imports and every renamed name works."""

from __future__ import annotations

import ast
import dataclasses
import inspect

import pytest
import usegolib
from conftest import FIXTURES
from usegolib._stubs import render


@pytest.fixture(scope="module")
def pn(artifact_root):
    return usegolib.import_(FIXTURES / "pynames", artifact_dir=artifact_root)


def test_the_package_imports_with_renamed_names(pn):
    assert {"None_", "True_", "False_", "Span", "Range", "Class"} <= set(dir(pn))
    assert pn.None_.__name__ == "None", "the Go name stays the function's __name__"
    assert pn.None_.py_name == "None_"
    with pytest.raises(AttributeError, match="did you mean None_"):
        pn.Nonee  # noqa: B018


def test_parameters_take_their_python_names_as_keywords(pn):
    assert pn.Span(1, 5) == 4
    assert pn.Span(from_=1, to=5) == 4
    assert pn.None_(in_="x") == "x"
    assert list(inspect.signature(pn.Span).parameters) == ["from_", "to"]
    assert [(p.name, p.go_name) for p in pn.Span.params] == [("from_", "from"), ("to", "to")]
    with pytest.raises(TypeError, match="unexpected keyword argument 'from'"):
        pn.Span(**{"from": 1, "to": 5})
    with pytest.raises(TypeError, match=r"argument 'from_' \(Go int\): expected int, got str"):
        pn.Span("1", 5)


def test_record_fields_are_renamed_and_soft_keywords_kept(pn):
    names = [f.name for f in dataclasses.fields(pn.Range)]
    assert names == ["from_", "True_", "None_", "match"]
    r = pn.True_(lambda_=2, match=9)
    assert r == pn.Range(from_=2, True_=True, None_="none", match=9)
    assert pn.Width(pn.Range(from_=1, True_=False, match=5)) == 4
    # A dict may name a field by its wire key, Go name or Python name.
    assert pn.Width({"from": 1, "True": True, "match": 5}) == 4
    assert pn.Width({"From": 1, "True_": True, "Match": 5}) == 4
    fields = {f.name: f for f in pn._go_module.fields(pn.Range.__usegolib_key__)}
    assert (fields["from_"].key, fields["from_"].go_name) == ("from", "From")
    assert (fields["True_"].key, fields["True_"].go_name) == ("True", "True")
    assert fields["None_"].has_default and fields["None_"].default == ""


def test_methods_and_variables_are_renamed(pn):
    c = pn.NewClass(3)
    assert c.False_(yield_=True) is False
    assert list(inspect.signature(pn.Class.False_).parameters) == ["self", "yield_"]
    assert pn.False_ == 7


def test_a_method_parameter_named_self_is_self_(pn):
    a, b = pn.NewClass(3), pn.NewClass(4)
    assert a.Adopt(b) == 7
    assert a.Adopt(self_=b) == 7
    assert list(inspect.signature(pn.Class.Adopt).parameters) == ["self", "self_"]


def test_error_values_are_goerror_or_none(pn):
    """A Go `error` that is not the trailing one is a result: a GoError instance (not raised)
    or None, annotated `GoError | None` in both the signature and the stubs."""
    n, err, s = pn.MaybeError(True)
    assert isinstance(err, usegolib.GoError) and err.message == "failed"
    assert pn.MaybeError(False) == (0, None, "y")
    ret = inspect.signature(pn.MaybeError).return_annotation
    assert ret == tuple[int, usegolib.GoError | None, str]
    assert pn.MaybeError.return_stub == "tuple[int, GoError | None, str]"


def test_stubs_use_the_python_names_and_parse(pn):
    text = render(pn._go_module, "example.com/pynames")
    ast.parse(text)
    assert "def Span(from_: int, to: int) -> int:" in text
    assert "def None_(in_: str) -> str:" in text
    assert "    def False_(self, yield_: bool) -> bool:" in text
    assert "    from_: int" in text and "    True_: bool" in text
    assert "False_: int" in text
    assert "def Width(r: Range | Mapping[str, Any]) -> int:" in text
