"""`any` values with their exact meaning (docs/abi.md section 8.8, docs/adr/0022) over the real
built anys fixture: what Go receives inside `any` for every Python input kind, compared with what
a Go program passing the same Go values prints; and `any` results holding times (with their UTC
offsets), durations, errors, Go objects and records, nested in lists and maps, and in callback
arguments."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import usegolib
from conftest import FIXTURES, fixture_prints
from usegolib import GoDuration, GoTime
from usegolib.errors import BadResultError, GoError


@pytest.fixture(scope="module")
def anys(artifact_root):
    return usegolib.import_(FIXTURES / "anys", artifact_dir=artifact_root)


CET = timezone(timedelta(hours=1))

# (Python value maker, the Go expression of the value Go should receive)
INPUTS = [
    (lambda m: 1, "1"),
    (lambda m: -7, "-7"),
    (lambda m: -(2**63), "math.MinInt64"),
    (lambda m: 2**63, "uint64(1 << 63)"),
    (lambda m: 2**64 - 1, "uint64(math.MaxUint64)"),
    (lambda m: 1.5, "1.5"),
    (lambda m: True, "true"),
    (lambda m: "s", '"s"'),
    (lambda m: b"b", '[]byte("b")'),
    (lambda m: None, "nil"),
    (lambda m: [1, "a", None, [2**63]], '[]any{1, "a", nil, []any{uint64(1 << 63)}}'),
    (lambda m: {"k": 1, "t": [2.5]}, 'map[string]any{"k": 1, "t": []any{2.5}}'),
    (
        lambda m: datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=timezone.utc),
        "time.Date(2024, 1, 2, 3, 4, 5, 6000, time.UTC)",
    ),
    (
        lambda m: datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=CET),
        'time.Date(2024, 1, 2, 3, 4, 5, 6000, time.FixedZone("", 3600))',
    ),
    (lambda m: timedelta(seconds=1.5), "1500 * time.Millisecond"),
    (lambda m: [timedelta(microseconds=-1)], "[]any{-time.Microsecond}"),
    (lambda m: m.Point(X=1, Y=2), "anys.Point{X: 1, Y: 2}"),
    (lambda m: {"p": m.Point(X=3, Y=4)}, 'map[string]any{"p": anys.Point{X: 3, Y: 4}}'),
    (lambda m: m.NewCounter(5), "anys.NewCounter(5)"),
    (lambda m: [m.NewCounter(6)], "[]any{anys.NewCounter(6)}"),
]


def go_prints(tmp_path, body: str) -> str:
    """What a Go program using the anys fixture prints."""
    return fixture_prints(tmp_path, "anys", "fmt math time", body)


def test_go_receives_what_a_go_caller_passes(anys, tmp_path):
    body = "".join(f"fmt.Println(anys.Types({go}))\n" for _, go in INPUTS)
    body += "".join(f"fmt.Println(anys.Kind({go}))\n" for _, go in INPUTS[:5])
    want = go_prints(tmp_path, body).splitlines()
    got = [anys.Types(make(anys)) for make, _ in INPUTS]
    got += [anys.Kind(make(anys)) for make, _ in INPUTS[:5]]
    assert got == want
    # What that means: a Python int is a Go int, as any(1) in Go.
    assert anys.Types(1) == "int(1)"
    assert anys.Kind(1) == "int"


def test_an_int_beyond_uint64_is_an_overflow_error_naming_the_parameter(anys):
    with pytest.raises(OverflowError, match=r"Types\(\) argument 'v'.*int64 or uint64"):
        anys.Types(2**64)
    with pytest.raises(OverflowError, match=r"argument .v. .Go any.: element 1: int out of range"):
        anys.Types([1, -(2**63) - 1])


def test_values_without_an_any_form_are_type_errors(anys):
    with pytest.raises(TypeError, match="naive datetime"):
        anys.Types(datetime(2024, 1, 1))
    with pytest.raises(OverflowError, match="time.Duration"):
        anys.Types(timedelta(days=300 * 365))
    with pytest.raises(TypeError, match="datetime, timedelta, a Go object or a record"):
        anys.Types(object())


def test_times_keep_their_instant_nanoseconds_and_offset(anys):
    local = anys.Local()
    assert type(local) is GoTime
    assert local == datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=CET)
    assert local.utcoffset() == timedelta(hours=1)
    assert local.nanosecond == 7
    utc = anys.UTC()
    assert type(utc) is GoTime and utc.tzinfo is timezone.utc
    assert (utc.microsecond, utc.nanosecond) == (999999, 999)
    # Back into Go exactly.
    assert anys.Types(local) == anys.Types(anys.Echo(local))
    assert anys.Types(utc) == "time.Time(2024-01-02 03:04:05.999999999 +0000 UTC)"


def test_durations_errors_objects_and_records(anys):
    wait = anys.Wait()
    assert type(wait) is GoDuration and wait.nanoseconds == 1_500_000_007
    err = anys.Err()
    assert isinstance(err, GoError)
    assert err.message == "open x: file does not exist"
    assert err.go_type == "*fmt.wrapError"
    obj = anys.Object()
    assert type(obj) is anys.Counter
    assert obj.Add(1) == 42
    assert anys.Types(obj) == "*anys.Counter(n=42)"
    rec = anys.Record()
    assert type(rec) is anys.Point and rec == anys.Point(X=1, Y=2)
    assert anys.Named() == [21.5, 2, "n"]


def test_hidden_state_travels_as_a_go_object(anys, tmp_path):
    box = anys.Hidden()
    assert isinstance(box, usegolib.GoObject)
    assert "anys.Box" in repr(box)
    # It holds a pointer to its own copy, as every Go object held by value: its fields work.
    assert box.Label == "b"
    builder = anys.Builder()
    assert "strings.Builder" in repr(builder)
    want = go_prints(
        tmp_path,
        "fmt.Println(anys.Types(anys.Hidden()))\nfmt.Println(anys.Types(anys.Builder()))\n",
    )
    assert [anys.Types(box), anys.Types(builder)] == want.splitlines()


def test_nested_in_lists_and_maps(anys):
    e = anys.Everything()
    assert set(e) == {"list", "time", "duration", "nil", "map"}
    t, d, err, obj, rec, code = e["list"]
    assert type(t) is GoTime and t.utcoffset() == timedelta(hours=1)
    assert type(d) is GoDuration and d.nanoseconds == 1_500_000_007
    assert isinstance(err, GoError) and err.message == "open x: file does not exist"
    assert type(obj) is anys.Counter and obj.Add(0) == 41
    assert rec == anys.Point(X=1, Y=2)
    assert isinstance(code, GoError) and (code.message, code.go_type) == (
        "code 7",
        "*anys.CodeError",
    )
    assert e["time"].tzinfo is timezone.utc
    assert e["duration"].nanoseconds == -1
    assert e["nil"] is None
    assert e["map"]["p"] == anys.Point(X=3, Y=4)
    assert isinstance(e["map"]["e"], GoError) and e["map"]["e"].message == "plain"


def test_values_with_no_wire_form_are_bad_results_naming_the_type(anys):
    with pytest.raises(BadResultError, match="chan int"):
        anys.Chan()
    with pytest.raises(BadResultError, match=r"func\(int\) string"):
        anys.Func()
    with pytest.raises(BadResultError, match="chan string"):
        anys.InList()


def test_callback_arguments_of_type_any(anys):
    seen = []

    def visit(v):
        seen.append(v)
        return type(v).__name__

    assert anys.Walk(visit) == "GoTime; GoDuration; GoError; Counter; Point"
    assert seen[0].utcoffset() == timedelta(hours=1)
    assert seen[3].Add(1) == 42
    assert seen[4] == anys.Point(X=1, Y=2)


def test_callback_results_of_type_any(anys):
    """A Python callable's result for Go's `any` arrives as an argument would."""
    for make, want in [
        (lambda: 1, "int(1)"),
        (
            lambda: datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=CET),
            "time.Time(2024-01-02 03:04:05.000006 +0100 +0100)",
        ),
        (lambda: [timedelta(milliseconds=1)], "[]any[time.Duration(1ms)]"),
        (lambda: {"p": anys.Point(X=5, Y=6)}, "map[p: anys.Point({5 6})]"),
    ]:
        assert anys.Consume(make) == want
    counter = anys.NewCounter(2)
    assert anys.Consume(lambda: counter) == "*anys.Counter(n=2)"
