"""No Python value crashes the binding (issue 7): self-referential and very deep values, values
that Python code changes while they are converted, and Go objects closed while a call uses
them. Each gives an ordinary exception that says what was wrong; the process lives on.

Values that used to kill the process (SIGSEGV) are tried in a child process, so a regression
shows as a failed test, not as a dead pytest run."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta, timezone, tzinfo

import pytest
import usegolib
from conftest import FIXTURES, GENERICS, run_py

# The outermost request array is depth 1 and the argument list depth 2 (docs/abi.md section 6),
# so an argument may hold containers at depths 3..64: 62 levels.
ARG_LEVELS = 62


def assert_ordinary(e: BaseException) -> None:
    """An exception `except Exception` catches, and no Rust panic (pyo3's PanicException is a
    BaseException)."""
    assert isinstance(e, Exception), f"{type(e).__mro__} is not an Exception"
    assert type(e).__name__ != "PanicException"
    assert "panicked" not in str(e)


# 1. Self-referential and very deep values.

HOSTILE_VALUES = """
import json, os, sys
import usegolib

l3 = usegolib.import_(os.environ["FIXTURE"], artifact_dir=os.environ["ARTIFACTS"],
                      generics=json.loads(os.environ["GENERICS"]))
results = {}

def attempt(name, call):
    try:
        results[name] = ["ok", call()]
    except Exception as e:
        results[name] = [type(e).__name__, str(e)]
    print(name, "done", file=sys.stderr, flush=True)

def dict_chain(n):
    head = None
    for i in range(n):
        head = {"value": 1, "next": head}
    return head

def node_chain(n):
    head = None
    for i in range(n):
        head = l3.Node(value=1, next=head)
    return head

def nested_lists(n, inner=None):
    v = [] if inner is None else inner
    for _ in range(n - 1):
        v = [v]
    return v

d = {"value": 1}
d["next"] = d
attempt("dict_self", lambda: l3.ListSum(d))

n = l3.Node(value=1, next=None)
n.next = n
attempt("node_self", lambda: l3.ListSum(n))

a = {"value": 1}
b = {"value": 2}
c = {"value": 3, "next": b}
a["next"] = b
b["next"] = c
attempt("dict_loop_below", lambda: l3.ListSum(a))

attempt("dict_chain_1e5", lambda: l3.ListSum(dict_chain(100_000)))
attempt("node_chain_1e5", lambda: l3.ListSum(node_chain(100_000)))
attempt("dict_chain_at_limit", lambda: l3.ListSum(dict_chain(62)))
attempt("dict_chain_over_limit", lambda: l3.ListSum(dict_chain(63)))
attempt("echo_node_at_limit", lambda: l3.ListSum(l3.EchoNode(node_chain(62))))

lst = [1]
lst.append(lst)
attempt("list_self", lambda: l3.EchoAny(lst))
m = {"k": [1]}
m["k"].append(m)
attempt("dict_in_list_self", lambda: l3.EchoAny(m))
attempt("lists_1e5", lambda: l3.EchoAny(nested_lists(100_000)))
attempt("lists_at_limit", lambda: l3.Describe(nested_lists(62)))
attempt("lists_over_limit", lambda: l3.Describe(nested_lists(63)))
t = ()
for _ in range(100_000):
    t = (t,)
attempt("tuples_1e5", lambda: l3.EchoAny(t))
attempt("variadic_deep", lambda: l3.EchoAnys(1, nested_lists(62)))
v = [0]
v[0] = v
attempt("variadic_self", lambda: l3.EchoAnys("x", v))
attempt("map_of_lists_self", lambda: l3.EchoListMapAny([{"a": lst}]))

# The reply side: the binding validates a reply (depth 64 included) before decoding it.
def chain_length(node):
    n = 0
    while node is not None:
        n, node = n + 1, node.next
    return n

attempt("reply_at_limit", lambda: chain_length(l3.MakeList(63)))
attempt("reply_over_limit", lambda: l3.MakeList(64))

attempt("alive", lambda: l3.ListSum(l3.MakeList(4)))
print(json.dumps(results))
"""


@pytest.fixture(scope="module")
def hostile(l3, artifact_root):
    r = run_py(
        HOSTILE_VALUES,
        env={
            "FIXTURE": str(FIXTURES / "level3"),
            "ARTIFACTS": str(artifact_root),
            "GENERICS": json.dumps(GENERICS),
        },
    )
    assert r.returncode == 0, f"the child died (rc {r.returncode}):\n{r.stderr[-3000:]}"
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_cycles_are_reported_as_cycles(hostile):
    cycle = "the value refers to itself: {} is the same object as {} (a cycle)"
    cases = {
        "dict_self": ("ListSum() argument 'n'", 'n["next"]', "n"),
        "node_self": ("ListSum() argument 'n'", "n.next", "n"),
        "dict_loop_below": ("ListSum() argument 'n'", 'n["next"]["next"]["next"]', 'n["next"]'),
        "list_self": ("EchoAny() argument 'v'", "v[1]", "v"),
        "dict_in_list_self": ("EchoAny() argument 'v'", 'v["k"][1]', "v"),
        "variadic_self": ("EchoAnys() variadic argument 1", "vs[1][0]", "vs[1]"),
        "map_of_lists_self": ("EchoListMapAny() argument 'v'", 'v[0]["a"][1]', 'v[0]["a"]'),
    }
    for name, (where, again, first) in cases.items():
        kind, msg = hostile[name]
        assert kind == "ValueError", (name, kind, msg)
        assert where in msg and cycle.format(again, first) in msg, (name, msg)
        assert "cannot contain cycles" in msg


def test_too_deep_values_are_refused_with_the_path(hostile):
    deep = {
        "dict_chain_1e5": ("argument 'n'", 'n["next"]["next"]', f"({ARG_LEVELS} levels down)"),
        "node_chain_1e5": ("argument 'n'", "n.next.next.next", f"({ARG_LEVELS} levels down)"),
        "dict_chain_over_limit": ("argument 'n'", 'n["next"]', f"({ARG_LEVELS} levels down)"),
        "lists_1e5": ("argument 'v'", "v[0][0][0]", f"({ARG_LEVELS} levels down)"),
        "lists_over_limit": ("Describe() argument 'v'", "v[0][0]", f"({ARG_LEVELS} levels down)"),
        "tuples_1e5": ("argument 'v'", "v[0][0][0]", f"({ARG_LEVELS} levels down)"),
    }
    for name, (where, path, levels) in deep.items():
        kind, msg = hostile[name]
        assert kind == "ValueError", (name, kind, msg)
        assert where in msg and path in msg and levels in msg, (name, msg)
        assert "nested too deeply" in msg and "deeper than the limit of 64 levels" in msg
        assert "refers to itself" not in msg, "a deep chain of distinct values is no cycle"
    kind, msg = hostile["variadic_deep"]
    assert kind == "ValueError" and "vs[1][0][0]" in msg, "variadic elements sit one level lower"


def test_the_limit_is_exactly_the_wire_limit(hostile):
    # Up to the limit the value reaches Go and comes back (Go validates it too).
    assert hostile["dict_chain_at_limit"] == ["ok", ARG_LEVELS]
    assert hostile["echo_node_at_limit"] == ["ok", ARG_LEVELS]
    assert hostile["lists_at_limit"] == ["ok", "[]interface {}"]
    assert hostile["dict_chain_over_limit"][0] == "ValueError"
    assert hostile["lists_over_limit"][0] == "ValueError"


def test_replies_are_bounded_before_they_are_decoded(hostile):
    # A reply is [status, value]: a 63-node list is at depths 2..64, a 64-node one breaks it.
    # The generated Go encoder refuses to send it (bad_result, docs/abi.md section 6.1); the
    # binding validates every reply before any decoding recursion in any case (the Rust
    # validator's depth limit is tested in usegolib-abi and fuzzed).
    assert hostile["reply_at_limit"] == ["ok", 63]
    kind, msg = hostile["reply_over_limit"]
    assert kind == "BadResultError" and "bad_result" in msg, msg
    assert "nested deeper than 64 levels" in msg, msg
    assert hostile["alive"] == ["ok", 10]


# 2. Values that Python code changes while they are converted.


class ShrinkingFloat(int):
    """An int whose __float__ empties a container being converted."""

    target: list | dict = []

    def __float__(self) -> float:
        self.target.clear()
        return float(int(self))


class GrowingFloat(int):
    target: list | dict = []

    def __float__(self) -> float:
        if isinstance(self.target, list):
            self.target.append(1.0)
        else:
            self.target[f"k{len(self.target)}"] = 1.0
        return float(int(self))


def test_float_hook_that_shrinks_or_grows_the_list(level1):
    for hook in (ShrinkingFloat, GrowingFloat):
        values: list = [1.5, hook(2), 3.5]
        hook.target = values
        with pytest.raises(RuntimeError, match="list changed size during conversion") as e:
            level1.EchoFloat64s(values)
        assert_ordinary(e.value)
        assert "EchoFloat64s() argument 'v'" in str(e.value)
    assert level1.EchoFloat64s([1.5, 2]) == [1.5, 2.0], "the process is alive"


def test_float_hook_that_resizes_the_dict(l3):
    for hook in (ShrinkingFloat, GrowingFloat):
        values = {"a": 1.5, "b": hook(2), "c": 3.5}
        hook.target = values
        with pytest.raises(RuntimeError, match="dict changed size during conversion") as e:
            l3.EchoMapF64(values)
        assert_ordinary(e.value)
    # A timedelta whose attribute empties the dict of durations being converted.
    durations: dict = {}

    class Sneaky(timedelta):
        @property
        def days(self) -> int:
            durations.clear()
            return 0

    durations.update(a=timedelta(seconds=1), b=Sneaky(seconds=2))
    with pytest.raises(RuntimeError, match="dict changed size during conversion") as e:
        l3.EchoDurations(durations)
    assert_ordinary(e.value)
    assert l3.EchoMapF64({"a": 1.0}) == {"a": 1.0}


def test_record_attribute_getter_that_mutates(l3):
    points: list = []

    class SneakyPoint(l3.Point):
        @property
        def label(self) -> str:
            points.clear()
            return "sneaky"

        @label.setter
        def label(self, value: str) -> None:
            pass

    points += [
        l3.Point(x=1, y=1, tags=[]),
        SneakyPoint(x=2, y=2, tags=[]),
        l3.Point(x=3, y=3, tags=[]),
    ]
    with pytest.raises(RuntimeError, match="list changed size during conversion") as e:
        l3.PointsByName(points)
    assert_ordinary(e.value)

    by_name: dict = {}

    class Clearing(l3.Point):
        @property
        def tags(self) -> list:
            by_name.clear()
            return []

        @tags.setter
        def tags(self, value: list) -> None:
            pass

    by_name.update(a=[l3.Point(x=1, y=1, tags=[])], b=[Clearing(x=2, y=2)])
    with pytest.raises(RuntimeError, match="dict changed size during conversion") as e:
        l3.EchoMapListPoint(by_name)
    assert_ordinary(e.value)

    class Raising(l3.Point):
        @property
        def x(self) -> int:
            raise KeyError("from a getter")

        @x.setter
        def x(self, value: int) -> None:
            pass

    with pytest.raises(KeyError, match="from a getter"):
        l3.EchoPoint(Raising(x=1, y=2, tags=[]))
    assert l3.EchoPoint(l3.Point(x=1, y=2, tags=[])).x == 1


def test_time_zone_hook_that_mutates_the_list(l3):
    times: list = []

    class Shrinking(tzinfo):
        def utcoffset(self, dt: datetime | None) -> timedelta:
            times.clear()
            return timedelta(hours=1)

    times += [datetime(2024, 1, 1, tzinfo=timezone.utc), datetime(2024, 1, 2, tzinfo=Shrinking())]
    with pytest.raises(RuntimeError, match="list changed size during conversion") as e:
        l3.EchoTimes(times)
    assert_ordinary(e.value)


def test_dict_key_whose_eq_and_hash_resize_the_dict(l3):
    class Key(str):
        """A str key whose __eq__ and __hash__ change the dict that holds it."""

        victim: dict = {}
        calls = 0

        def __hash__(self) -> int:
            Key.calls += 1
            Key.victim.pop("extra", None)
            return str.__hash__(self)

        def __eq__(self, other: object) -> bool:
            Key.calls += 1
            Key.victim.clear()
            return str.__eq__(self, other)

    # As map keys: the binding reads keys as strings and never hashes or compares them.
    values = {Key("a"): 1.0, "extra": 2.0}
    Key.victim = values
    Key.calls = 0
    assert l3.EchoMapF64(values) == {"a": 1.0, "extra": 2.0}
    assert Key.calls == 0
    # As keyword names: looking a keyword up compares keys, and the hook runs.
    kwargs = {Key("v"): {"a": 1.0}}
    Key.victim = kwargs
    try:
        result = l3.EchoMapF64(**kwargs)
    except Exception as e:  # noqa: BLE001 - any ordinary exception is fine; a panic is not
        assert_ordinary(e)
    else:
        assert result == {"a": 1.0}
    assert l3.EchoMapF64(v={"b": 2.0}) == {"b": 2.0}


def test_len_iter_index_and_encode_hooks_are_not_called(level1, l3):
    calls: list[str] = []

    class Sneaky(list):
        def __len__(self) -> int:
            calls.append("len")
            self.clear()
            return 0

        def __iter__(self):
            calls.append("iter")
            self.clear()
            return iter([])

    # The binding reads lists at the C level: the value sent is the list's real content.
    assert level1.EchoInt64s(Sneaky([1, 2, 3])) == [1, 2, 3]

    class Index:
        def __index__(self) -> int:
            calls.append("index")
            return 1

    with pytest.raises(TypeError, match="element 1: expected int, got Index") as e:
        level1.EchoInt64s([1, Index()])
    assert_ordinary(e.value)

    class Surrogates(str):
        def encode(self, *args: object, **kwargs: object) -> bytes:
            calls.append("encode")
            raise RuntimeError("not this encode")

    s = Surrogates("a\udcff")  # a lone surrogate: the str is not valid UTF-8 by itself
    assert l3.EchoAny([s]) == ["a\udcff"], "str.encode itself turns it back into bytes"
    assert calls == []


def test_fspath_hooks(artifact_root):
    class Path:
        def __init__(self, behaviour: str) -> None:
            self.behaviour = behaviour

        def __fspath__(self) -> object:
            if self.behaviour == "raise":
                raise RuntimeError("no path today")
            return 42

    with pytest.raises(RuntimeError, match="no path today") as e:
        usegolib.import_(Path("raise"), artifact_dir=artifact_root)
    assert_ordinary(e.value)
    with pytest.raises(TypeError) as e:
        usegolib.import_(Path("int"), artifact_dir=artifact_root)
    assert_ordinary(e.value)
    with pytest.raises(RuntimeError, match="no path today") as e:
        usegolib.load_artifact(Path("raise"))
    assert_ordinary(e.value)


# 3. close() racing a call.


def test_object_closed_during_the_call_is_object_closed_error(l3):
    c = l3.NewCounter("x")
    c.Add(5)

    class Closing(int):
        """Closes the counter while the call is being encoded (after the receiver)."""

        def __float__(self) -> float:
            c.close()
            return 1.0

    with pytest.raises(usegolib.ObjectClosedError, match="was closed during the call") as e:
        l3.CounterAndFloat(c, Closing(1))
    assert "Counter (handle" in str(e.value)
    assert c.closed
    d = l3.NewCounter("y")
    assert l3.CounterAndFloat(d, 2) == (0, 2.0)


def test_closed_during_the_call_as_a_keyword_argument(l3):
    c = l3.NewCounter("x")

    class Closing(int):
        def __float__(self) -> float:
            c.close()
            return 1.0

    with pytest.raises(usegolib.ObjectClosedError, match="was closed during the call"):
        l3.CounterAndFloat(f=Closing(1), c=c)


def test_closed_during_the_call_inside_a_list(l3):
    """A Go object inside a list argument, closed by another thread while the call is on its
    way to Go: ObjectClosedError, found by looking into the argument Go refused."""
    errors: list[BaseException] = []
    in_flight = rounds = 0
    while in_flight < 5 and rounds < 500:
        rounds += 1
        c = l3.NewCounter("x")
        started = threading.Event()

        def work(c=c, started: threading.Event = started) -> None:
            d = l3.NewCounter("d")
            xs = [d] * 2000 + [c]
            while True:
                try:
                    l3.EchoCounters(xs)
                except BaseException as e:  # noqa: BLE001 - every kind is recorded
                    errors.append(e)
                    started.set()
                    return
                started.set()

        t = threading.Thread(target=work)
        t.start()
        started.wait()
        c.close()
        t.join()
        in_flight = sum("during the call" in str(err) for err in errors)
    assert len(errors) == rounds
    wrong = [e for e in errors if not isinstance(e, usegolib.ObjectClosedError)]
    assert not wrong, f"{len(wrong)} calls failed otherwise, e.g. {wrong[0]!r}"
    assert in_flight > 0, f"no close landed during a call in {rounds} rounds"
    print(f"{in_flight} of {rounds} closes landed during a call")


def test_a_handle_unknown_to_go_is_still_a_bad_argument(l3):
    # Released behind the object's back (not by close()): Go does not know the id, and the
    # binding did not close it, so this is the documented bad_argument, not a closed object.
    c = l3.NewCounter("x")
    l3._go_module._release(c.go_handle)
    with pytest.raises(TypeError, match="unknown or released handle") as e:
        c.Get()
    assert not isinstance(e.value, usegolib.ObjectClosedError)


def test_close_racing_method_calls_in_threads(l3):
    """Threads call methods in a loop while the main thread closes the object: every call
    that fails, fails with ObjectClosedError, whether the close came before the call started
    or while the call was on its way to Go (then Go no longer knows the handle)."""
    errors: list[BaseException] = []
    in_flight = rounds = 0
    # Rounds until enough closes landed while a call was on its way (about a third of the
    # failing calls do on 2 cores), with a bound.
    while in_flight < 20 and rounds < 1000:
        rounds += 1
        c = l3.NewCounter("x")
        warm = [threading.Event() for _ in range(3)]

        def work(c=c, warm: threading.Event = warm[0]) -> None:
            calls = 0
            while True:
                try:
                    c.Add(1)
                    c.Both()
                except BaseException as e:  # noqa: BLE001 - every kind is recorded
                    errors.append(e)
                    warm.set()
                    return
                calls += 1
                if calls == 10:
                    warm.set()

        threads = [threading.Thread(target=work, kwargs={"warm": w}) for w in warm]
        for t in threads:
            t.start()
        for w in warm:
            w.wait()
        c.close()
        for t in threads:
            t.join()
        in_flight = sum("during the call" in str(err) for err in errors)
    assert len(errors) == 3 * rounds
    wrong = [e for e in errors if not isinstance(e, usegolib.ObjectClosedError)]
    assert not wrong, f"{len(wrong)} calls failed otherwise, e.g. {wrong[0]!r}"
    print(f"{in_flight} of {len(errors)} calls in {rounds} rounds were closed on their way to Go")
