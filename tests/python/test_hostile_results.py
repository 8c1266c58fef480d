"""Go results the wire cannot carry (tests/fixtures/go/level3/hostile.go): cyclic graphs and
values nested deeper than 64 levels. Each must raise a clear error naming the path to the
problem (docs/abi.md section 6.1), never kill the process. Every call that used to crash runs in
a child process, so a regression fails one test instead of killing pytest."""

from __future__ import annotations

import pytest
from conftest import FIXTURES, GENERICS, run_py

BACK = "cycle: points back to the result itself (the wire cannot carry a cyclic value)"
TOO_DEEP = "nested deeper than 64 levels (a cycle?)"


def call_in_child(artifact_root, expr: str) -> str:
    """Evaluates expr (l3 is the level3 module) in a child process; returns what the call
    raised, as 'TypeName: message', or fails if it returned or the child died."""
    proc = run_py(f"""
        import usegolib
        l3 = usegolib.import_({str(FIXTURES / "level3")!r}, artifact_dir={str(artifact_root)!r},
                              generics={GENERICS!r})
        try:
            {expr}
        except Exception as e:
            print(type(e).__name__ + ": " + str(e))
        else:
            print("no error")
        print("alive")
    """)
    assert proc.returncode == 0, f"the child died (rc {proc.returncode}):\n{proc.stderr[-3000:]}"
    out = proc.stdout.splitlines()
    assert out[-1] == "alive" and out[-2] != "no error", proc.stdout
    return out[-2]


@pytest.mark.parametrize(
    ("call", "reason"),
    [
        ("l3.MakeRing(3)", ".Next.Next.Next: " + BACK),
        ("l3.MakeRing(1)", ".Next: " + BACK),
        ("l3.RingAndLen(3)", ".Next.Next.Next: " + BACK),
        ("l3.FamilyTree()", ".Kids[0].Parent: " + BACK),
        ("l3.SelfGraph()", '.Edges["self"]: ' + BACK),
        ("l3.SelfMap()", '["self"]: ' + BACK),
        ("l3.SelfSlice()", "[1]: " + BACK),
        ("l3.SelfPointer()", BACK),
        ("l3.MakeRing(1000)", ".Next.Next.Next....Next.Next (63 steps): " + TOO_DEEP),
        ("l3.DeepList(10_000_000)", ".Next.Next.Next....Next.Next (63 steps): " + TOO_DEEP),
        ("l3.DeepList(64)", ".Next.Next.Next....Next.Next (63 steps): " + TOO_DEEP),
        ("l3.NestAny(64)", "[0][0][0]...[0][0] (63 steps): " + TOO_DEEP),
        ("l3.NestMaps(64)", '["k"]["k"]["k"]...["k"]["k"] (63 steps): ' + TOO_DEEP),
        ("l3.NestBox(64)", ".V[0][0]...[0][0] (63 steps): " + TOO_DEEP),
        ("l3.DeepChain(32)", ".Links[0].Links...[0].Links (63 steps): " + TOO_DEEP),
    ],
)
def test_hostile_result_is_an_error(artifact_root, l3, call, reason):
    # l3: the artifact is built once, before the children load it.
    name = call.split("(")[0].removeprefix("l3.")
    got = call_in_child(artifact_root, call)
    assert got.startswith(f"BadResultError: example.com/level3.{name}: "), got
    assert "(bad_result)" in got, got
    assert got.endswith(f"example.com/level3.{name}: result 0 cannot be encoded: {reason}"), got


def nested(n: int):
    v = None
    for _ in range(n):
        v = [] if v is None else [v]
    return v


def test_deepest_results_that_fit(l3):
    # A result sits at depth 2 of the reply: 63 levels is the deepest that fits.
    assert l3.NestAny(63) == nested(63)
    assert l3.Nesting(l3.NestAny(30)) == 30
    node, depth = l3.DeepList(63), 0
    while node is not None:
        node, depth = node.next, depth + 1
    assert depth == 63
    assert l3.NestBox(63).v == nested(62)
    m = l3.NestMaps(63)
    for _ in range(62):
        m = m["k"]
    assert m == {}


def test_what_goes_in_comes_back(l3):
    # Every any value Python sends can be returned.
    v = nested(61)
    assert l3.Nesting(v) == 61
    assert l3.EchoAny(v) == v
    with pytest.raises(ValueError, match="nested too deeply"):
        l3.EchoAny(nested(64))
