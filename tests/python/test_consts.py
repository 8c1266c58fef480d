"""Constants as package attributes with their exact values and Go types, and named non-struct
types with methods (value types: an int subclass with .String(), a list subclass with .Check,
a dict subclass with .Get, an IntEnum for an integer type with constants), compared with what a
Go program prints (docs/abi.md section 8.8)."""

from __future__ import annotations

import enum
import os
import pickle
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, go_output
from usegolib._stubs import render

# Each constant as the Go program prints it: name, Go type (%T), and the value as exact text
# (integers in decimal, floats as their IEEE bits, strings as the hex of their bytes).
INTS = ["Answer", "MinI", "Letter", "TypedInt8", "TypedUint16", "TypedRune", "TypedByte"]
FLOATS = ["Pi", "Third", "Tiny", "WholeFloat", "TypedF64"]
STRINGS = ["Greeting", "Bad", "TypedString", "Me"]
BOOLS = ["Yes", "TypedBool"]
NAMED_INTS = ["Red", "Green", "Blue", "NFC", "NFD", "NFKC", "LevelMax"]

GO_BODY = (
    "".join(f'fmt.Fprintf(&b, "{n} %T %d\\n", consts.{n}, consts.{n})\n' for n in INTS + NAMED_INTS)
    + "".join(
        f'fmt.Fprintf(&b, "{n} %T %d\\n", consts.{n}, math.Float64bits(float64(consts.{n})))\n'
        for n in [*FLOATS, "Boiling"]
    )
    + "".join(f'fmt.Fprintf(&b, "{n} %T %x\\n", consts.{n}, consts.{n})\n' for n in STRINGS)
    + "".join(f'fmt.Fprintf(&b, "{n} %T %t\\n", consts.{n}, consts.{n})\n' for n in BOOLS)
    + """
_ = src
fmt.Fprintf(&b, "TypedF32 %T %d\\n", consts.TypedF32, math.Float32bits(consts.TypedF32))
fmt.Fprintf(&b, "Imag %T %d %d\\n", consts.Imag, math.Float64bits(real(consts.Imag)), math.Float64bits(imag(consts.Imag)))
fmt.Fprintf(&b, "TypedC64 %T %d %d\\n", consts.TypedC64, math.Float32bits(real(consts.TypedC64)), math.Float32bits(imag(consts.TypedC64)))
fmt.Fprintf(&b, "MaxU uint64 %d\\n", uint64(consts.MaxU))
fmt.Fprintf(&b, "Big untyped %s\\n", big.NewFloat(consts.Big).Text('f', 0))
fmt.Fprintf(&b, "NFKC.String %s\\n", consts.NFKC.String())
fmt.Fprintf(&b, "Form7.String %s\\n", consts.Form(7).String())
fmt.Fprintf(&b, "Me.Upper %s\\n", consts.Me.Upper())
fmt.Fprintf(&b, "Boiling.Fahrenheit %d\\n", math.Float64bits(consts.Boiling.Fahrenheit()))
fmt.Fprintf(&b, "Check %t %t\\n", consts.Parse(1, 5).Check(5), consts.Parse(1, 5).Check(4))
fmt.Fprintf(&b, "Header.Get %s\\n", consts.MakeHeader("k", "v").Get("k"))
"""
)

# The Go type %T prints for an untyped constant: its default type.
DEFAULT = {
    "untyped int": "int",
    "untyped float": "float64",
    "untyped rune": "int32",
    "untyped string": "string",
    "untyped bool": "bool",
    "untyped complex": "complex128",
}


def f64(x: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def f32(x: float) -> int:
    return struct.unpack("<I", struct.pack("<f", x))[0]


def python_prints(cs) -> bytes:
    """The same lines as GO_BODY, from the package's attributes and the GoConst views."""
    gotype = {}
    for c in cs._go_module.consts(cs._go_path):
        t = DEFAULT.get(c.go_type, c.go_type)
        t = {"rune": "int32", "byte": "uint8"}.get(t, t)  # what %T prints for the aliases
        gotype[c.go_name] = "consts." + t if t[:1].isupper() else t
    lines = []
    for n in INTS + NAMED_INTS:
        lines.append(f"{n} {gotype[n]} {int(getattr(cs, n))}")
    for n in [*FLOATS, "Boiling"]:
        lines.append(f"{n} {gotype[n]} {f64(getattr(cs, n))}")
    for n in STRINGS:
        lines.append(f"{n} {gotype[n]} {getattr(cs, n).encode('utf-8', 'surrogateescape').hex()}")
    for n in BOOLS:
        lines.append(f"{n} {gotype[n]} {str(getattr(cs, n)).lower()}")
    lines.append(f"TypedF32 float32 {f32(cs.TypedF32)}")
    lines.append(f"Imag complex128 {f64(cs.Imag.real)} {f64(cs.Imag.imag)}")
    lines.append(f"TypedC64 complex64 {f32(cs.TypedC64.real)} {f32(cs.TypedC64.imag)}")
    lines.append(f"MaxU uint64 {cs.MaxU}")
    lines.append(f"Big untyped {cs.Big}")
    lines.append(f"NFKC.String {cs.NFKC.String()}")
    lines.append(f"Form7.String {cs.Form(7).String()}")
    lines.append(f"Me.Upper {cs.Me.Upper()}")
    lines.append(f"Boiling.Fahrenheit {f64(cs.Boiling.Fahrenheit())}")
    lines.append(
        f"Check {str(cs.Parse(1, 5).Check(5)).lower()} {str(cs.Parse(1, 5).Check(4)).lower()}"
    )
    lines.append(f"Header.Get {cs.MakeHeader('k', 'v').Get('k')}")
    return ("\n".join(lines) + "\n").encode()


def test_constants_and_methods_match_what_go_prints(cs, tmp_path):
    want = go_output(
        tmp_path,
        {"example.com/consts": "v0.0.0"},
        "fmt math math/big example.com/consts",
        GO_BODY,
        b"",
        replaces={"example.com/consts": FIXTURES / "consts"},
    )
    assert python_prints(cs).decode() == want.decode()


def test_constant_values_and_python_types(cs):
    assert cs.Answer == 42 and type(cs.Answer) is int
    assert cs.Big == 1 << 100 and type(cs.Big) is int
    assert cs.MaxU == 2**64 - 1 and cs.MinI == -(2**63)
    assert cs.Pi == 3.141592653589793 and type(cs.Pi) is float
    assert cs.WholeFloat == 1000.0 and type(cs.WholeFloat) is float
    assert cs.Greeting == "héllo, 世界" and cs.Letter == ord("é")
    assert cs.Bad == b"\xff\xfe ok".decode("utf-8", "surrogateescape")
    assert cs.Yes is True and cs.TypedBool is False
    assert cs.Imag == complex(2, 3.5) and type(cs.Imag) is complex
    assert cs.TypedF32 == struct.unpack("<f", struct.pack("<f", 0.1))[0] == 0.10000000149011612
    assert cs.LevelMax is cs.Level.LevelMax == 255, "an integer type with constants: an IntEnum"
    # A value outside the Go type's range is refused when made, not at the next call.
    assert cs.Level(0) == 0 and repr(cs.Level(7)) == "Level(7)"
    for bad in (256, -1):
        with pytest.raises(
            ValueError, match=f"{bad} is out of the range of Go type .*Level \\(uint8: 0..255\\)"
        ):
            cs.Level(bad)
    assert type(cs.Answer) is int and type(cs.TypedUint16) is int
    # Typed constants of a type with methods are instances of its class.
    assert isinstance(cs.Me, cs.Name) and isinstance(cs.Me, str) and cs.Me == "gopher"
    assert isinstance(cs.Boiling, cs.Celsius) and cs.Boiling == 100.0
    # A typed constant of a type of a package outside the module: its plain value.
    assert cs.Spring == 3 and type(cs.Spring) is int
    assert "Huge" in {s.go_name for s in cs._go_module.skipped(cs._go_path)}
    huge = next(s for s in cs._go_module.skipped(cs._go_path) if s.go_name == "Huge")
    assert huge.reason == "constant Huge: its value overflows float64"


def test_go_types_are_visible(cs):
    types = {c.go_name: c.go_type for c in cs._go_module.consts(cs._go_path)}
    assert types["Answer"] == "untyped int" and types["Big"] == "untyped int"
    assert types["Pi"] == "untyped float" and types["Letter"] == "untyped rune"
    assert types["TypedInt8"] == "int8" and types["Red"] == "Color" and types["Me"] == "Name"


def test_an_integer_type_with_constants_is_an_int_enum(cs):
    assert issubclass(cs.Color, enum.IntEnum)
    assert [m.name for m in cs.Color] == ["Red", "Green", "Blue"]
    assert cs.Red is cs.Color.Red and cs.Blue == 2
    mixed = cs.Mix(cs.Red, cs.Blue)
    assert mixed is cs.Color.Green, "a result of the type is its member"
    assert cs.Mix(0, 2) is cs.Color.Green, "plain ints pass as before"
    # A value that is no declared constant round-trips as a nameless pseudo-member.
    seven = cs.Mix(7, 7)
    assert isinstance(seven, cs.Color) and seven == 7 and seven.name is None
    assert repr(seven) == "Color(7)" and repr(cs.Red) == "<Color.Red: 0>"
    assert str(seven) == "7" and str(cs.Blue) == f"{cs.Blue}" == "2"
    assert cs.Mix(seven, seven) == 7


def test_an_enum_with_methods_keeps_them(cs):
    assert issubclass(cs.Form, enum.IntEnum)
    assert cs.NFC.String() == "NFC" and cs.NFKC.Apply("x") == "NFKC:x"
    assert cs.Default() is cs.NFD and cs.Next(cs.NFD) is cs.NFKC
    assert cs.Next(cs.NFKC).String() == "Form(3)"
    assert cs.Form(9).String() == "Form(9)"
    # A constant named as a method of its type is no member (the method keeps the name); the
    # package attribute is still an instance.
    assert "Apply" not in cs.Form.__members__ and callable(cs.Form.Apply)
    assert isinstance(cs.Apply, cs.Form) and cs.Apply == 9 and cs.Apply.Apply("y") == "Form(9):y"
    assert cs.Form.String(5) == "Form(5)", "the method called on the class takes a plain int"


def test_a_pointer_to_a_value_type_is_the_value_or_none(cs):
    assert cs.Bump(cs.NFC) == 1 and cs.Bump(None) is None
    assert cs.Bump(5) == 6


def test_value_type_instances_pickle_as_their_types(cs):
    # By the Go type's identity (docs/adr/0031): the class is found again by its key.
    for v, plain in [
        (cs.Blue, 2),
        (cs.Mix(7, 7), 7),
        (cs.Ints([1, 2]), [1, 2]),
        (cs.MakeHeader("k", "v"), {"k": ["v"]}),
        (cs.Me, "gopher"),
        (cs.Boiling, 100.0),
    ]:
        back = pickle.loads(pickle.dumps(v))
        assert back == v == plain and type(back) is type(v)


def test_a_named_bool_with_methods_stays_a_bool(cs):
    assert cs.Flip(True) is False and "Flag" not in dir(cs)


def test_nested_values_of_a_value_type_are_plain(cs):
    # Documented limit (docs/abi.md 8.8): only a parameter or result of the type itself gets the
    # class; inside lists and record fields the values are the plain ints they always were.
    assert cs.Colors() == [0, 1, 2, 7] and all(type(c) is int for c in cs.Colors())
    p = cs.MakePalette()
    assert p.Main == 2 and p.Others == [0, 1] and type(p.Main) is int


def test_named_slice_string_float_and_map_types_keep_their_methods(cs):
    c = cs.Parse(1, 5)
    assert isinstance(c, list) and isinstance(c, cs.Constraints) and len(c) == 2
    assert c.Check(5) is True and c.Check(2) is False
    assert cs.Mins(c) == [1, 5], "an instance passes back to Go as its list"
    # A pointer receiver works on a copy: Go's append is not seen by the Python list.
    assert c.Add(9) == 3 and len(c) == 2
    assert "copy" in cs.Constraints.Add.__doc__
    # A value receiver of a slice type shares the elements in Go, not with the Python list.
    assert "copy of the elements" in cs.Constraints.Check.__doc__
    assert "copy of the elements" not in cs.Name.Upper.__doc__
    n = cs.Greet("x")
    assert isinstance(n, cs.Name) and n == "hi x" and n.Upper() == "HI X"
    assert cs.Boiling.Fahrenheit() == 212.0
    h = cs.MakeHeader("k", "v")
    assert isinstance(h, dict) and h == {"k": ["v"]} and h.Get("k") == "v" and h.Get("z") == ""
    assert cs.Ints([3, 1, 2]).Sum() == 6
    assert cs.Ints([3, 1, 2]).Sorted() == [1, 2, 3] and isinstance(cs.Ints([1]).Sorted(), cs.Ints)
    assert repr(cs.Ints([1])) == "Ints([1])"


def test_out_of_range_constant_is_an_overflow_error_naming_the_parameter(cs):
    assert cs.Shift(cs.Answer, 1) == 84
    with pytest.raises(OverflowError, match=r"argument 'x'"):
        cs.Shift(cs.Big, 1)
    with pytest.raises(OverflowError, match=r"argument 'x'"):
        cs.Shift(cs.MaxU, 0)
    with pytest.raises(TypeError, match=r"argument 'n'"):
        cs.Shift(1, cs.Pi)


def test_show_lists_constants_and_value_types(cs, artifact_root):
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "usegolib",
            "--artifact-dir",
            str(artifact_root),
            "show",
            str(FIXTURES / "consts"),
            "--no-build",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "  const Pi untyped float = 3.141592653589793" in out
    assert "  const Big untyped int = 1267650600228229401496703205376" in out
    assert "  const Red Color = 0" in out and "  const Me Name = 'gopher'" in out
    assert "  const Imag untyped complex = 2+3.5i" in out
    assert "  type Form  [enum value: travels as int64]" in out
    assert "    func (Form) String() string" in out
    assert "    func (*Constraints) Add(min int) int" in out
    assert "const Huge untyped float" in out and "overflows float64" in out


def test_stubs_list_constants_and_mypy_checks_their_use(cs, tmp_path):
    text = render(cs._go_module, cs._go_path)
    assert "class Form(enum.IntEnum):" in text and "    NFC = 0" in text
    assert "class Constraints(list[Any]):" in text and "class Name(str):" in text
    assert "class Flag" not in text and "def Flip(f: bool) -> bool:" in text
    assert "Pi: float  # Go: untyped float = 3.141592653589793" in text
    assert "Red: Color  # Go: Color = 0" in text
    stubs = tmp_path / "stubs"
    stubs.mkdir()
    (stubs / "consts.pyi").write_text(text)
    good = tmp_path / "good.py"
    good.write_text(
        "import consts\n"
        "x: float = consts.Pi * 2\n"
        "f: consts.Form = consts.Next(consts.NFC)\n"
        "s: str = f.String()\n"
        "ok: bool = consts.Parse(1, 2).Check(3)\n"
        "n: int = consts.Shift(consts.Answer, 2)\n"
    )
    bad = tmp_path / "bad.py"
    bad.write_text("import consts\nconsts.Shift(consts.Greeting, 1)\nconsts.NFC.String(1)\n")
    bindir = Path(sys.executable).parent
    mypy = [str(bindir / "mypy"), "--follow-imports=silent", "--no-incremental"]
    env = {**os.environ, "MYPYPATH": str(stubs)}
    r = subprocess.run(
        [*mypy, str(stubs / "consts.pyi")], capture_output=True, text=True, env=env, timeout=300
    )
    assert r.returncode == 0, r.stdout
    r = subprocess.run([*mypy, str(good)], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    r = subprocess.run([*mypy, str(bad)], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 1, r.stdout
    assert 'Argument 1 to "Shift" has incompatible type "str"' in r.stdout
    assert 'Too many arguments for "String"' in r.stdout
