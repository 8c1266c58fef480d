"""Go packages as Python namespaces: functions, record classes, Go object classes with their
methods, package variables and generic instantiations."""

from __future__ import annotations

import copyreg
import dataclasses
import importlib.machinery
import inspect
import keyword
import threading
import types
from typing import Any

from usegolib import _native, _pickle, _stubs
from usegolib._types import duration_from_wire
from usegolib.errors import UnsupportedSignatureError


def _decorate(fn: _native.GoFunction) -> _native.GoFunction:
    """Sets the docstring (GoDoc and the Go signature) and ``__signature__`` of a function; the
    parameters' names and annotations come from the binding. A Go ``error`` among the results
    (other than the trailing one, which raises) is a value, annotated ``GoError | None``."""
    doc = fn.go_doc.strip()
    sig = f"Go: {fn.go_package}.{fn.go_signature.removeprefix('func ')}"
    fn.__doc__ = f"{doc}\n\n{sig}" if doc else sig
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    params = []
    if fn.kind == "method":
        params.append(inspect.Parameter("self", kind))
    for p, shown in _signature_params(fn):
        if shown == "keyword":
            pkind, default = inspect.Parameter.KEYWORD_ONLY, None
        elif p.variadic:
            pkind, default = inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.empty
        else:
            pkind = kind
            default = None if shown == "optional" else inspect.Parameter.empty
        params.append(inspect.Parameter(p.name, pkind, default=default, annotation=p.annotation))
    if fn.timeout_keyword is not None:
        kw = inspect.Parameter.KEYWORD_ONLY
        params.append(
            inspect.Parameter(fn.timeout_keyword, kw, default=None, annotation=float | None)
        )
    fn.__signature__ = inspect.Signature(params, return_annotation=fn.return_annotation)
    return fn


def _signature_params(fn: _native.GoFunction) -> list[tuple[_native.GoParam, str]]:
    """The parameters as the signature shows them, each with how: "required", "optional" (a
    context.Context at the end, None by default) or "keyword" (a context.Context before other
    parameters, or in a variadic function: shown keyword-only, after the others, as when it is
    left out)."""
    ps = fn.params
    last_required = max((i for i, p in enumerate(ps) if not p.optional), default=-1)
    shown = []
    for i, p in enumerate(ps):
        if not p.optional:
            shown.append((p, "required"))
        elif i > last_required and not fn.variadic:
            shown.append((p, "optional"))
    late = [p for i, p in enumerate(ps) if p.optional and (i < last_required or fn.variadic)]
    return shown + [(p, "keyword") for p in late]


class SkippedFunction:
    """An exported Go function whose signature usegolib does not support; calling it raises
    UnsupportedSignatureError with the recorded reason."""

    def __init__(self, package: str, name: str, signature: str, reason: str) -> None:
        self.__name__ = name
        self.go_package = package
        self.go_signature = signature
        self.reason = reason
        self.__doc__ = f"Not supported by usegolib: {reason}\n\nGo: {package}.{signature}"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        err = UnsupportedSignatureError(
            f"{self.go_package}.{self.__name__} is not supported: {self.reason}"
        )
        err.reason = self.reason
        err.function = f"{self.go_package}.{self.__name__}"
        raise err

    def __repr__(self) -> str:
        short = self.go_package.rsplit("/", 1)[-1]
        return f"<go func {short}.{self.__name__} (unsupported: {self.reason})>"


_PY_TYPE_ARGS: dict[Any, tuple[str, ...]] = {
    int: ("int64", "int"),
    float: ("float64",),
    str: ("string",),
    bytes: ("[]byte",),
    bool: ("bool",),
}


def _go_type_arg(a: Any) -> str:
    """A type argument as Go spells it in ``generics=[...]``: ``int`` is ``int64``, a class
    of a Go type its Go type (``example.com/m.Point``), a string as given."""
    if isinstance(a, str):
        return a
    key = getattr(a, "__usegolib_key__", None)
    if key is not None:
        return str(key)
    go = _PY_TYPE_ARGS.get(a)
    return go[0] if go else getattr(a, "__name__", repr(a))


class GenericFunction:
    """A generic Go function; index it with type arguments to get an instantiation built into
    the artifact: ``pkg.Keys[str, int]`` or ``pkg.Keys["string", "int64"]``."""

    def __init__(self, name: str, package: str, instances: dict[tuple[str, ...], Any]) -> None:
        self.__name__ = name
        self.go_package = package
        self.instances = instances
        listed = ", ".join(f"{name}[{', '.join(k)}]" for k in sorted(instances))
        self.__doc__ = f"Generic Go function; instantiations built: {listed}"

    @staticmethod
    def _matches(want: Any, have: str) -> bool:
        if isinstance(want, str):
            return want in (have, have.rsplit("/", 1)[-1], have.rsplit(".", 1)[-1])
        key = getattr(want, "__usegolib_key__", None)
        if key is not None:
            return key == have
        return have in _PY_TYPE_ARGS.get(want, ())

    def __getitem__(self, args: Any) -> Any:
        if not isinstance(args, tuple):
            args = (args,)
        for type_args, fn in self.instances.items():
            if len(type_args) == len(args) and all(
                self._matches(w, h) for w, h in zip(args, type_args, strict=True)
            ):
                return fn
        shown = ", ".join(
            a if isinstance(a, str) else getattr(a, "__name__", repr(a)) for a in args
        )
        go_args = ",".join(_go_type_arg(a) for a in args)
        raise UnsupportedSignatureError(
            f"{self.go_package}.{self.__name__}[{shown}] was not instantiated when the artifact "
            f"was built; built: {', '.join('[' + ', '.join(k) + ']' for k in self.instances)}; "
            f'ask for it with generics=["{self.__name__}[{go_args}]"] in usegolib.import_'
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if len(self.instances) == 1:
            return next(iter(self.instances.values()))(*args, **kwargs)
        raise TypeError(
            f"{self.__name__} is generic: pick an instantiation, e.g. "
            f"{self.__name__}[{', '.join(next(iter(self.instances)))}](...)"
        )

    def __repr__(self) -> str:
        return f"<go generic func {self.go_package.rsplit('/', 1)[-1]}.{self.__name__}>"

    def __reduce__(self) -> tuple[Any, ...]:
        return _pickle.reduce_generic(self)


def _record_class(module: _native.GoModule, key: str, name: str, doc: str) -> type:
    """A dataclass for a Go struct. As Go's ``T{...}`` literal, every field left out takes its
    Go zero value: 0, "", False, an empty list or dict, a zero record; None (nil) for a pointer,
    a Go object or ``any``.

    The class derives from ``_native.RecordBase``, whose ``__new__`` makes the instance and whose
    ``__init__`` (in Rust) takes the fields as keyword arguments and sets them, the class call
    staying in C: the dataclass makes no ``__init__`` (``init=False``), and its fields' defaults
    describe what that ``__init__`` does (docs/adr/0033)."""
    specs = []
    params = []
    kw = inspect.Parameter.KEYWORD_ONLY
    for f in module.fields(key):
        if f.has_default and f.default_factory is not None:
            field = dataclasses.field(default_factory=_zero_maker(f))
            default: Any = _ZeroValue(f.default_factory)
        elif f.has_default:
            field = dataclasses.field(default=f.default)
            default = f.default
        else:
            field = dataclasses.field()
            default = inspect.Parameter.empty
        specs.append((f.name, Any, field))
        params.append(inspect.Parameter(f.name, kw, default=default))
    ns: dict[str, Any] = {
        "__annotations__": {n: t for n, t, _ in specs},
        "__module__": "usegolib.go",
        "__qualname__": name,
        # Before the dataclass decorator, which would otherwise ask inspect for a signature to
        # write a docstring (and find none on the Rust constructor).
        "__doc__": doc or f"Go struct {key}",
        "__signature__": inspect.Signature(params),
        **{n: f for n, _, f in specs},
    }
    # As dataclasses.make_dataclass, with the metaclass that pickles the class by identity and
    # calls it through a vectorcall once registered (docs/adr/0033).
    made: Any = _pickle.RecordMeta(name, (_native.RecordBase,), ns)
    cls: Any = dataclasses.dataclass(kw_only=True, eq=True, repr=True, init=False)(made)
    setattr(cls, "__usegolib_key__", key)  # noqa: B010 - a class attribute mypy cannot see
    return cls


class _ZeroValue:
    """The default shown in a record class's signature for a field whose zero value is made
    per instance (``list()``, ``dict()``, a zero record)."""

    def __init__(self, factory: Any) -> None:
        self.factory = factory

    def __repr__(self) -> str:
        return f"{getattr(self.factory, '__name__', 'zero')}()"


def _zero_maker(f: _native.GoField) -> Any:
    """Makes a field's zero value (``dataclasses.fields`` shows it as the field's
    ``default_factory``); a record field's class is looked up when called (it may be
    registered after this class)."""

    def make() -> Any:
        factory = f.default_factory
        return factory() if factory is not None else None

    return make


def _handle_class(module: _native.GoModule, key: str, name: str, doc: str, ctor: Any) -> type:
    ns: dict[str, Any] = {
        "__doc__": doc or f"Go type {key} (a Go object: call close() or use `with` to release it)",
        "__module__": "usegolib.go",
        "__qualname__": name,
        "__usegolib_key__": key,
        # No instance dict: assigning a name that is not a Go field is an AttributeError.
        "__slots__": ("__weakref__",),
    }
    if ctor is not None:

        def construct(cls: type, **fields: Any) -> Any:
            return ctor(fields or None)

        construct.__name__ = "__new__"
        construct.__doc__ = f"Create a new Go {name} (fields as keyword arguments)."
        ns["__new__"] = construct
    else:

        def refuse(cls: type, *args: Any, **kwargs: Any) -> Any:
            raise TypeError(f"Go {name} objects are made by Go functions, not constructed")

        refuse.__name__ = "__new__"
        ns["__new__"] = refuse
    return _pickle.GoType(name, (_native.GoObject,), ns)


def _value_base(wire: str) -> type | None:
    """The Python base class of a value type's class, from its wire type (docs/abi.md section
    8.8); None for bool, which Python cannot subclass."""
    if wire.startswith(("int", "uint")):
        return int
    if wire.startswith("float"):
        return float
    if wire == "string":
        return str
    if wire.startswith("bytes"):
        return bytes
    if wire.startswith("["):
        return list
    if wire.startswith("map["):
        return dict
    return None


def _value_repr(self: Any) -> str:
    base = type(self).__mro__[1]
    return f"{type(self).__name__}({base.__repr__(self)})"


def _value_class(key: str, name: str, doc: str, base: type) -> type:
    """A value type's class: a subclass of the underlying Python type (``int``, ``list``,
    ``dict``...) whose Go methods are set on it; an instance passes to Go as the plain value."""
    ns: dict[str, Any] = {
        "__doc__": doc or f"Go type {key}",
        "__module__": "usegolib.go",
        "__qualname__": name,
        "__usegolib_key__": key,
        "__slots__": (),
        "__repr__": _value_repr,
    }
    return _pickle.GoType(name, (base,), ns)


def _int_range(wire: str) -> tuple[int, int] | None:
    """The values of a Go integer wire type (``int8`` .. ``uint64``), None for another type."""
    for prefix, signed in (("uint", False), ("int", True)):
        if wire.startswith(prefix) and wire[len(prefix) :].isdigit():
            bits = int(wire[len(prefix) :])
            return (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    return None


def _enum_missing(cls: Any, value: Any) -> Any:
    """A value Go returns that is not a declared constant: a pseudo-member with no name, so
    that every value round-trips (``Color(7)``). A value outside the Go type's range is a
    ValueError here, not an OverflowError at the next call."""
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    bounds = getattr(cls, "__usegolib_range__", None)
    if bounds is not None and not bounds[0] <= value <= bounds[1]:
        raise ValueError(
            f"{value} is out of the range of Go type {cls.__usegolib_key__} "
            f"({cls.__usegolib_wire__}: {bounds[0]}..{bounds[1]})"
        )
    member = int.__new__(cls, value)
    member._name_ = None
    member._value_ = value
    return member


def _enum_repr(self: Any) -> str:
    if self._name_ is None:
        return f"{type(self).__name__}({int(self)})"
    return f"<{type(self).__name__}.{self._name_}: {int(self)}>"


def _enum_str(self: Any) -> str:
    return str(int(self))


def _enum_class(key: str, name: str, doc: str, members: list[tuple[str, int]], wire: str) -> type:
    """An integer value type with constants: an ``enum.IntEnum`` of its constants (aliases for
    repeated values), where a value that is no constant is a nameless pseudo-member."""
    functional: Any = _pickle.GoIntEnum  # Enum's functional API, which mypy does not model
    cls: Any = functional(name, members, module="usegolib.go", qualname=name)
    cls.__doc__ = doc or f"Go type {key}"
    cls.__usegolib_key__ = key
    cls.__usegolib_wire__ = wire
    cls.__usegolib_range__ = _int_range(wire)
    cls._missing_ = classmethod(_enum_missing)
    cls.__repr__ = _enum_repr
    cls.__str__ = _enum_str  # the number, as IntEnum's str() is from Python 3.11 on
    return cls


def _const_value(c: _native.GoConst, classes: dict[str, type]) -> Any:
    """A constant's exact value (docs/abi.md section 8.8), an instance of its type's class when
    it has one."""
    kind, text = c.kind, c.value
    value: Any
    if kind == "bool":
        value = text == "true"
    elif kind == "int" and c.wire == "duration":
        # time.Duration is a timedelta everywhere else (docs/abi.md 8.1): time.Second too.
        value = duration_from_wire(int(text))
    elif kind == "int":
        value = int(text)
    elif kind == "float":
        value = float(text)
    elif kind == "complex":
        re, im = text.split(" ")
        value = complex(float(re), float(im))
    elif kind == "string_hex":
        value = bytes.fromhex(text).decode("utf-8", "surrogateescape")
    else:
        value = text
    cls = classes.get(c.class_key or "")
    return cls(value) if cls is not None else value


def _field_property(name: str, get: Any, set_: Any) -> property:
    """An exported field of a Go object as an attribute: reading it calls the getter entry,
    assigning it the setter, whose argument check names the field."""

    def fset(obj: Any, value: Any) -> None:
        try:
            set_(obj, value)
        except (TypeError, OverflowError, ValueError) as e:
            raise type(e)(f"field {name}: {e}") from None

    doc = get.go_doc.strip()
    sig = get.go_signature.removeprefix("func ").replace(".__get__()", "")
    prop = property(get, fset if set_ is not None else None)
    prop.__doc__ = f"{doc}\n\nGo field: {sig}" if doc else f"Go field: {sig}"
    return prop


class _PackageType(type):
    """``isinstance(x, GoPackage)``: whether x is the namespace of a Go package."""

    def __instancecheck__(cls, obj: Any) -> bool:
        return type(obj) is types.ModuleType and "_go_module" in vars(obj)

    def __subclasscheck__(cls, sub: Any) -> bool:
        return sub is cls


class GoPackage(types.ModuleType, metaclass=_PackageType):
    """A Go package: its exported functions, types and variables are attributes.

    Supported functions are ``GoFunction`` objects (with ``__doc__`` and ``__signature__`` from
    the Go source); skipped ones are ``SkippedFunction`` objects that raise
    ``UnsupportedSignatureError`` when called; struct types are classes (records), types with
    methods are ``GoObject`` classes, generic functions are indexed by type arguments, and
    package variables are read on access. Every package of one Go module shares the module's
    single Go runtime.

    The namespace itself is a plain ``types.ModuleType`` object (``isinstance(pkg, GoPackage)``
    holds; this class is never instantiated): CPython caches attribute lookups on exact module
    objects, so ``pkg.AddInt(1, 2)`` costs no more lookup than a call of a function of a Python
    module (docs/adr/0025). A package with exported variables reads them through the module's
    ``__getattr__`` (PEP 562), which also names close matches of an unknown name; CPython does
    not cache lookups on a module with ``__getattr__``, so only such packages have one. An
    unknown name in another package is Python's own AttributeError for modules (its traceback
    suggests close names from ``dir()``). Like any module, the namespace can be assigned to;
    that changes only the Python namespace, never Go.
    """

    _go_module: _native.GoModule
    _go_path: str

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # pragma: no cover - never made
        raise TypeError("GoPackage namespaces are made by usegolib.import_()")

    def package(self, path: str) -> GoPackage:
        """Another package bridged into this package's Go runtime, by import path: a package of
        the same module, or a standard-library or dependency package built into the module's
        artifact (``import_(..., also=[...])``, and every package declaring a Go object type of
        the module's API; docs/adr/0023). Go objects never cross runtimes, so
        ``mod.package("bytes").NewBufferString("x")`` can be passed to ``mod``'s functions where
        ``usegolib.import_("bytes")`` (the standard-library runtime) cannot."""
        raise NotImplementedError  # pragma: no cover - each namespace has its own (_make)


def _make_package(module: _native.GoModule, path: str, classes: dict[str, type]) -> GoPackage:
    """The namespace of package ``path``: an exact ``types.ModuleType`` (see GoPackage)."""
    # help(pkg) lists the package (its GoDoc, functions, types, constants).
    ns = types.ModuleType(path, _stubs.package_help(module, path))
    d = vars(ns)
    # repr(): <module 'example.com/mod' (usegolib package of example.com/mod v1.2.3)>
    d["__spec__"] = importlib.machinery.ModuleSpec(
        path, None, origin=f"usegolib package of {module.path} {module.version}"
    )
    d["_go_module"] = module
    d["_go_path"] = path
    names = []
    for t in module.types(path):
        if t.key in classes:  # a named bool value type has none
            d[t.name] = classes[t.key]
            names.append(t.name)
    generics: dict[str, dict[tuple[str, ...], Any]] = {}
    vars_: dict[str, Any] = {}
    for fn in module.functions(path):
        kind = fn.kind
        if kind == "method":
            continue  # on its class already (_module_classes), whatever package asks
        _decorate(fn)
        if kind == "generic":
            generic = fn.generic or ("", [])
            generics.setdefault(fn.py_name, {})[tuple(generic[1])] = fn
        elif kind == "var":
            vars_[fn.py_name] = fn
            names.append(fn.py_name)
        elif kind == "function":
            d[fn.py_name] = fn
            names.append(fn.py_name)
        # A constructor is reached through its class: Type(**fields).
    for name, instances in generics.items():
        d[name] = GenericFunction(name, path, instances)
        names.append(name)
    for c in module.consts(path):
        d[c.name] = _const_value(c, classes)
        names.append(c.name)
    for s in module.skipped(path):
        if s.name not in d:
            d[s.name] = SkippedFunction(path, s.go_name, s.signature, s.reason)
            names.append(s.name)
    var_cache: dict[str, Any] = {}
    go_names = tuple(sorted(set(names)))
    d["_go_vars"] = vars_
    d["_go_var_cache"] = var_cache
    d["_go_names"] = go_names

    def __getattr__(name: str) -> Any:
        # Only called when normal lookup fails: a package variable, or an unknown name.
        getter = vars_.get(name)
        if getter is not None:
            value = getter()
            if isinstance(value, _native.GoObject):
                # A handle to the variable itself: keep one object per variable.
                cached = var_cache.get(name)
                if cached is not None and not cached.closed:
                    value.close()
                    return cached
                var_cache[name] = value
            return value
        if name.startswith("__"):
            raise AttributeError(name)
        hints = module.suggest(path, name)
        hint = f" (did you mean {', '.join(hints)}?)" if hints else ""
        raise AttributeError(f"Go package {path} has no exported name {name!r}{hint}")

    def __dir__() -> list[str]:
        return list(go_names)

    def package(other: str) -> GoPackage:
        if other not in module.packages():
            from usegolib.errors import SymbolNotFoundError

            bridged = ", ".join(module.packages())
            raise SymbolNotFoundError(
                f"package {other} is not bridged into the runtime of {module.path} "
                f"{module.version} (it holds {bridged}); name it with "
                f"usegolib.import_({module.path!r}, also=[{other!r}]) in a new process"
            )
        return package_for(module, other)

    package.__doc__ = GoPackage.package.__doc__
    if vars_:
        # Only with package variables to read: a module `__getattr__` stops CPython from caching
        # every attribute lookup on the module (docs/adr/0025).
        d["__getattr__"] = __getattr__
    d["__dir__"] = __dir__
    d["package"] = package
    return ns  # type: ignore[return-value]


def _reduce_module(obj: types.ModuleType) -> tuple[Any, ...]:
    """Pickles a Go package namespace by its module and import path (docs/adr/0031), through
    ``copyreg`` (a namespace is a plain module, docs/adr/0025); any other module is refused as
    Python refuses it."""
    if isinstance(obj, GoPackage):
        return _pickle.reduce_package(obj)
    raise TypeError(f"cannot pickle {type(obj).__name__!r} object")


copyreg.pickle(types.ModuleType, _reduce_module)


def _reduce_callable(obj: Any) -> Any:
    """A ``GoCallable`` (a Go function or bound method as Python calls it, docs/adr/0025)
    pickles as the ``GoFunction`` or ``GoMethod`` it stands for (its ``__class__``)."""
    reduce = copyreg.dispatch_table.get(obj.__class__)
    if reduce is None:
        raise TypeError(f"cannot pickle {obj.__class__.__name__!r} object")
    return reduce(obj)


copyreg.pickle(_native.GoCallable, _reduce_callable)


_CACHE: dict[tuple[str, str], GoPackage] = {}
_CLASSES: dict[str, dict[str, type]] = {}
_LOCK = threading.RLock()


def _module_classes(module: _native.GoModule) -> dict[str, type]:
    """The Python classes of every record and handle type of the module, made once."""
    classes = _CLASSES.get(module.path)
    if classes is not None:
        return classes
    classes = {}
    for path in module.packages():
        for t in module.types(path):
            key, name = t.key, t.name
            if t.kind == "record":
                classes[key] = _record_class(module, key, name, t.doc)
                module.register_class(key, classes[key], True)
                continue
            if t.kind == "value":
                if t.is_enum:
                    # In value order (Go's declaration order is not in the schema; iota
                    # constants come out as declared); a repeated value is an alias. A
                    # constant named as a method of the type (chroma's `String TokenType`
                    # beside `TokenType.String()`) is no member: the method keeps the name,
                    # and the package attribute is still an instance.
                    methods = {
                        fn.py_name
                        for fn in module.functions(path)
                        if fn.kind == "method" and fn.receiver == key
                    }
                    members = sorted(
                        (
                            (c.name, int(c.value))
                            for c in module.consts(path)
                            if c.class_key == key and c.kind == "int" and c.name not in methods
                        ),
                        key=lambda m: m[1],
                    )
                    classes[key] = _enum_class(key, name, t.doc, members, t.wire)
                elif (base := _value_base(t.wire)) is not None:
                    classes[key] = _value_class(key, name, t.doc, base)
                else:
                    continue  # a named bool: its values stay plain bools
                module.register_class(key, classes[key])
                continue
            ctor = module.function_by_id(t.constructor) if t.constructor is not None else None
            classes[key] = _handle_class(module, key, name, t.doc, ctor)
            if module.fields(key):
                # The type's fields as a value (e.g. a method returning Counter, not *Counter).
                rec = _record_class(module, key, name, f"The fields of Go {name}, as a value.")
                rec.__qualname__ = f"{name}.Fields"
                classes[key].Fields = rec  # type: ignore[attr-defined]
                classes["@" + key] = rec
                module.register_class("@" + key, rec, True)
            module.register_class(key, classes[key])
    # Methods go on their classes here, for every package: a value of a type declared in a
    # package the user never imported (cel.Program.Eval returning a ref.Val) has its methods.
    accessors: dict[tuple[str, str], dict[str, Any]] = {}
    for path in module.packages():
        for fn in module.functions(path):
            if fn.kind == "method":
                cls = classes.get(fn.receiver or "")
                if cls is None:
                    continue
                if fn.py_name in ("__get__", "__set__"):
                    # A field accessor "X.F.__get__" / "X.F.__set__" (docs/abi.md section 8.3).
                    field = fn.go_name.rsplit(".", 2)[1]
                    accessors.setdefault((fn.receiver or "", field), {})[fn.py_name] = fn
                    continue
                setattr(cls, fn.py_name, _decorate(fn))
    for (key, field), fns in accessors.items():
        name = field + "_" if keyword.iskeyword(field) else field
        if name not in vars(classes[key]):  # a method of the same name wins
            setattr(classes[key], name, _field_property(name, fns["__get__"], fns.get("__set__")))
    # Annotations once every class is registered (a field may name any of them).
    for key, cls in classes.items():
        if dataclasses.is_dataclass(cls):
            cls.__annotations__ = {
                f.name: f.annotation for f in module.fields(key.removeprefix("@"))
            }
    _pickle.mark_classes(module, classes)
    _CLASSES[module.path] = classes
    return classes


def package_for(module: _native.GoModule, path: str) -> GoPackage:
    """The one GoPackage object of a package in this process."""
    key = (module.path, path)
    with _LOCK:
        pkg = _CACHE.get(key)
        if pkg is None:
            pkg = _CACHE[key] = _make_package(module, path, _module_classes(module))
        return pkg
