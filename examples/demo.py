"""The usegolib demo: import a local Go module and call it like a Python module."""

import inspect
import io
import pathlib
import time

import usegolib

HERE = pathlib.Path(__file__).parent

t = time.perf_counter()
calc = usegolib.import_(HERE / "gocalc")  # builds on first use, then reuses the cached artifact
print(f"imported {calc!r} in {time.perf_counter() - t:.2f} s")

print("AddInt(1, 2)           =", calc.AddInt(1, 2))
print("Stats([3.0, 1.0, 2.0]) =", calc.Stats([3.0, 1.0, 2.0]))
print("Primes(30)             =", calc.Primes(30))
print("Digest(b'go')          =", calc.Digest(b"go").hex())
print("signature of Stats     :", inspect.signature(calc.Stats))
print("doc of AddInt          :", calc.AddInt.__doc__.splitlines()[0])

try:
    calc.ParseInt("forty-two")
except usegolib.GoError as e:
    print(f"ParseInt('forty-two')  -> GoError({e}) [{e.go_type}]")

try:
    calc.AddInt(2**70, 1)
except OverflowError as e:
    print("AddInt(2**70, 1)       -> OverflowError:", e)

try:
    calc.Subscribe(None)
except usegolib.UnsupportedSignatureError as e:
    print("Subscribe(...)         -> UnsupportedSignatureError:", e.reason)

text = usegolib.import_(HERE / "gocalc" / "textutil")  # a second package, same Go runtime
print("textutil.Title(...)    =", text.Title("call go from python"))
print("MapWords(s, str.upper) =", text.MapWords("a python callback", str.upper))
out = io.BytesIO()  # any object with write() is an io.Writer
text.WriteNumbered(out, ["go", "python"])
print("WriteNumbered(BytesIO) =", out.getvalue())
doc = usegolib.Ref()  # an out-parameter: json.Unmarshal(data, &doc)
text.Decode(b'{"langs": ["go", "python"]}', doc)
print("Decode(data, Ref())    =", doc.value)

geo = usegolib.import_(HERE / "gocalc" / "geo")  # structs and Go objects
p = geo.Point(x=1, y=2)
print("geo.Scale(Point, 3)    =", geo.Scale(p, 3))
with geo.NewCounter() as c:
    c.Inc(2)
    print("Counter.Inc(2), Inc(3) =", c.Inc(3), repr(c))

f = calc.AddInt
n = 200_000
t = time.perf_counter()
for i in range(n):
    f(i, 1)
print(f"{n} calls of AddInt: {(time.perf_counter() - t) / n * 1e9:.0f} ns per call")
