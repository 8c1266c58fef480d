"""Real Go modules used as their READMEs show, through their Python namespaces (fetched through
the Go module proxy into the module cache; skipped with the reason when offline and not cached).

CEL (cel.dev/cel-go) is the functional-options case of issue 9 item 1: ``cel.NewEnv`` takes
``...EnvOption``, and ``cel.Variable(...)`` returns one."""

from __future__ import annotations

import pytest
import usegolib
from conftest import require_module

CEL_MODULE = "cel.dev/cel-go@v0.33.2"


@pytest.fixture(scope="module")
def cel():
    require_module(CEL_MODULE)
    return usegolib.import_("cel.dev/cel-go/cel@v0.33.2")


def test_cel_with_options(cel):
    env = cel.NewEnv(cel.Variable("name", cel.StringType), cel.Variable("n", cel.IntType))
    ast, issues = env.Compile('"hello " + name + " " + string(n * 2)')
    assert issues is None
    program = env.Program(ast)
    value, _details = program.Eval({"name": "world", "n": 21})
    # ref.Val's methods are there although its package was never imported.
    assert value.Value() == "hello world 42"
    assert value.Type().TypeName() == "string"


def test_cel_without_options_and_errors(cel):
    env = cel.NewEnv()  # no options: an empty variadic list
    ast, issues = env.Compile("1 + 2 * 3")
    value, _ = env.Program(ast).Eval({})
    assert value.Value() == 7
    # An undeclared variable: Compile reports issues (a Go object), whose Err() raises.
    ast, issues = env.Compile("missing + 1")
    assert ast is None and issues is not None
    with pytest.raises(usegolib.GoError, match="undeclared reference to 'missing'"):
        issues.Err()
